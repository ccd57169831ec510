package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ReactionsType is the event that carries a talk's reactions of one
// second: {"counts":{"👏":12,"💡":3}}. Like presence it has no seq and is
// never stored or replayed.
const ReactionsType = "reactions"

// Reactions sums reactions per channel per second over every instance that
// shares it. Each reaction is added to its channel's open bucket; once a
// second every instance with subscribers of the channel takes the bucket
// of that second: the first to take it closes it (later reactions go to
// the next one), the others read what it closed. So every instance sends
// the same counts for the same second, and each reaction is in exactly one
// second's counts, whatever the clocks of the instances. Two twins:
// MemoryReactions (one process) and RedisReactions (across processes);
// reactions_test.go runs both through one contract.
type Reactions interface {
	// Add counts one reaction with emoji on channel.
	Add(ctx context.Context, channel, emoji string) error
	// Take closes each channel's open bucket as second sec's, unless that
	// is done already, and returns each channel's counts of sec (none when
	// nobody reacted).
	Take(ctx context.Context, channels []string, sec int64) (map[string]map[string]int, error)
}

// keepClosed is how long a closed second stays readable by the instances
// that take it later than the first.
const keepClosed = 10 * time.Second

// MemoryReactions is Reactions within one process (several hubs of one
// test may share one).
type MemoryReactions struct {
	mu     sync.Mutex
	open   map[string]map[string]int
	closed map[string]map[int64]closedSecond // channel -> second
}

type closedSecond struct {
	counts map[string]int
	at     time.Time
}

// NewMemoryReactions returns an empty MemoryReactions.
func NewMemoryReactions() *MemoryReactions {
	return &MemoryReactions{open: map[string]map[string]int{}, closed: map[string]map[int64]closedSecond{}}
}

// Add implements Reactions.
func (m *MemoryReactions) Add(_ context.Context, channel, emoji string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.open[channel] == nil {
		m.open[channel] = map[string]int{}
	}
	m.open[channel][emoji]++
	return nil
}

// Take implements Reactions.
func (m *MemoryReactions) Take(_ context.Context, channels []string, sec int64) (map[string]map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]map[string]int, len(channels))
	now := time.Now()
	for _, name := range channels {
		secs := m.closed[name]
		if secs == nil {
			secs = map[int64]closedSecond{}
			m.closed[name] = secs
		}
		c, done := secs[sec]
		if !done {
			c = closedSecond{counts: m.open[name], at: now}
			delete(m.open, name)
			secs[sec] = c
		}
		if len(c.counts) > 0 {
			out[name] = maps.Clone(c.counts)
		}
	}
	// Forget closed seconds nobody will read, of every channel (a talk
	// whose viewers left is never taken again).
	for name, secs := range m.closed {
		for s, old := range secs {
			if now.Sub(old.at) > keepClosed {
				delete(secs, s)
			}
		}
		if len(secs) == 0 {
			delete(m.closed, name)
		}
	}
	return out, nil
}

// RedisReactions is Reactions across processes: per channel, a hash of the
// open bucket's counts, renamed by the first taker of a second to that
// second's key (one script, so atomic). Keys of one channel share a hash
// tag, for Redis Cluster.
type RedisReactions struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisReactions keeps its keys under prefix.
func NewRedisReactions(rdb redis.UniversalClient, prefix string) *RedisReactions {
	return &RedisReactions{rdb: rdb, prefix: prefix}
}

func (r *RedisReactions) key(channel, bucket string) string {
	return r.prefix + "reactions:{" + channel + "}:" + bucket
}

// takeScript closes KEYS[1] (the open bucket) as KEYS[2] (the second's)
// unless KEYS[2] exists, and returns KEYS[2]'s counts. An empty second is
// marked by the field "" so that later takers do not close the next one.
var takeScript = `if redis.call('EXISTS', KEYS[2]) == 0 then
	if redis.call('EXISTS', KEYS[1]) == 1 then
		redis.call('RENAME', KEYS[1], KEYS[2])
	else
		redis.call('HSET', KEYS[2], '', '0')
	end
	redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return redis.call('HGETALL', KEYS[2])`

