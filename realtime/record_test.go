package realtime

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// appendSized appends n events to channel, each about subject
// "question:{i}" with a body of size bytes naming it ("secret-{i}").
func appendSized(t testing.TB, in *instance, channel string, from, n, size int) {
	t.Helper()
	pad := strings.Repeat("x", size)
	inTx(t, in.db, func(tx *sqlx.Tx) error {
		for i := from; i < from+n; i++ {
			data := map[string]any{"id": i, "body": fmt.Sprintf("secret-%d %s", i, pad)}
			if _, err := in.log.Append(context.Background(), tx, channel, "question.created", fmt.Sprintf("question:%d", i), data); err != nil {
				return err
			}
		}
		return nil
	})
}

// restate rewrites question:{id} on channel into question.removed, as the
// server does when a question is dismissed, and returns the redaction.
func restate(t testing.TB, in *instance, channel string, id int) Redaction {
	t.Helper()
	var red Redaction
	inTx(t, in.db, func(tx *sqlx.Tx) error {
		var changed bool
		var err error
		red, changed, err = in.log.Restate(context.Background(), tx, channel, []Restatement{{
			Subject: fmt.Sprintf("question:%d", id), Type: "question.removed", Data: map[string]int{"id": id}}})
		if err != nil || !changed {
			t.Fatalf("restate: changed %v, %v", changed, err)
		}
		return nil
	})
	return red
}

// replayAll subscribes a fresh client with since and returns the replayed
// frames (up to the subscribed frame) as text, checking seqs 1..head.
func replayAll(t testing.TB, in *instance, channel string, head int64) string {
	t.Helper()
	c := dial(t, in.url)
	c.subscribe(channel, i64(0))
	fs := c.waitUntil("replay", func(fs []wireFrame, _ error) bool {
		for _, f := range fs {
			if f.Op == "subscribed" {
				return true
			}
		}
		return false
	})
	var b strings.Builder
	var seqs []int64
	for _, f := range fs {
		if f.Op == "subscribed" {
			if f.Recovered == nil || !*f.Recovered {
				t.Fatalf("replay not recovered: %s", f.raw)
			}
			break
		}
		b.WriteString(f.raw)
		seqs = append(seqs, f.Seq)
	}
	checkContiguous(t, "replay", seqs, 1, head)
	c.conn.Close()
	return b.String()
}

// TestReplayAfterRestateAcrossInstances: a rewrite of stored events reaches
// the replay of both instances, whether the other instance learns it from
// the broker or, when that message is lost, from its log poll; the cached
// frames of the old form are never replayed again.
func TestReplayAfterRestateAcrossInstances(t *testing.T) {
	t.Parallel()
	a, b := twoInstancesEach(t, nil, func(c *HubConfig) { c.PollHealthy = 200 * time.Millisecond })
	appendSized(t, a, "talk:1", 1, 20, 10)

	// b caches the channel: a live subscriber, and a replay that fills the cache.
	watcher := dial(t, b.url)
	watcher.subscribe("talk:1", i64(0))
	watcher.waitSeq("talk:1", 20)
	if s := replayAll(t, b, "talk:1", 20); !strings.Contains(s, "secret-7 ") {
		t.Fatalf("replay before the rewrite lacks its text: %.200s", s)
	}

	// Through the broker: a publishes the redaction.
	a.hub.Redacted(restate(t, a, "talk:1", 7))
	waitFor(t, "b's replay without question 7", func() bool {
		return !strings.Contains(replayAll(t, b, "talk:1", 20), "secret-7 ")
	})
	if s := replayAll(t, a, "talk:1", 20); strings.Contains(s, "secret-7 ") || !strings.Contains(s, `"type":"question.removed"`) {
		t.Fatalf("a's replay after the rewrite: %.300s", s)
	}

	// The broker message lost: b catches up by polling the log.
	a.hub.applyRedaction(restate(t, a, "talk:1", 9))
	waitFor(t, "b's replay without question 9 (poll)", func() bool {
		return !strings.Contains(replayAll(t, b, "talk:1", 20), "secret-9 ")
	})
}

// TestReplayPagesThroughTheSendBudget: a replay much larger than the send
// budget reaches a reading client whole and in order, with live events
// published meanwhile following without gap or duplicate.
func TestReplayPagesThroughTheSendBudget(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	in := newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) {
		c.SendQueueBytes = 32 << 10
		c.ReplayPage = 50
		c.CacheSize = 64
	}})
	appendSized(t, in, "talk:2", 1, 1500, 600) // ~1 MB: 30 times the budget
	c := dial(t, in.url)
	c.subscribe("talk:2", i64(0))
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := 0; i < 100; i++ {
			in.publish(t, "talk:2", 1)
		}
	}()
	<-published
	fs := c.waitSeq("talk:2", 1600)
	checkContiguous(t, "replay then live", eventSeqs(fs, "talk:2"), 1, 1600)
	if f := c.waitOp("subscribed", "talk:2"); f.Recovered == nil || !*f.Recovered {
		t.Fatalf("subscribed = %s", f.raw)
	}
}

