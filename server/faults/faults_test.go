//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/accounts"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// world is a cluster with a talk, users with tokens, and live clients.
type world struct {
	*cluster
	db      *sqlx.DB
	talk    int64
	channel string
	tokens  []string
	clients []*liveClient
	alive   func() []*instance

	mu   sync.Mutex
	down map[*instance]bool
}

func newWorld(t *testing.T, instances, users, clients int) *world {
	t.Helper()
	c := newCluster(t, instances)
	db, err := sqlx.Open("postgres", c.pg.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{cluster: c, db: db, down: map[*instance]bool{}}
	if err := db.Get(&w.talk, `INSERT INTO talks (slug, title, starts_at, ends_at, status, qa_moderation, qa_open)
		VALUES ('fault-suite', 'Fault suite talk', now() - interval '10 minutes', now() + interval '2 hours', 'live', 'post', true)
		RETURNING id`); err != nil {
		t.Fatal(err)
	}
	w.channel = "talk:" + itoa(w.talk)
	store := accounts.NewStore(db)
	hash, err := accounts.HashPassword("fault suite password")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < users; i++ {
		u, err := store.CreateUser(context.Background(), fmt.Sprintf("asker%d@example.org", i), fmt.Sprintf("Asker %d", i), hash, "participant")
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := store.CreateSession(context.Background(), u.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		w.tokens = append(w.tokens, tok)
	}
	w.alive = func() []*instance {
		w.mu.Lock()
		defer w.mu.Unlock()
		var out []*instance
		for _, in := range w.instances {
			if !w.down[in] {
				out = append(out, in)
			}
		}
		return out
	}
	for i := 0; i < clients; i++ {
		home := w.instances[i%len(w.instances)].url
		first := true
		cl := newLiveClient(w.channel, func() string {
			if first { // spread the first connections evenly
				first = false
				return home
			}
			a := w.alive()
			return a[rand.IntN(len(a))].url
		})
		w.clients = append(w.clients, cl)
	}
	t.Cleanup(func() {
		for _, cl := range w.clients {
			cl.stop()
		}
	})
	waitFor(t, "every client subscribed", 60*time.Second, func() bool {
		for _, cl := range w.clients {
			if _, _, _, _, n := cl.snapshot(); n == 0 {
				return false
			}
		}
		return true
	})
	return w
}

// traffic posts questions and votes round-robin over the live instances
// until stop is closed; it counts what was accepted.
type traffic struct {
	asked, voted atomic.Int64
	failed       atomic.Int64
	maxFailWait  atomic.Int64 // ns: the slowest failed write
	questionIDs  sync.Map
}

// runInBackground runs traffic at perSecond until the stop it returns is
// called; stop returns once the traffic has stopped.
func (w *world) runInBackground(tr *traffic, perSecond int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.run(ctx, tr, perSecond); close(done) }()
	return func() { cancel(); <-done }
}

// runFor runs traffic at perSecond for d.
func (w *world) runFor(tr *traffic, perSecond int, d time.Duration) {
	ctx, stop := context.WithTimeout(context.Background(), d)
	defer stop()
	w.run(ctx, tr, perSecond)
}

func (w *world) run(ctx context.Context, tr *traffic, perSecond int) {
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n++
		a := w.alive()
		base := a[n%len(a)].url
		tok := w.tokens[n%len(w.tokens)]
		go func(n int) {
			if n%3 != 0 {
				r := call(ctx, "POST", base+"/api/v1/talks/"+itoa(w.talk)+"/questions", tok,
					map[string]any{"body": fmt.Sprintf("question %d from the fault suite", n), "anonymous": false}, nil)
				if r.status == 201 {
					tr.asked.Add(1)
					var q struct {
						ID int64 `json:"id"`
					}
					_ = json.Unmarshal(r.body, &q)
					tr.questionIDs.Store(q.ID, true)
				} else if ctx.Err() == nil {
					tr.failed.Add(1)
					if d := int64(r.elapsed); d > tr.maxFailWait.Load() {
						tr.maxFailWait.Store(d)
					}
				}
				return
			}
			var qid int64
			tr.questionIDs.Range(func(k, _ any) bool { qid = k.(int64); return rand.IntN(4) != 0 })
			if qid == 0 {
				return
			}
			r := call(ctx, "PUT", base+"/api/v1/questions/"+itoa(qid)+"/vote", tok, nil, nil)
			if r.status == 200 {
				tr.voted.Add(1)
			}
		}(n)
	}
}

