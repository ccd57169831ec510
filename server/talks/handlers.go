package talks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
)

// Handlers serve the talks routes.
type Handlers struct {
	db  *sqlx.DB
	rec *live.Recorder
	cal CalendarConfig
}

// New builds the talks domain.
func New(db *sqlx.DB, rec *live.Recorder, cal CalendarConfig) *Handlers {
	return &Handlers{db: db, rec: rec, cal: cal}
}

// Routes mounts the talks routes. The .ics routes come first so that
// "/talks/42.ics" is the calendar of talk 42, not a talk named "42.ics".
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/talks.ics", h.feed)
	api.Get("/talks", h.list)
	api.Post("/talks", httpx.RequireModerator, h.create)
	api.Get("/talks/:id.ics", h.talkCalendar)
	api.Get("/talks/:id", h.get)
	api.Patch("/talks/:id", httpx.RequireModerator, h.patch)
	api.Post("/talks/:id/cancel", httpx.RequireModerator, h.cancel)
	api.Post("/talks/:id/status", httpx.RequireUser, h.setStatus) // staff of the talk: checked first thing
}

// ForViewer loads a talk as viewer may see it: 404 for a draft they may not
// see; stream_url only for staff of the talk and confirmed registrants.
func ForViewer(ctx context.Context, q Queryer, id int64, viewer *domain.User) (Talk, error) {
	t, err := loadFull(ctx, q, id)
	if err != nil {
		return Talk{}, err
	}
	ok, err := Visible(ctx, q, t, viewer)
	if err != nil {
		return Talk{}, err
	}
	if !ok {
		return Talk{}, fmt.Errorf("talk %d is a draft: %w", id, domain.ErrNotFound)
	}
	return t, redact(ctx, q, &t, viewer)
}

const selectConfirmed = `SELECT EXISTS (SELECT 1 FROM registrations WHERE talk_id = $1 AND user_id = $2 AND status = 'confirmed')`

// MaySeeStream reports whether viewer may see the talk's stream_url.
func MaySeeStream(ctx context.Context, q Queryer, talkID int64, viewer *domain.User) (bool, error) {
	if viewer == nil {
		return false, nil
	}
	staff, err := IsStaff(ctx, q, talkID, viewer)
	if err != nil || staff {
		return staff, err
	}
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, selectConfirmed, talkID, viewer.ID); err != nil {
		return false, fmt.Errorf("check registration for talk %d: %w", talkID, err)
	}
	return ok, nil
}

func redact(ctx context.Context, q Queryer, t *Talk, viewer *domain.User) error {
	if t.StreamURL == nil {
		return nil
	}
	ok, err := MaySeeStream(ctx, q, t.ID, viewer)
	if err != nil {
		return err
	}
	if !ok {
		t.StreamURL = nil
	}
	return nil
}

