package registrations_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// waitFor polls cond until it holds, failing the test at the deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, what, 10*time.Second, cond)
}

type regOutcome struct {
	reg     registrations.Registration
	created bool
	err     error
}

// queue is a batcher for one talk whose batches the test composes: while
// the test holds the talk's row lock, the batch in flight waits for it and
// every request that arrives meanwhile queues, in the order the test adds it.
type queue struct {
	t      testing.TB
	b      *registrations.Batcher
	talkID int64
	wg     sync.WaitGroup
	out    []chan regOutcome
}

func newQueue(t testing.TB, env *testserver.Env, talkID int64) *queue {
	return &queue{t: t, b: registrations.NewBatcher(env.DB, registrations.DefaultBatchSize, 10*time.Second), talkID: talkID}
}

// add queues a registration and waits until it is in the queue (or, for the
// first one, taken into the batch in flight). It returns the outcome's channel.
func (q *queue) add(ctx context.Context, userID int64) chan regOutcome {
	q.t.Helper()
	waiting, taken, _ := q.b.Queued(q.talkID)
	ch := make(chan regOutcome, 1)
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		r, err := q.b.Register(ctx, q.talkID, userID, nil)
		ch <- regOutcome{r.Registration, r.Created, err}
	}()
	waitFor(q.t, fmt.Sprintf("user %d in the queue", userID), func() bool {
		w, tk, _ := q.b.Queued(q.talkID)
		return w+tk == waiting+taken+1
	})
	q.out = append(q.out, ch)
	return ch
}

// holdTalkLock takes the talk's row lock in a transaction of its own.
func holdTalkLock(t testing.TB, env *testserver.Env, talkID int64) *sqlx.Tx {
	t.Helper()
	tx, err := env.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.Exec(`SELECT 1 FROM talks WHERE id = $1 FOR UPDATE`, talkID); err != nil {
		t.Fatal(err)
	}
	return tx
}

