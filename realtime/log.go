package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

const (
	// appendEvent bumps the channel counter and stores the event in one
	// statement. The counter row stays locked until the caller's transaction
	// ends, which serialises writers of one channel: seqs commit in order and
	// a rollback gives the number back.
	appendEvent = `
WITH s AS (
    INSERT INTO channel_seqs (channel, seq) VALUES ($1, 1)
    ON CONFLICT (channel) DO UPDATE SET seq = channel_seqs.seq + 1
    RETURNING seq
)
INSERT INTO events (channel, seq, type, subject, data)
SELECT $1, s.seq, $2, $3, $4 FROM s
RETURNING seq, created_at`

	// appendToChannels is appendEvent for several channels at once, one event
	// each: the counters are bumped in the order given (n), so writers that
	// append to the same channels in the same order take their row locks in
	// one order.
	appendToChannels = `
WITH d AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS d(channel, type, subject, data, n)
), s AS (
    INSERT INTO channel_seqs (channel, seq) SELECT channel, 1 FROM d ORDER BY n
    ON CONFLICT (channel) DO UPDATE SET seq = channel_seqs.seq + 1
    RETURNING channel, seq
)
INSERT INTO events (channel, seq, type, subject, data)
SELECT d.channel, s.seq, d.type, d.subject, d.data::json FROM d JOIN s USING (channel)
RETURNING channel, seq, created_at`

	// selectPage reads a page of events after a seq, oldest first.
	selectPage = `
SELECT seq, type, data, created_at FROM events
WHERE channel = $1 AND seq > $2
ORDER BY seq
LIMIT $3`

	// selectRange reads events in (from, to], oldest first, with the
	// channel's redaction count from the same snapshot.
	selectRange = `
SELECT e.seq, e.type, e.data, e.created_at,
       coalesce((SELECT n FROM channel_redactions WHERE channel = $1), 0) AS redactions
FROM events e
WHERE e.channel = $1 AND e.seq > $2 AND e.seq <= $3
ORDER BY e.seq`

	// selectTail reads the head of a channel, its redaction count and its
	// newest events up to the head in one statement, so all come from the
	// same snapshot.
	selectTail = `
WITH h AS (
    SELECT coalesce((SELECT seq FROM channel_seqs WHERE channel = $1), 0) AS head,
           coalesce((SELECT n FROM channel_redactions WHERE channel = $1), 0) AS redactions
)
SELECT h.head, h.redactions, e.seq, e.type, e.data, e.created_at
FROM h LEFT JOIN LATERAL (
    SELECT seq, type, data, created_at FROM events
    WHERE channel = $1 AND seq <= h.head
    ORDER BY seq DESC LIMIT $2
) e ON true
ORDER BY e.seq`

	// selectHeads reads the current seq and redaction count of many channels.
	selectHeads = `
SELECT s.channel, s.seq, coalesce(r.n, 0) AS redactions
FROM channel_seqs s LEFT JOIN channel_redactions r ON r.channel = s.channel
WHERE s.channel = ANY($1)`

	// pruneBatch deletes a batch of events that are older than keepAge and
	// either older than maxAge (>= keepAge) or outside the newest keep
	// events of their channel.
	pruneBatch = `
DELETE FROM events WHERE ctid = ANY (ARRAY(
    SELECT e.ctid FROM events e JOIN channel_seqs c ON c.channel = e.channel
    WHERE e.created_at < clock_timestamp() - make_interval(secs => $1)
      AND (e.created_at < clock_timestamp() - make_interval(secs => $4) OR e.seq <= c.seq - $2)
    LIMIT $3))`

	// pruneLock keeps concurrent instances from pruning at the same time.
	pruneLock = `SELECT pg_try_advisory_xact_lock(7365717072756165)` // arbitrary key owned by Prune
)

// Log is the PostgreSQL event log: the source of truth for seqs and for
// everything a reconnecting client replays.
type Log struct {
	db *sqlx.DB
}

// NewLog returns the event log stored in db (migration 0002).
func NewLog(db *sqlx.DB) *Log { return &Log{db: db} }

type eventRow struct {
	Seq       int64     `db:"seq"`
	Type      string    `db:"type"`
	Data      []byte    `db:"data"`
	CreatedAt time.Time `db:"created_at"`
}

func (r eventRow) event(channel string) Event {
	return Event{Channel: channel, Seq: r.Seq, Type: r.Type, At: r.CreatedAt.UTC(), Data: json.RawMessage(r.Data)}
}

