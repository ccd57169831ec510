package realtime

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// frame is one encoded event, shared by every subscriber.
type frame struct {
	seq int64
	b   []byte
}

type sub struct {
	c       *client
	after   int64       // events with seq <= after are not sent (already replayed or seen)
	revoked atomic.Bool // a recheck ended it; the reader forgets it
}

// channel is the per-instance state of one channel with local subscribers.
type channel struct {
	name   string
	public bool
	refs   int // guarded by Hub.mu: subscribers plus subscribes in progress

	ready chan struct{} // closed when init is done
	err   error         // init error, set before ready closes

	mu           sync.Mutex
	inited       bool
	last         int64 // last seq delivered on this instance
	subs         []*sub
	cache        []*frame // ring of the newest events, contiguous, ending at last
	cacheHead    int      // index of the oldest cached frame
	cacheLen     int
	pending      map[int64]*frame // arrived ahead of a gap
	target       int64            // head seen in the log by polling
	repairing    bool
	redactions   int64         // the log's rewrite count this instance has caught up with
	staleThrough int64         // frames up to this seq were encoded before a rewrite: not cached
	anonymous    int           // anonymous subscribers
	users        map[int64]int // subscribers per signed-in user
	viewers      int           // last presence count sent
	joined       bool          // a subscriber joined since the last presence event
}

// ingest takes an event for channel name from any source.
func (h *Hub) ingest(name string, f *frame) {
	h.mu.Lock()
	ch := h.channels[name]
	h.mu.Unlock()
	if ch == nil {
		return // nobody here follows it
	}
	ch.mu.Lock()
	h.acceptLocked(ch, f)
	ch.mu.Unlock()
}

// acceptLocked delivers f if it is the next seq, drops it if already
// delivered, and otherwise parks it and starts a gap repair.
func (h *Hub) acceptLocked(ch *channel, f *frame) {
	if !ch.inited {
		ch.pending[f.seq] = f
		return
	}
	switch {
	case f.seq <= ch.last:
		return
	case f.seq == ch.last+1:
		h.deliverLocked(ch, f)
		h.drainPendingLocked(ch)
	default:
		ch.pending[f.seq] = f
		h.startRepairLocked(ch)
	}
}

func (h *Hub) drainPendingLocked(ch *channel) {
	for len(ch.pending) > 0 {
		f, ok := ch.pending[ch.last+1]
		if !ok {
			break
		}
		delete(ch.pending, f.seq)
		h.deliverLocked(ch, f)
	}
	if len(ch.pending) > 0 {
		for seq := range ch.pending {
			if seq <= ch.last {
				delete(ch.pending, seq)
			}
		}
	}
}

// deliverLocked hands f to every subscriber's queue. Enqueueing never
// blocks (a full queue closes that one connection), so holding ch.mu here
// keeps replay+subscribe atomic with respect to live events without letting
// one client slow the rest.
func (h *Hub) deliverLocked(ch *channel, f *frame) {
	ch.last = f.seq
	ch.pushCache(f)
	n := 0
	for _, s := range ch.subs {
		if f.seq > s.after {
			s.c.enqueue(f.b, false)
			n++
		}
	}
	if n > 0 {
		h.m.deliveries.Add(float64(n))
	}
}

func (ch *channel) pushCache(f *frame) {
	if len(ch.cache) == 0 {
		return
	}
	if f.seq <= ch.staleThrough {
		// Encoded before a redaction of the log: never replayed from memory.
		ch.resetCache()
		return
	}
	if ch.cacheLen < len(ch.cache) {
		ch.cache[(ch.cacheHead+ch.cacheLen)%len(ch.cache)] = f
		ch.cacheLen++
		return
	}
	ch.cache[ch.cacheHead] = f
	ch.cacheHead = (ch.cacheHead + 1) % len(ch.cache)
}

func (ch *channel) resetCache() {
	clear(ch.cache)
	ch.cacheHead, ch.cacheLen = 0, 0
}

// cacheFirst is the oldest cached seq (last+1 when the cache is empty).
func (ch *channel) cacheFirst() int64 {
	return ch.last - int64(ch.cacheLen) + 1
}

// cachedAfter returns up to n cached frames with seq > after, oldest first.
func (ch *channel) cachedAfter(after int64, n int) []*frame {
	var out []*frame
	for i := 0; i < ch.cacheLen && len(out) < n; i++ {
		f := ch.cache[(ch.cacheHead+i)%len(ch.cache)]
		if f.seq > after {
			out = append(out, f)
		}
	}
	return out
}