// waitBlocked waits until a batch statement of the talk waits for a lock.
func waitBlocked(t testing.TB, env *testserver.Env) {
	t.Helper()
	waitFor(t, "the batch to wait for the talk's lock", func() bool {
		n := countRows(t, env, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%unnest($2::bigint[]) WITH ORDINALITY%'`)
		return n > 0
	})
}

func results(chs ...chan regOutcome) []regOutcome {
	out := make([]regOutcome, len(chs))
	for i, ch := range chs {
		out[i] = <-ch
	}
	return out
}

// TestBatchWithTheSameUserTwice: one batch holds a, b, a, c, d and the
// already registered u0; the talk has 2 seats and u0 holds one. a is
// registered once (created for its first request only, both get the same
// registration), the rest waitlisted in queue order, and seq follows the
// queue.
func TestBatchWithTheSameUserTwice(t *testing.T) {
	env, mod, tk := serverWithTalk(t, map[string]any{"capacity": 2})
	us := users(t, env, 5)
	u0, a, b, c, d := us[0], us[1], us[2], us[3], us[4]
	q := newQueue(t, env, tk.ID)

	tx := holdTalkLock(t, env, tk.ID)
	first := q.add(context.Background(), u0.ID)
	waitBlocked(t, env)
	chs := []chan regOutcome{
		q.add(context.Background(), a.ID),
		q.add(context.Background(), b.ID),
		q.add(context.Background(), a.ID),
		q.add(context.Background(), u0.ID),
		q.add(context.Background(), c.ID),
		q.add(context.Background(), d.ID),
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if r := results(first)[0]; r.err != nil || !r.created || r.reg.Status != "confirmed" {
		t.Fatalf("first: %+v", r)
	}
	got := results(chs...)
	q.wg.Wait()
	for i, r := range got {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
	}
	pos := func(p int) *int { return &p }
	want := []struct {
		user    int64
		created bool
		status  string
		pos     *int
	}{
		{a.ID, true, "confirmed", nil},
		{b.ID, true, "waitlisted", pos(1)},
		{a.ID, false, "confirmed", nil},
		{u0.ID, false, "confirmed", nil},
		{c.ID, true, "waitlisted", pos(2)},
		{d.ID, true, "waitlisted", pos(3)},
	}
	for i, w := range want {
		r := got[i]
		if r.reg.UserID != w.user || r.reg.TalkID != tk.ID || r.created != w.created || r.reg.Status != w.status ||
			(w.pos == nil) != (r.reg.WaitlistPosition == nil) || (w.pos != nil && *w.pos != *r.reg.WaitlistPosition) {
			t.Fatalf("request %d: got %+v created=%v, want %+v", i, r.reg, r.created, w)
		}
	}
	if !got[0].reg.CreatedAt.Equal(got[2].reg.CreatedAt) {
		t.Fatalf("a's two requests got different registrations: %v, %v", got[0].reg.CreatedAt, got[2].reg.CreatedAt)
	}
	rs := rowsBySeq(t, env, tk.ID)
	order := []int64{u0.ID, a.ID, b.ID, c.ID, d.ID}
	if len(rs) != len(order) {
		t.Fatalf("%d registrations: %+v", len(rs), rs)
	}
	for i, r := range rs {
		if r.UserID != order[i] {
			t.Fatalf("seq order %d: user %d, want %d (%+v)", i, r.UserID, order[i], rs)
		}
	}
	checkFIFO(t, env, tk.ID, mod.Token)
	conf, wait, cc, cw := counts(t, env, tk.ID)
	msgs := countRows(t, env, `SELECT count(*) FROM outbox WHERE talk_id = $1 AND kind LIKE 'registration.%'`, tk.ID)
	if conf != 2 || wait != 3 || cc != 2 || cw != 3 || msgs != 5 {
		t.Fatalf("%d confirmed, %d waitlisted (counters %d/%d), %d messages", conf, wait, cc, cw, msgs)
	}
}

// TestBatchWhenTheTalkCloses: while a batch waits for the talk's lock and
// more requests queue behind it, the talk's registration closes. Every
// waiter is told registration closed and nothing is written.
func TestBatchWhenTheTalkCloses(t *testing.T) {
	env, mod, tk := serverWithTalk(t, map[string]any{"capacity": 10})
	us := users(t, env, 3)
	q := newQueue(t, env, tk.ID)

	tx := holdTalkLock(t, env, tk.ID)
	chs := []chan regOutcome{q.add(context.Background(), us[0].ID)}
	waitBlocked(t, env)
	chs = append(chs, q.add(context.Background(), us[1].ID), q.add(context.Background(), us[2].ID), q.add(context.Background(), us[1].ID))
	if _, err := tx.Exec(`UPDATE talks SET registration_closes_at = now() - interval '1 minute' WHERE id = $1`, tk.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for i, r := range results(chs...) {
		if !errors.Is(r.err, registrations.ErrClosed) {
			t.Fatalf("request %d: %+v, want registration closed", i, r)
		}
	}
	q.wg.Wait()
	var n, msgs int
	_ = env.DB.Get(&n, `SELECT count(*) FROM registrations WHERE talk_id = $1`, tk.ID)
	_ = env.DB.Get(&msgs, `SELECT count(*) FROM outbox WHERE talk_id = $1`, tk.ID)
	if conf, wait, cc, cw := counts(t, env, tk.ID); n != 0 || msgs != 0 || conf+wait+cc+cw != 0 {
		t.Fatalf("%d registrations, %d messages, counters %d/%d", n, msgs, cc, cw)
	}
	// Missing talk: every waiter of the batch gets errMissing.
	mq := newQueue(t, env, 987654321)
	if _, err := mq.b.Register(context.Background(), 987654321, us[0].ID, nil); !errors.Is(err, registrations.ErrMissing) {
		t.Fatalf("missing talk: %v", err)
	}
	// Through the API: 409 registration_closed, and 404 for a draft a
	// participant cannot see.
	r := env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), us[0].Token, nil)
	if r.StatusCode != 409 || r.Problem(t).Code != "registration_closed" {
		t.Fatalf("closed talk: %d %s", r.StatusCode, r.Body)
	}
	draft := testserver.NewTalk(t, env, mod.Token, map[string]any{"status": "draft"})
	if r := env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", draft.ID), us[0].Token, nil); r.StatusCode != 404 {
		t.Fatalf("draft: %d %s", r.StatusCode, r.Body)
	}
}

// TestQueuedRequestThatGivesUp: a request whose context ends while it is
// queued returns at once, does not hold up the others and is not
// registered.
func TestQueuedRequestThatGivesUp(t *testing.T) {
	env, _, tk := serverWithTalk(t, map[string]any{"capacity": 10})
	us := users(t, env, 3)
	q := newQueue(t, env, tk.ID)

	tx := holdTalkLock(t, env, tk.ID)
	first := q.add(context.Background(), us[0].ID)
	waitBlocked(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	gone := q.add(ctx, us[1].ID)
	last := q.add(context.Background(), us[2].ID)
	cancel()
	if r := <-gone; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("request that gave up: %+v", r)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for i, r := range results(first, last) {
		if r.err != nil || !r.created || r.reg.Status != "confirmed" {
			t.Fatalf("request %d: %+v", i, r)
		}
	}
	q.wg.Wait()
	rs := rowsBySeq(t, env, tk.ID)
	if len(rs) != 2 || rs[0].UserID != us[0].ID || rs[1].UserID != us[2].ID {
		t.Fatalf("registrations: %+v", rs)
	}
}

// batcherGoroutines counts the goroutines running a talk's queue.
func batcherGoroutines() int {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 2)
	return bytes.Count(buf.Bytes(), []byte("groups.(*Lanes[...]).run("))
}

