package realtime

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// History is where the hub reads events back: replay pages, gap repair,
// the channels' heads, the cache of a new channel, and retention. Two
// twins: Log (PostgreSQL, where the server appends inside its
// transactions) and MemoryHistory (one process: tools and tests);
// history_test.go runs both through one contract.
type History interface {
	// Page returns up to limit events of channel with seq > after, oldest first.
	Page(ctx context.Context, channel string, after int64, limit int) ([]Event, error)
	// Range returns the events with from < seq <= to, oldest first, and the
	// channel's redaction count.
	Range(ctx context.Context, channel string, from, to int64) ([]Event, int64, error)
	// Tail returns the channel's head and up to n of its newest events.
	Tail(ctx context.Context, channel string, n int) (Head, []Event, error)
	// Heads returns the head of each channel that has events.
	Heads(ctx context.Context, channels []string) (map[string]Head, error)
	// Prune deletes what the retention no longer keeps.
	Prune(ctx context.Context, r Retention) (int64, error)
}

var (
	_ History = (*Log)(nil)
	_ History = (*MemoryHistory)(nil)
)

// MemoryHistory is a History in memory, with the same rules as Log:
// gap-free seqs per channel, subjects, restatements and redaction counts.
type MemoryHistory struct {
	mu       sync.Mutex
	now      func() time.Time
	channels map[string]*memoryChannel
}

type memoryChannel struct {
	head       int64
	redactions int64
	events     []memoryEvent // oldest first
}

type memoryEvent struct {
	Event
	subject string
}

// NewMemoryHistory returns an empty history.
func NewMemoryHistory() *MemoryHistory {
	return &MemoryHistory{now: time.Now, channels: map[string]*memoryChannel{}}
}

// Append stores an event about subject and returns it with its seq.
func (m *MemoryHistory) Append(channel, typ, subject string, data any) (Event, error) {
	if !ValidChannel(channel) {
		return Event{}, fmt.Errorf("append event to %q: %w", channel, ErrBadChannel)
	}
	raw, err := encodeData(data)
	if err != nil {
		return Event{}, fmt.Errorf("append event to %s: %w", channel, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := m.channels[channel]
	if ch == nil {
		ch = &memoryChannel{}
		m.channels[channel] = ch
	}
	ch.head++
	ev := Event{Channel: channel, Seq: ch.head, Type: typ, At: m.now().UTC(), Data: raw}
	ch.events = append(ch.events, memoryEvent{ev, subject})
	return ev, nil
}

// Restate rewrites the events of the given subjects on channel, as Log.Restate.
func (m *MemoryHistory) Restate(channel string, rs []Restatement) (Redaction, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := m.channels[channel]
	if ch == nil {
		return Redaction{}, false, nil
	}
	changed := false
	for _, r := range rs {
		raw, err := encodeData(r.Data)
		if err != nil {
			return Redaction{}, false, fmt.Errorf("restate %s on %s: %w", r.Subject, channel, err)
		}
		for i := range ch.events {
			e := &ch.events[i]
			typ := r.Type
			if typ == "" {
				typ = e.Type
			}
			if e.subject == r.Subject && (e.Type != typ || string(e.Data) != string(raw)) {
				e.Type, e.Data, changed = typ, append([]byte(nil), raw...), true
			}
		}
	}
	if !changed {
		return Redaction{}, false, nil
	}
	ch.redactions++
	return Redaction{Channel: channel, Count: ch.redactions, Head: ch.head}, true, nil
}

func (m *MemoryHistory) collect(channel string, keep func(Event) bool, limit int) []Event {
	var out []Event
	if ch := m.channels[channel]; ch != nil {
		for _, e := range ch.events {
			if keep(e.Event) {
				out = append(out, e.Event)
				if limit > 0 && len(out) == limit {
					break
				}
			}
		}
	}
	return out
}

// Page implements History.
func (m *MemoryHistory) Page(_ context.Context, channel string, after int64, limit int) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.collect(channel, func(e Event) bool { return e.Seq > after }, limit), nil
}

// Range implements History.
func (m *MemoryHistory) Range(_ context.Context, channel string, from, to int64) ([]Event, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := m.collect(channel, func(e Event) bool { return e.Seq > from && e.Seq <= to }, 0)
	var redactions int64
	if ch := m.channels[channel]; ch != nil && len(evs) > 0 {
		redactions = ch.redactions
	}
	return evs, redactions, nil
}

// Tail implements History.
func (m *MemoryHistory) Tail(_ context.Context, channel string, n int) (Head, []Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := m.channels[channel]
	if ch == nil {
		return Head{}, nil, nil
	}
	evs := m.collect(channel, func(Event) bool { return true }, 0)
	if len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	return Head{Seq: ch.head, Redactions: ch.redactions}, evs, nil
}

// Heads implements History.
func (m *MemoryHistory) Heads(_ context.Context, channels []string) (map[string]Head, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Head, len(channels))
	for _, name := range channels {
		if ch := m.channels[name]; ch != nil {
			out[name] = Head{Seq: ch.head, Redactions: ch.redactions}
		}
	}
	return out, nil
}

// Prune implements History with Log's rule.
func (m *MemoryHistory) Prune(_ context.Context, r Retention) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	keepAge := min(r.KeepAge, r.MaxAge)
	var n int64
	for _, ch := range m.channels {
		kept := ch.events[:0]
		for _, e := range ch.events {
			age := now.Sub(e.At)
			if age > keepAge && (age > r.MaxAge || e.Seq <= ch.head-r.KeepEvents) {
				n++
				continue
			}
			kept = append(kept, e)
		}
		ch.events = kept
	}
	return n, nil
}
