package registrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/groups"
	"github.com/hubtalks/hubtalks/server/idempotency"
)

// Group commit of registrations: the requests for one talk that arrive
// while a batch of that talk runs wait in the talk's queue and go together in
// the next batch: one statement under one acquisition of the talk's row
// lock (registerBatch), and one durability wait. When some came with an
// Idempotency-Key, the batch is one transaction with one statement more,
// storing their answers (storeKeys).
//
// A key is not looked up before the batch: a retry is rare, and a
// registration is idempotent per talk and user already, so a retry's batch
// registers nothing new and then finds the key stored: it replays the
// stored answer. Only when its user had cancelled since would the batch
// register them again: it is then rolled back and run without that key
// (errRerun). A lookup per request, side by side, cost PostgreSQL twice
// what the registration did (BenchmarkRegistrationsHotTalk, about 250 µs
// of CPU each); one per batch, a round trip more in each batch of the
// talk, one after the other. The first request of a quiet talk starts a batch at once (no delay);
// the busier the talk, the larger its batches. Each instance batches its own
// requests; across instances the row lock and the CHECK constraint on talks
// still order registrations and forbid overbooking.

// DefaultBatchSize is the most registrations one batch carries.
const DefaultBatchSize = 256

// batchRetries bounds the reruns of a batch that met a registration
// committed while it waited for the talk's lock (see registerBatch), or a
// key stored meanwhile by another request (see storeKeys).
const batchRetries = 5

// Result is what one registration request is told.
type Result struct {
	Registration
	Created bool // a new registration (201); else the user's existing one (200)
	// Response is the answer stored under the request's Idempotency-Key
	// (nil without one); Replayed when another request stored it first.
	Response *idempotency.Response
}

type outcome = groups.Result[Result]

// request is one registration request in a talk's queue.
type request struct {
	userID int64
	key    *idempotency.Key // nil: no Idempotency-Key
}

// Batcher groups concurrent registrations per talk (see registerBatch):
// each talk with requests has its own lane (groups.Lanes).
type Batcher struct {
	db      *sqlx.DB
	store   Store
	timeout time.Duration
	lanes   groups.Lanes[int64, request, Result]
}

// NewBatcher batches registrations on db, at most size per batch. Each
// batch runs under its own deadline of timeout (it serves many requests, so
// no single request's context).
func NewBatcher(db *sqlx.DB, size int, timeout time.Duration) *Batcher {
	if size <= 0 {
		size = DefaultBatchSize
	}
	b := &Batcher{db: db, store: NewStore(db), timeout: timeout}
	b.lanes.Max = size
	b.lanes.Serve = b.flush
	return b
}

// Register queues userID's registration for talkID and waits for its batch
// to be durable. Created is false when the user was already registered (the
// existing registration comes back); errMissing when there is no such talk,
// ErrClosed when it takes no registrations. With key, the batch stores the
// response under it, or the response stored meanwhile by another request
// with that key comes back (Result.Response). When ctx ends while the
// request is still queued, it leaves the queue and is not registered; once
// its batch has run, its registration stands whatever happens to ctx.
func (b *Batcher) Register(ctx context.Context, talkID, userID int64, key *idempotency.Key) (Result, error) {
	res, err := b.lanes.Do(ctx, talkID, request{userID: userID, key: key})
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return Result{}, fmt.Errorf("wait for registration of user %d for talk %d: %w", userID, talkID, err)
	}
	return res, err
}

// flush runs one batch and answers its requests once the batch is durable.
// The durability wait and the answers run on their own so that the next
// batch can take the talk's lock meanwhile.
func (b *Batcher) flush(talkID int64, batch []request, answer func([]outcome)) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	outs, err := b.exec(ctx, talkID, batch)
	go func() {
		defer cancel()
		if err == nil {
			err = WaitDurable(ctx, b.db)
		}
		if err != nil {
			outs = make([]outcome, len(batch))
			for i := range outs {
				outs[i].Err = err
			}
		}
		answer(outs)
	}()
}

// errRerun: the batch met a key that another request stored meanwhile,
// for a user the batch registered anew; it is rolled back and run again
// without that key's requests, which replay the stored answer.
var errRerun = errors.New("idempotency key stored meanwhile")