func (h *Handlers) get(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	t, err := ForViewer(httpx.Ctx(c), h.db, id, httpx.CurrentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (h *Handlers) list(c *fiber.Ctx) error {
	ctx := httpx.Ctx(c)
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	f := Filter{Viewer: httpx.CurrentUser(c), Limit: page.Limit}
	var v domain.Checker
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := c.Query(p.name); s != "" {
			at, ok := parseTime(s)
			v.Check(ok, p.name, "must be an RFC 3339 time")
			*p.dst = &at
		}
	}
	if s := c.Query("status"); s != "" {
		v.Check(s == StatusDraft || s == StatusScheduled || s == StatusLive || s == StatusEnded || s == StatusCancelled,
			"status", "must be draft, scheduled, live, ended or cancelled")
		f.Status = &s
	}
	if s := c.Query("tag"); s != "" {
		f.Tag = &s
	}
	if s := strings.TrimSpace(c.Query("q")); s != "" {
		v.Check(len(s) <= 200, "q", "must be at most 200 characters")
		f.Q = &s
	}
	if page.Cursor != "" {
		var cur cursor
		if err := httpx.DecodeCursor(page.Cursor, &cur); err != nil {
			return err
		}
		f.After = &cur
	}
	if err := v.Err(); err != nil {
		return err
	}
	ts, next, err := list(ctx, h.db, f)
	if err != nil {
		return err
	}
	// stream_url is for staff and registrants; a list shows it to nobody but
	// global staff (GET /talks/{id} shows it to everyone allowed).
	if !f.Viewer.IsModerator() {
		for i := range ts {
			ts[i].StreamURL = nil
		}
	}
	out := httpx.List[Talk]{Items: ts}
	if next != nil {
		s := httpx.EncodeCursor(next)
		out.NextCursor = &s
	}
	return c.JSON(out)
}

func (h *Handlers) create(c *fiber.Ctx) error {
	in, err := decodeInput(c.Body())
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	t := Talk{Status: StatusScheduled, Tags: []string{}, Language: "en", Format: "online",
		QA: QA{Moderation: "post", AllowAnonymous: true, Open: true}}
	var v domain.Checker
	for _, f := range []string{"title", "starts_at", "ends_at"} {
		v.Check(in.present[f], f, "is required")
	}
	speakers := []int64{}
	in.apply(&t, &v, &speakers)
	checkTalk(t, &v)
	if err := v.Err(); err != nil {
		return err
	}
	if ok, err := knownUsers(ctx, h.db, speakers); err != nil {
		return err
	} else if !ok {
		return domain.InvalidField("speakers", "names a user that does not exist")
	}
	return idempotency.Run(c, h.rec, func(tx *live.Tx) (idempotency.Result, error) {
		id, err := insert(ctx, tx.Tx, t, speakers)
		if err != nil {
			return idempotency.Result{}, err
		}
		out, err := loadFull(ctx, tx, id)
		if err != nil {
			return idempotency.Result{}, err
		}
		return idempotency.Result{Status: http.StatusCreated, Body: out}, nil
	})
}

// patch changes any subset of the writable fields. Rescheduling (new times)
// bumps the iCalendar SEQUENCE and tells the registrants; raising capacity
// confirms from the waitlist in order; lowering it below the confirmed count
// is refused.
func (h *Handlers) patch(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	in, err := decodeInput(c.Body())
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	var out Talk
	err = h.rec.InTx(ctx, func(tx *live.Tx) error {
		old, err := lockForUpdate(ctx, tx.Tx, id)
		if err != nil {
			return err
		}
		t := old
		var v domain.Checker
		var speakers []int64
		in.apply(&t, &v, &speakers)
		checkTalk(t, &v)
		if in.present["status"] && t.Status != old.Status && old.Status != StatusDraft && old.Status != StatusScheduled {
			v.Add("status", "a talk that is "+old.Status+" cannot go back to "+t.Status)
		}
		if t.Capacity != nil && *t.Capacity < old.RegisteredCount {
			v.Add("capacity", fmt.Sprintf("must not be below the %d confirmed registrations", old.RegisteredCount))
		}
		if speakers != nil {
			if ok, err := knownUsers(ctx, tx, speakers); err != nil {
				return err
			} else if !ok {
				v.Add("speakers", "names a user that does not exist")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		rescheduled := (!t.StartsAt.Equal(old.StartsAt) || !t.EndsAt.Equal(old.EndsAt)) && old.Status != StatusDraft
		if rescheduled {
			t.ICalSequence++
		}
		if err := update(ctx, tx.Tx, t); err != nil {
			return err
		}
		if speakers != nil {
			if err := setSpeakers(ctx, tx.Tx, id, speakers); err != nil {
				return err
			}
		}
		if rescheduled && old.Status != StatusCancelled && old.Status != StatusEnded {
			payload, _ := json.Marshal(map[string]time.Time{"old_starts_at": old.StartsAt, "old_ends_at": old.EndsAt})
			if err := tellRegistrants(ctx, tx.Tx, id, MessageTalkRescheduled, string(payload)); err != nil {
				return err
			}
		}
		if raised(old.Capacity, t.Capacity) && (t.Status == StatusScheduled || t.Status == StatusLive) {
			if _, err := Promote(ctx, tx, id); err != nil {
				return err
			}
		}
		if speakers != nil || t.Status != old.Status {
			// Who may follow the talk's channels may have changed.
			tx.Recheck(live.TalkChannel(id), live.StaffChannel(id))
		}
		out, err = h.emitUpdated(ctx, tx, id)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func raised(old, now *int) bool {
	switch {
	case now == nil:
		return old != nil
	case old == nil:
		return false
	default:
		return *now > *old
	}
}

// emitUpdated sends talk.updated in tx and returns the full talk for the
// staff member who changed it.
func (h *Handlers) emitUpdated(ctx context.Context, tx *live.Tx, id int64) (Talk, error) {
	t, err := loadFull(ctx, tx, id)
	if err != nil {
		return Talk{}, err
	}
	return t, EmitUpdated(tx, t)
}

// EmitUpdated records talk.updated for t, without stream_url (events go to
// everyone who may follow the channel): on the public channel, or only on
// the staff channel while t is a draft (a draft emits nothing in public).
func EmitUpdated(tx *live.Tx, t Talk) error {
	t.StreamURL = nil
	channel := live.TalkChannel(t.ID)
	if t.Status == StatusDraft {
		channel = live.StaffChannel(t.ID)
	}
	return tx.Emit(channel, "talk.updated", live.Subject("talk", t.ID), t)
}

// cancel cancels the talk: its registrations end, registrants are told
// through the outbox, calendars get STATUS:CANCELLED with a higher SEQUENCE.
// Cancelling a cancelled talk again answers it unchanged.
func (h *Handlers) cancel(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	return idempotency.Run(c, h.rec, func(tx *live.Tx) (idempotency.Result, error) {
		t, err := lockForUpdate(ctx, tx.Tx, id)
		if err != nil {
			return idempotency.Result{}, err
		}
		switch t.Status {
		case StatusCancelled:
			return idempotency.Result{Status: http.StatusOK, Body: t}, nil
		case StatusEnded:
			return idempotency.Result{}, ErrEnded
		}
		if _, err := tx.ExecContext(ctx, cancelTalk, id); err != nil {
			return idempotency.Result{}, fmt.Errorf("cancel talk %d: %w", id, err)
		}
		if t.Status != StatusDraft {
			if err := tellRegistrants(ctx, tx.Tx, id, MessageTalkCancelled, "{}"); err != nil {
				return idempotency.Result{}, err
			}
		}
		if _, err := tx.ExecContext(ctx, endRegistrations, id); err != nil {
			return idempotency.Result{}, fmt.Errorf("end registrations of talk %d: %w", id, err)
		}
		out, err := h.emitUpdated(ctx, tx, id)
		return idempotency.Result{Status: http.StatusOK, Body: out}, err
	})
}

type statusInput struct {
	Status *string `json:"status"`
}

// setStatus starts or ends the live session: scheduled → live → ended (a
// scheduled talk may also end directly). Setting the current status again
// changes nothing.
func (h *Handlers) setStatus(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	user := httpx.CurrentUser(c)
	if staff, err := IsStaff(ctx, h.db, id, user); err != nil {
		return err
	} else if !staff {
		if _, err := ForViewer(ctx, h.db, id, user); err != nil {
			return err // 404 for a talk that does not exist or that they may not see
		}
		return domain.Forbidden("only the talk's speakers, moderators and admins may start or end it")
	}
	var in statusInput
	if err := httpx.Decode(c, &in); err != nil {
		return err
	}
	if in.Status == nil || (*in.Status != StatusLive && *in.Status != StatusEnded) {
		return domain.InvalidField("status", `must be "live" or "ended"`)
	}
	return idempotency.Run(c, h.rec, func(tx *live.Tx) (idempotency.Result, error) {
		t, err := lockForUpdate(ctx, tx.Tx, id)
		if err != nil {
			return idempotency.Result{}, err
		}
		if t.Status == *in.Status {
			return idempotency.Result{Status: http.StatusOK, Body: t}, nil
		}
		ok := t.Status == StatusScheduled || (t.Status == StatusLive && *in.Status == StatusEnded)
		if !ok {
			return idempotency.Result{}, domain.Because(ErrInvalidTransition, fmt.Sprintf("a %s talk cannot become %s", t.Status, *in.Status))
		}
		if _, err := tx.ExecContext(ctx, setStatus, id, *in.Status); err != nil {
			return idempotency.Result{}, fmt.Errorf("set status of talk %d: %w", id, err)
		}
		out, err := h.emitUpdated(ctx, tx, id)
		return idempotency.Result{Status: http.StatusOK, Body: out}, err
	})
}

func (h *Handlers) feed(c *fiber.Ctx) error {
	ts, err := Feed(httpx.Ctx(c), h.db)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="hubtalks.ics"`)
	return c.SendString(h.cal.Calendar(ts, ""))
}

func (h *Handlers) talkCalendar(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	t, err := ForViewer(httpx.Ctx(c), h.db, id, nil)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="%s.ics"`, url.PathEscape(t.Slug)))
	return c.SendString(h.cal.Calendar([]Talk{t}, ""))
}
