package realtime

import (
	"context"
	"errors"
	"time"
)

// errClientGone ends a replay whose connection closed under it.
var errClientGone = errors.New("connection closed during replay")

// join adds s to ch. Without since it follows from the channel's current
// position. With since it first replays, in order, the events after since:
// from the log in pages of ReplayPage, then from the channel's cache, each
// page only once the connection's queue has drained below the low-water
// mark, so a replay never holds more than the send budget of one client.
// The last step (the rest of the cache, the subscribed frame, and the
// switch to live delivery) happens under ch.mu, so nothing slips between
// replay and live and nothing is sent twice.
func (h *Hub) join(ch *channel, s *sub, since *int64) error {
	c := s.c
	if since == nil {
		ch.mu.Lock()
		s.after = ch.last
		ch.addSubLocked(s)
		c.enqueue(encodeSubscribed(ch.name, ch.last, nil), true)
		ch.mu.Unlock()
		return nil
	}
	through := *since
	ch.mu.Lock()
	last := ch.last
	ch.mu.Unlock()
	if through > last {
		done, err := h.joinAhead(ch, s, through)
		if done || err != nil {
			return err
		}
	}
	if last-through > int64(h.cfg.MaxReplay) {
		h.joinUnrecovered(ch, s)
		return nil
	}
	replayed := 0
	for {
		if !c.waitRoom(h.ctx, h.cfg.replayLowWater()) {
			return errClientGone
		}
		if replayed > h.cfg.MaxReplay {
			// The channel moves faster than this client reads.
			h.joinUnrecovered(ch, s)
			return nil
		}
		ch.mu.Lock()
		if through >= ch.last || ch.cacheFirst() <= through+1 {
			frames := ch.cachedAfter(through, h.cfg.ReplayPage)
			if (len(frames) == 0 || frames[len(frames)-1].seq == ch.last) && c.enqueueAll(frames) {
				h.goLiveLocked(ch, s, through)
				ch.mu.Unlock()
				return nil
			}
			ch.mu.Unlock()
			if !c.enqueueFrames(frames) {
				return errClientGone
			}
			through = frames[len(frames)-1].seq
			replayed += len(frames)
			c.refreshRead()
			continue
		}
		ch.mu.Unlock()

		if h.cfg.History == nil {
			h.joinUnrecovered(ch, s)
			return nil
		}
		page, err := h.replayRead(ch.name, through)
		if err != nil {
			return err
		}
		if len(page) == 0 || page[0].seq != through+1 {
			// Pruned: the log cannot give everything after since.
			h.joinUnrecovered(ch, s)
			return nil
		}
		if !c.enqueueFrames(page) {
			return errClientGone
		}
		through = page[len(page)-1].seq
		replayed += len(page)
		c.refreshRead() // a replay the client is reading keeps the connection alive
	}
}

// goLiveLocked subscribes s after through: the replay has queued every
// event up to through, and live delivery takes over from there.
func (h *Hub) goLiveLocked(ch *channel, s *sub, through int64) {
	h.m.replayTrue.Inc() // before the client can see the frame
	s.after = max(ch.last, through)
	ch.addSubLocked(s)
	s.c.enqueue(encodeSubscribed(ch.name, s.after, ptr(true)), true)
	if through > ch.last {
		// The log is ahead of this instance: deliver from it.
		ch.target = max(ch.target, through)
		h.startRepairLocked(ch)
	}
}

// joinAhead handles a since beyond what this instance has delivered (the
// client came from a faster instance, or since is bogus). done false means
// this instance has caught up meanwhile and the normal replay applies.
func (h *Hub) joinAhead(ch *channel, s *sub, since int64) (done bool, err error) {
	var head Head
	if h.cfg.History != nil {
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.QueryTimeout)
		heads, err := h.cfg.History.Heads(ctx, []string{ch.name})
		cancel()
		if err != nil {
			return true, err
		}
		head = heads[ch.name]
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	switch {
	case since > head.Seq:
		h.joinUnrecoveredLocked(ch, s)
	case since <= ch.last:
		return false, nil
	default:
		h.m.replayTrue.Inc()
		s.after = since
		ch.addSubLocked(s)
		s.c.enqueue(encodeSubscribed(ch.name, since, ptr(true)), true)
		ch.target = max(ch.target, head.Seq)
		h.startRepairLocked(ch)
	}
	return true, nil
}

func (h *Hub) joinUnrecovered(ch *channel, s *sub) {
	ch.mu.Lock()
	h.joinUnrecoveredLocked(ch, s)
	ch.mu.Unlock()
}

// joinUnrecoveredLocked subscribes s from now on and tells the client it
// must reload state over HTTP.
func (h *Hub) joinUnrecoveredLocked(ch *channel, s *sub) {
	h.m.replayFalse.Inc() // before the client can see the frame
	s.after = ch.last
	ch.addSubLocked(s)
	s.c.enqueue(encodeSubscribed(ch.name, ch.last, ptr(false)), true)
}

func ptr[T any](v T) *T { return &v }

type replayKey struct {
	channel string
	after   int64
}

// replayShare is how long a finished page read keeps serving callers with
// the same position, and maxSharedReplays how many finished reads are kept
// for it. Reusing an older read is safe: join continues from its last seq
// (through the cache, or another read) up to the live position, and a
// rewrite of the log forgets the channel's reads.
const (
	replayShare      = time.Second
	maxSharedReplays = 64
)

// replayRead reads the page of events after `after` from the log, encoded.
// Reads of the same page share one query and its frames (h.replays), and
// at most four run at once, so a mass reconnect costs PostgreSQL a handful
// of queries rather than one per client.
func (h *Hub) replayRead(name string, after int64) ([]*frame, error) {
	return h.replays.Do(h.ctx, replayKey{name, after}, func() ([]*frame, error) {
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.QueryTimeout)
		defer cancel()
		select {
		case h.replaySem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-h.replaySem }()
		h.replayQueries.Add(1)
		evs, err := h.cfg.History.Page(ctx, name, after, h.cfg.ReplayPage)
		if err != nil {
			return nil, err
		}
		frames := make([]*frame, len(evs))
		for i, ev := range evs {
			frames[i] = &frame{seq: ev.Seq, b: encodeEvent(ev)}
		}
		return frames, nil
	})
}

// forgetReplays drops the shared page reads of a channel whose log was
// rewritten.
func (h *Hub) forgetReplays(name string) {
	h.replays.Forget(func(k replayKey) bool { return k.channel == name })
}
