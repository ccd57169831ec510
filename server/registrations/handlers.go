package registrations

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/keyset"
)

// Handlers serve the registration routes.
type Handlers struct {
	svc *Service
}

// NewHandlers serves svc's rules.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts the registration routes.
func (h *Handlers) Routes(api fiber.Router) {
	api.Post("/talks/:id/registrations", httpx.RequireUser, h.register)
	api.Delete("/talks/:id/registrations/me", httpx.RequireUser, httpx.Delete(h.svc.Cancel)) // 204 also when there was none
	api.Get("/talks/:id/registrations", httpx.RequireUser, h.list)                           // staff of the talk: checked first thing
	api.Get("/me/registrations", httpx.RequireUser, h.mine)
}

// register answers 201 with a new registration, or 200 with the existing
// one; with an Idempotency-Key, a retry replays the first answer.
func (h *Handlers) register(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	key, err := idempotency.KeyOf(c)
	if err != nil {
		return err
	}
	res, err := h.svc.Register(httpx.Ctx(c), httpx.CurrentUser(c), id, key)
	if err != nil {
		return err
	}
	return idempotency.Send(c, res)
}

// list answers the registrants to staff of the talk, as JSON or (Accept:
// text/csv) CSV. Emails are shown to moderators and admins only.
func (h *Handlers) list(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	user := httpx.CurrentUser(c)
	rs, err := h.svc.Registrants(httpx.Ctx(c), user, id)
	if err != nil {
		return err
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "text/csv") {
		return writeCSV(c, id, rs, user.IsModerator())
	}
	return c.JSON(keyset.List[Registrant]{Items: rs})
}

// mine lists the caller's registrations with their talks.
func (h *Handlers) mine(c *fiber.Ctx) error {
	rs, err := h.svc.Mine(httpx.Ctx(c), httpx.CurrentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(keyset.List[Registration]{Items: rs})
}