// exec runs the batch and returns each waiter's outcome: its users are
// registered (register) and the answers of its keyed waiters stored with
// them (storeKeys); a key stored already (a retry) is replayed. It runs
// again when it met a registration committed while it waited for the
// talk's lock (see registerBatch) or errRerun.
func (b *Batcher) exec(ctx context.Context, talkID int64, batch []request) ([]outcome, error) {
	outs := make([]outcome, len(batch))
	replayed := make([]bool, len(batch)) // answered from a stored key: they register nothing (errRerun)
	for attempt := 1; ; attempt++ {
		err := b.inTx(ctx, batch, func(q sqlx.ExtContext) error {
			return b.once(ctx, q, talkID, batch, outs, replayed)
		})
		var pqErr *pq.Error
		if !errors.Is(err, errRerun) && (!errors.As(err, &pqErr) || pqErr.Code != "23505" || pqErr.Table != "registrations") {
			return outs, err // nil: done
		}
		if attempt == batchRetries {
			return nil, fmt.Errorf("register %d requests for talk %d: %w", len(batch), talkID, err)
		}
	}
}

// inTx runs fn in a transaction when the batch holds keyed requests (their
// answers are stored with the registrations they report); otherwise on the
// database: registerBatch is then a transaction of its own, one round trip
// under the talk's lock, and the reads after it see it committed.
func (b *Batcher) inTx(ctx context.Context, batch []request, fn func(q sqlx.ExtContext) error) error {
	for _, w := range batch {
		if w.key != nil {
			return dbx.InTx(ctx, b.db, nil, "registration batch", func(tx *sqlx.Tx) error { return fn(tx) })
		}
	}
	return fn(b.db)
}

