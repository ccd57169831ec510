package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// Benchmarks of the hub alone: no network, no database, no broker
// subscription. Subscribers are in-memory sinks.
//
//	go test -run '^$' -bench Hub -benchtime 2000x ./realtime/

// benchHub returns a hub with n subscribers on talk:1 (created through
// acquire/join, as ServeConn would).
func benchHub(b *testing.B, n int, tr func() transport) (*Hub, []*client) {
	b.Helper()
	h := NewHub(HubConfig{SendQueueMessages: 1 << 16, SendQueueBytes: 1 << 30})
	b.Cleanup(h.cancel)
	clients := make([]*client, n)
	for i := range clients {
		var t transport
		if tr != nil {
			t = tr()
		}
		c := newClient(h, Principal{}, t)
		if t == nil {
			c.writing = true // the benchmark drains the queue itself: no writer goroutine
		}
		ch, err := h.acquire(context.Background(), "talk:1")
		if err != nil {
			b.Fatal(err)
		}
		if err := h.join(ch, &sub{c: c}, nil); err != nil {
			b.Fatal(err)
		}
		c.take() // the subscribed frame
		clients[i] = c
	}
	return h, clients
}

var benchData = []byte(`{"id":123,"talk_id":1,"body":"How does the hub keep every seq in order across instances?","author":{"id":7,"display_name":"Ada"},"anonymous":false,"status":"approved","pinned":false,"votes":0,"voted":false,"answers":[],"created_at":"2026-11-27T10:00:00.123Z","updated_at":"2026-11-27T10:00:00.123Z"}`)

// BenchmarkHubFanout measures Publish → every subscriber's queue, with the
// queues drained in place (a writer that costs nothing). It reports
// deliveries/s and allocations per delivery; the allocations are all per
// event (encoding once, the broker payload), none per subscriber.
func BenchmarkHubFanout(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			h, clients := benchHub(b, n, nil)
			mallocs := measureFanout(b, h, func() {
				for _, c := range clients {
					c.giveBack(c.take())
				}
			}, func() int64 { return int64(b.N) * int64(n) })
			b.ReportMetric(float64(mallocs)/float64(b.N), "allocs/event")
		})
	}
}

// measureFanout publishes b.N events on talk:1, calling afterEach after
// each, and reports deliveries/s and allocations per delivery; delivered
// returns (once they are all made) how many deliveries the events made.
// It returns the allocations counted.
func measureFanout(b *testing.B, h *Hub, afterEach func(), delivered func() int64) uint64 {
	at := time.Now()
	ctx := context.Background()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		h.Publish(ctx, Event{Channel: "talk:1", Seq: int64(i + 1), Type: "question.created", At: at, Data: benchData})
		afterEach()
		if i%4096 == 0 {
			drainPubq(h)
		}
	}
	deliveries := float64(delivered())
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(deliveries/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/deliveries, "allocs/delivery")
	return ms1.Mallocs - ms0.Mallocs
}

func drainPubq(h *Hub) {
	for {
		select {
		case <-h.pubq:
		default:
			return
		}
	}
}

// BenchmarkHubFanoutWriters is the same with one real writer goroutine per
// subscriber at a time (the production writeLoop, started on demand) writing
// to a transport that discards: it includes the wake-ups and the queue
// hand-over. Starting a writer for an idle connection costs one 16-byte
// allocation (the go statement's closure), so allocs/delivery here is at
// most 1 and falls as frames queue up behind a running writer; that is the
// price of not keeping a parked goroutine (several KiB) per idle connection.
func BenchmarkHubFanoutWriters(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			var written atomic.Int64
			h, clients := benchHub(b, n, func() transport { return newDiscard(&written) })
			b.Cleanup(func() {
				for _, c := range clients {
					c.close(DisconnectShutdown)
					c.writers.Wait()
				}
			})
			measureFanout(b, h, func() {}, func() int64 {
				want := int64(b.N) * int64(n)
				for written.Load() < want {
					runtime.Gosched()
				}
				return want
			})
			if d := metricValue(h.m.slowDrops); d > 0 {
				b.Fatalf("%v slow drops", d)
			}
		})
	}
}

