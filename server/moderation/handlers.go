package moderation

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// Handlers serve the flag queue and the moderation log.
type Handlers struct{ svc *Service }

// NewHandlers builds the moderation's routes on svc.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts the flag queue (moderators) and the moderation log (staff
// of the talk).
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/moderation/flags", httpx.RequireModerator, h.listFlags)
	api.Patch("/moderation/flags/:id", httpx.RequireModerator, httpx.Change(fiber.StatusOK, h.svc.Review))
	api.Get("/talks/:id/moderation-log", httpx.RequireUser, httpx.Paged(h.svc.ModerationLog))
}

func (h *Handlers) listFlags(c *fiber.Ctx) error {
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	out, err := h.svc.Flags(httpx.Ctx(c), httpx.CurrentUser(c), c.Query("status", "open"), page)
	if err != nil {
		return err
	}
	return c.JSON(out)
}
