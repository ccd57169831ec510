package registrations_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// BenchmarkRegistrationsHotTalk measures registrations per second on one
// talk through the HTTP API: a real listener, 64 concurrent net/http clients
// with keep-alive, b.N distinct users (each registration is new: 201), the
// first 1,000 confirmed and the rest waitlisted. Every registration needs the
// same talk row lock, so this is the worst case for contention; the talk's
// batcher takes it once per batch of the registrations queued meanwhile.
// Two shapes of request, one path: "keyed" is the web app's (a new
// Idempotency-Key on every POST: the batch is a transaction that stores the
// keys with their answers), "unkeyed" an API client's without the header.
//
//	go test -run '^$' -bench 'RegistrationsHotTalk$' -benchtime 8000x ./server/registrations/
//
// Compare with pgbench on the same PostgreSQL, a one-row insert per
// transaction with 64 clients, alternating: scripts/bench-registrations.sh.
//
// Measured 2026-11-27 on the 2-CPU box (busy: pgbench ranged 11,900–16,500
// tps), medians of 5 alternating runs, unkeyed: 7,130 regs/s against
// pgbench's 15,190 tps (ratio 0.47); a later series of 5 gave 6,345 against
// 9,630 (0.66). Each request costs about 120 µs of the test process's CPU
// (half of it the net/http client) and 100 µs of PostgreSQL's: one share
// of a grouped session lookup (accounts' sessionLoader) and one share of a
// registration batch. Before the session lookups were grouped and the
// batch's check for existing registrations became a primary-key probe per
// user (it used to scan all of the hot talk's registrations), the same
// script gave 3,900 against 11,300 (0.34) that morning, and 8,300 against
// 33,100 (0.25) on a quieter day. The batcher alone
// (BenchmarkRegistrationsHotTalkBatcher, no HTTP) sustains 13,000–17,000
// regs/s.
//
// Measured 2026-12-01 on the same box, shared and busy (pgbench 19,000–
// 32,000 tps), medians of 5 alternating runs: unkeyed 6,510 and keyed 5,148
// regs/s against pgbench's 22,119 tps (ratios 0.29 and 0.23). Before the
// keyed shape went through the batch (a single-row path in its own
// transaction per request), the same script (medians of 3) gave unkeyed 6,683 and keyed
// 486 (0.31 and 0.02). A keyed batch is a transaction: BEGIN, the batch,
// the keys, COMMIT, one after the other for the talk; looking the keys up
// first instead cost a statement per request (about 250 µs of PostgreSQL's
// CPU each: keyed ran at half the unkeyed rate), or one more round trip per
// batch. Committing the batch off the talk's loop (the next batch starting
// meanwhile) and preparing the keys' statement were measured too and gave
// nothing.
//
// The pool keeps all of its 40 connections (production: 40 open, 20 idle)
// idle so that the numbers measure the registration, not connection churn.
func BenchmarkRegistrationsHotTalk(b *testing.B) {
	b.Run("unkeyed", func(b *testing.B) { benchHotTalk(b, false) })
	b.Run("keyed", func(b *testing.B) { benchHotTalk(b, true) })
}

func benchHotTalk(b *testing.B, keyed bool) {
	env := testserver.New(b)
	env.DB.SetMaxOpenConns(40)
	env.DB.SetMaxIdleConns(40)
	c := newClient(env)
	mod := env.NewUser("moderator")
	tk := testserver.NewTalk(b, env, mod.Token, map[string]any{"capacity": 1000, "title": "Hot talk"})
	us := users(b, env, b.N)
	path := fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID)
	hammer(b, len(us), func(i int) error {
		var header map[string]string
		if keyed {
			header = map[string]string{"Idempotency-Key": fmt.Sprintf("bench-%d", i)}
		}
		if r := c.do("POST", path, us[i].Token, header); r.err != nil || r.status != 201 {
			return fmt.Errorf("%d %v %s", r.status, r.err, r.body)
		}
		return nil
	})
	checkBenchCounts(b, env, tk.ID)
}

// hammer calls do(0), …, do(n-1) from 64 goroutines, reports their rate as
// regs/s and fails the benchmark when a call fails.
func hammer(b *testing.B, n int, do func(i int) error) {
	const clients = 64
	var next, failed atomic.Int64
	var firstErr atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := do(i); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d registrations failed; first: %v", n, firstErr.Load())
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "regs/s")
}

// checkBenchCounts: every registration of the benchmark is there, within
// capacity.
func checkBenchCounts(b *testing.B, env *testserver.Env, talkID int64) {
	if conf, wait, _, _ := counts(b, env, talkID); conf+wait != b.N || conf > 1000 {
		b.Fatalf("%d confirmed + %d waitlisted, want %d", conf, wait, b.N)
	}
}

// BenchmarkRegistrationsHotTalkBatcher is BenchmarkRegistrationsHotTalk
// without HTTP and sessions: 64 goroutines call the talk's batcher directly,
// which shows what the batches themselves sustain.
//
//	go test -run '^$' -bench RegistrationsHotTalkBatcher -benchtime 20000x ./server/registrations/
func BenchmarkRegistrationsHotTalkBatcher(b *testing.B) {
	env := testserver.New(b)
	env.DB.SetMaxOpenConns(40)
	env.DB.SetMaxIdleConns(40)
	mod := env.NewUser("moderator")
	tk := testserver.NewTalk(b, env, mod.Token, map[string]any{"capacity": 1000, "title": "Hot talk"})
	var ids []int64
	if err := env.DB.Select(&ids, `INSERT INTO users (email, display_name, password_hash)
		SELECT 'bench' || g || '@example.org', 'Bench ' || g, 'x' FROM generate_series(1, $1) g RETURNING id`, b.N); err != nil {
		b.Fatal(err)
	}
	bt := registrations.NewBatcher(env.DB, registrations.DefaultBatchSize, 5*time.Second)
	hammer(b, len(ids), func(i int) error {
		if r, err := bt.Register(context.Background(), tk.ID, ids[i], nil); err != nil || !r.Created {
			return fmt.Errorf("%+v %v", r, err)
		}
		return nil
	})
	checkBenchCounts(b, env, tk.ID)
}