func (ch *channel) addSubLocked(s *sub) {
	ch.subs = append(ch.subs, s)
	ch.joined = true
	if uid := s.c.p.UserID; uid != 0 {
		if ch.users == nil {
			ch.users = make(map[int64]int)
		}
		ch.users[uid]++
	} else {
		ch.anonymous++
	}
}

// removeSubLocked removes s; it reports whether s was subscribed.
func (ch *channel) removeSubLocked(s *sub) bool {
	for i, x := range ch.subs {
		if x == s {
			last := len(ch.subs) - 1
			ch.subs[i] = ch.subs[last]
			ch.subs[last] = nil
			ch.subs = ch.subs[:last]
			if uid := s.c.p.UserID; uid != 0 {
				if ch.users[uid]--; ch.users[uid] <= 0 {
					delete(ch.users, uid)
				}
			} else {
				ch.anonymous--
			}
			return true
		}
	}
	return false
}

// applyRedaction drops what this instance kept in memory of a channel from
// before a rewrite of its stored events: the cached frames, frames still to
// arrive that were encoded before it, and shared replay reads.
func (h *Hub) applyRedaction(r Redaction) {
	h.mu.Lock()
	ch := h.channels[r.Channel]
	h.mu.Unlock()
	changed := true
	if ch != nil {
		ch.mu.Lock()
		changed = ch.noteRedactionsLocked(r.Count, r.Head)
		ch.mu.Unlock()
	}
	if changed {
		h.forgetReplays(r.Channel)
	}
}

// noteRedactionsLocked records the log's rewrite count seen with head; a
// newer one resets the cache and is reported.
func (ch *channel) noteRedactionsLocked(count, head int64) bool {
	if count <= ch.redactions {
		return false
	}
	ch.redactions = count
	ch.staleThrough = max(ch.staleThrough, head)
	ch.resetCache()
	return true
}

// acquire returns the state of channel name, creating and loading it (head
// plus the newest CacheSize events, one query) for the first subscriber.
// Every acquire is paired with a release.
func (h *Hub) acquire(ctx context.Context, name string) (*channel, error) {
	h.mu.Lock()
	ch := h.channels[name]
	if ch != nil {
		ch.refs++
		h.mu.Unlock()
		select {
		case <-ch.ready:
		case <-ctx.Done():
			h.release(ch)
			return nil, ctx.Err()
		}
		if ch.err != nil {
			h.release(ch)
			return nil, ch.err
		}
		return ch, nil
	}
	_, staff, _ := ParseChannel(name)
	ch = &channel{
		name:    name,
		public:  !staff,
		refs:    1,
		ready:   make(chan struct{}),
		pending: make(map[int64]*frame),
		cache:   make([]*frame, h.cfg.CacheSize),
	}
	h.channels[name] = ch
	h.mu.Unlock()

	var head Head
	var evs []Event
	var err error
	if h.cfg.History != nil {
		// Not the subscriber's ctx: others may be waiting on this load.
		lctx, cancel := context.WithTimeout(h.ctx, h.cfg.QueryTimeout)
		head, evs, err = h.cfg.History.Tail(lctx, name, h.cfg.CacheSize)
		cancel()
	}
	if err != nil {
		ch.err = fmt.Errorf("load channel %s: %w", name, err)
		h.mu.Lock()
		if h.channels[name] == ch {
			delete(h.channels, name)
		}
		h.mu.Unlock()
		close(ch.ready)
		h.release(ch)
		return nil, ch.err
	}
	ch.mu.Lock()
	ch.last = head.Seq
	ch.redactions = max(ch.redactions, head.Redactions)
	if len(evs) > 0 && evs[len(evs)-1].Seq == head.Seq {
		for i, ev := range evs {
			if i > 0 && ev.Seq != evs[i-1].Seq+1 {
				ch.resetCache() // not contiguous: keep only what follows
			}
			ch.pushCache(&frame{seq: ev.Seq, b: encodeEvent(ev)})
		}
	}
	ch.inited = true
	h.drainPendingLocked(ch)
	if len(ch.pending) > 0 {
		h.startRepairLocked(ch)
	}
	ch.mu.Unlock()
	close(ch.ready)
	return ch, nil
}

// release drops one reference; the last one removes the channel.
func (h *Hub) release(ch *channel) {
	h.mu.Lock()
	ch.refs--
	if ch.refs == 0 && h.channels[ch.name] == ch {
		delete(h.channels, ch.name)
	}
	h.mu.Unlock()
}