func (w *world) head(t *testing.T) int64 {
	t.Helper()
	var seq int64
	if err := w.db.Get(&seq, `SELECT coalesce(max(seq), 0) FROM events WHERE channel = $1`, w.channel); err != nil {
		t.Fatal(err)
	}
	return seq
}

// converge waits until every client holds every event up to the head, then
// checks order, gaps and duplicates. Writes still in flight and coalesced
// vote events (≤ 250 ms) may add events after traffic stops, so the head
// must hold still for a moment before it counts as final. It returns how
// long convergence took.
func (w *world) converge(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.Now().Add(within)
	var head int64
	for {
		head = w.head(t)
		behind := 0
		for _, cl := range w.clients {
			if _, last, _, _, _ := cl.snapshot(); last < head {
				behind++
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d clients still behind seq %d after %s", behind, len(w.clients), head, within)
		}
		if behind == 0 {
			time.Sleep(500 * time.Millisecond) // two vote-coalescing windows
			if w.head(t) == head {
				break
			}
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, cl := range w.clients {
		if p := cl.problems(head); p != "" {
			t.Fatalf("client %d: %s", i, p)
		}
	}
	return time.Since(start)
}

func (w *world) storedQuestions(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := w.db.Get(&n, `SELECT count(*) FROM questions WHERE talk_id = $1`, w.talk); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRedisOutage(t *testing.T) {
	w := newWorld(t, 3, 150, 300)
	var tr traffic
	stop := w.runInBackground(&tr, 8)
	time.Sleep(3 * time.Second)
	w.redis.Stop()
	outage := time.Now()
	askedBefore := tr.asked.Load()
	time.Sleep(10 * time.Second)
	askedDuring := tr.asked.Load() - askedBefore
	w.redis.Start()
	time.Sleep(3 * time.Second)
	stop()
	took := w.converge(t, 30*time.Second)
	stored := w.storedQuestions(t)
	if stored != tr.asked.Load() {
		t.Fatalf("%d questions accepted, %d stored", tr.asked.Load(), stored)
	}
	if askedDuring == 0 {
		t.Fatal("no question was accepted while Redis was down")
	}
	t.Logf("Redis down 10 s: %d clients on 3 instances, %d events each (seq %d), %d questions (%d during the outage) and %d votes accepted, %d writes failed; all clients complete, in order, no duplicates, %s after the last event (outage began %s before)",
		len(w.clients), w.head(t), w.head(t), tr.asked.Load(), askedDuring, tr.voted.Load(), tr.failed.Load(), took.Round(time.Millisecond), time.Since(outage).Round(time.Second))
}

func TestPostgresRestart(t *testing.T) {
	w := newWorld(t, 3, 60, 150)
	base := w.instances[0].url
	tok := w.tokens[0]
	post := func(key string) apiResult {
		return call(context.Background(), "POST", base+"/api/v1/talks/"+itoa(w.talk)+"/questions", tok,
			map[string]any{"body": "asked across a database restart", "anonymous": false}, map[string]string{"Idempotency-Key": key})
	}
	w.pg.Stop()
	// Writes during the gap: 503 with Retry-After, quickly; readiness is 503.
	var slowest time.Duration
	for i := 0; i < 5; i++ {
		r := post("restart-key")
		if r.status != 503 || r.retryAfter == "" {
			t.Fatalf("write while PostgreSQL is down: %d (Retry-After %q) %s", r.status, r.retryAfter, r.body)
		}
		if r.elapsed > slowest {
			slowest = r.elapsed
		}
	}
	if slowest > 2*time.Second {
		t.Fatalf("a write took %s to fail while PostgreSQL was down (limit 2 s)", slowest)
	}
	for _, in := range w.instances {
		if s := status(in.url + "/readyz"); s != 503 {
			t.Fatalf("%s /readyz = %d while PostgreSQL is down", in.name, s)
		}
	}
	downAt := time.Now()
	w.pg.Start()
	var readyAfter time.Duration
	waitFor(t, "readiness back", 30*time.Second, func() bool {
		for _, in := range w.instances {
			if status(in.url+"/readyz") != 200 {
				return false
			}
		}
		readyAfter = time.Since(downAt)
		return true
	})
	// The client retries with the same key: applied once, same answer.
	var first apiResult
	waitFor(t, "the retried write to succeed", 30*time.Second, func() bool {
		first = post("restart-key")
		return first.status == 201
	})
	again := post("restart-key")
	if again.status != 201 || string(again.body) != string(first.body) {
		t.Fatalf("replay: %d %s, first %s", again.status, again.body, first.body)
	}
	if n := w.storedQuestions(t); n != 1 {
		t.Fatalf("%d questions stored for one idempotent write", n)
	}
	// Live delivery still works after the restart.
	var tr traffic
	w.runFor(&tr, 5, 3*time.Second)
	took := w.converge(t, 30*time.Second)
	t.Logf("PostgreSQL restart: 5 writes during the gap got 503 + Retry-After, slowest %s; /readyz 503 on all 3 instances, green %s after restart began; idempotent retry applied once; %d clients converged in %s",
		slowest.Round(time.Millisecond), readyAfter.Round(time.Millisecond), len(w.clients), took.Round(time.Millisecond))
}

func TestSigtermMovesClientsToOtherInstances(t *testing.T) {
	w := newWorld(t, 3, 60, 300)
	var tr traffic
	stop := w.runInBackground(&tr, 5)
	time.Sleep(2 * time.Second)
	victim := w.instances[2]
	w.mu.Lock()
	w.down[victim] = true
	w.mu.Unlock()
	var onVictim []*liveClient
	for i, cl := range w.clients {
		if i%3 == 2 {
			onVictim = append(onVictim, cl)
		}
	}
	stoppedAt := time.Now()
	if err := w.sigterm(victim); err != nil {
		t.Fatalf("%s exit after SIGTERM: %v", victim.name, err)
	}
	time.Sleep(4 * time.Second)
	stop()
	took := w.converge(t, 30*time.Second)
	var times []time.Time
	for i, cl := range onVictim {
		_, _, recovered, codes, _ := cl.snapshot()
		if len(codes) == 0 || codes[0] != 1012 {
			t.Fatalf("client %d on the stopped instance got close codes %v, want 1012", i, codes)
		}
		if len(recovered) == 0 || !recovered[len(recovered)-1] {
			t.Fatalf("client %d did not recover: %v", i, recovered)
		}
		cl.mu.Lock()
		times = append(times, cl.reconnectAt...)
		cl.mu.Unlock()
	}
	// No thundering herd: no 100 ms window holds most of the reconnects.
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	peak := 0
	for i := range times {
		j := i
		for j < len(times) && times[j].Sub(times[i]) < 100*time.Millisecond {
			j++
		}
		peak = max(peak, j-i)
	}
	if len(times) < len(onVictim) || peak*2 > len(times) {
		t.Fatalf("%d reconnects, %d of them within one 100 ms window", len(times), peak)
	}
	spread := times[len(times)-1].Sub(times[0])
	t.Logf("SIGTERM: %s exited 0; its %d clients got 1012, reconnected to the other 2 over %s (busiest 100 ms window: %d), all recovered:true; every client complete in %s after traffic stopped (stop began %s earlier)",
		victim.name, len(onVictim), spread.Round(time.Millisecond), peak, took.Round(time.Millisecond), time.Since(stoppedAt).Round(time.Second))
}

func TestMassReconnect(t *testing.T) {
	const n = 5000
	w := newWorld(t, 3, 20, n)
	var tr traffic
	w.runFor(&tr, 5, 3*time.Second)
	w.converge(t, 60*time.Second)
	var before int64
	_ = w.db.Get(&before, `SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database`)
	// Every client drops at once; then questions keep coming while they return.
	start := time.Now()
	for _, cl := range w.clients {
		cl.dropConnection()
	}
	w.runFor(&tr, 5, 3*time.Second)
	took := w.converge(t, 60*time.Second)
	var after int64
	_ = w.db.Get(&after, `SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database`)
	notRecovered := 0
	for _, cl := range w.clients {
		_, _, rec, _, _ := cl.snapshot()
		if len(rec) == 0 || !rec[len(rec)-1] {
			notRecovered++
		}
	}
	if notRecovered > 0 {
		t.Fatalf("%d of %d clients did not recover", notRecovered, n)
	}
	t.Logf("mass reconnect: %d clients dropped at once, all resubscribed with since and recovered:true, complete %s after the drop; %d database transactions meanwhile (%.2f per client)",
		n, time.Since(start).Round(time.Millisecond), after-before, float64(after-before)/n)
	_ = took
}
