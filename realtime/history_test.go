package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// historyTwin is one History with the writes its owner makes.
type historyTwin struct {
	name    string
	h       History
	append  func(channel, subject string, data any) Event
	restate func(channel string, rs []Restatement) (Redaction, bool)
	age     func(channel string, seq int64, by time.Duration)
}

func historyTwins(t *testing.T) []historyTwin {
	ctx := context.Background()
	db := newDB(t)
	log := NewLog(db)
	mem := NewMemoryHistory()
	return []historyTwin{
		{
			name: "postgres", h: log,
			append: func(channel, subject string, data any) Event {
				tx := db.MustBeginTx(ctx, nil)
				defer tx.Rollback() //nolint:errcheck
				ev, err := log.Append(ctx, tx, channel, "question.created", subject, data)
				if err != nil || tx.Commit() != nil {
					t.Fatalf("append: %v", err)
				}
				return ev
			},
			restate: func(channel string, rs []Restatement) (Redaction, bool) {
				tx := db.MustBeginTx(ctx, nil)
				defer tx.Rollback() //nolint:errcheck
				red, changed, err := log.Restate(ctx, tx, channel, rs)
				if err != nil || tx.Commit() != nil {
					t.Fatalf("restate: %v", err)
				}
				return red, changed
			},
			age: func(channel string, seq int64, by time.Duration) {
				db.MustExec(`UPDATE events SET created_at = created_at - make_interval(secs => $3) WHERE channel = $1 AND seq = $2`,
					channel, seq, by.Seconds())
			},
		},
		{
			name: "memory", h: mem,
			append: func(channel, subject string, data any) Event {
				ev, err := mem.Append(channel, "question.created", subject, data)
				if err != nil {
					t.Fatal(err)
				}
				return ev
			},
			restate: func(channel string, rs []Restatement) (Redaction, bool) {
				red, changed, err := mem.Restate(channel, rs)
				if err != nil {
					t.Fatal(err)
				}
				return red, changed
			},
			age: func(channel string, seq int64, by time.Duration) {
				mem.mu.Lock()
				defer mem.mu.Unlock()
				for i := range mem.channels[channel].events {
					if e := &mem.channels[channel].events[i]; e.Seq == seq {
						e.At = e.At.Add(-by)
					}
				}
			},
		},
	}
}

func seqsOf(evs []Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

// TestHistoryContract: both histories number, page, restate, report heads
// and prune the same way.
func TestHistoryContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tw := range historyTwins(t) {
		t.Run(tw.name, func(t *testing.T) {
			for i := 1; i <= 5; i++ {
				if ev := tw.append("talk:1", fmt.Sprintf("question:%d", i), map[string]int{"id": i}); ev.Seq != int64(i) {
					t.Fatalf("append %d: seq %d", i, ev.Seq)
				}
			}
			tw.append("talk:1:staff", "question:1", map[string]int{"id": 1})
			if ev := tw.append("talk:1:staff", "question:2", map[string]int{"id": 2}); ev.Seq != 2 {
				t.Fatalf("staff channel seq %d: channels share a counter", ev.Seq)
			}
			page, _ := tw.h.Page(ctx, "talk:1", 2, 2)
			checkContiguous(t, "page", seqsOf(page), 3, 4)
			rng, redactions, _ := tw.h.Range(ctx, "talk:1", 1, 4)
			checkContiguous(t, "range", seqsOf(rng), 2, 4)
			if redactions != 0 {
				t.Fatalf("redactions before any rewrite: %d", redactions)
			}
			head, tail, _ := tw.h.Tail(ctx, "talk:1", 3)
			if head.Seq != 5 {
				t.Fatalf("tail head %+v", head)
			}
			checkContiguous(t, "tail", seqsOf(tail), 3, 5)
			heads, _ := tw.h.Heads(ctx, []string{"talk:1", "talk:1:staff", "talk:9"})
			if len(heads) != 2 || heads["talk:1"].Seq != 5 || heads["talk:1:staff"].Seq != 2 {
				t.Fatalf("heads %+v", heads)
			}

			removed := Restatement{Subject: "question:2", Type: "question.removed", Data: map[string]int{"id": 2}}
			red, changed := tw.restate("talk:1", []Restatement{removed})
			if !changed || red.Count != 1 || red.Head != 5 || red.Channel != "talk:1" {
				t.Fatalf("restate: %+v %v", red, changed)
			}
			if _, again := tw.restate("talk:1", []Restatement{removed}); again {
				t.Fatal("restating to the same form changed something")
			}
			rng, redactions, _ = tw.h.Range(ctx, "talk:1", 1, 2)
			var data map[string]int
			if len(rng) != 1 || rng[0].Type != "question.removed" || json.Unmarshal(rng[0].Data, &data) != nil || data["id"] != 2 || redactions != 1 {
				t.Fatalf("after restate: %+v, redactions %d", rng, redactions)
			}
			if staff, _, _ := tw.h.Range(ctx, "talk:1:staff", 1, 2); staff[0].Type != "question.created" {
				t.Fatal("a restatement of one channel reached another")
			}

			// Older than MaxAge goes even among the newest; older than
			// KeepAge goes only outside the newest KeepEvents.
			tw.age("talk:1", 1, 8*24*time.Hour)
			tw.age("talk:1", 2, 8*24*time.Hour)
			tw.age("talk:1", 3, 2*24*time.Hour)
			r := Retention{KeepAge: 24 * time.Hour, KeepEvents: 10000, MaxAge: 7 * 24 * time.Hour}
			if n, err := tw.h.Prune(ctx, r); err != nil || n != 2 {
				t.Fatalf("prune past MaxAge: %d, %v", n, err)
			}
			r.KeepEvents = 2
			if n, err := tw.h.Prune(ctx, r); err != nil || n != 1 {
				t.Fatalf("prune outside the newest 2: %d, %v", n, err)
			}
			left, _ := tw.h.Page(ctx, "talk:1", 0, 100)
			checkContiguous(t, "left after pruning", seqsOf(left), 4, 5)
		})
	}
}