// TestReplayToANonReadingClientIsBounded: a client that never reads and
// churns since:0 subscriptions on a channel of 3,000 long events holds at
// most about its send budget on the server, is refused past the subscribe
// rate, and is closed once a write blocks for WriteTimeout.
func TestReplayToANonReadingClientIsBounded(t *testing.T) {
	db := newDB(t)
	in := newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) { c.WriteTimeout = 2 * time.Second }})
	appendSized(t, in, "talk:3", 1, 3000, 4000) // 12 MB of events
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// A raw client with a tiny receive buffer that never reads.
	dialer := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		conn, err := net.Dial(network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return conn, err
	}}
	conn, _, err := dialer.Dial(in.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	churnUntil := time.Now().Add(6 * time.Second)
	sent := 0
	for time.Now().Before(churnUntil) {
		_ = conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if conn.WriteMessage(websocket.TextMessage, []byte(`{"op":"subscribe","channel":"talk:3","since":0}`)) != nil {
			break
		}
		_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"op":"unsubscribe","channel":"talk:3"}`))
		sent++
	}
	waitFor(t, "the non-reading client closed", func() bool { return connCount(in.hub) == 0 })
	close(stop)
	<-sampled
	growth := int64(peak.Load()) - int64(before.HeapAlloc)
	t.Logf("%d subscribe/unsubscribe pairs sent; peak heap growth %.1f MiB", sent, float64(growth)/(1<<20))
	// The send budget is 1 MiB, plus the batch being written and one page
	// of the log read: everything else would be the replay piling up (12 MB
	// per subscribe before paging).
	if growth > 32<<20 {
		t.Fatalf("heap grew by %.1f MiB for one non-reading client", float64(growth)/(1<<20))
	}
}

func connCount(h *Hub) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// TestSubscribeChurnIsRateLimited: subscription changes past the burst get
// rate_limited error frames.
func TestSubscribeChurnIsRateLimited(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	in := newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) { c.SubscribeBurst = 4; c.SubscribeRate = 0.5 }})
	c := dial(t, in.url)
	for i := 0; i < 4; i++ {
		c.send(map[string]any{"op": "subscribe", "channel": fmt.Sprintf("talk:%d", 10+i)})
	}
	c.send(map[string]any{"op": "subscribe", "channel": "talk:20"})
	f := c.waitOp("error", "talk:20")
	if f.Code != CodeRateLimited {
		t.Fatalf("fifth subscribe: %s", f.raw)
	}
	for i := 0; i < 4; i++ {
		c.waitOp("subscribed", fmt.Sprintf("talk:%d", 10+i))
	}
}

// TestRecheckEndsSubscriptions: a subscription that stops being allowed
// ends with a forbidden error frame, at once on Recheck (on the other
// instance too, through the broker) and otherwise at the periodic recheck;
// the connection and its other subscriptions stay.
func TestRecheckEndsSubscriptions(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	rdb, prefix := testdb.Redis(t)
	var banned atomic.Value
	banned.Store("")
	auth := func(_ context.Context, p Principal, channel string) error {
		if channel == banned.Load().(string) {
			return fmt.Errorf("gone: %w", ErrForbidden)
		}
		return nil
	}
	a := newInstance(t, db, instanceOpts{rdb: rdb, prefix: prefix, tweak: func(c *HubConfig) { c.Authorize = auth; c.RecheckEvery = time.Hour }})
	b := newInstance(t, db, instanceOpts{rdb: rdb, prefix: prefix, tweak: func(c *HubConfig) { c.Authorize = auth; c.RecheckEvery = time.Hour }})
	periodic := newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) { c.Authorize = auth; c.RecheckEvery = 100 * time.Millisecond }})

	onB := dial(t, b.url)
	onB.subscribe("talk:30", nil)
	onB.subscribe("talk:31", nil)
	onB.waitOp("subscribed", "talk:31")
	onPeriodic := dial(t, periodic.url)
	onPeriodic.subscribe("talk:30", nil)
	onPeriodic.waitOp("subscribed", "talk:30")

	banned.Store("talk:30")
	a.hub.Recheck("talk:30")
	if f := onB.waitOp("error", "talk:30"); f.Code != CodeForbidden {
		t.Fatalf("b: %s", f.raw)
	}
	if f := onPeriodic.waitOp("error", "talk:30"); f.Code != CodeForbidden {
		t.Fatalf("periodic: %s", f.raw)
	}
	// No more events of the revoked channel; the other one still flows.
	b.publish(t, "talk:30", 1)
	b.publish(t, "talk:31", 1)
	fs := onB.waitSeq("talk:31", 1)
	if seqs := eventSeqs(fs, "talk:30"); len(seqs) != 0 {
		t.Fatalf("revoked channel still delivered %v", seqs)
	}
	// Subscribing again is refused; the slot was freed.
	onB.subscribe("talk:30", nil)
	onB.waitUntil("second forbidden", func(fs []wireFrame, _ error) bool {
		n := 0
		for _, f := range fs {
			if f.Op == "error" && f.Channel == "talk:30" && f.Code == CodeForbidden {
				n++
			}
		}
		return n == 2
	})
}

// TestRetentionUpperBound: events older than MaxAge go even when they are
// among the newest of their channel.
func TestRetentionUpperBound(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	appendEvents(t, db, l, "talk:40", 10)
	if _, err := db.Exec(`UPDATE events SET created_at = now() - interval '8 days' WHERE channel = 'talk:40' AND seq <= 4`); err != nil {
		t.Fatal(err)
	}
	r := Retention{KeepAge: 24 * time.Hour, KeepEvents: 10000, MaxAge: 7 * 24 * time.Hour}
	if n, err := l.Prune(context.Background(), r); err != nil || n != 4 {
		t.Fatalf("prune = %d, %v; want the 4 events older than 7 days", n, err)
	}
	evs, err := l.Page(context.Background(), "talk:40", 0, 100)
	if err != nil || len(evs) != 6 || evs[0].Seq != 5 {
		t.Fatalf("left %d events from seq %v, %v", len(evs), evs, err)
	}
}
