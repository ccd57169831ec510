package realtime

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// testBroker is the contract every Broker implementation must pass (see the
// guarantees in broker.go).
func testBroker(t *testing.T, newBroker func(t *testing.T) Broker) {
	t.Run("DeliversToEverySubscriberInOrder", func(t *testing.T) {
		t.Parallel()
		b := newBroker(t)
		const n = 500
		subs := []*recorder{startSub(t, b), startSub(t, b), startSub(t, b)}
		for _, s := range subs {
			s.waitHealthy(t)
		}
		buf := make([]byte, 0, 16)
		for i := 1; i <= n; i++ {
			buf = strconv.AppendInt(buf[:0], int64(i), 10)
			if err := b.Publish(context.Background(), "ev:talk:1", buf); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
			buf[0] = 'x' // the broker must not keep the publisher's buffer
		}
		for _, s := range subs {
			got := s.waitN(t, n)
			for i, m := range got[:n] {
				if m.topic != "ev:talk:1" || m.payload != strconv.Itoa(i+1) {
					t.Fatalf("message %d = %q %q, want ev:talk:1 %d", i, m.topic, m.payload, i+1)
				}
			}
		}
	})
	t.Run("TopicsKeptApart", func(t *testing.T) {
		t.Parallel()
		b := newBroker(t)
		s := startSub(t, b)
		s.waitHealthy(t)
		for i := 0; i < 10; i++ {
			topic := "ev:talk:" + strconv.Itoa(1+i%2)
			if err := b.Publish(context.Background(), topic, []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Publish(context.Background(), "ctl", []byte("disconnect:1")); err != nil {
			t.Fatal(err)
		}
		got := s.waitN(t, 11)
		last := map[string]int{}
		for _, m := range got[:10] {
			v, _ := strconv.Atoi(m.payload)
			if prev, ok := last[m.topic]; ok && v <= prev {
				t.Fatalf("topic %s out of order: %d after %d", m.topic, v, prev)
			}
			if want := "ev:talk:" + strconv.Itoa(1+v%2); m.topic != want {
				t.Fatalf("payload %d on %s, want %s", v, m.topic, want)
			}
			last[m.topic] = v
		}
		if got[10].topic != "ctl" || got[10].payload != "disconnect:1" {
			t.Fatalf("control message = %+v", got[10])
		}
	})
	t.Run("ConcurrentPublishers", func(t *testing.T) {
		t.Parallel()
		b := newBroker(t)
		s := startSub(t, b)
		s.waitHealthy(t)
		const pubs, each = 4, 100
		var wg sync.WaitGroup
		for p := 0; p < pubs; p++ {
			wg.Go(func() {
				for i := 0; i < each; i++ {
					if err := b.Publish(context.Background(), "ev:talk:9", []byte(fmt.Sprintf("%d:%d", p, i))); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		got := s.waitN(t, pubs*each)
		next := make([]int, pubs)
		for _, m := range got {
			var p, i int
			fmt.Sscanf(m.payload, "%d:%d", &p, &i)
			if i != next[p] {
				t.Fatalf("publisher %d: got %d, want %d (per-publisher order)", p, i, next[p])
			}
			next[p]++
		}
	})
	t.Run("SubscribeEndsWithContext", func(t *testing.T) {
		t.Parallel()
		b := newBroker(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		healthy := make(chan struct{}, 1)
		go func() {
			done <- b.Subscribe(ctx, func(string, []byte) {}, func(ok bool) {
				if ok {
					select {
					case healthy <- struct{}{}:
					default:
					}
				}
			})
		}()
		select {
		case <-healthy:
		case <-time.After(5 * time.Second):
			t.Fatal("never healthy")
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Subscribe returned %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Subscribe did not return after cancel")
		}
	})
}

type brokerMsg struct{ topic, payload string }

type recorder struct {
	mu      sync.Mutex
	msgs    []brokerMsg
	healthy bool
	changed chan struct{}
}

func startSub(t *testing.T, b Broker) *recorder {
	r := &recorder{changed: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.Subscribe(ctx, func(topic string, payload []byte) {
			r.mu.Lock()
			r.msgs = append(r.msgs, brokerMsg{topic, string(payload)})
			r.mu.Unlock()
			r.poke()
		}, func(ok bool) {
			r.mu.Lock()
			r.healthy = ok
			r.mu.Unlock()
			r.poke()
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func (r *recorder) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *recorder) waitHealthy(t *testing.T) {
	t.Helper()
	r.wait(t, "healthy", func() bool { return r.healthy })
}

func (r *recorder) waitN(t *testing.T, n int) []brokerMsg {
	t.Helper()
	r.wait(t, fmt.Sprintf("%d messages", n), func() bool { return len(r.msgs) >= n })
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]brokerMsg(nil), r.msgs...)
}

func TestMemoryBroker(t *testing.T) {
	t.Parallel()
	testBroker(t, func(*testing.T) Broker { return NewMemoryBroker() })
}

func TestRedisBroker(t *testing.T) {
	t.Parallel()
	testBroker(t, func(t *testing.T) Broker {
		rdb, prefix := testdb.Redis(t)
		return NewRedisBroker(rdb, prefix, nil)
	})
}

// TestRedisBrokerPrefixIsolation: brokers with different prefixes on one
// Redis do not see each other's messages.
func TestRedisBrokerPrefixIsolation(t *testing.T) {
	t.Parallel()
	rdb, prefix := testdb.Redis(t)
	a := NewRedisBroker(rdb, prefix+"a:", nil)
	b := NewRedisBroker(rdb, prefix+"b:", nil)
	ra, rb := startSub(t, a), startSub(t, b)
	ra.waitHealthy(t)
	rb.waitHealthy(t)
	if err := a.Publish(context.Background(), "ev:talk:1", []byte("for a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), "ev:talk:1", []byte("for b")); err != nil {
		t.Fatal(err)
	}
	ga, gb := ra.waitN(t, 1), rb.waitN(t, 1)
	if len(ga) != 1 || ga[0].payload != "for a" || len(gb) != 1 || gb[0].payload != "for b" {
		t.Fatalf("a got %v, b got %v", ga, gb)
	}
}

// TestRedisBrokerReconnects verifies that go-redis resubscribes by itself
// after Redis restarts, and that the broker reports the outage and the
// recovery through onHealth.
func TestRedisBrokerReconnects(t *testing.T) {
	t.Parallel()
	srv := testdb.StartRedisServer(t)
	b := NewRedisBroker(srv.Client(), "t:", nil)
	b.pingEvery = 100 * time.Millisecond
	r := startSub(t, b)
	r.waitHealthy(t)
	if err := b.Publish(context.Background(), "ev:talk:1", []byte("before")); err != nil {
		t.Fatal(err)
	}
	r.waitN(t, 1)

	srv.Stop()
	r.wait(t, "unhealthy", func() bool { return !r.healthy })
	if err := b.Publish(context.Background(), "ev:talk:1", []byte("lost")); err == nil {
		t.Fatal("publish while Redis is down succeeded")
	}
	srv.Start()
	r.waitHealthy(t)
	// The healthy report follows the psubscribe confirmation, so this
	// publish reaches the resubscribed connection.
	if err := b.Publish(context.Background(), "ev:talk:1", []byte("after")); err != nil {
		t.Fatal(err)
	}
	got := r.waitN(t, 2)
	if got[1].payload != "after" {
		t.Fatalf("after restart got %v", got)
	}
}
