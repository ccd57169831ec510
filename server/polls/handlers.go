package polls

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// Handlers serve the polls' and reactions' routes.
type Handlers struct{ svc *Service }

// NewHandlers builds the routes on svc.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts the routes. A ballot is a PUT of the caller's whole
// ballot: repeating it changes nothing, so it needs no Idempotency-Key.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/talks/:id/polls", httpx.Paged(h.svc.List))
	api.Post("/talks/:id/polls", httpx.RequireUser, httpx.Change(fiber.StatusCreated, h.svc.Create))
	api.Patch("/polls/:id", httpx.RequireUser, httpx.Change(fiber.StatusOK, h.svc.Change))
	api.Put("/polls/:id/ballot", httpx.RequireUser, httpx.Change(fiber.StatusOK, h.svc.Cast))
	api.Get("/polls/:id/results.csv", httpx.RequireUser, httpx.CSV("poll-%d-results.csv", h.svc.ResultsCSV))
	api.Post("/talks/:id/reactions", httpx.RequireUser, h.react)
}

// react takes a reaction: 202, no body (reactions are never stored).
func (h *Handlers) react(c *fiber.Ctx) error {
	id, r, err := httpx.BindID[Reaction](c, false)
	if err != nil {
		return err
	}
	if err := h.svc.React(httpx.Ctx(c), httpx.CurrentUser(c), id, r); err != nil {
		return err
	}
	c.Status(fiber.StatusAccepted)
	return nil
}
