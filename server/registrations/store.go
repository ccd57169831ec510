package registrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/i18n"
)

const (
	// registerBatch registers the users of $2, in their order (the queue's
	// order), for talk $1: the one statement of registering, alone or with
	// many others (see Batcher). It takes the talk's row lock first (the
	// initplan EXISTS (SELECT FROM t) runs before anything else reads
	// registrations), then locks the batch's existing registrations of the
	// talk (FOR KEY SHARE: a registration deleted by a transaction that held
	// the talk's lock before this one is skipped, so its user registers
	// anew). They are looked up one primary-key probe per user (the LATERAL
	// subquery keeps the planner from scanning all of a hot talk's
	// registrations, which it did with talk_id = X AND user_id = ANY: each
	// batch then cost time in proportion to the talk's registrations). The
	// new registrations are numbered in queue order: the first ones up to
	// the room left are confirmed, the others waitlisted with consecutive
	// positions. They are inserted in that order (ORDER BY c.ord), so
	// registration_seq, read per row as rows are inserted, follows it.
	//
	// There is deliberately no ON CONFLICT DO NOTHING: the statement's
	// snapshot is taken before it waits for the lock, so a registration of a
	// batch's user committed meanwhile (the same user through another
	// instance) is not in ex; skipping its row silently would leave a hole in
	// the numbering (an empty seat, a wrong position). The insert fails with
	// a unique violation instead, nothing is written, and the batch is run
	// again (its new snapshot sees that row).
	//
	// The commit is asynchronous (this transaction only): the batch is made
	// durable by WaitDurable before anyone is answered, while the next batch
	// already runs, and the talk's lock is not held through the WAL flush
	// (other instances' batches wait for it). A synchronous commit of the
	// batch instead, measured alternately with BenchmarkRegistrationsHotTalk
	// on a noisy box, was slower in 8 of 12 pairs (medians 3,280 against
	// 3,450 regs/s).
	//
	// Rows: none when the talk is missing or closed; otherwise one per new
	// registration, or a single row of NULLs when there is none.
	registerBatch = `WITH cfg AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS v),
		t AS MATERIALIZED (
			SELECT id, confirmed_count, waitlist_count,
				CASE WHEN capacity IS NULL THEN NULL ELSE greatest(capacity - confirmed_count, 0) END AS room
			FROM talks, cfg
			WHERE id = $1 AND status IN ('scheduled', 'live') AND ends_at > now()
			  AND (registration_closes_at IS NULL OR registration_closes_at > now())
			FOR UPDATE OF talks
		), ex AS MATERIALIZED (
			SELECT r.user_id FROM unnest($2::bigint[]) AS u (user_id),
				LATERAL (SELECT user_id FROM registrations
					WHERE talk_id = $1 AND user_id = u.user_id FOR KEY SHARE) r
			WHERE EXISTS (SELECT FROM t)
		), cand AS MATERIALIZED (
			SELECT u.user_id, u.ord, row_number() OVER (ORDER BY u.ord) AS n
			FROM unnest($2::bigint[]) WITH ORDINALITY AS u (user_id, ord)
			WHERE EXISTS (SELECT FROM t) AND u.user_id NOT IN (SELECT user_id FROM ex)
		), ins AS (
			INSERT INTO registrations (talk_id, user_id, status, confirmed_at)
			SELECT t.id, c.user_id,
				CASE WHEN t.room IS NULL OR c.n <= t.room THEN 'confirmed' ELSE 'waitlisted' END,
				CASE WHEN t.room IS NULL OR c.n <= t.room THEN clock_timestamp() END
			FROM cand c CROSS JOIN t
			ORDER BY c.ord
			RETURNING user_id, status, seq, created_at
		), msg AS (
			INSERT INTO outbox (kind, talk_id, user_id)
			SELECT CASE WHEN status = 'confirmed' THEN '` + MessageConfirmed + `' ELSE '` + MessageWaitlisted + `' END,
				$1, user_id
			FROM ins
			WHERE NOT EXISTS (` + recentMessage + `)
			ORDER BY seq
		)
		SELECT i.user_id, i.status, i.created_at,
			CASE WHEN i.status = 'waitlisted' THEN t.waitlist_count + i.n - t.room END AS waitlist_position
		FROM t LEFT JOIN (SELECT ins.user_id, ins.status, ins.created_at, c.n
			FROM ins JOIN cand c ON c.user_id = ins.user_id) i ON true`

	// recentMessage (for the registration ins of talk $1) finds a message
	// that makes a new one redundant: registration messages are coalesced
	// per (user, talk) within ten minutes. One still unsent is composed from
	// the registration as it is when it is sent (Composer), so it tells the
	// final state; one already sent did so if it told the same state
	// (confirmed or waitlisted). Register/cancel cycles mail one message.
	recentMessage = `SELECT FROM outbox o
		WHERE o.user_id = ins.user_id AND o.talk_id = $1 AND o.created_at > now() - interval '10 minutes'
		  AND o.kind IN ('` + MessageConfirmed + `', '` + MessageWaitlisted + `', '` + MessagePromoted + `')
		  AND (o.sent_at IS NULL OR (o.kind = '` + MessageWaitlisted + `') = (ins.status = 'waitlisted'))
		  AND NOT EXISTS (SELECT FROM outbox c WHERE c.user_id = o.user_id AND c.talk_id = o.talk_id
			AND c.kind = '` + MessageUnregistered + `' AND c.id > o.id AND c.sent_at IS NOT NULL AND c.last_error IS NULL)
		OFFSET 0` // kept a per-row probe of outbox_user_talk_idx: as an anti-join it read every message of the hot talk
	// (A METHOD:CANCEL sent after it took the talk out of the user's
	// calendar: the new registration is told anew. One still unsent is
	// dropped when composed, the user being registered again.)

	// waitlistPosition is the position of the registration r on its talk's
	// waitlist (NULL when it is not waitlisted).
	waitlistPosition = `CASE WHEN r.status = 'waitlisted' THEN (SELECT count(*) FROM registrations w
		WHERE w.talk_id = r.talk_id AND w.status = 'waitlisted' AND w.seq <= r.seq) END AS waitlist_position`

	selectRegistrationsOf = `SELECT r.talk_id, r.user_id, r.status, r.created_at, ` + waitlistPosition + `
		FROM registrations r WHERE r.talk_id = $1 AND r.user_id = ANY ($2::bigint[]) AND r.status <> 'cancelled'`

	// selectState is the unlocked look after a batch registered nothing for
	// a user: does the talk exist, is the user registered.
	selectState = `SELECT r.status AS reg_status
		FROM talks t LEFT JOIN registrations r ON r.talk_id = t.id AND r.user_id = $2
		WHERE t.id = $1`

	// enqueueUnregistered tells user $2, whose confirmed registration of
	// talk $1 ended, that the talk left their calendar: when an invitation
	// was written for them (sent, or maybe being sent right now: whether it
	// went out is decided when this one is composed, see selectInvitedNow),
	// and none such is waiting already.
	enqueueUnregistered = `INSERT INTO outbox (kind, talk_id, user_id)
		SELECT '` + MessageUnregistered + `', $1, $2
		WHERE EXISTS (SELECT FROM outbox WHERE talk_id = $1 AND user_id = $2 AND kind IN (` + invitationKinds + `))
		  AND NOT EXISTS (SELECT FROM outbox WHERE talk_id = $1 AND user_id = $2 AND kind = '` + MessageUnregistered + `'
			AND sent_at IS NULL)`

	// invitationKinds are the messages that carry METHOD:REQUEST (unless
	// the talk was cancelled by then); calendarKinds adds those that carry
	// METHOD:CANCEL.
	invitationKinds = `'` + MessageConfirmed + `', '` + MessagePromoted + `', 'talk.rescheduled', 'reminder.24h', 'reminder.1h'`
	calendarKinds   = invitationKinds + `, '` + MessageUnregistered + `', 'talk.cancelled'`

	// selectInvitedNow: the user of an unregistration message ($3) is not
	// registered for talk $1 (any more), and the last calendar message they
	// were sent about it (not dropped) invited them.
	selectInvitedNow = `SELECT NOT EXISTS (SELECT FROM registrations WHERE talk_id = $1 AND user_id = $2 AND status <> 'cancelled')
		AND coalesce((SELECT o.kind IN (` + invitationKinds + `) FROM outbox o
			WHERE o.talk_id = $1 AND o.user_id = $2 AND o.id <> $3 AND o.sent_at IS NOT NULL AND o.last_error IS NULL
			  AND o.kind IN (` + calendarKinds + `)
			ORDER BY o.sent_at DESC, o.id DESC LIMIT 1), false)`

	lockTalkStatus = `SELECT status FROM talks WHERE id = $1 FOR UPDATE`
	deleteMine     = `DELETE FROM registrations WHERE talk_id = $1 AND user_id = $2 AND status <> 'cancelled'
		RETURNING status`

	// promoteWaitlist confirms the head of the waitlist while there is room,
	// in arrival order. Call it with the talk's row locked.
	promoteWaitlist = `WITH t AS (SELECT capacity, confirmed_count FROM talks WHERE id = $1),
		head AS (
			SELECT r.talk_id, r.user_id FROM registrations r
			WHERE r.talk_id = $1 AND r.status = 'waitlisted'
			ORDER BY r.seq
			LIMIT (SELECT CASE WHEN capacity IS NULL THEN NULL ELSE greatest(capacity - confirmed_count, 0) END FROM t)
		), promoted AS (
			UPDATE registrations r SET status = 'confirmed', confirmed_at = clock_timestamp()
			FROM head WHERE r.talk_id = head.talk_id AND r.user_id = head.user_id
			RETURNING r.talk_id, r.user_id, r.seq
		)
		INSERT INTO outbox (kind, talk_id, user_id)
		SELECT '` + MessagePromoted + `', talk_id, user_id FROM promoted ORDER BY seq
		RETURNING user_id`

	selectRegistrants = `SELECT r.talk_id, r.user_id, u.display_name, u.email, r.status, r.created_at, r.confirmed_at,
			CASE WHEN r.status = 'waitlisted'
				THEN row_number() OVER (PARTITION BY r.status ORDER BY r.seq) END AS waitlist_position
		FROM registrations r JOIN users u ON u.id = r.user_id
		WHERE r.talk_id = $1
		ORDER BY CASE r.status WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, r.seq`

	selectMine = `SELECT r.talk_id, r.user_id, r.status, r.created_at, ` + waitlistPosition + `
		FROM registrations r JOIN talks t ON t.id = r.talk_id
		WHERE r.user_id = $1
		ORDER BY t.starts_at, t.id`

	// The talks of a user's active registrations, in id order so that
	// erasures lock talks in one global order (no deadlocks).
	selectActiveTalks = `SELECT talk_id FROM registrations WHERE user_id = $1 AND status <> 'cancelled' ORDER BY talk_id`
	eraseCancelled    = `DELETE FROM registrations WHERE user_id = $1`
	eraseOutbox       = `DELETE FROM outbox WHERE user_id = $1 AND sent_at IS NULL`

	selectRecipient = `SELECT email, display_name, email_verified_at IS NOT NULL AS verified, ` + i18n.RecipientSQL + ` AS locale
		FROM users WHERE id = $1 AND deleted_at IS NULL`
	// selectStatus is the state of a registration that a message tells.
	selectStatus = `SELECT status FROM registrations WHERE talk_id = $1 AND user_id = $2 AND status <> 'cancelled'`

	// dropHeld ends the registration messages of a user that were never
	// sent (the address was not verified): the current state replaces them.
	dropHeld = `UPDATE outbox SET sent_at = now(), last_error = 'dropped: superseded by the current state'
		WHERE user_id = $1 AND sent_at IS NULL
		  AND kind IN ('` + MessageConfirmed + `', '` + MessageWaitlisted + `', '` + MessagePromoted + `')`
	// enqueueCurrentState writes one message per active registration of a
	// user for a talk still to come.
	enqueueCurrentState = `INSERT INTO outbox (kind, talk_id, user_id)
		SELECT CASE r.status WHEN 'confirmed' THEN '` + MessageConfirmed + `' ELSE '` + MessageWaitlisted + `' END, r.talk_id, r.user_id
		FROM registrations r JOIN talks t ON t.id = r.talk_id
		WHERE r.user_id = $1 AND r.status IN ('confirmed', 'waitlisted')
		  AND t.status IN ('scheduled', 'live') AND t.ends_at > now()
		ORDER BY t.starts_at, t.id`
)

