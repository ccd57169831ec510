package server

import (
	"context"
	"sync"
	"time"

	"github.com/hubtalks/hubtalks/server/talks"
)

// talkStatuses caches each talk's status for a moment, so that a room of
// thousands reconnecting at once authorises their subscriptions with one
// query per talk, not one per client. Concurrent misses share one load.
type talkStatuses struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[int64]*statusEntry
}

type statusEntry struct {
	ready   chan struct{}
	status  string
	err     error
	expires time.Time
}

func newTalkStatuses(ttl time.Duration) *talkStatuses {
	return &talkStatuses{ttl: ttl, entries: map[int64]*statusEntry{}}
}

// status returns the talk's status, or an error wrapping domain.ErrNotFound.
// fresh skips a finished cached answer (a recheck right after a change).
func (c *talkStatuses) status(ctx context.Context, q talks.Queryer, id int64, fresh bool) (string, error) {
	c.mu.Lock()
	e := c.entries[id]
	if e == nil || (isClosed(e.ready) && (fresh || time.Now().After(e.expires))) {
		if len(c.entries) > 10_000 {
			c.entries = map[int64]*statusEntry{}
		}
		e = &statusEntry{ready: make(chan struct{})}
		c.entries[id] = e
		c.mu.Unlock()
		t, err := talks.Load(ctx, q, id)
		e.status, e.err, e.expires = t.Status, err, time.Now().Add(c.ttl)
		if err != nil {
			e.expires = time.Now() // errors are not cached
		}
		close(e.ready)
		return e.status, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		return e.status, e.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