// once runs the batch once in q: registers the users of the waiters not
// replayed yet and stores the keyed ones' answers.
func (b *Batcher) once(ctx context.Context, q sqlx.ExtContext, talkID int64, batch []request, outs []outcome, replayed []bool) error {
	var todo []int
	for i := range batch {
		if !replayed[i] {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := b.register(ctx, q, talkID, batch, todo, outs); err != nil {
		return err
	}
	return b.storeKeys(ctx, q, batch, todo, outs, replayed)
}

// register runs registerBatch for the users of batch[todo] and tells each
// of those waiters its outcome: the new registration (created for the
// first waiter of its user only), the existing one, or why there is none.
func (b *Batcher) register(ctx context.Context, q sqlx.ExtContext, talkID int64, batch []request, todo []int, outs []outcome) error {
	var users []int64
	seen := make(map[int64]bool, len(todo))
	for _, i := range todo {
		if u := batch[i].userID; !seen[u] {
			seen[u] = true
			users = append(users, u)
		}
	}
	inserted, err := b.store.registerBatch(ctx, q, talkID, users)
	if err != nil {
		return err
	}
	told := make(map[int64]outcome, len(users))
	if inserted == nil { // missing or closed: each user as a lone request would be told
		for _, u := range users {
			r, err := b.existingOrClosed(ctx, q, talkID, u)
			if err != nil && !errors.Is(err, errMissing) && !errors.Is(err, ErrClosed) {
				return err
			}
			told[u] = outcome{Val: Result{Registration: r}, Err: err}
		}
	} else {
		var existing []int64
		for _, u := range users {
			if r, ok := inserted[u]; ok {
				told[u] = outcome{Val: Result{Registration: r, Created: true}}
			} else {
				existing = append(existing, u)
				told[u] = outcome{Err: ErrClosed} // cancelled since: as Register says
			}
		}
		if len(existing) > 0 {
			rs, err := b.store.registrationsOf(ctx, q, talkID, existing)
			if err != nil {
				return err
			}
			for _, r := range rs {
				told[r.UserID] = outcome{Val: Result{Registration: r}}
			}
		}
	}
	for _, i := range todo {
		u := batch[i].userID
		outs[i] = told[u]
		told[u] = outcome{Val: Result{Registration: told[u].Val.Registration}, Err: told[u].Err} // the user's other waiters: 200
	}
	return nil
}

// existingOrClosed tells a user whose batch registered nothing why: the
// talk is missing (errMissing) or closed (ErrClosed), or here is the user's
// existing registration.
func (b *Batcher) existingOrClosed(ctx context.Context, q sqlx.QueryerContext, talkID, userID int64) (Registration, error) {
	ok, err := b.store.registered(ctx, q, talkID, userID)
	if err != nil {
		return Registration{}, err
	}
	if !ok {
		return Registration{}, ErrClosed
	}
	rs, err := b.store.registrationsOf(ctx, q, talkID, []int64{userID})
	if err != nil {
		return Registration{}, err
	}
	if len(rs) == 0 { // cancelled meanwhile
		return Registration{}, ErrClosed
	}
	return rs[0], nil
}

// keyGroup is the waiters of a batch with one key, in queue order: one
// user's, so they share their outcome.
type keyGroup struct {
	key     idempotency.Key
	waiters []int
}

// keyGroups groups the keyed waiters of batch[todo] by key.
func keyGroups(batch []request, todo []int) []*keyGroup {
	var groups []*keyGroup
	index := map[idempotency.Scope]*keyGroup{}
	for _, i := range todo {
		if k := batch[i].key; k != nil {
			g := index[k.Scope()]
			if g == nil {
				g = &keyGroup{key: *k}
				index[k.Scope()] = g
				groups = append(groups, g)
			}
			g.waiters = append(g.waiters, i)
		}
	}
	return groups
}

// storeKeys stores, in one statement, the answer of each key of batch[todo]
// whose registration succeeded: its first waiter's; the key's other waiters
// replay it (422 with another body). A key stored already (by a retry's
// first request, or meanwhile on another instance) is replayed instead, to
// all its waiters, also when their registration failed now (the talk closed
// since). If the batch registered their user anew, that first request
// registered them already, so this batch must not: errRerun.
func (b *Batcher) storeKeys(ctx context.Context, tx sqlx.QueryerContext, batch []request, todo []int, outs []outcome, replayed []bool) error {
	groups := keyGroups(batch, todo)
	var recs []idempotency.Record // the answers to store, of the groups in stores
	var stores []*keyGroup
	for _, g := range groups {
		if o := outs[g.waiters[0]]; o.Err == nil {
			res, err := respond(o.Val.Registration, o.Val.Created)
			if err != nil {
				return err
			}
			recs = append(recs, idempotency.Record{Key: g.key, Response: res})
			stores = append(stores, g)
		}
	}
	stored := map[*keyGroup]*idempotency.Record{}
	if len(recs) > 0 {
		ok, err := idempotency.Store(ctx, tx, recs)
		if err != nil {
			return err
		}
		for j, g := range stores {
			if ok[j] {
				stored[g] = &recs[j]
			}
		}
	}
	var others []*keyGroup // stored already, or failed now
	var keys []idempotency.Key
	for _, g := range groups {
		if rec := stored[g]; rec != nil {
			outs[g.waiters[0]].Val.Response = &rec.Response
			replay(batch, g.waiters[1:], *rec, outs)
		} else {
			others, keys = append(others, g), append(keys, g.key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	found, err := idempotency.LookupMany(ctx, tx, keys)
	if err != nil {
		return err
	}
	var rerun error
	for j, g := range others {
		first := outs[g.waiters[0]]
		if found[j] == nil {
			if first.Err == nil {
				return fmt.Errorf("idempotency key %q vanished", g.key.Value)
			}
			continue // failed, and never answered: the error stands
		}
		if first.Val.Created { // only the first waiter of a user is told created
			rerun = errRerun
		}
		replay(batch, g.waiters, *found[j], outs)
		for _, i := range g.waiters {
			replayed[i] = true
		}
	}
	return rerun
}

// replay answers the waiters from rec.
func replay(batch []request, waiters []int, rec idempotency.Record, outs []outcome) {
	for _, i := range waiters {
		res, err := rec.Replay(*batch[i].key)
		outs[i] = outcome{Val: Result{Registration: outs[i].Val.Registration, Response: &res}, Err: err}
	}
}

// queued reports how many requests wait in talkID's queue and how many were
// taken into batches since the queue was created, and whether it exists.
func (b *Batcher) queued(talkID int64) (waiting, taken int, ok bool) {
	waiting, taken, _, ok = b.lanes.Waiting(talkID)
	return waiting, taken, ok
}

// queueCount is the number of talks with a queue (and so a goroutine).
func (b *Batcher) queueCount() int { return b.lanes.Len() }