// Append stores the event inside the caller's transaction, assigning the next
// gap-free per-channel seq. subject names the resource the event is about
// ("question:17"): Restate finds the event by it. data is encoded with
// encoding/json unless it is already a json.RawMessage or []byte holding
// JSON. The event becomes visible (and must be passed to Hub.Publish) only
// after tx commits.
func (l *Log) Append(ctx context.Context, tx sqlx.QueryerContext, channel, typ, subject string, data any) (Event, error) {
	if !ValidChannel(channel) {
		return Event{}, fmt.Errorf("append event to %q: %w", channel, ErrBadChannel)
	}
	if typ == "" || typ == PresenceType {
		return Event{}, fmt.Errorf("append event to %q: bad type %q", channel, typ)
	}
	if subject == "" {
		return Event{}, fmt.Errorf("append %s to %s: no subject", typ, channel)
	}
	raw, err := encodeData(data)
	if err != nil {
		return Event{}, fmt.Errorf("append event to %s: %w", channel, err)
	}
	var r eventRow
	if err := tx.QueryRowxContext(ctx, appendEvent, channel, typ, subject, string(raw)).Scan(&r.Seq, &r.CreatedAt); err != nil {
		return Event{}, fmt.Errorf("append event to %s: %w", channel, err)
	}
	return Event{Channel: channel, Seq: r.Seq, Type: typ, At: r.CreatedAt.UTC(), Data: raw}, nil
}

// Draft is an event to append: what Append takes.
type Draft struct {
	Channel, Type, Subject string
	Data                   any
}

// AppendAll appends one event to each of several distinct channels in one
// statement (Append's rules apply to each), and returns them in the order
// given. One round trip instead of one per channel: a question, say, goes
// to its talk's staff and public channels together.
func (l *Log) AppendAll(ctx context.Context, tx sqlx.QueryerContext, drafts []Draft) ([]Event, error) {
	if len(drafts) == 1 {
		d := drafts[0]
		ev, err := l.Append(ctx, tx, d.Channel, d.Type, d.Subject, d.Data)
		return []Event{ev}, err
	}
	cols, err := columnsOf(drafts)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryxContext(ctx, appendToChannels, cols.channels, cols.types, cols.subjects, cols.data)
	if err != nil {
		return nil, fmt.Errorf("append events to %v: %w", cols.channels, err)
	}
	return cols.scan(rows)
}

// draftColumns are drafts as the columns of appendToChannels' unnest, with
// where each channel's draft is.
type draftColumns struct {
	channels, types, subjects, data pq.StringArray
	at                              map[string]int
}

// columnsOf checks drafts by Append's rules (and one event per channel)
// and encodes them as columns.
func columnsOf(drafts []Draft) (draftColumns, error) {
	n := len(drafts)
	c := draftColumns{make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(map[string]int, n)}
	for i, d := range drafts {
		switch {
		case !ValidChannel(d.Channel):
			return c, fmt.Errorf("append event to %q: %w", d.Channel, ErrBadChannel)
		case d.Type == "" || d.Type == PresenceType:
			return c, fmt.Errorf("append event to %q: bad type %q", d.Channel, d.Type)
		case d.Subject == "":
			return c, fmt.Errorf("append %s to %s: no subject", d.Type, d.Channel)
		}
		if _, dup := c.at[d.Channel]; dup {
			return c, fmt.Errorf("append events: channel %s twice in one statement", d.Channel)
		}
		raw, err := encodeData(d.Data)
		if err != nil {
			return c, fmt.Errorf("append event to %s: %w", d.Channel, err)
		}
		c.at[d.Channel] = i
		c.channels[i], c.types[i], c.subjects[i], c.data[i] = d.Channel, d.Type, d.Subject, string(raw)
	}
	return c, nil
}

// scan reads the (channel, seq, created_at) rows of an append into events
// in the order of the drafts; none when nothing was appended.
func (c draftColumns) scan(rows *sqlx.Rows) ([]Event, error) {
	defer rows.Close()
	out := make([]Event, len(c.channels))
	got := 0
	for rows.Next() {
		var channel string
		var r eventRow
		if err := rows.Scan(&channel, &r.Seq, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("append events to %v: %w", c.channels, err)
		}
		i := c.at[channel]
		out[i] = Event{Channel: channel, Seq: r.Seq, Type: c.types[i], At: r.CreatedAt.UTC(), Data: json.RawMessage(c.data[i])}
		got++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("append events to %v: %w", c.channels, err)
	}
	if got == 0 {
		return nil, nil
	}
	return out, nil
}

// encodeData returns data as JSON text.
func encodeData(data any) ([]byte, error) {
	var raw []byte
	switch d := data.(type) {
	case json.RawMessage:
		raw = append([]byte(nil), d...)
	case []byte:
		raw = append([]byte(nil), d...)
	default:
		b, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("encode data: %w", err)
		}
		raw = b
	}
	if len(raw) == 0 {
		raw = []byte("null")
	}
	if !json.Valid(raw) {
		return nil, errors.New("data is not valid JSON")
	}
	return raw, nil
}

