package realtime

import (
	"context"
	"errors"
	"time"
)

// Subscriptions stay authorised: every subscription is asked again every
// RecheckEvery, and at once on Recheck (on every instance, through the
// broker). One that is no longer allowed gets an error frame "forbidden"
// for its channel and stops receiving it; the connection stays open.

// freshKey marks the context of an explicit recheck (Recheck): something
// just changed, so the Authorize hook should not answer from a cache.
type freshKey struct{}

// WantsFresh reports whether an Authorize call is an explicit recheck after
// a change, which cached answers may not know of yet.
func WantsFresh(ctx context.Context) bool { return ctx.Value(freshKey{}) != nil }

// recheckChannel asks for a recheck of a channel without blocking.
func (h *Hub) recheckChannel(name string) {
	select {
	case h.recheckq <- name:
	default: // the queue is full: the periodic recheck comes soon enough
	}
}

func (h *Hub) recheckLoop(ctx context.Context) {
	t := time.NewTicker(h.cfg.RecheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case name := <-h.recheckq:
			h.mu.Lock()
			ch := h.channels[name]
			h.mu.Unlock()
			if ch != nil {
				h.recheck(context.WithValue(ctx, freshKey{}, true), ch)
			}
		case <-t.C:
			for _, ch := range h.channelsWhere(func(*channel) bool { return true }) {
				h.recheck(ctx, ch)
			}
		}
	}
}

// recheck authorises each subscriber of ch again, once per distinct
// principal, outside the channel's lock.
func (h *Hub) recheck(ctx context.Context, ch *channel) {
	type who struct {
		userID int64
		role   string
	}
	ch.mu.Lock()
	subs := append([]*sub(nil), ch.subs...)
	ch.mu.Unlock()
	verdicts := make(map[who]bool, 1)
	var revoke []*sub
	for _, s := range subs {
		w := who{s.c.p.UserID, s.c.p.Role}
		forbidden, seen := verdicts[w]
		if !seen {
			qctx, cancel := context.WithTimeout(ctx, h.cfg.QueryTimeout)
			err := h.authorize(qctx, s.c.p, ch.name)
			cancel()
			if err != nil && !errors.Is(err, ErrForbidden) {
				h.log.Warn("live hub: recheck unavailable; subscriptions kept", "channel", ch.name, "err", err)
				return
			}
			forbidden = err != nil
			verdicts[w] = forbidden
		}
		if forbidden {
			revoke = append(revoke, s)
		}
	}
	if len(revoke) == 0 {
		return
	}
	frame := encodeError(CodeForbidden, "no longer allowed on this channel", ch.name)
	ch.mu.Lock()
	for _, s := range revoke {
		if ch.removeSubLocked(s) {
			s.revoked.Store(true)
			s.c.enqueue(frame, true)
			h.m.subscriptions.Dec()
			h.m.revoked.Inc()
		}
	}
	ch.mu.Unlock()
}

// channelsWhere lists the hub's channels that keep, taken under its lock
// and used outside it.
func (h *Hub) channelsWhere(keep func(*channel) bool) []*channel {
	h.mu.Lock()
	defer h.mu.Unlock()
	chans := make([]*channel, 0, len(h.channels))
	for _, ch := range h.channels {
		if keep(ch) {
			chans = append(chans, ch)
		}
	}
	return chans
}
