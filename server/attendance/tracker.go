package attendance

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/dbx"
)

// Rooms is what the tracker needs of the live hub: this instance's
// subscribers of public channels (realtime.Hub.Rooms).
type Rooms interface {
	Rooms() []realtime.Room
}

// TrackerConfig tunes a Tracker. Zero values take the defaults noted.
type TrackerConfig struct {
	// SampleEvery is how often the hub's rooms are looked at (default 10 s):
	// a visit shorter than this may go unseen.
	SampleEvery time.Duration
	// FlushEvery is how often the marks are written (default 2 min): one
	// multi-row upsert per flush, one row per (talk, user) seen since the
	// last. A stop (SIGTERM) flushes too; a crash loses at most this much.
	FlushEvery time.Duration
	// Now is the clock (tests drive it); default time.Now.
	Now func() time.Time
}

func (c *TrackerConfig) defaults() {
	if c.SampleEvery <= 0 {
		c.SampleEvery = 10 * time.Second
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = 2 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Tracker turns this instance's live presence into attendance: Sample
// marks the minute in which each signed-in subscriber of a live talk's
// room is seen, and the room's viewer count; Flush writes what was marked
// since the last flush in one statement. Marks that fail to be written are
// kept for the next flush.
type Tracker struct {
	db    *sqlx.DB
	rooms Rooms
	cfg   TrackerConfig
	log   *slog.Logger
	store Store

	mu      sync.Mutex
	seen    map[seenKey]*seenMarks
	viewers map[viewersKey]int32
}

type seenKey struct{ talk, user int64 }

type seenMarks struct {
	minutes     map[int32]struct{}
	first, last time.Time
}

type viewersKey struct {
	talk   int64
	minute int32
}

// NewTracker samples rooms and writes to db.
func NewTracker(db *sqlx.DB, rooms Rooms, cfg TrackerConfig, log *slog.Logger) *Tracker {
	cfg.defaults()
	return &Tracker{db: db, rooms: rooms, cfg: cfg, log: log,
		seen: map[seenKey]*seenMarks{}, viewers: map[viewersKey]int32{}}
}

// Run samples and flushes until ctx ends, then flushes what is left (an
// instance that restarts mid-talk keeps its marks).
func (t *Tracker) Run(ctx context.Context) {
	sample := time.NewTicker(t.cfg.SampleEvery)
	flush := time.NewTicker(t.cfg.FlushEvery)
	defer sample.Stop()
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			t.flushBounded(context.WithoutCancel(ctx))
			return
		case <-sample.C:
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := t.Sample(sctx); err != nil && ctx.Err() == nil {
				t.log.Warn("attendance sample", "err", err)
			}
			cancel()
		case <-flush.C:
			t.flushBounded(ctx)
		}
	}
}

func (t *Tracker) flushBounded(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := t.Flush(fctx); err != nil {
		t.log.Warn("attendance flush", "err", err)
	}
}

// Sample marks the current minute for every signed-in subscriber of a
// live talk's room on this instance, and the room's viewers.
func (t *Tracker) Sample(ctx context.Context) error {
	rooms := t.rooms.Rooms()
	byTalk := make(map[int64]realtime.Room, len(rooms))
	ids := make([]int64, 0, len(rooms))
	for _, r := range rooms {
		id, staff, ok := realtime.ParseChannel(r.Channel)
		if !ok || staff {
			continue
		}
		byTalk[id] = r
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	live, err := t.store.liveTalks(ctx, t.db, ids)
	if err != nil {
		return err
	}
	now := t.cfg.Now()
	m := Minute(now)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range live {
		r := byTalk[id]
		for _, uid := range r.Users {
			k := seenKey{id, uid}
			s := t.seen[k]
			if s == nil {
				s = &seenMarks{minutes: map[int32]struct{}{}, first: now}
				t.seen[k] = s
			}
			s.minutes[m] = struct{}{}
			s.last = now
		}
		vk := viewersKey{id, m}
		t.viewers[vk] = max(t.viewers[vk], int32(r.Viewers))
	}
	return nil
}

// Flush writes the marks since the last flush: one upsert of every
// (talk, user) seen and one of the rooms' viewers, in one transaction. On
// failure the marks stay for the next flush.
func (t *Tracker) Flush(ctx context.Context) error {
	t.mu.Lock()
	seen, viewers := t.seen, t.viewers
	t.seen, t.viewers = map[seenKey]*seenMarks{}, map[viewersKey]int32{}
	t.mu.Unlock()
	if len(seen) == 0 && len(viewers) == 0 {
		return nil
	}
	err := t.write(ctx, seen, viewers)
	if err != nil {
		t.restore(seen, viewers)
	}
	return err
}

func (t *Tracker) write(ctx context.Context, seen map[seenKey]*seenMarks, viewers map[viewersKey]int32) error {
	var rows seenRows
	for k, s := range seen {
		rows.talks = append(rows.talks, k.talk)
		rows.users = append(rows.users, k.user)
		rows.minutes = append(rows.minutes, arrayLiteral(s.minutes))
		rows.first = append(rows.first, s.first)
		rows.last = append(rows.last, s.last)
	}
	sort.Sort(rows)
	var vt []int64
	var vm, vn []int32
	for k, n := range viewers {
		vt, vm, vn = append(vt, k.talk), append(vm, k.minute), append(vn, n)
	}
	return dbx.InTx(ctx, t.db, nil, "attendance flush", func(tx *sqlx.Tx) error {
		if len(rows.talks) > 0 {
			if err := t.store.upsertSeen(ctx, tx, rows); err != nil {
				return err
			}
		}
		if len(vt) > 0 {
			return t.store.upsertViewers(ctx, tx, vt, vm, vn)
		}
		return nil
	})
}

// restore puts marks that could not be written back, merged with any taken
// since.
func (t *Tracker) restore(seen map[seenKey]*seenMarks, viewers map[viewersKey]int32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, s := range seen {
		cur := t.seen[k]
		if cur == nil {
			t.seen[k] = s
			continue
		}
		for m := range s.minutes {
			cur.minutes[m] = struct{}{}
		}
		cur.first = s.first
	}
	for k, n := range viewers {
		t.viewers[k] = max(t.viewers[k], n)
	}
}

// Pending is how many (talk, user) pairs wait for the next flush.
func (t *Tracker) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.seen)
}

// arrayLiteral writes a set of minutes as a PostgreSQL array literal.
func arrayLiteral(set map[int32]struct{}) string {
	b := make([]byte, 0, 2+9*len(set))
	b = append(b, '{')
	for m := range set {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(m), 10)
	}
	return string(append(b, '}'))
}