// Add implements Reactions.
func (r *RedisReactions) Add(ctx context.Context, channel, emoji string) error {
	key := r.key(channel, "open")
	pipe := r.rdb.Pipeline()
	pipe.HIncrBy(ctx, key, emoji, 1)
	// Nobody takes the reactions of a talk without viewers: let them go.
	pipe.PExpire(ctx, key, keepClosed)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("add reaction: %w", err)
	}
	return nil
}

// Take implements Reactions, in one pipeline. The script is sent with
// EVAL each time (a few hundred bytes per channel per second): EVALSHA in a
// pipeline cannot fall back when Redis has lost the script.
func (r *RedisReactions) Take(ctx context.Context, channels []string, sec int64) (map[string]map[string]int, error) {
	if len(channels) == 0 {
		return map[string]map[string]int{}, nil
	}
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(channels))
	s := strconv.FormatInt(sec, 10)
	for i, name := range channels {
		cmds[i] = pipe.Eval(ctx, takeScript, []string{r.key(name, "open"), r.key(name, s)}, keepClosed.Milliseconds())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("take reactions: %w", err)
	}
	out := make(map[string]map[string]int, len(channels))
	for i, name := range channels {
		flat, err := cmds[i].StringSlice()
		if err != nil {
			return nil, fmt.Errorf("take reactions of %s: %w", name, err)
		}
		for j := 0; j+1 < len(flat); j += 2 {
			n, err := strconv.Atoi(flat[j+1])
			if flat[j] == "" || err != nil || n <= 0 {
				continue
			}
			if out[name] == nil {
				out[name] = map[string]int{}
			}
			out[name][flat[j]] = n
		}
	}
	return out, nil
}

// React counts one reaction on channel (a talk's public channel) for the
// reactions event of the current second, on every instance.
func (h *Hub) React(ctx context.Context, channel, emoji string) error {
	if _, staff, ok := ParseChannel(channel); !ok || staff {
		return fmt.Errorf("react on %q: not a public channel", channel)
	}
	return h.reactions.Add(ctx, channel, emoji)
}

// reactionsLoop sends each public channel's reactions of the second just
// ended to its local subscribers, once per ReactionsEvery, at the turn of
// the second (on every instance alike), and only when someone reacted.
func (h *Hub) reactionsLoop(ctx context.Context) {
	every := h.cfg.ReactionsEvery
	t := time.NewTimer(time.Until(time.Now().Truncate(every).Add(every)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.reactionsTick(ctx, now.Add(every/2).Truncate(every).UnixNano()/int64(every))
			t.Reset(time.Until(time.Now().Truncate(every).Add(every)))
		}
	}
}

func (h *Hub) reactionsTick(ctx context.Context, sec int64) {
	chans := h.channelsWhere(func(ch *channel) bool { return ch.public })
	names := make([]string, 0, len(chans))
	for _, ch := range chans {
		ch.mu.Lock()
		if ch.inited && len(ch.subs) > 0 {
			names = append(names, ch.name)
		}
		ch.mu.Unlock()
	}
	if len(names) == 0 {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, h.cfg.ReactionsEvery)
	counts, err := h.reactions.Take(qctx, names, sec)
	cancel()
	if err != nil {
		h.log.Warn("live hub: reading reactions failed", "err", err)
		return
	}
	at := time.Now()
	for _, ch := range chans {
		c := counts[ch.name]
		if len(c) == 0 {
			continue
		}
		data, err := json.Marshal(struct {
			Counts map[string]int `json:"counts"`
		}{c})
		if err != nil {
			continue
		}
		b := encodeEvent(Event{Channel: ch.name, Type: ReactionsType, At: at, Data: data})
		ch.mu.Lock()
		for _, s := range ch.subs {
			s.c.enqueue(b, false)
		}
		ch.mu.Unlock()
	}
}
