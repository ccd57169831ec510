// Package registrations owns registering for talks: confirmation while there
// are seats, a first-come-first-served waitlist after that, cancellations
// that confirm the head of the waitlist in the same transaction, the staff's
// list of registrants (JSON and CSV) and the messages these changes send
// through the outbox.
//
// Never more confirmed than capacity, under any concurrency: a registration
// takes the talk's row lock before it counts, and the database itself
// refuses an overbooking (talks.confirmed_count, kept by a trigger, has
// CHECK (confirmed_count <= capacity)), whoever writes the rows.
package registrations

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Handlers serve the registration routes.
type Handlers struct {
	db      *sqlx.DB
	rec     *live.Recorder
	batcher *Batcher
}

// New builds the registrations domain and hooks it into account erasure and
// export.
func New(db *sqlx.DB, rec *live.Recorder, acc *accounts.Accounts) *Handlers {
	h := &Handlers{db: db, rec: rec, batcher: NewBatcher(db, DefaultBatchSize, batchTimeout)}
	if acc != nil {
		acc.OnErase(func(ctx context.Context, tx *live.Tx, userID int64) error {
			if err := Erase(ctx, tx.Tx, userID); err != nil {
				return err
			}
			return idempotency.Erase(ctx, tx.Tx, userID)
		})
		acc.OnExport("registrations", func(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
			return Mine(ctx, db, userID)
		})
	}
	return h
}

// Routes mounts the registration routes.
func (h *Handlers) Routes(api fiber.Router) {
	api.Post("/talks/:id/registrations", httpx.RequireUser, h.register)
	api.Delete("/talks/:id/registrations/me", httpx.RequireUser, h.cancel)
	api.Get("/talks/:id/registrations", httpx.RequireUser, h.list) // staff of the talk: checked first thing
	api.Get("/me/registrations", httpx.RequireUser, h.mine)
}

// ErrClosed: the talk takes no registrations (any more).
var ErrClosed = errors.New("this talk no longer takes registrations")

// batchTimeout is the deadline of one batch of registrations (a request's
// own deadline, see httpx.WithDeadline, is 5 s).
const batchTimeout = 5 * time.Second

// register answers 201 with a new registration, or 200 with the existing
// one. Without an Idempotency-Key the registration goes through the talk's
// batcher: one statement and one durability wait for every registration of
// the talk that arrived meanwhile (see Batcher); with one it runs in the
// key's transaction.
func (h *Handlers) register(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	user := httpx.CurrentUser(c)
	if c.Get(idempotency.Header) == "" {
		res, err := h.answer(ctx, h.db, id, user, h.batcher.Register) // durable when it returns
		if err != nil {
			return err
		}
		return c.Status(res.Status).JSON(res.Body)
	}
	durable := idempotency.Options{AfterCommit: func(ctx context.Context) error { return WaitDurable(ctx, h.db) }}
	return idempotency.RunWith(c, h.rec, durable, func(tx *live.Tx) (idempotency.Result, error) {
		return h.answer(ctx, tx, id, user, func(ctx context.Context, talkID, userID int64) (Registration, bool, error) {
			return Register(ctx, tx, talkID, userID)
		})
	})
}

type registerFunc func(ctx context.Context, talkID, userID int64) (Registration, bool, error)

// answer registers with reg and turns the outcome into a response.
func (h *Handlers) answer(ctx context.Context, q sqlx.ExtContext, id int64, user *domain.User, reg registerFunc) (idempotency.Result, error) {
	r, created, err := reg(ctx, id, user.ID)
	switch {
	case errors.Is(err, errMissing):
		return idempotency.Result{}, domain.NotFound("no such talk")
	case errors.Is(err, ErrClosed):
		if visible, verr := visibleTo(ctx, q, id, user); verr != nil {
			return idempotency.Result{}, verr
		} else if !visible {
			return idempotency.Result{}, domain.NotFound("no such talk")
		}
		return idempotency.Result{}, ErrClosed
	case err != nil:
		return idempotency.Result{}, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return idempotency.Result{Status: status, Body: r}, nil
}

func visibleTo(ctx context.Context, q talks.Queryer, talkID int64, user *domain.User) (bool, error) {
	_, err := talks.ForViewer(ctx, q, talkID, user)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// cancel removes the caller's registration (204 also when there was none).
func (h *Handlers) cancel(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	user := httpx.CurrentUser(c)
	err = h.rec.InTx(ctx, func(tx *live.Tx) error {
		_, err := Cancel(ctx, tx, id, user.ID)
		if errors.Is(err, errMissing) {
			return domain.NotFound("no such talk")
		}
		return err
	})
	if err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// list answers the registrants to staff of the talk, as JSON or (Accept:
// text/csv) CSV. Emails are shown to moderators and admins only.
func (h *Handlers) list(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	user := httpx.CurrentUser(c)
	if staff, err := talks.IsStaff(ctx, h.db, id, user); err != nil {
		return err
	} else if !staff {
		if _, err := talks.ForViewer(ctx, h.db, id, user); err != nil {
			return err
		}
		return domain.Forbidden("only the talk's speakers, moderators and admins see its registrants")
	}
	if _, err := talks.Load(ctx, h.db, id); err != nil {
		return err
	}
	rs, err := registrants(ctx, h.db, id, user.IsModerator())
	if err != nil {
		return err
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "text/csv") {
		return writeCSV(c, id, rs, user.IsModerator())
	}
	return c.JSON(httpx.List[Registrant]{Items: rs})
}

func writeCSV(c *fiber.Ctx, talkID int64, rs []Registrant, withEmail bool) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	head := []string{"user_id", "display_name", "email", "status", "waitlist_position", "registered_at", "confirmed_at"}
	if !withEmail {
		head = append(head[:2], head[3:]...)
	}
	_ = w.Write(head)
	for _, r := range rs {
		pos, confirmed := "", ""
		if r.WaitlistPosition != nil {
			pos = strconv.Itoa(*r.WaitlistPosition)
		}
		if r.ConfirmedAt != nil {
			confirmed = r.ConfirmedAt.UTC().Format(time.RFC3339)
		}
		row := []string{strconv.FormatInt(r.UserID, 10), cell(r.DisplayName)}
		if withEmail {
			email := ""
			if r.Email != nil {
				email = cell(*r.Email)
			}
			row = append(row, email)
		}
		row = append(row, r.Status, pos, r.CreatedAt.UTC().Format(time.RFC3339), confirmed)
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="talk-%d-registrations.csv"`, talkID))
	return c.SendString(b.String())
}

// cell keeps a spreadsheet from reading user text as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// mine lists the caller's registrations with their talks.
func (h *Handlers) mine(c *fiber.Ctx) error {
	ctx := httpx.Ctx(c)
	user := httpx.CurrentUser(c)
	rs, err := Mine(ctx, h.db, user.ID)
	if err != nil {
		return err
	}
	for i := range rs {
		t, err := talks.ForViewer(ctx, h.db, rs[i].TalkID, user)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		rs[i].Talk = &t
	}
	return c.JSON(httpx.List[Registration]{Items: rs})
}
