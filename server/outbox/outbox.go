// Package outbox sends the messages that domain changes write to the outbox
// table in their own transactions (confirmations, promotions, cancellations,
// reschedules) and the reminders it enqueues itself, 24 hours and 1 hour
// before a talk.
//
// Guarantees: a message exists exactly when the change that caused it was
// committed; it is sent at least once, retried with exponential backoff
// while the mail server is down (never dropped); and several workers (one
// per instance) never send the same message, because each claims its batch
// with FOR UPDATE SKIP LOCKED and marks it sent in the same transaction. A
// crash between sending and committing can repeat one message; the stable
// Message-ID lets mail clients fold such a repeat.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/idempotency"
)

// Message is one row of the outbox.
type Message struct {
	ID       int64           `db:"id"`
	Kind     string          `db:"kind"`
	TalkID   *int64          `db:"talk_id"`
	UserID   *int64          `db:"user_id"`
	Payload  json.RawMessage `db:"payload"`
	Attempts int             `db:"attempts"`
	// OptedOut: the recipient turned this kind of message off.
	OptedOut bool `db:"opted_out"`
}

// Mail is a composed email.
type Mail struct {
	MessageID string // stable per outbox row: "<outbox-42@host>"
	To        string
	ToName    string
	Subject   string
	Text      string
	// Language is the recipient's locale, which the text is written in:
	// the Content-Language of the message.
	Language string
	// Calendar is an optional text/calendar attachment; Method is its
	// METHOD ("REQUEST" or "CANCEL").
	Calendar []byte
	Method   string
}

// ErrDrop tells the worker that a message has nobody to go to any more (an
// erased account, a deleted talk): it is marked done without sending.
var ErrDrop = errors.New("message has no recipient any more")

// ErrOptedOut marks a message its recipient turned off in their settings.
var ErrOptedOut = fmt.Errorf("the recipient turned these messages off: %w", ErrDrop)

// Composer turns an outbox row into an email.
type Composer interface {
	Compose(ctx context.Context, q sqlx.ExtContext, m Message) (Mail, error)
}

// ByKind composes the kinds in Kinds with their own composer and every
// other kind with Default: each domain writes its own messages.
type ByKind struct {
	Default Composer
	Kinds   map[string]Composer
}

// Compose hands m to the composer of its kind.
func (b ByKind) Compose(ctx context.Context, q sqlx.ExtContext, m Message) (Mail, error) {
	if c, ok := b.Kinds[m.Kind]; ok {
		return c.Compose(ctx, q, m)
	}
	return b.Default.Compose(ctx, q, m)
}

// Mailer delivers an email (SMTP, or the log).
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

const (
	// A message of a kind its recipient turned off (reminders, "the
	// recording is up") is claimed like any other and marked done unsent.
	claimBatch = `SELECT o.id, o.kind, o.talk_id, o.user_id, o.payload, o.attempts,
			coalesce(CASE WHEN o.kind IN ('reminder.24h', 'reminder.1h') THEN NOT u.notify_reminders
				WHEN o.kind = 'recording.up' THEN NOT u.notify_recording END, false) AS opted_out
		FROM outbox o LEFT JOIN users u ON u.id = o.user_id
		WHERE o.sent_at IS NULL AND o.next_attempt_at <= now()
		ORDER BY o.next_attempt_at, o.id
		LIMIT $1
		FOR UPDATE OF o SKIP LOCKED`
	// A sent message no longer keeps its payload's "secret" (the token of a
	// one-time link): only the recipient's mailbox holds it from then on.
	markSent = `UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = $2, payload = payload - 'secret'
		WHERE id = $1`
	markFailed = `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
		next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`

	// Reminders go to confirmed registrants of scheduled talks; the dedupe key
	// includes the start time, so a rescheduled talk reminds again. Someone
	// who registered inside the window already has a fresh confirmation.
	enqueueReminders = `INSERT INTO outbox (kind, talk_id, user_id, dedupe_key)
		SELECT k.kind, r.talk_id, r.user_id,
			k.kind || ':' || r.talk_id || ':' || r.user_id || ':' || extract(epoch FROM t.starts_at)::bigint
		FROM registrations r
		JOIN talks t ON t.id = r.talk_id
		JOIN (VALUES ('reminder.24h', interval '24 hours', interval '1 hour'),
		             ('reminder.1h', interval '1 hour', interval '0')) AS k(kind, lead, floor)
			ON t.starts_at > now() + k.floor AND t.starts_at <= now() + k.lead
		JOIN users u ON u.id = r.user_id AND u.notify_reminders
		WHERE r.status = 'confirmed' AND t.status = 'scheduled' AND r.confirmed_at <= t.starts_at - k.lead
		ORDER BY t.starts_at, r.seq
		ON CONFLICT (dedupe_key) DO NOTHING`
)

// Message kinds of the reminders.
const (
	KindReminder24h = "reminder.24h"
	KindReminder1h  = "reminder.1h"
)

