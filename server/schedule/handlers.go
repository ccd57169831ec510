package schedule

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Handlers serve the public schedule exports.
type Handlers struct {
	svc *Service
}

// New builds the domain, filling in the defaults of cfg.
func New(db *sqlx.DB, cfg Config) *Handlers {
	return &Handlers{svc: NewService(db, cfg)}
}

// Routes mounts the public exports on the /api/v1 group.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/schedule.json", h.frabJSON)
	api.Get("/schedule.xml", h.frabXML)
	api.Get("/speakers/:id/talks.ics", h.speakerICS)
}

func (h *Handlers) frabJSON(c *fiber.Ctx) error {
	doc, err := h.svc.Frab(httpx.Ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(doc)
}

func (h *Handlers) frabXML(c *fiber.Ctx) error {
	body, err := h.svc.FrabXML(httpx.Ctx(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	return c.Send(body)
}

// speakerICS is the calendar of the talks a user speaks at.
func (h *Handlers) speakerICS(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	lang, err := i18n.Feed(c)
	if err != nil {
		return err
	}
	cal, changed, err := h.svc.SpeakerCalendar(httpx.Ctx(c), lang, id)
	if err != nil {
		return err
	}
	return talks.SendCalendar(c, fmt.Sprintf("speaker-%d.ics", id), cal, changed)
}
