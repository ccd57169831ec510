// Package ratelimit counts requests in fixed windows, in Redis when one is
// configured (so N instances share one budget) and in memory otherwise.
// When Redis fails it fails open: the request is let through, a metric and a
// log line say so, and the service keeps working.
package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Limiter allows at most N hits per key in each window.
type Limiter interface {
	// Allow counts one hit on key and reports whether it is within limit;
	// when it is not, retryAfter says how long until the window ends.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration)
	// Reset forgets key's count (a successful login clears its failures).
	Reset(ctx context.Context, key string)
	// Peek reports whether key is already over limit without counting a hit.
	Peek(ctx context.Context, key string, limit int) (over bool, retryAfter time.Duration)
}

// Memory is a per-process Limiter.
type Memory struct {
	mu      sync.Mutex
	windows map[string]*window
	now     func() time.Time
}

type window struct {
	count int
	ends  time.Time
}

// NewMemory returns an in-process limiter.
func NewMemory() *Memory { return &Memory{windows: map[string]*window{}, now: time.Now} }

func (m *Memory) Allow(_ context.Context, key string, limit int, win time.Duration) (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	w := m.windows[key]
	if w == nil || !now.Before(w.ends) {
		if len(m.windows) > 100_000 {
			m.sweep(now)
		}
		w = &window{ends: now.Add(win)}
		m.windows[key] = w
	}
	w.count++
	if w.count > limit {
		return false, w.ends.Sub(now)
	}
	return true, 0
}

func (m *Memory) Peek(_ context.Context, key string, limit int) (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if w := m.windows[key]; w != nil && now.Before(w.ends) && w.count >= limit {
		return true, w.ends.Sub(now)
	}
	return false, 0
}

func (m *Memory) Reset(_ context.Context, key string) {
	m.mu.Lock()
	delete(m.windows, key)
	m.mu.Unlock()
}

func (m *Memory) sweep(now time.Time) {
	for k, w := range m.windows {
		if !now.Before(w.ends) {
			delete(m.windows, k)
		}
	}
}

// Redis is a Limiter whose counts live in Redis, shared by every instance.
type Redis struct {
	rdb      redis.UniversalClient
	prefix   string
	log      *slog.Logger
	failOpen prometheus.Counter
}

// hit increments the key and starts its window on the first hit, atomically.
var hit = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`)

// NewRedis returns a limiter on rdb with every key under prefix. failOpen
// counts the hits let through because Redis did not answer.
func NewRedis(rdb redis.UniversalClient, prefix string, log *slog.Logger, failOpen prometheus.Counter) *Redis {
	return &Redis{rdb: rdb, prefix: prefix + "rl:", log: log, failOpen: failOpen}
}

func (r *Redis) Allow(ctx context.Context, key string, limit int, win time.Duration) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	res, err := hit.Run(ctx, r.rdb, []string{r.prefix + key}, win.Milliseconds()).Int64Slice()
	if err != nil || len(res) != 2 {
		r.opened(err)
		return true, 0
	}
	if res[0] > int64(limit) {
		return false, time.Duration(res[1]) * time.Millisecond
	}
	return true, 0
}

func (r *Redis) Peek(ctx context.Context, key string, limit int) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	pipe := r.rdb.Pipeline()
	get := pipe.Get(ctx, r.prefix+key)
	ttl := pipe.PTTL(ctx, r.prefix+key)
	if _, err := pipe.Exec(ctx); err != nil {
		if err != redis.Nil {
			r.opened(err)
		}
		return false, 0
	}
	n, _ := get.Int()
	if n >= limit {
		return true, ttl.Val()
	}
	return false, 0
}

func (r *Redis) Reset(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := r.rdb.Del(ctx, r.prefix+key).Err(); err != nil {
		r.opened(err)
	}
}

func (r *Redis) opened(err error) {
	if r.failOpen != nil {
		r.failOpen.Inc()
	}
	r.log.Warn("rate limiter failing open: redis unavailable", "err", err)
}

var (
	_ Limiter = (*Memory)(nil)
	_ Limiter = (*Redis)(nil)
)