// notifyRecordingQuery claims the talk's one "recording is up" notice (only when
// it has a recording and was never told) and writes a message to each
// confirmed registrant; the dedupe key keeps it to one per person even if
// the claim were ever reset.
const notifyRecordingQuery = `WITH claimed AS (
		UPDATE talks SET recording_notified_at = now()
		WHERE id = $1 AND recording_notified_at IS NULL AND recording_video_id IS NOT NULL
		RETURNING id)
	INSERT INTO outbox (kind, talk_id, user_id, dedupe_key)
	SELECT $2, r.talk_id, r.user_id, $2 || ':' || r.talk_id || ':' || r.user_id
	FROM registrations r JOIN claimed c ON c.id = r.talk_id
	WHERE r.status = 'confirmed'
	ORDER BY r.seq
	ON CONFLICT (dedupe_key) DO NOTHING`

// Store runs the package's SQL, on the database or in a transaction. Its
// zero value works; NewStore's prepares registerBatch once.
type Store struct {
	batch *prepared
}

// prepared is a statement prepared on first use (it runs for every batch:
// planned once).
type prepared struct {
	db    *sqlx.DB
	query string

	mu   sync.Mutex
	stmt *sqlx.Stmt
}

// NewStore is a Store whose registerBatch is prepared on db.
func NewStore(db *sqlx.DB) Store { return Store{batch: &prepared{db: db, query: registerBatch}} }