type discard struct {
	n  *atomic.Int64
	nc net.Conn
}

func newDiscard(n *atomic.Int64) *discard {
	a, _ := net.Pipe()
	return &discard{n: n, nc: a}
}

func (d *discard) ReadMessage() (int, []byte, error)         { select {} }
func (d *discard) WriteMessage(int, []byte) error            { d.n.Add(1); return nil }
func (d *discard) WriteControl(int, []byte, time.Time) error { return nil }
func (d *discard) SetReadDeadline(time.Time) error           { return nil }
func (d *discard) SetWriteDeadline(time.Time) error          { return nil }
func (d *discard) SetReadLimit(int64)                        {}
func (d *discard) SetPongHandler(func(string) error)         {}
func (d *discard) SetPingHandler(func(string) error)         {}
func (d *discard) NetConn() net.Conn                         { return d.nc }

// BenchmarkRedaction measures what rewriting the log costs on a channel of
// 10,000 events (1,000 questions with 10 events each, the person named in
// 100 of them, plus 10,000 events on other channels): restating one
// question (its 10 events, as a dismissal does) and renaming one person
// (as an erasure does), each in its own committed transaction.
//
//	go test -run '^$' -bench Redaction -benchtime 200x ./realtime/
func BenchmarkRedaction(b *testing.B) {
	db := newDB(b)
	l := NewLog(db)
	ctx := context.Background()
	fill := func(channel string, person int64) {
		inTx(b, db, func(tx *sqlx.Tx) error {
			for i := 0; i < 10000; i++ {
				q := i / 10
				author := map[string]any{"id": 1000 + q%50, "display_name": "Someone"}
				if q%100 == 7 {
					author = map[string]any{"id": person, "display_name": "Erasable Person"}
				}
				data := map[string]any{"id": q, "body": strings.Repeat("words ", 40), "author": author, "votes": i}
				if _, err := l.Append(ctx, tx, channel, "question.updated", fmt.Sprintf("question:%d", q), data); err != nil {
					return err
				}
			}
			return nil
		})
	}
	fill("talk:1", 42)
	fill("talk:2", 43)
	if _, err := db.Exec(`ANALYZE events`); err != nil {
		b.Fatal(err)
	}
	b.Run("restate-one-question", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			q := i % 1000
			inTx(b, db, func(tx *sqlx.Tx) error {
				_, _, err := l.Restate(ctx, tx, "talk:1", []Restatement{{Subject: fmt.Sprintf("question:%d", q),
					Type: "question.removed", Data: map[string]int{"id": q + i}}})
				return err
			})
		}
	})
	b.Run("rename-person-100-events", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			inTx(b, db, func(tx *sqlx.Tx) error {
				reds, err := l.RenamePerson(ctx, tx, 42, fmt.Sprintf("Former participant %d", i))
				if err == nil && len(reds) != 1 {
					err = fmt.Errorf("renamed on %d channels", len(reds))
				}
				return err
			})
		}
	})
}

// BenchmarkAppendStaffAndPublic: one event to a talk's staff and public
// channels per transaction, as two statements (Append twice) or one
// (AppendAll).
func BenchmarkAppendStaffAndPublic(b *testing.B) {
	db := newDB(b)
	l := NewLog(db)
	data := json.RawMessage(`{"id":1,"body":"How do you keep FHIR profiles in sync across countries?","votes":0}`)
	for _, mode := range []string{"two-statements", "one-statement"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "one-statement" {
					_, err = l.AppendAll(ctx, tx, []Draft{{Channel: "talk:5:staff", Type: "question.created", Subject: "question:1", Data: data},
						{Channel: "talk:5", Type: "question.created", Subject: "question:1", Data: data}})
				} else if _, err = l.Append(ctx, tx, "talk:5:staff", "question.created", "question:1", data); err == nil {
					_, err = l.Append(ctx, tx, "talk:5", "question.created", "question:1", data)
				}
				if err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
