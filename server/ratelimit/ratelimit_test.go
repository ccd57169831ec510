package ratelimit_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/hubtalks/hubtalks/migrations/testdb"
	"github.com/hubtalks/hubtalks/server/ratelimit"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Two instances sharing Redis share one budget.
func TestRedisBudgetIsSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	rdb, prefix := testdb.Redis(t)
	a := ratelimit.NewRedis(rdb, prefix, quiet, nil)
	b := ratelimit.NewRedis(rdb, prefix, quiet, nil)
	ctx := context.Background()
	allowed := 0
	for i := 0; i < 10; i++ {
		l := a
		if i%2 == 1 {
			l = b
		}
		if ok, _ := l.Allow(ctx, "login:ip:192.0.2.1", 6, time.Minute); ok {
			allowed++
		}
	}
	if allowed != 6 {
		t.Fatalf("two instances allowed %d hits, want 6 (one shared budget)", allowed)
	}
	ok, retry := b.Allow(ctx, "login:ip:192.0.2.1", 6, time.Minute)
	if ok || retry <= 0 || retry > time.Minute {
		t.Fatalf("over the budget: ok=%v retry=%s", ok, retry)
	}
	if over, _ := a.Peek(ctx, "login:ip:192.0.2.1", 6); !over {
		t.Fatal("Peek does not see the shared count")
	}
	a.Reset(ctx, "login:ip:192.0.2.1")
	if ok, _ := b.Allow(ctx, "login:ip:192.0.2.1", 6, time.Minute); !ok {
		t.Fatal("Reset on one instance did not clear the shared count")
	}
}

// With Redis down, requests are let through, counted by the metric.
func TestRedisDownFailsOpen(t *testing.T) {
	t.Parallel()
	addr := testdb.UnreachableAddr(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	failOpen := prometheus.NewCounter(prometheus.CounterOpts{Name: "fail_open_total", Help: "test"})
	l := ratelimit.NewRedis(rdb, "t:", quiet, failOpen)
	for i := 0; i < 5; i++ {
		if ok, _ := l.Allow(context.Background(), "k", 1, time.Minute); !ok {
			t.Fatalf("hit %d refused while Redis is down", i)
		}
	}
	var m dto.Metric
	if err := failOpen.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 5 {
		t.Fatalf("fail-open metric %v, want 5", got)
	}
}

func TestMemoryWindow(t *testing.T) {
	t.Parallel()
	m := ratelimit.NewMemory()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _ := m.Allow(ctx, "k", 3, 50*time.Millisecond); !ok {
			t.Fatalf("hit %d refused", i)
		}
	}
	if ok, retry := m.Allow(ctx, "k", 3, 50*time.Millisecond); ok || retry <= 0 {
		t.Fatalf("4th hit: ok=%v retry=%s", ok, retry)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ok, _ := m.Allow(ctx, "k", 3, 50*time.Millisecond); ok {
			break // a new window
		}
		if time.Now().After(deadline) {
			t.Fatal("the window never ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