// Worker sends what is due in the outbox.
type Worker struct {
	db       *sqlx.DB
	composer Composer
	mailer   Mailer
	log      *slog.Logger
	// Batch is how many messages one transaction claims.
	Batch int
	// Interval is how often Run looks for due messages.
	Interval time.Duration
	// MaxBackoff caps the wait between two attempts of one message.
	MaxBackoff time.Duration
}

// NewWorker builds a worker with production settings.
func NewWorker(db *sqlx.DB, composer Composer, mailer Mailer, log *slog.Logger) *Worker {
	return &Worker{db: db, composer: composer, mailer: mailer, log: log, Batch: 20, Interval: 2 * time.Second, MaxBackoff: time.Hour}
}

// roundTimeout bounds one round of the worker (a batch of sends, the
// reminders, the purge).
const roundTimeout = 2 * time.Minute

// Run works until ctx ends: it sends due messages, enqueues reminders every
// minute and purges old idempotency keys every hour.
func (w *Worker) Run(ctx context.Context) {
	var lastReminders, lastPurge time.Time
	// Every round of work is bounded: a hung database or mail server must
	// not stall the worker for good.
	bounded := func(f func(context.Context) error) error {
		cctx, cancel := context.WithTimeout(ctx, roundTimeout)
		defer cancel()
		return f(cctx)
	}
	for {
		now := time.Now()
		if now.Sub(lastReminders) >= time.Minute {
			err := bounded(func(ctx context.Context) error { _, err := w.EnqueueReminders(ctx); return err })
			if err != nil && ctx.Err() == nil {
				w.log.Error("outbox reminders", "err", err)
			}
			lastReminders = now
		}
		if now.Sub(lastPurge) >= time.Hour {
			err := bounded(func(ctx context.Context) error {
				_, err := idempotency.Purge(ctx, w.db, idempotency.KeyTTL)
				return err
			})
			if err != nil && ctx.Err() == nil {
				w.log.Error("purge idempotency keys", "err", err)
			}
			lastPurge = now
		}
		for ctx.Err() == nil {
			var n int
			err := bounded(func(ctx context.Context) (err error) { n, err = w.ProcessOnce(ctx); return err })
			if err != nil {
				if ctx.Err() == nil {
					w.log.Error("outbox", "err", err)
				}
				break
			}
			if n < w.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.Interval):
		}
	}
}

// EnqueueReminders writes the reminders that are due (once each).
func (w *Worker) EnqueueReminders(ctx context.Context) (int64, error) {
	res, err := w.db.ExecContext(ctx, enqueueReminders)
	if err != nil {
		return 0, fmt.Errorf("enqueue reminders: %w", err)
	}
	return res.RowsAffected()
}

// ProcessOnce claims one batch of due messages and tries to send each. It
// returns how many it claimed. A failed send is rescheduled with backoff;
// only a database error is returned.
func (w *Worker) ProcessOnce(ctx context.Context) (int, error) {
	var claimed int
	err := dbx.InTx(ctx, w.db, nil, "outbox batch", func(tx *sqlx.Tx) error {
		var batch []Message
		if err := tx.SelectContext(ctx, &batch, claimBatch, w.Batch); err != nil {
			return fmt.Errorf("claim outbox batch: %w", err)
		}
		for _, m := range batch {
			if err := w.process(ctx, tx, m); err != nil {
				return fmt.Errorf("update outbox message %d: %w", m.ID, err)
			}
		}
		claimed = len(batch)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return claimed, nil
}

// process tries to send m and records the outcome: sent, dropped (opted
// out or undeliverable), or failed and rescheduled with backoff. Only the
// database error of recording it is returned.
func (w *Worker) process(ctx context.Context, tx *sqlx.Tx, m Message) error {
	err := ErrOptedOut
	if !m.OptedOut {
		err = w.deliver(ctx, tx, m)
	}
	switch {
	case err == nil:
		_, err = tx.ExecContext(ctx, markSent, m.ID, nil)
	case errors.Is(err, ErrDrop):
		_, err = tx.ExecContext(ctx, markSent, m.ID, "dropped: "+err.Error())
	default:
		wait := w.backoff(m.Attempts + 1)
		w.log.Warn("outbox send failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "retry_in", wait.String(), "err", err)
		_, err = tx.ExecContext(ctx, markFailed, m.ID, truncate(err.Error(), 500), wait.Seconds())
	}
	return err
}

func (w *Worker) deliver(ctx context.Context, tx *sqlx.Tx, m Message) error {
	mail, err := w.composer.Compose(ctx, tx, m)
	if err != nil {
		return err
	}
	sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return w.mailer.Send(sendCtx, mail)
}

// backoff is 5 s · 2^(attempt-1), capped, with ±20 % jitter so that many
// failed messages do not retry in lockstep.
func (w *Worker) backoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < w.MaxBackoff; i++ {
		d *= 2
	}
	if d > w.MaxBackoff {
		d = w.MaxBackoff
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
