package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// What a client may send: subscribe, unsubscribe and ping, each
// rate-limited per connection.

// allowFrame is the per-connection token bucket on client frames. A client
// over its limit gets one rate_limited error frame; one that keeps going
// (never letting the bucket refill) is closed with 1008.
func (c *client) allowFrame() bool {
	now := time.Now()
	cfg := &c.h.cfg
	c.tokens += now.Sub(c.lastAt).Seconds() * cfg.FrameRate
	c.lastAt = now
	if c.tokens >= cfg.FrameBurst {
		c.tokens = cfg.FrameBurst
		c.excess = 0
	}
	if c.tokens >= 1 {
		c.tokens--
		return true
	}
	c.excess++
	if c.excess == 1 {
		c.enqueue(encodeError(CodeRateLimited, "too many frames: slow down", ""), true)
	}
	if c.excess > cfg.FrameExcessLimit {
		c.close(DisconnectRateLimited)
	}
	return false
}

// allowSubscribe is the per-connection token bucket on subscribes and
// unsubscribes: churning subscriptions (each may start a replay) is
// refused with a rate_limited error frame.
func (c *client) allowSubscribe() bool {
	now := time.Now()
	cfg := &c.h.cfg
	c.subTokens = min(cfg.SubscribeBurst, c.subTokens+now.Sub(c.subLastAt).Seconds()*cfg.SubscribeRate)
	c.subLastAt = now
	if c.subTokens < 1 {
		return false
	}
	c.subTokens--
	return true
}

func (h *Hub) handleFrame(c *client, msg []byte) {
	var f clientFrame
	if err := json.Unmarshal(msg, &f); err != nil {
		c.enqueue(encodeError(CodeBadRequest, "frames are JSON objects", ""), true)
		return
	}
	switch f.Op {
	case "subscribe", "unsubscribe":
		c.dropRevoked()
		if !c.allowSubscribe() {
			c.enqueue(encodeError(CodeRateLimited, "too many subscription changes: slow down", f.Channel), true)
			return
		}
		if f.Op == "subscribe" {
			h.subscribe(c, f.Channel, f.Since)
			return
		}
		if _, ok := c.subs[f.Channel]; !ok {
			c.enqueue(encodeError(CodeNotSubscribed, "not subscribed", f.Channel), true)
			return
		}
		h.unsubscribe(c, f.Channel)
	case "ping":
		c.enqueue(pongFrame, true)
	default:
		c.enqueue(encodeError(CodeUnknownOp, "unknown op", ""), true)
	}
}

// dropRevoked forgets the subscriptions that a recheck ended.
func (c *client) dropRevoked() {
	for name, ref := range c.subs {
		if ref.s.revoked.Load() {
			c.h.unsubscribe(c, name)
		}
	}
}

// subscribe handles one subscribe frame.
func (h *Hub) subscribe(c *client, name string, since *int64) {
	if !ValidChannel(name) {
		c.enqueue(encodeError(CodeBadChannel, "channels are talk:{id} or talk:{id}:staff", name), true)
		return
	}
	if since != nil && *since < 0 {
		c.enqueue(encodeError(CodeBadRequest, "since must be a seq (>= 0)", name), true)
		return
	}
	if _, ok := c.subs[name]; ok {
		c.enqueue(encodeError(CodeAlreadySubscribed, "already subscribed", name), true)
		return
	}
	if len(c.subs) >= h.cfg.MaxSubscriptions {
		c.enqueue(encodeError(CodeTooManySubscriptions, "too many subscriptions on one connection", name), true)
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.QueryTimeout)
	defer cancel()
	if err := h.authorize(ctx, c.p, name); err != nil {
		if errors.Is(err, ErrForbidden) {
			c.enqueue(encodeError(CodeForbidden, "not allowed on this channel", name), true)
		} else {
			h.log.Warn("live subscribe: authorisation unavailable", "channel", name, "err", err)
			c.enqueue(encodeError(CodeUnavailable, "try again shortly", name), true)
		}
		return
	}
	ch, err := h.acquire(ctx, name)
	if err != nil {
		h.log.Warn("live subscribe: channel unavailable", "channel", name, "err", err)
		c.enqueue(encodeError(CodeUnavailable, "try again shortly", name), true)
		return
	}
	s := &sub{c: c}
	if err := h.join(ch, s, since); err != nil {
		h.release(ch)
		if !errors.Is(err, errClientGone) {
			h.log.Warn("live subscribe: replay failed", "channel", name, "err", err)
			c.enqueue(encodeError(CodeUnavailable, "try again shortly", name), true)
		}
		return
	}
	if c.subs == nil {
		c.subs = make(map[string]*subRef, 1)
	}
	c.subs[name] = &subRef{ch: ch, s: s}
	h.m.subscriptions.Inc()
}

func (h *Hub) unsubscribe(c *client, name string) {
	ref, ok := c.subs[name]
	if !ok {
		return
	}
	delete(c.subs, name)
	ref.ch.mu.Lock()
	removed := ref.ch.removeSubLocked(ref.s)
	ref.ch.mu.Unlock()
	h.release(ref.ch)
	if removed {
		h.m.subscriptions.Dec()
	}
}
