package schedule

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/httpx"
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
	api.Get("/speakers/:id/talks.ics", talks.CalendarOf(h.speakerICS))
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

// speakerICS is the calendar of the talks user id speaks at.
func (h *Handlers) speakerICS(ctx context.Context, lang string, id int64) (talks.ICS, error) {
	cal, changed, err := h.svc.SpeakerCalendar(ctx, lang, id)
	return talks.ICS{Filename: fmt.Sprintf("speaker-%d.ics", id), Body: cal, Modified: changed}, err
}