// Page returns up to limit events of channel with seq > after, oldest first.
func (l *Log) Page(ctx context.Context, channel string, after int64, limit int) ([]Event, error) {
	var rows []eventRow
	if err := l.db.SelectContext(ctx, &rows, selectPage, channel, after, limit); err != nil {
		return nil, fmt.Errorf("read events of %s after %d: %w", channel, after, err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = r.event(channel)
	}
	return out, nil
}

// Range returns the events of channel with from < seq <= to, oldest first,
// and the channel's redaction count (0 when there are no events).
func (l *Log) Range(ctx context.Context, channel string, from, to int64) ([]Event, int64, error) {
	var rows []struct {
		eventRow
		Redactions int64 `db:"redactions"`
	}
	if err := l.db.SelectContext(ctx, &rows, selectRange, channel, from, to); err != nil {
		return nil, 0, fmt.Errorf("read events of %s in (%d,%d]: %w", channel, from, to, err)
	}
	out := make([]Event, len(rows))
	var redactions int64
	for i, r := range rows {
		out[i] = r.event(channel)
		redactions = r.Redactions
	}
	return out, redactions, nil
}

// Head is a channel's position in the log: its last seq and how many times
// its stored events were rewritten (Restate, RenamePerson).
type Head struct {
	Seq        int64
	Redactions int64
}

// Tail returns the channel's head (zero when it has none) and up to n of its
// newest events, oldest first, read from one snapshot.
func (l *Log) Tail(ctx context.Context, channel string, n int) (Head, []Event, error) {
	rows, err := l.db.QueryContext(ctx, selectTail, channel, n)
	if err != nil {
		return Head{}, nil, fmt.Errorf("read tail of %s: %w", channel, err)
	}
	defer rows.Close()
	var head Head
	var out []Event
	for rows.Next() {
		var (
			seq  *int64
			typ  *string
			data []byte
			at   *time.Time
		)
		if err := rows.Scan(&head.Seq, &head.Redactions, &seq, &typ, &data, &at); err != nil {
			return Head{}, nil, fmt.Errorf("read tail of %s: %w", channel, err)
		}
		if seq != nil {
			out = append(out, Event{Channel: channel, Seq: *seq, Type: *typ, At: at.UTC(), Data: json.RawMessage(data)})
		}
	}
	if err := rows.Err(); err != nil {
		return Head{}, nil, fmt.Errorf("read tail of %s: %w", channel, err)
	}
	return head, out, nil
}

// Heads returns the head of each channel that has one.
func (l *Log) Heads(ctx context.Context, channels []string) (map[string]Head, error) {
	rows, err := l.db.QueryContext(ctx, selectHeads, pq.Array(channels))
	if err != nil {
		return nil, fmt.Errorf("read channel heads: %w", err)
	}
	defer rows.Close()
	out := make(map[string]Head, len(channels))
	for rows.Next() {
		var ch string
		var h Head
		if err := rows.Scan(&ch, &h.Seq, &h.Redactions); err != nil {
			return nil, fmt.Errorf("read channel heads: %w", err)
		}
		out[ch] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read channel heads: %w", err)
	}
	return out, nil
}

// Retention is how long the log keeps events: at least KeepAge or the
// newest KeepEvents of each channel, whichever is more, and never longer
// than MaxAge (which wins over both).
type Retention struct {
	KeepAge    time.Duration
	KeepEvents int64
	MaxAge     time.Duration
}

// Prune deletes the events that r no longer keeps and returns how many it
// deleted. Only one instance prunes at a time; the others return 0 at once.
func (l *Log) Prune(ctx context.Context, r Retention) (int64, error) {
	keepAge := min(r.KeepAge, r.MaxAge)
	var total int64
	for {
		n, locked, err := l.pruneOnce(ctx, keepAge, r.KeepEvents, r.MaxAge, 5000)
		if err != nil {
			return total, err
		}
		total += n
		if !locked || n < 5000 {
			return total, nil
		}
	}
}

func (l *Log) pruneOnce(ctx context.Context, keepAge time.Duration, keep int64, maxAge time.Duration, batch int) (int64, bool, error) {
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("prune events: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var locked bool
	if err := tx.QueryRowContext(ctx, pruneLock).Scan(&locked); err != nil {
		return 0, false, fmt.Errorf("prune events: lock: %w", err)
	}
	if !locked {
		return 0, false, nil
	}
	res, err := tx.ExecContext(ctx, pruneBatch, keepAge.Seconds(), keep, batch, maxAge.Seconds())
	if err != nil {
		return 0, true, fmt.Errorf("prune events: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, true, fmt.Errorf("prune events: commit: %w", err)
	}
	return n, true, nil
}

// ErrBadChannel is returned for a channel name that is not talk:{id} or
// talk:{id}:staff.
var ErrBadChannel = errors.New("malformed channel name")
