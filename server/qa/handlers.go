package qa

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Handlers serve the Q&A routes.
type Handlers struct{ svc *Service }

// NewHandlers builds the Q&A's routes on svc.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts the Q&A routes. Asking takes an Idempotency-Key: a retry
// replays the response and asks nothing twice.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/talks/:id/questions", httpx.Bind(fiber.StatusOK, filter, h.svc.List)) // ?sort=top|recent&status=a,b
	api.Post("/talks/:id/questions", httpx.RequireUser, idempotency.Change(h.svc.rec, fiber.StatusCreated, h.svc.Ask))
	api.Put("/questions/:id/vote", httpx.RequireUser, h.vote(true))
	api.Delete("/questions/:id/vote", httpx.RequireUser, h.vote(false))
	api.Patch("/questions/:id", httpx.RequireUser, httpx.Change(fiber.StatusOK, h.svc.Moderate))
	api.Delete("/questions/:id", httpx.RequireUser, httpx.Delete(h.svc.Withdraw))
	api.Post("/questions/:id/answers", httpx.RequireUser, httpx.Change(fiber.StatusCreated, h.svc.Answer))
	api.Post("/questions/:id/flags", httpx.RequireUser, moderation.FlagRoute(h.svc.Flag))
}

// vote: PUT (on) or DELETE /questions/{id}/vote.
func (h *Handlers) vote(on bool) fiber.Handler {
	return httpx.WithID(func(ctx context.Context, u *domain.User, id int64) (Vote, error) { return h.svc.Vote(ctx, u, id, on) })
}

// filter reads a question list's ?sort=, ?status= and page.
func filter(c *fiber.Ctx) (Filter, error) {
	page, err := httpx.ParsePage(c)
	return Filter{Sort: c.Query("sort", "top"), Status: c.Query("status"), Page: page}, err
}
