package server

import (
	"context"
	"time"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/talks"
)

// talkStatuses caches each talk's status for a moment, so that a room of
// thousands reconnecting at once authorises their subscriptions with one
// query per talk, not one per client. Concurrent misses share one load.
type talkStatuses struct {
	memo realtime.Memo[int64, string]
}

func newTalkStatuses(ttl time.Duration) *talkStatuses {
	return &talkStatuses{memo: realtime.Memo[int64, string]{TTL: ttl, Max: 10_000}}
}

// status returns the talk's status, or an error wrapping domain.ErrNotFound.
// fresh skips a cached answer (a recheck right after a change).
func (c *talkStatuses) status(ctx context.Context, q talks.Queryer, id int64, fresh bool) (string, error) {
	if fresh {
		c.memo.Forget(func(k int64) bool { return k == id })
	}
	return c.memo.Do(ctx, id, func() (string, error) {
		t, err := talks.Load(ctx, q, id)
		return t.Status, err
	})
}
