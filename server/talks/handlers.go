package talks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
)

// Handlers serve the talks routes.
type Handlers struct {
	svc *Service
	rec *live.Recorder
	cal CalendarConfig
}

// New builds the talks domain.
func New(db *sqlx.DB, rec *live.Recorder, cal CalendarConfig) *Handlers {
	return &Handlers{svc: NewService(db, rec), rec: rec, cal: cal}
}

// Service is the talks' rules (the wiring sets its Promote).
func (h *Handlers) Service() *Service { return h.svc }

// Routes mounts the talks routes. The .ics routes come first so that
// "/talks/42.ics" is the calendar of talk 42, not a talk named "42.ics".
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/talks.ics", h.feed)
	api.Get("/talks", httpx.Query(query, h.svc.List))
	api.Post("/talks", httpx.RequireModerator, h.create)
	api.Get("/talks/:id.ics", CalendarOf(h.talkCalendar))
	api.Get("/talks/:id", httpx.WithID(h.svc.Get))
	api.Patch("/talks/:id", httpx.RequireModerator, httpx.Bind(fiber.StatusOK, change, h.svc.Update))
	api.Post("/talks/:id/cancel", httpx.RequireModerator, idempotency.Act(h.rec, fiber.StatusOK, h.svc.Cancel))
	// Staff of the talk: checked before the body is read.
	api.Post("/talks/:id/status", httpx.RequireUser, h.staffOnly, idempotency.Change(h.rec, fiber.StatusOK, h.svc.SetStatus))
}

// idempotent is the Txn of a request: the request's Idempotency-Key,
// answering status with the talk.
func (h *Handlers) idempotent(c *fiber.Ctx, status int) Txn {
	return idempotency.TxnOf[Talk](c, h.rec, status)
}

func (h *Handlers) create(c *fiber.Ctx) error {
	ch, err := change(c)
	if err != nil {
		return err
	}
	_, err = h.svc.Create(httpx.Ctx(c), httpx.CurrentUser(c), ch, h.idempotent(c, http.StatusCreated))
	return err
}

// staffOnly lets through the talk's staff, before anything else of the
// request is read.
func (h *Handlers) staffOnly(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.MayRun(httpx.Ctx(c), httpx.CurrentUser(c), id); err != nil {
		return err
	}
	return c.Next()
}

// feed is the series' calendar. Last-Modified is the last change of any
// talk: a talk leaving the feed (back to draft) moves it too.
func (h *Handlers) feed(c *fiber.Ctx) error {
	lang, err := i18n.Feed(c)
	if err != nil {
		return err
	}
	ts, changed, err := h.svc.Feed(httpx.Ctx(c))
	if err != nil {
		return err
	}
	return SendCalendar(c, "hubtalks.ics", h.cal.Feed(lang, "Hub Talks", ts), changed)
}

// SendCalendar answers an .ics file, cacheable (see httpx.SendCacheable).
func SendCalendar(c *fiber.Ctx, filename, cal string, modified time.Time) error {
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="%s"`, filename))
	return httpx.SendCacheable(c, []byte(cal), modified)
}

// ICS is one calendar file as a route answers it.
type ICS struct {
	Filename string
	Body     string
	Modified time.Time // its Last-Modified
}

// CalendarOf is a route that answers file's calendar of item :id in the
// feed's language (?lang), through SendCalendar.
func CalendarOf(file func(ctx context.Context, lang string, id int64) (ICS, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpx.ID(c, "id")
		if err != nil {
			return err
		}
		lang, err := i18n.Feed(c)
		if err != nil {
			return err
		}
		f, err := file(httpx.Ctx(c), lang, id)
		if err != nil {
			return err
		}
		return SendCalendar(c, f.Filename, f.Body, f.Modified)
	}
}

// talkCalendar is the calendar of talk id alone.
func (h *Handlers) talkCalendar(ctx context.Context, lang string, id int64) (ICS, error) {
	t, err := h.svc.Get(ctx, nil, id)
	if err != nil {
		return ICS{}, err
	}
	return ICS{url.PathEscape(t.Slug) + ".ics", h.cal.Feed(lang, t.Title, []Talk{t}), t.UpdatedAt}, nil
}

// change reads a talk's Change from the request body.
func change(c *fiber.Ctx) (Change, error) { return DecodeChange(c.Body()) }

// query reads a talk listing's filters and page.
func query(c *fiber.Ctx) (Query, error) {
	page, err := httpx.ParsePage(c)
	return Query{From: c.Query("from"), To: c.Query("to"), Status: c.Query("status"), Tag: c.Query("tag"), Q: c.Query("q"),
		Speaker: c.Query("speaker"), Page: page}, err
}
