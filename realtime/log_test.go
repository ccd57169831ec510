package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// appendEvents appends n events to channel, one transaction each, and
// returns them as committed.
func appendEvents(t testing.TB, db *sqlx.DB, l *Log, channel string, n int) []Event {
	t.Helper()
	out := make([]Event, 0, n)
	for i := 0; i < n; i++ {
		ev, err := appendOne(context.Background(), db, l, channel, map[string]any{"i": i, "body": "question"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// subjectOf names a test event's subject: question:{i} when data has an i.
func subjectOf(data any) string {
	if m, ok := data.(map[string]any); ok {
		if i, ok := m["i"].(int); ok {
			return fmt.Sprintf("question:%d", i)
		}
	}
	return "question:0"
}

func appendOne(ctx context.Context, db *sqlx.DB, l *Log, channel string, data any) (Event, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return Event{}, err
	}
	defer tx.Rollback() //nolint:errcheck
	ev, err := l.Append(ctx, tx, channel, "question.created", subjectOf(data), data)
	if err != nil {
		return Event{}, err
	}
	return ev, tx.Commit()
}

func TestLogAppendGapFreeUnderConcurrency(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	const writers, each = 20, 10
	writeConcurrently(t, db, writers, each, func(ctx context.Context, tx *sqlx.Tx, w, i int) (bool, func(), error) {
		_, err := l.Append(ctx, tx, "talk:1", "question.created", "question:1", map[string]int{"w": w})
		// Every third transaction rolls back: its seq must not leave a gap.
		return i%3 != 2, nil, err
	})
	evs, err := l.Page(context.Background(), "talk:1", 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	committed := writers * (each - each/3)
	if len(evs) != committed {
		t.Fatalf("got %d events, want %d", len(evs), committed)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: gap or duplicate", i, ev.Seq)
		}
	}
	h, tail, err := l.Tail(context.Background(), "talk:1", 5)
	if err != nil {
		t.Fatal(err)
	}
	head := h.Seq
	if head != int64(committed) || len(tail) != 5 || tail[4].Seq != head || tail[0].Seq != head-4 {
		t.Fatalf("Tail = %d %v", head, tail)
	}
	// Channels are independent.
	other := appendEvents(t, db, l, "talk:1:staff", 1)
	if other[0].Seq != 1 {
		t.Fatalf("first staff seq = %d", other[0].Seq)
	}
}

func TestLogAppendKeepsDataBytes(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	raw := json.RawMessage(`{"z":1,  "a":"<b>é</b>"}`)
	ev, err := appendOne(context.Background(), db, l, "talk:5", raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Page(context.Background(), "talk:5", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0].Data) != string(raw) || string(encodeEvent(got[0])) != string(encodeEvent(ev)) {
		t.Fatalf("replayed %s, live %s", encodeEvent(got[0]), encodeEvent(ev))
	}
	var f map[string]any
	if err := json.Unmarshal(encodeEvent(ev), &f); err != nil {
		t.Fatalf("frame is not JSON: %v", err)
	}
	if f["op"] != "event" || f["seq"].(float64) != 1 || f["type"] != "question.created" {
		t.Fatalf("frame = %v", f)
	}
	if _, err := appendOne(context.Background(), db, l, "talks:5", raw); !errors.Is(err, ErrBadChannel) {
		t.Fatalf("bad channel: err = %v", err)
	}
}

func TestLogPruneKeepsNewestAndRecent(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	appendEvents(t, db, l, "talk:1", 10)
	appendEvents(t, db, l, "talk:2", 2)
	// Everything is younger than an hour: nothing goes.
	if n, err := l.Prune(context.Background(), Retention{KeepAge: time.Hour, KeepEvents: 3, MaxAge: 24 * time.Hour}); err != nil || n != 0 {
		t.Fatalf("prune young = %d, %v", n, err)
	}
	// Old enough: keep the newest 3 of each channel.
	n, err := l.Prune(context.Background(), Retention{KeepEvents: 3, MaxAge: 24 * time.Hour})
	if err != nil || n != 7 {
		t.Fatalf("prune = %d, %v; want 7", n, err)
	}
	evs, _ := l.Page(context.Background(), "talk:1", 0, 100)
	if len(evs) != 3 || evs[0].Seq != 8 {
		t.Fatalf("talk:1 kept %v", evs)
	}
	evs, _ = l.Page(context.Background(), "talk:2", 0, 100)
	if len(evs) != 2 {
		t.Fatalf("talk:2 kept %v", evs)
	}
	// The counter is untouched: the next seq follows on.
	next := appendEvents(t, db, l, "talk:1", 1)
	if next[0].Seq != 11 {
		t.Fatalf("next seq after prune = %d", next[0].Seq)
	}
}

func TestParseChannel(t *testing.T) {
	for name, want := range map[string]bool{
		"talk:1": true, "talk:42:staff": true, "talk:0": false, "talk:01": false, "talk:": false,
		"talk:1:staf": false, "talk:-1": false, "talk:1 ": false, "talks:1": false, "talk:1:staff:x": false,
		"talk:9999999999999999999": false, "": false,
	} {
		if got := ValidChannel(name); got != want {
			t.Errorf("ValidChannel(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestLogAppendAllTwoChannelsAtOnce: events appended to a talk's staff and
// public channels in one statement, by concurrent writers that also append
// to one channel alone, keep both channels gap-free, and each comes back
// with the seq and data it was stored with.
func TestLogAppendAllTwoChannelsAtOnce(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	const writers, each = 8, 15
	var mu sync.Mutex
	returned := map[string]map[int64]string{"talk:9:staff": {}, "talk:9": {}}
	writeConcurrently(t, db, writers, each, func(ctx context.Context, tx *sqlx.Tx, w, i int) (bool, func(), error) {
		body := fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)
		var evs []Event
		var err error
		if i%4 == 3 { // now and then the public channel alone
			var ev Event
			ev, err = l.Append(ctx, tx, "talk:9", "question.voted", "question:1", json.RawMessage(body))
			evs = []Event{ev}
		} else {
			evs, err = l.AppendAll(ctx, tx, []Draft{
				{Channel: "talk:9:staff", Type: "question.created", Subject: "question:1", Data: json.RawMessage(body)},
				{Channel: "talk:9", Type: "question.created", Subject: "question:1", Data: json.RawMessage(body)},
			})
		}
		committed := func() {
			mu.Lock()
			for _, ev := range evs {
				returned[ev.Channel][ev.Seq] = string(ev.Data)
			}
			mu.Unlock()
		}
		// A rollback must not leave a gap in either channel.
		return i%5 != 4, committed, err
	})
	for channel, want := range returned {
		evs, err := l.Page(context.Background(), channel, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(want) || len(evs) == 0 {
			t.Fatalf("%s: %d events stored, %d committed", channel, len(evs), len(want))
		}
		for i, ev := range evs {
			if ev.Seq != int64(i+1) {
				t.Fatalf("%s: event %d has seq %d: gap or duplicate", channel, i, ev.Seq)
			}
			var got, sent any
			json.Unmarshal(ev.Data, &got)
			json.Unmarshal([]byte(want[ev.Seq]), &sent)
			if fmt.Sprint(got) != fmt.Sprint(sent) {
				t.Fatalf("%s seq %d: stored %s, returned %s", channel, ev.Seq, ev.Data, want[ev.Seq])
			}
		}
	}
	tx := db.MustBegin()
	defer tx.Rollback()
	_, err := l.AppendAll(context.Background(), tx, []Draft{
		{Channel: "talk:9", Type: "a", Subject: "question:1", Data: 1}, {Channel: "talk:9", Type: "b", Subject: "question:1", Data: 2}})
	if err == nil {
		t.Fatal("two events for one channel in one statement were taken")
	}
}

// TestAppendAllAlongWritesBothOrNeither: a change and its events in one
// statement. When the change has nothing to do (along returns no row) no
// event is stored and no seq is used; when it fails, neither is stored.
func TestAppendAllAlongWritesBothOrNeither(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := context.Background()
	l := NewLog(db)
	if _, err := db.Exec(`CREATE TABLE along_rows (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	insert := `along AS (INSERT INTO along_rows (id) SELECT CAST(:id AS int) WHERE CAST(:go AS boolean) RETURNING id)`
	drafts := []Draft{{Channel: "talk:7:staff", Type: "x.created", Subject: "x:1", Data: json.RawMessage(`{"n":1}`)},
		{Channel: "talk:7", Type: "x.created", Subject: "x:1", Data: json.RawMessage(`{"n":1}`)}}
	evs, err := l.AppendAllAlong(ctx, db, Along{CTEs: insert, Args: map[string]any{"id": 1, "go": false}}, drafts)
	if err != nil || len(evs) != 0 {
		t.Fatalf("nothing to do: %v, %v", evs, err)
	}
	if _, err := l.AppendAllAlong(ctx, db, Along{CTEs: insert, Args: map[string]any{"id": 1, "go": true}}, drafts); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendAllAlong(ctx, db, Along{CTEs: insert, Args: map[string]any{"id": 1, "go": true}}, drafts); err == nil {
		t.Fatal("a duplicate row was accepted")
	}
	evs, err = l.AppendAllAlong(ctx, db, Along{CTEs: insert, Args: map[string]any{"id": 2, "go": true}}, drafts)
	if err != nil || len(evs) != 2 || evs[0].Seq != 2 || evs[1].Seq != 2 || evs[1].Channel != "talk:7" || string(evs[1].Data) != `{"n":1}` {
		t.Fatalf("second write: %+v, %v", evs, err)
	}
	var rows, events int
	_ = db.Get(&rows, `SELECT count(*) FROM along_rows`)
	_ = db.Get(&events, `SELECT count(*) FROM events WHERE channel IN ('talk:7', 'talk:7:staff')`)
	if rows != 2 || events != 4 {
		t.Fatalf("%d rows and %d events, want 2 and 4", rows, events)
	}
}
