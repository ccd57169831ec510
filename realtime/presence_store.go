package realtime

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Presence counts the viewers of channels over every instance that shares
// it. Each instance reports its own viewers once per presence interval;
// what an instance stops reporting (it died, a viewer left) stops counting
// after Fresh. Two twins: MemoryPresence (one process) and RedisPresence
// (across processes); presence_test.go runs both through one contract.
type Presence interface {
	// Report records instance's viewers of the channels in local, withdraws
	// its viewers of the channels in gone, and returns the total viewers of
	// each channel in local over all instances: the anonymous sockets plus
	// the distinct signed-in users.
	Report(ctx context.Context, instance string, local map[string]Viewers, gone []string) (map[string]int, error)
}

// Viewers are one instance's viewers of one channel.
type Viewers struct {
	Anonymous int
	Users     []int64 // distinct signed-in users
}

// Count is the viewers of one instance alone.
func (v Viewers) Count() int { return v.Anonymous + len(v.Users) }

// MemoryPresence is Presence within one process (several hubs of one test
// may share one).
type MemoryPresence struct {
	fresh time.Duration
	now   func() time.Time

	mu        sync.Mutex
	anonymous map[string]map[string]anonymousCount // channel -> instance -> count
	users     map[string]map[int64]time.Time       // channel -> user -> last reported
}

type anonymousCount struct {
	n  int
	at time.Time
}

// NewMemoryPresence forgets what is not reported again within fresh.
func NewMemoryPresence(fresh time.Duration) *MemoryPresence {
	return &MemoryPresence{fresh: fresh, now: time.Now,
		anonymous: map[string]map[string]anonymousCount{}, users: map[string]map[int64]time.Time{}}
}

// Report implements Presence.
func (p *MemoryPresence) Report(_ context.Context, instance string, local map[string]Viewers, gone []string) (map[string]int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for _, name := range gone {
		delete(p.anonymous[name], instance)
	}
	totals := make(map[string]int, len(local))
	for name, v := range local {
		if p.anonymous[name] == nil {
			p.anonymous[name] = map[string]anonymousCount{}
			p.users[name] = map[int64]time.Time{}
		}
		p.anonymous[name][instance] = anonymousCount{v.Anonymous, now}
		for _, uid := range v.Users {
			p.users[name][uid] = now
		}
		total := 0
		for inst, a := range p.anonymous[name] {
			if now.Sub(a.at) > p.fresh {
				delete(p.anonymous[name], inst)
				continue
			}
			total += a.n
		}
		for uid, at := range p.users[name] {
			if now.Sub(at) > p.fresh {
				delete(p.users[name], uid)
				continue
			}
			total++
		}
		totals[name] = total
	}
	return totals, nil
}

// RedisPresence is Presence across processes: per channel, a hash of each
// instance's anonymous count ("count:unixms") and a sorted set of
// signed-in users scored by when they were last reported.
type RedisPresence struct {
	rdb    redis.UniversalClient
	prefix string
	fresh  time.Duration
}

// NewRedisPresence keeps its keys under prefix and forgets what is not
// reported again within fresh.
func NewRedisPresence(rdb redis.UniversalClient, prefix string, fresh time.Duration) *RedisPresence {
	return &RedisPresence{rdb: rdb, prefix: prefix, fresh: fresh}
}

// Report implements Presence, in one pipeline.
func (p *RedisPresence) Report(ctx context.Context, instance string, local map[string]Viewers, gone []string) (map[string]int, error) {
	now := time.Now().UnixMilli()
	fresh := p.fresh.Milliseconds()
	ttl := 10 * p.fresh
	pipe := p.rdb.Pipeline()
	for _, name := range gone {
		pipe.HDel(ctx, p.prefix+"presence:"+name, instance)
	}
	anon := make(map[string]*redis.MapStringStringCmd, len(local))
	users := make(map[string]*redis.IntCmd, len(local))
	for name, v := range local {
		key, ukey := p.prefix+"presence:"+name, p.prefix+"presence-users:"+name
		pipe.HSet(ctx, key, instance, strconv.Itoa(v.Anonymous)+":"+strconv.FormatInt(now, 10))
		pipe.PExpire(ctx, key, ttl)
		anon[name] = pipe.HGetAll(ctx, key)
		if len(v.Users) > 0 {
			members := make([]redis.Z, len(v.Users))
			for i, uid := range v.Users {
				members[i] = redis.Z{Score: float64(now), Member: uid}
			}
			pipe.ZAdd(ctx, ukey, members...)
			pipe.PExpire(ctx, ukey, ttl)
		}
		pipe.ZRemRangeByScore(ctx, ukey, "-inf", strconv.FormatInt(now-fresh, 10))
		users[name] = pipe.ZCard(ctx, ukey)
	}
	if pipe.Len() == 0 {
		return map[string]int{}, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	totals := make(map[string]int, len(local))
	for name, g := range anon {
		total := int(users[name].Val())
		for field, v := range g.Val() {
			cnt, ts, ok := strings.Cut(v, ":")
			n, err1 := strconv.Atoi(cnt)
			t, err2 := strconv.ParseInt(ts, 10, 64)
			if !ok || err1 != nil || err2 != nil || (field != instance && now-t > fresh) {
				continue
			}
			total += n
		}
		totals[name] = total
	}
	return totals, nil
}

// PresenceFresh is how long a viewer reported to a Presence counts, for a
// hub configured with c: a few presence intervals.
func PresenceFresh(c HubConfig) time.Duration {
	c.defaults()
	return c.presenceFresh()
}