func (p *prepared) get(ctx context.Context) (*sqlx.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmt == nil {
		stmt, err := p.db.PreparexContext(ctx, p.query)
		if err != nil {
			return nil, fmt.Errorf("prepare statement: %w", err)
		}
		p.stmt = stmt
	}
	return p.stmt, nil
}

// batchRow is a row of registerBatch: all NULL when it registered nobody.
type batchRow struct {
	UserID           sql.NullInt64  `db:"user_id"`
	Status           sql.NullString `db:"status"`
	CreatedAt        sql.NullTime   `db:"created_at"`
	WaitlistPosition *int           `db:"waitlist_position"`
}

func (r batchRow) registration(talkID int64) Registration {
	return Registration{TalkID: talkID, UserID: r.UserID.Int64, Status: r.Status.String,
		CreatedAt: r.CreatedAt.Time, WaitlistPosition: r.WaitlistPosition}
}

// registerBatch runs registerBatch in q. inserted is nil when the talk is
// missing or closed. A unique violation (a registration committed while it
// waited for the talk's lock) is returned as is: the caller runs it again.
func (s Store) registerBatch(ctx context.Context, q sqlx.ExtContext, talkID int64, users []int64) (inserted map[int64]Registration, err error) {
	var rows []batchRow
	if s.batch == nil {
		err = sqlx.SelectContext(ctx, q, &rows, registerBatch, talkID, pq.Array(users))
	} else {
		var stmt *sqlx.Stmt
		if stmt, err = s.batch.get(ctx); err == nil {
			if tx, ok := q.(interface {
				StmtxContext(context.Context, any) *sqlx.Stmt
			}); ok {
				stmt = tx.StmtxContext(ctx, stmt) // the prepared statement, on tx's connection
			}
			err = stmt.SelectContext(ctx, &rows, talkID, pq.Array(users))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("register %d users for talk %d: %w", len(users), talkID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	inserted = make(map[int64]Registration, len(rows))
	for _, r := range rows {
		if r.UserID.Valid {
			inserted[r.UserID.Int64] = r.registration(talkID)
		}
	}
	return inserted, nil
}

// registrationsOf reads the active registrations of users for talkID.
func (Store) registrationsOf(ctx context.Context, q sqlx.QueryerContext, talkID int64, users []int64) ([]Registration, error) {
	return selectAll[Registration](ctx, q, fmt.Sprintf("read registrations of talk %d", talkID), selectRegistrationsOf, talkID, pq.Array(users))
}

// registered reports whether userID holds a registration of talkID that is
// not cancelled; errMissing when there is no such talk.
func (Store) registered(ctx context.Context, q sqlx.QueryerContext, talkID, userID int64) (bool, error) {
	st, err := dbx.Get[sql.NullString](ctx, q, fmt.Sprintf("registration state of talk %d", talkID), selectState, talkID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, errMissing
	}
	return st.Valid && st.String != "cancelled", err
}

// lockTalk takes the talk's row lock and returns its status; errMissing
// when there is no such talk.
func (Store) lockTalk(ctx context.Context, tx sqlx.QueryerContext, talkID int64) (string, error) {
	status, err := dbx.Get[string](ctx, tx, fmt.Sprintf("lock talk %d", talkID), lockTalkStatus, talkID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errMissing
	}
	return status, err
}

// unregistered writes the message that takes talkID out of userID's calendar.
func (Store) unregistered(ctx context.Context, tx sqlx.ExecerContext, talkID, userID int64) error {
	return dbx.Exec(ctx, tx, fmt.Sprintf("enqueue the unregistration of user %d from talk %d", userID, talkID), enqueueUnregistered, talkID, userID)
}

// invitedNow: see selectInvitedNow.
func (Store) invitedNow(ctx context.Context, q sqlx.QueryerContext, talkID, userID, messageID int64) (bool, error) {
	return dbx.Get[bool](ctx, q, fmt.Sprintf("calendar state of user %d for talk %d", userID, talkID), selectInvitedNow, talkID, userID, messageID)
}

// deleteMine removes userID's active registration for talkID and returns
// its status ("" when there was none).
func (Store) deleteMine(ctx context.Context, tx sqlx.QueryerContext, talkID, userID int64) (string, error) {
	was, err := dbx.Get[string](ctx, tx, fmt.Sprintf("cancel registration of user %d for talk %d", userID, talkID), deleteMine, talkID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return was, err
}

// promote confirms the head of talkID's waitlist while there is room and
// returns the promoted users in order.
func (Store) promote(ctx context.Context, tx sqlx.QueryerContext, talkID int64) ([]int64, error) {
	return selectAll[int64](ctx, tx, fmt.Sprintf("promote waitlist of talk %d", talkID), promoteWaitlist, talkID)
}

func (Store) registrants(ctx context.Context, q sqlx.QueryerContext, talkID int64) ([]Registrant, error) {
	return selectAll[Registrant](ctx, q, fmt.Sprintf("list registrants of talk %d", talkID), selectRegistrants, talkID)
}

// mine lists a user's registrations (without their talks).
func (Store) mine(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]Registration, error) {
	return selectAll[Registration](ctx, q, fmt.Sprintf("list registrations of user %d", userID), selectMine, userID)
}

// activeTalks lists the talks of userID's active registrations, in id order.
func (Store) activeTalks(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]int64, error) {
	return selectAll[int64](ctx, q, fmt.Sprintf("registrations of user %d", userID), selectActiveTalks, userID)
}

// recipient is the address and name of an active user (sql.ErrNoRows for
// an erased one), and whether the address is verified.
func (Store) recipient(ctx context.Context, q sqlx.QueryerContext, userID int64) (recipient, error) {
	var to struct {
		Email    sql.NullString `db:"email"`
		Name     string         `db:"display_name"`
		Verified bool           `db:"verified"`
		Locale   string         `db:"locale"`
	}
	if err := sqlx.GetContext(ctx, q, &to, selectRecipient, userID); err != nil {
		return recipient{}, fmt.Errorf("recipient %d: %w", userID, err)
	}
	return recipient{Email: to.Email.String, Name: to.Name, Verified: to.Verified && to.Email.Valid, Locale: to.Locale}, nil
}

// recipient is whom a registration message goes to: a message waits for
// a verified address, and is written in the person's language.
type recipient struct {
	Email, Name string
	Verified    bool
	Locale      string
}

// status is the state of userID's registration for talkID ("" when there
// is none).
func (Store) status(ctx context.Context, q sqlx.QueryerContext, talkID, userID int64) (string, error) {
	st, err := dbx.Get[string](ctx, q, fmt.Sprintf("registration of user %d for talk %d", userID, talkID), selectStatus, talkID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return st, err
}

// sendCurrentState replaces userID's unsent registration messages with one
// per active registration for a talk still to come.
func (Store) sendCurrentState(ctx context.Context, tx sqlx.ExecerContext, userID int64) error {
	if err := dbx.Exec(ctx, tx, fmt.Sprintf("drop held messages of user %d", userID), dropHeld, userID); err != nil {
		return err
	}
	return dbx.Exec(ctx, tx, fmt.Sprintf("enqueue the registrations of user %d", userID), enqueueCurrentState, userID)
}

// selectAll runs query and returns its rows (an empty list, not nil, when
// there are none); what says what failed.
func selectAll[T any](ctx context.Context, q sqlx.QueryerContext, what, query string, args ...any) ([]T, error) {
	out := []T{}
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// erase removes what is left of userID's registrations and their unsent
// messages.
func (Store) erase(ctx context.Context, tx sqlx.ExecerContext, userID int64) error {
	if err := dbx.Exec(ctx, tx, fmt.Sprintf("erase registrations of user %d", userID), eraseCancelled, userID); err != nil {
		return err
	}
	return dbx.Exec(ctx, tx, fmt.Sprintf("erase messages of user %d", userID), eraseOutbox, userID)
}

// notifyRecording queues the "recording is up" messages of talkID's
// confirmed registrants, the first time the talk has a recording.
func (Store) notifyRecording(ctx context.Context, tx sqlx.ExecerContext, talkID int64) error {
	return dbx.Exec(ctx, tx, fmt.Sprintf("notify recording of talk %d", talkID), notifyRecordingQuery, talkID, MessageRecordingUp)
}
