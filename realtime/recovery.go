package realtime

import (
	"context"
	"time"
)

func (h *Hub) startRepairLocked(ch *channel) {
	if ch.repairing || h.cfg.History == nil {
		return
	}
	ch.repairing = true
	go h.repair(ch)
}

// repair fetches from the log every event between what ch delivered and
// the highest seq it knows of, then delivers them and whatever was parked.
func (h *Hub) repair(ch *channel) {
	backoff := 100 * time.Millisecond
	for {
		ch.mu.Lock()
		from, to := ch.last, ch.target
		for seq := range ch.pending {
			to = max(to, seq)
		}
		if to <= from || h.ctx.Err() != nil {
			ch.repairing = false
			ch.mu.Unlock()
			return
		}
		ch.mu.Unlock()

		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.QueryTimeout)
		evs, redactions, err := h.cfg.History.Range(ctx, ch.name, from, to)
		cancel()
		if err != nil {
			h.log.Warn("live hub: gap repair failed, retrying", "channel", ch.name, "from", from, "to", to, "err", err)
			select {
			case <-h.ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond

		ch.mu.Lock()
		if ch.noteRedactionsLocked(redactions, to) {
			h.forgetReplays(ch.name)
		}
		if ch.last == from && (len(evs) == 0 || evs[0].Seq != from+1) {
			// The log no longer has from+1 (pruned): a gap-free stream is
			// impossible. Disconnect this channel's subscribers so they
			// reconnect with since and learn recovered:false.
			h.log.Error("live hub: events missing from the log; resetting channel", "channel", ch.name, "from", from, "to", to)
			for _, s := range ch.subs {
				s.c.close(DisconnectInternal)
			}
			ch.last = to
			if len(evs) > 0 {
				ch.last = evs[0].Seq - 1
			}
			ch.resetCache()
		}
		for _, ev := range evs {
			if ev.Seq == ch.last+1 {
				h.m.gapRepairs.Inc()
				h.deliverLocked(ch, &frame{seq: ev.Seq, b: encodeEvent(ev)})
			}
		}
		h.drainPendingLocked(ch)
		ch.mu.Unlock()
	}
}

// pollHeads compares every local channel with the log and repairs the ones
// that are behind. While the broker is healthy this is a cheap safety net
// (one query per instance per PollHealthy); while it is not, it is how
// events from other instances arrive.
func (h *Hub) pollHeads(ctx context.Context) {
	if h.cfg.History == nil {
		return
	}
	h.mu.Lock()
	names := make([]string, 0, len(h.channels))
	for name := range h.channels {
		names = append(names, name)
	}
	h.mu.Unlock()
	if len(names) == 0 {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, h.cfg.QueryTimeout)
	heads, err := h.cfg.History.Heads(qctx, names)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live hub: polling the event log failed", "err", err)
		}
		return
	}
	for name, head := range heads {
		h.mu.Lock()
		ch := h.channels[name]
		h.mu.Unlock()
		if ch == nil {
			continue
		}
		ch.mu.Lock()
		if ch.noteRedactionsLocked(head.Redactions, head.Seq) {
			h.forgetReplays(name)
		}
		if ch.inited && head.Seq > ch.last {
			ch.target = max(ch.target, head.Seq)
			h.startRepairLocked(ch)
		}
		ch.mu.Unlock()
	}
}
