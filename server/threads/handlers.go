package threads

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Handlers serve the thread routes.
type Handlers struct{ svc *Service }

// NewHandlers builds the threads' routes on svc.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts the thread routes: GET /threads/{id} is the thread and one
// page of its posts; posting takes an Idempotency-Key (a retry replays the
// response and posts nothing twice).
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/talks/:id/threads", httpx.Paged(h.svc.List))
	api.Post("/talks/:id/threads", httpx.RequireUser, httpx.Change(fiber.StatusCreated, h.svc.Create))
	api.Get("/threads/:id", httpx.Paged(h.svc.Get))
	api.Patch("/threads/:id", httpx.RequireUser, httpx.Change(fiber.StatusOK, h.svc.EditThread))
	api.Post("/threads/:id/posts", httpx.RequireUser, idempotency.Change(h.svc.rec, fiber.StatusCreated, h.svc.Post))
	api.Patch("/posts/:id", httpx.RequireUser, httpx.Change(fiber.StatusOK, h.svc.EditPost))
	api.Post("/posts/:id/flags", httpx.RequireUser, moderation.FlagRoute(h.svc.Flag))
}
