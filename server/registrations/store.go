package registrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Message kinds written to the outbox by registrations.
const (
	MessageConfirmed  = "registration.confirmed"
	MessageWaitlisted = "registration.waitlisted"
)

const (
	// selectState is the unlocked look before registering: does the talk
	// exist, is it open, is the user already registered.
	selectState = `SELECT t.status AS talk_status,
			(t.status IN ('scheduled', 'live') AND t.ends_at > now()
			 AND (t.registration_closes_at IS NULL OR t.registration_closes_at > now())) AS open,
			r.status AS reg_status
		FROM talks t LEFT JOIN registrations r ON r.talk_id = t.id AND r.user_id = $2
		WHERE t.id = $1`

	// register is one registration on its own: the path of requests with an
	// Idempotency-Key, in the key's transaction (the others go in batches,
	// see registerBatch). It takes the talk's row lock, then inserts the
	// registration as confirmed when there is room, else waitlisted, and
	// writes its message to the outbox. The commit is asynchronous
	// (set_config: this transaction only); callers make it durable with
	// WaitDurable before they answer. The lock orders registrations of a
	// talk: seq (from a sequence read under the lock) is their arrival order,
	// the waitlist's order. No row comes back when the talk is closed
	// (checked under the lock), missing, or the user is already registered.
	register = `WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
		t AS (
			SELECT id, capacity, confirmed_count, waitlist_count,
				(capacity IS NULL OR confirmed_count < capacity) AS room
			FROM talks, cfg
			WHERE id = $1 AND status IN ('scheduled', 'live') AND ends_at > now()
			  AND (registration_closes_at IS NULL OR registration_closes_at > now())
			FOR UPDATE OF talks
		), ins AS (
			INSERT INTO registrations (talk_id, user_id, status, confirmed_at)
			SELECT t.id, $2, CASE WHEN t.room THEN 'confirmed' ELSE 'waitlisted' END,
				CASE WHEN t.room THEN clock_timestamp() END
			FROM t
			ON CONFLICT (talk_id, user_id) DO NOTHING
			RETURNING talk_id, user_id, status, seq, created_at
		), msg AS (
			INSERT INTO outbox (kind, talk_id, user_id)
			SELECT CASE WHEN status = 'confirmed' THEN '` + MessageConfirmed + `' ELSE '` + MessageWaitlisted + `' END,
				talk_id, user_id
			FROM ins
		)
		SELECT ins.talk_id, ins.user_id, ins.status, ins.created_at,
			CASE WHEN ins.status = 'waitlisted' THEN t.waitlist_count + 1 END AS waitlist_position
		FROM ins, t`

	selectRegistration = `SELECT r.talk_id, r.user_id, r.status, r.created_at,
			CASE WHEN r.status = 'waitlisted' THEN (SELECT count(*) FROM registrations w
				WHERE w.talk_id = r.talk_id AND w.status = 'waitlisted' AND w.seq <= r.seq) END AS waitlist_position
		FROM registrations r WHERE r.talk_id = $1 AND r.user_id = $2`

	lockTalkStatus = `SELECT status FROM talks WHERE id = $1 FOR UPDATE`
	deleteMine     = `DELETE FROM registrations WHERE talk_id = $1 AND user_id = $2 AND status <> 'cancelled'
		RETURNING status`

	selectRegistrants = `SELECT r.talk_id, r.user_id, u.display_name, u.email, r.status, r.created_at, r.confirmed_at,
			CASE WHEN r.status = 'waitlisted'
				THEN row_number() OVER (PARTITION BY r.status ORDER BY r.seq) END AS waitlist_position
		FROM registrations r JOIN users u ON u.id = r.user_id
		WHERE r.talk_id = $1
		ORDER BY CASE r.status WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, r.seq`

	selectMine = `SELECT r.talk_id, r.user_id, r.status, r.created_at,
			CASE WHEN r.status = 'waitlisted' THEN (SELECT count(*) FROM registrations w
				WHERE w.talk_id = r.talk_id AND w.status = 'waitlisted' AND w.seq <= r.seq) END AS waitlist_position
		FROM registrations r JOIN talks t ON t.id = r.talk_id
		WHERE r.user_id = $1
		ORDER BY t.starts_at, t.id`

	// The talks of a user's active registrations, in id order so that
	// erasures lock talks in one global order (no deadlocks).
	selectActiveTalks = `SELECT talk_id FROM registrations WHERE user_id = $1 AND status <> 'cancelled' ORDER BY talk_id`
	eraseCancelled    = `DELETE FROM registrations WHERE user_id = $1`
	eraseOutbox       = `DELETE FROM outbox WHERE user_id = $1 AND sent_at IS NULL`
)

// Registration is a registration as the API shows it.
type Registration struct {
	TalkID           int64       `json:"talk_id" db:"talk_id"`
	UserID           int64       `json:"user_id" db:"user_id"`
	Status           string      `json:"status" db:"status"`
	WaitlistPosition *int        `json:"waitlist_position" db:"waitlist_position"`
	CreatedAt        time.Time   `json:"created_at" db:"created_at"`
	Talk             *talks.Talk `json:"talk,omitempty" db:"-"`
}

// Registrant is a registration as staff see it.
type Registrant struct {
	TalkID           int64      `json:"talk_id" db:"talk_id"`
	UserID           int64      `json:"user_id" db:"user_id"`
	DisplayName      string     `json:"display_name" db:"display_name"`
	Email            *string    `json:"email,omitempty" db:"email"` // moderators and admins only
	Status           string     `json:"status" db:"status"`
	WaitlistPosition *int       `json:"waitlist_position" db:"waitlist_position"`
	CreatedAt        time.Time  `json:"created_at" db:"created_at"`
	ConfirmedAt      *time.Time `json:"confirmed_at" db:"confirmed_at"`
}