// TestBatcherGoroutinesExitWhenIdle: a burst of registrations for several
// talks starts one goroutine per talk; once the burst is answered they all
// exit and the queues are gone.
func TestBatcherGoroutinesExitWhenIdle(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	const talks, perTalk = 8, 25
	ids := make([]int64, talks)
	for i := range ids {
		ids[i] = testserver.NewTalk(t, env, mod.Token, map[string]any{"capacity": 10, "title": fmt.Sprintf("Wearables in cardiology %d", i)}).ID
	}
	us := users(t, env, perTalk)
	b := registrations.NewBatcher(env.DB, 4, 10*time.Second) // small batches: several per talk
	// Warm up (pool connections, prepared statement), then take the baseline.
	if _, err := b.Register(context.Background(), ids[0], us[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the warm-up queue to go", func() bool { return b.Queues() == 0 && batcherGoroutines() == 0 })
	base := runtime.NumGoroutine()

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, talks*perTalk)
	peak := 0
	var peakMu sync.Mutex
	for _, id := range ids {
		for _, u := range us {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := b.Register(context.Background(), id, u.ID, nil); err != nil {
					errs <- err
				}
				peakMu.Lock()
				peak = max(peak, b.Queues())
				peakMu.Unlock()
			}()
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if peak == 0 {
		t.Fatal("no queue seen during the burst")
	}
	for _, id := range ids {
		if conf, wait, _, _ := counts(t, env, id); conf != 10 || wait != perTalk-10 {
			t.Fatalf("talk %d: %d/%d", id, conf, wait)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for b.Queues() != 0 || runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("after the burst: %d queues, %d goroutines (baseline %d), %d batcher goroutines",
				b.Queues(), runtime.NumGoroutine(), base, batcherGoroutines())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := batcherGoroutines(); n != 0 {
		t.Fatalf("%d batcher goroutines left", n)
	}
}

// TestBatchMeetsRowsCommittedWhileItWaits: a batch's snapshot predates its
// wait for the talk's lock. A registration of one of its users committed
// meanwhile by someone else (another instance) makes it run again, so that
// the numbering has no hole; a registration cancelled meanwhile is
// registered anew.
func TestBatchMeetsRowsCommittedWhileItWaits(t *testing.T) {
	env, mod, tk := serverWithTalk(t, map[string]any{"capacity": 2})
	us := users(t, env, 4)
	x, y, z, w := us[0], us[1], us[2], us[3]
	b := registrations.NewBatcher(env.DB, registrations.DefaultBatchSize, 10*time.Second)

	// x registers elsewhere while the batch [x, y, z] waits.
	tx, err := env.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec(`SELECT 1 FROM talks WHERE id = $1 FOR UPDATE`, tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO registrations (talk_id, user_id, status, confirmed_at) VALUES ($1, $2, 'confirmed', now())`, tk.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan []registrations.Outcome, 1)
	go func() { done <- b.RegisterMany(context.Background(), tk.ID, []int64{x.ID, y.ID, z.ID}) }()
	waitBlocked(t, env)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if o := got[0]; o.Err != nil || o.Created || o.Reg.Status != "confirmed" {
		t.Fatalf("x: %+v", o)
	}
	if o := got[1]; o.Err != nil || !o.Created || o.Reg.Status != "confirmed" {
		t.Fatalf("y: %+v", o)
	}
	if o := got[2]; o.Err != nil || !o.Created || o.Reg.Status != "waitlisted" || o.Reg.WaitlistPosition == nil || *o.Reg.WaitlistPosition != 1 {
		t.Fatalf("z: %+v", o)
	}
	checkFIFO(t, env, tk.ID, mod.Token)
	if conf, wait, cc, cw := counts(t, env, tk.ID); conf != 2 || wait != 1 || cc != 2 || cw != 1 {
		t.Fatalf("%d/%d counters %d/%d", conf, wait, cc, cw)
	}

	// x cancels (promoting z) while the batch [x, w] waits: x registers anew
	// (the talk is full: waitlisted, first, then w, in queue order).
	tx, err = env.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := registrations.Cancel(context.Background(), tx, tk.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	go func() { done <- b.RegisterMany(context.Background(), tk.ID, []int64{x.ID, w.ID}) }()
	waitBlocked(t, env)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got = <-done
	for i, o := range got {
		if o.Err != nil || !o.Created || o.Reg.Status != "waitlisted" || o.Reg.WaitlistPosition == nil || *o.Reg.WaitlistPosition != i+1 {
			t.Fatalf("request %d: %+v", i, o)
		}
	}
	rs := rowsBySeq(t, env, tk.ID)
	order := []int64{y.ID, z.ID, x.ID, w.ID}
	for i, r := range rs {
		if i >= len(order) || r.UserID != order[i] {
			t.Fatalf("seq order: %+v, want users %v", rs, order)
		}
	}
	checkFIFO(t, env, tk.ID, mod.Token)
}
