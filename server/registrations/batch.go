package registrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Group commit of registrations: the requests for one talk that arrive
// while a batch of that talk runs wait in the talk's queue and go together in
// the next batch, one statement under one acquisition of the talk's row
// lock, and one durability wait. The first request of a quiet talk starts a
// batch at once (no delay); the busier the talk, the larger its batches.
// Each instance batches its own requests; across instances the row lock and
// the CHECK constraint on talks still order registrations and forbid
// overbooking.

const (
	// registerBatch registers the users of $2, in their order (the queue's
	// order), for talk $1. It takes the talk's row lock first (the initplan
	// EXISTS (SELECT FROM t) runs before anything else reads registrations),
	// then locks the batch's existing registrations of the talk (FOR KEY
	// SHARE: a registration deleted by a transaction that held the talk's
	// lock before this one is skipped, so its user registers anew). They are
	// looked up one primary-key probe per user (the LATERAL subquery keeps
	// the planner from scanning all of a hot talk's registrations, which it
	// did with talk_id = X AND user_id = ANY: each batch then cost time in
	// proportion to the talk's registrations). The new
	// registrations are numbered in queue order: the first ones up to the
	// room left are confirmed, the others waitlisted with consecutive
	// positions. They are inserted in that order (ORDER BY c.ord), so
	// registration_seq, read per row as rows are inserted, follows it.
	//
	// There is deliberately no ON CONFLICT DO NOTHING: the statement's
	// snapshot is taken before it waits for the lock, so a registration of a
	// batch's user committed meanwhile (the same user through another
	// instance or the Idempotency-Key path) is not in ex; skipping its row
	// silently would leave a hole in the numbering (an empty seat, a wrong
	// position). The insert fails with a unique violation instead, nothing is
	// written, and the batch is run again (its new snapshot sees that row).
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
			FROM ins ORDER BY seq
		)
		SELECT i.user_id, i.status, i.created_at,
			CASE WHEN i.status = 'waitlisted' THEN t.waitlist_count + i.n - t.room END AS waitlist_position
		FROM t LEFT JOIN (SELECT ins.user_id, ins.status, ins.created_at, c.n
			FROM ins JOIN cand c ON c.user_id = ins.user_id) i ON true`

	selectRegistrationsOf = `SELECT r.talk_id, r.user_id, r.status, r.created_at,
			CASE WHEN r.status = 'waitlisted' THEN (SELECT count(*) FROM registrations w
				WHERE w.talk_id = r.talk_id AND w.status = 'waitlisted' AND w.seq <= r.seq) END AS waitlist_position
		FROM registrations r WHERE r.talk_id = $1 AND r.user_id = ANY ($2::bigint[]) AND r.status <> 'cancelled'`
)

// DefaultBatchSize is the most registrations one batch carries.
const DefaultBatchSize = 256

// batchRetries bounds the reruns of a batch that met a registration
// committed while it waited for the talk's lock (see registerBatch).
const batchRetries = 5

type outcome struct {
	reg     Registration
	created bool
	err     error
}

type waiter struct {
	ctx    context.Context
	userID int64
	done   chan outcome // buffered: the batcher never blocks on a waiter
}

// talkQueue is one talk's queue; it exists while its goroutine runs.
type talkQueue struct {
	waiting []*waiter
	taken   int // waiters taken into batches (tests observe it)
}

// Batcher groups concurrent registrations per talk (see registerBatch).
type Batcher struct {
	db      *sqlx.DB
	size    int
	timeout time.Duration

	prepMu sync.Mutex
	stmt   *sqlx.Stmt

	mu     sync.Mutex
	queues map[int64]*talkQueue
}

// NewBatcher batches registrations on db, at most size per batch. Each
// batch runs under its own deadline of timeout (it serves many requests, so
// no single request's context).
func NewBatcher(db *sqlx.DB, size int, timeout time.Duration) *Batcher {
	if size <= 0 {
		size = DefaultBatchSize
	}
	return &Batcher{db: db, size: size, timeout: timeout, queues: map[int64]*talkQueue{}}
}

// Register queues userID's registration for talkID and waits for its batch
// to be durable. It answers like the package's Register: created is false
// when the user was already registered (the existing registration comes
// back); errMissing and ErrClosed as there. When ctx ends while the request
// is still queued, it leaves the queue and is not registered; once its batch
// has run, its registration stands whatever happens to ctx.
func (b *Batcher) Register(ctx context.Context, talkID, userID int64) (Registration, bool, error) {
	w := &waiter{ctx: ctx, userID: userID, done: make(chan outcome, 1)}
	b.enqueue(talkID, w)
	select {
	case o := <-w.done:
		return o.reg, o.created, o.err
	case <-ctx.Done():
		select { // answered meanwhile: that answer wins
		case o := <-w.done:
			return o.reg, o.created, o.err
		default:
		}
		return Registration{}, false, fmt.Errorf("wait for registration of user %d for talk %d: %w", userID, talkID, ctx.Err())
	}
}

// enqueue appends ws to talkID's queue, creating it (and its goroutine)
// when the talk has none.
func (b *Batcher) enqueue(talkID int64, ws ...*waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[talkID]
	if q == nil {
		q = &talkQueue{}
		b.queues[talkID] = q
		go b.run(talkID, q)
	}
	q.waiting = append(q.waiting, ws...)
}

// run serves one talk's queue until it is empty, one batch at a time, then
// removes the queue and returns.
func (b *Batcher) run(talkID int64, q *talkQueue) {
	for {
		b.mu.Lock()
		var batch []*waiter
		for len(batch) < b.size && len(q.waiting) > 0 {
			w := q.waiting[0]
			q.waiting[0] = nil
			q.waiting = q.waiting[1:]
			if w.ctx.Err() == nil { // gone while queued: not registered
				batch = append(batch, w)
			}
		}
		if len(q.waiting) == 0 {
			q.waiting = nil
		}
		if len(batch) == 0 {
			delete(b.queues, talkID)
			b.mu.Unlock()
			return
		}
		q.taken += len(batch)
		b.mu.Unlock()
		b.flush(talkID, batch)
	}
}

// flush runs one batch and hands its waiters their outcomes once the batch
// is durable. The durability wait and the answers run on their own so that
// the next batch can take the talk's lock meanwhile.
func (b *Batcher) flush(talkID int64, batch []*waiter) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	users := make([]int64, 0, len(batch))
	seen := make(map[int64]bool, len(batch))
	for _, w := range batch {
		if !seen[w.userID] {
			seen[w.userID] = true
			users = append(users, w.userID)
		}
	}
	inserted, err := b.exec(ctx, talkID, users)
	go func() {
		defer cancel()
		b.answer(ctx, talkID, batch, inserted, err)
	}()
}

// exec runs registerBatch, again when it met a registration committed while
// it waited. inserted is nil when the talk is missing or closed.
func (b *Batcher) exec(ctx context.Context, talkID int64, users []int64) (map[int64]Registration, error) {
	stmt, err := b.prepared(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		var rows []struct {
			UserID           sql.NullInt64  `db:"user_id"`
			Status           sql.NullString `db:"status"`
			CreatedAt        sql.NullTime   `db:"created_at"`
			WaitlistPosition *int           `db:"waitlist_position"`
		}
		err := stmt.SelectContext(ctx, &rows, talkID, pq.Array(users))
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Table == "registrations" && attempt < batchRetries {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("register %d users for talk %d: %w", len(users), talkID, err)
		}
		if len(rows) == 0 {
			return nil, nil
		}
		inserted := make(map[int64]Registration, len(rows))
		for _, r := range rows {
			if r.UserID.Valid {
				inserted[r.UserID.Int64] = Registration{TalkID: talkID, UserID: r.UserID.Int64, Status: r.Status.String,
					CreatedAt: r.CreatedAt.Time, WaitlistPosition: r.WaitlistPosition}
			}
		}
		return inserted, nil
	}
}

func (b *Batcher) prepared(ctx context.Context) (*sqlx.Stmt, error) {
	b.prepMu.Lock()
	defer b.prepMu.Unlock()
	if b.stmt == nil {
		stmt, err := b.db.PreparexContext(ctx, registerBatch)
		if err != nil {
			return nil, fmt.Errorf("prepare register batch: %w", err)
		}
		b.stmt = stmt
	}
	return b.stmt, nil
}

// answer makes the batch durable and gives each waiter its outcome: the new
// registration (created for the first waiter of its user only), the
// existing one, or the batch's error.
func (b *Batcher) answer(ctx context.Context, talkID int64, batch []*waiter, inserted map[int64]Registration, err error) {
	if err == nil {
		err = WaitDurable(ctx, b.db)
	}
	if err != nil {
		for _, w := range batch {
			w.done <- outcome{err: err}
		}
		return
	}
	outcomes := make(map[int64]outcome, len(batch))
	if inserted == nil { // missing or closed: each user as a lone request would be told
		for _, w := range batch {
			if _, ok := outcomes[w.userID]; !ok {
				r, err := existingOrClosed(ctx, b.db, talkID, w.userID)
				outcomes[w.userID] = outcome{reg: r, err: err}
			}
		}
	} else {
		var existing []int64
		for _, w := range batch {
			if r, ok := inserted[w.userID]; ok {
				outcomes[w.userID] = outcome{reg: r, created: true}
			} else if _, ok := outcomes[w.userID]; !ok {
				existing = append(existing, w.userID)
				outcomes[w.userID] = outcome{err: ErrClosed} // cancelled since: as Register says
			}
		}
		if len(existing) > 0 {
			var rs []Registration
			if err := sqlx.SelectContext(ctx, b.db, &rs, selectRegistrationsOf, talkID, pq.Array(existing)); err != nil {
				err = fmt.Errorf("read registrations of talk %d: %w", talkID, err)
				for _, id := range existing {
					outcomes[id] = outcome{err: err}
				}
			}
			for _, r := range rs {
				outcomes[r.UserID] = outcome{reg: r}
			}
		}
	}
	for _, w := range batch {
		o := outcomes[w.userID]
		w.done <- o
		if o.created { // the user's other waiters get the same registration, 200
			o.created = false
			outcomes[w.userID] = o
		}
	}
}

// queued reports how many requests wait in talkID's queue and how many were
// taken into batches since the queue was created, and whether it exists.
func (b *Batcher) queued(talkID int64) (waiting, taken int, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[talkID]
	if q == nil {
		return 0, 0, false
	}
	return len(q.waiting), q.taken, true
}

// queueCount is the number of talks with a queue (and so a goroutine).
func (b *Batcher) queueCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queues)
}