type state struct {
	TalkStatus string         `db:"talk_status"`
	Open       bool           `db:"open"`
	RegStatus  sql.NullString `db:"reg_status"`
}

var errMissing = errors.New("no such talk")

// Register registers userID for talkID, on its own (q is the database:
// the statement is its own transaction) or inside a transaction. created is
// false when the user was already registered (the existing registration is
// returned). The commit is asynchronous: call WaitDurable before answering.
func Register(ctx context.Context, q sqlx.ExtContext, talkID, userID int64) (Registration, bool, error) {
	return registerWith(ctx, q, func(r *Registration) error {
		return sqlx.GetContext(ctx, q, r, register, talkID, userID)
	}, talkID, userID)
}

// registerWith runs the register statement through run and q for the rest.
func registerWith(ctx context.Context, q sqlx.ExtContext, run func(*Registration) error, talkID, userID int64) (Registration, bool, error) {
	var r Registration
	err := run(&r)
	if err == nil {
		return r, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Registration{}, false, fmt.Errorf("register user %d for talk %d: %w", userID, talkID, err)
	}
	r, err = existingOrClosed(ctx, q, talkID, userID)
	return r, false, err
}

// existingOrClosed tells a user whose registration inserted nothing why:
// the talk is missing (errMissing) or closed (ErrClosed), or the user's
// existing registration.
func existingOrClosed(ctx context.Context, q sqlx.QueryerContext, talkID, userID int64) (Registration, error) {
	var st state
	err := sqlx.GetContext(ctx, q, &st, selectState, talkID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return Registration{}, errMissing
	}
	if err != nil {
		return Registration{}, fmt.Errorf("registration state of talk %d: %w", talkID, err)
	}
	if st.RegStatus.Valid && st.RegStatus.String != "cancelled" {
		r, err := get(ctx, q, talkID, userID)
		if errors.Is(err, sql.ErrNoRows) { // cancelled meanwhile
			return Registration{}, ErrClosed
		}
		return r, err
	}
	return Registration{}, ErrClosed
}

// WaitDurable returns once every transaction committed before the call is
// flushed to disk: Register and the batches commit asynchronously so that
// the talk's row lock is not held while the disk syncs, and the handler
// calls this before it answers, so a registration is never acknowledged
// before it is durable. Many concurrent waits share one flush.
func WaitDurable(ctx context.Context, db sqlx.ExecerContext) error { return live.AwaitDurable(ctx, db) }

func get(ctx context.Context, q sqlx.QueryerContext, talkID, userID int64) (Registration, error) {
	var r Registration
	if err := sqlx.GetContext(ctx, q, &r, selectRegistration, talkID, userID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, err
		}
		return r, fmt.Errorf("read registration of user %d for talk %d: %w", userID, talkID, err)
	}
	return r, nil
}

// Cancel removes userID's registration for talkID; when it was confirmed,
// the head of the waitlist is confirmed in the same transaction. It reports
// whether there was a registration to cancel.
func Cancel(ctx context.Context, tx sqlx.ExtContext, talkID, userID int64) (bool, error) {
	var talkStatus string
	err := sqlx.GetContext(ctx, tx, &talkStatus, lockTalkStatus, talkID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, errMissing
	}
	if err != nil {
		return false, fmt.Errorf("lock talk %d: %w", talkID, err)
	}
	var was string
	err = sqlx.GetContext(ctx, tx, &was, deleteMine, talkID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cancel registration of user %d for talk %d: %w", userID, talkID, err)
	}
	if was == "confirmed" && (talkStatus == talks.StatusScheduled || talkStatus == talks.StatusLive) {
		if _, err := talks.Promote(ctx, tx, talkID); err != nil {
			return false, err
		}
	}
	return true, nil
}

func registrants(ctx context.Context, q sqlx.QueryerContext, talkID int64, withEmail bool) ([]Registrant, error) {
	out := []Registrant{}
	if err := sqlx.SelectContext(ctx, q, &out, selectRegistrants, talkID); err != nil {
		return nil, fmt.Errorf("list registrants of talk %d: %w", talkID, err)
	}
	if !withEmail {
		for i := range out {
			out[i].Email = nil
		}
	}
	return out, nil
}

// Mine lists a user's registrations (without their talks).
func Mine(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]Registration, error) {
	out := []Registration{}
	if err := sqlx.SelectContext(ctx, q, &out, selectMine, userID); err != nil {
		return nil, fmt.Errorf("list registrations of user %d: %w", userID, err)
	}
	return out, nil
}

// Erase cancels every registration of userID as the user would (promoting
// from waitlists), removes the rest, and drops their unsent messages.
func Erase(ctx context.Context, tx *sqlx.Tx, userID int64) error {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, selectActiveTalks, userID); err != nil {
		return fmt.Errorf("registrations of user %d: %w", userID, err)
	}
	for _, id := range ids {
		if _, err := Cancel(ctx, tx, id, userID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, eraseCancelled, userID); err != nil {
		return fmt.Errorf("erase registrations of user %d: %w", userID, err)
	}
	if _, err := tx.ExecContext(ctx, eraseOutbox, userID); err != nil {
		return fmt.Errorf("erase messages of user %d: %w", userID, err)
	}
	return nil
}
