package realtime

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// presenceLoop sends each public channel's viewer count to its local
// subscribers, at most once per PresenceEvery and only when it changed (or
// someone joined). A signed-in user counts once however many sockets they
// hold. With Redis configured the count covers every instance: each
// instance writes its anonymous count into a hash per channel (field =
// instance id, value = "count:unixms") and its signed-in users into a
// sorted set per channel (member = user id, score = unixms), and the total
// is the sum of the fresh hash fields plus the number of fresh users, so a
// user with tabs on two instances still counts once. Stale entries (an
// instance that died, a user who left) stop counting after a few
// intervals. Presence has no seq and is never stored or replayed.
func (h *Hub) presenceLoop(ctx context.Context) {
	t := time.NewTicker(h.cfg.PresenceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			h.presenceCleanup()
			return
		case <-t.C:
			h.presenceTick(ctx)
		}
	}
}

func (h *Hub) presenceKey(name string) string {
	return h.cfg.RedisPrefix + "presence:" + name
}

func (h *Hub) presenceUsersKey(name string) string {
	return h.cfg.RedisPrefix + "presence-users:" + name
}

// localPresence is one channel's viewers on this instance.
type localPresence struct {
	anonymous int
	users     []int64
}

func (p localPresence) count() int { return p.anonymous + len(p.users) }

func (h *Hub) presenceTick(ctx context.Context) {
	h.mu.Lock()
	chans := make([]*channel, 0, len(h.channels))
	for _, ch := range h.channels {
		if ch.public {
			chans = append(chans, ch)
		}
	}
	h.mu.Unlock()

	local := make([]localPresence, len(chans))
	totals := make([]int, len(chans))
	for i, ch := range chans {
		ch.mu.Lock()
		local[i].anonymous = ch.anonymous
		if h.cfg.Redis != nil {
			local[i].users = make([]int64, 0, len(ch.users))
			for uid := range ch.users {
				local[i].users = append(local[i].users, uid)
			}
		}
		totals[i] = ch.viewersLocked()
		ch.mu.Unlock()
	}
	if h.cfg.Redis != nil {
		totals = h.presenceShared(ctx, chans, local, totals)
	}
	at := time.Now()
	for i, ch := range chans {
		ch.mu.Lock()
		if ch.inited && len(ch.subs) > 0 && (totals[i] != ch.viewers || ch.joined) {
			ch.viewers, ch.joined = totals[i], false
			data := strconv.AppendInt([]byte(`{"viewers":`), int64(totals[i]), 10)
			data = append(data, '}')
			b := encodeEvent(Event{Channel: ch.name, Type: PresenceType, At: at, Data: json.RawMessage(data)})
			for _, s := range ch.subs {
				s.c.enqueue(b, false)
			}
		}
		ch.mu.Unlock()
	}
}

// presenceShared publishes this instance's viewers and returns the totals
// over all instances; on a Redis error it returns the local counts.
func (h *Hub) presenceShared(ctx context.Context, chans []*channel, local []localPresence, localTotals []int) []int {
	now := time.Now().UnixMilli()
	fresh := (3*h.cfg.PresenceEvery + 5*time.Second).Milliseconds()
	ttl := time.Duration(10*fresh) * time.Millisecond
	pipe := h.cfg.Redis.Pipeline()
	gets := make([]*redis.MapStringStringCmd, len(chans))
	users := make([]*redis.IntCmd, len(chans))
	current := make(map[string]bool, len(chans))
	for i, ch := range chans {
		key, ukey := h.presenceKey(ch.name), h.presenceUsersKey(ch.name)
		current[ch.name] = true
		pipe.HSet(ctx, key, h.cfg.InstanceID, strconv.Itoa(local[i].anonymous)+":"+strconv.FormatInt(now, 10))
		pipe.PExpire(ctx, key, ttl)
		gets[i] = pipe.HGetAll(ctx, key)
		if len(local[i].users) > 0 {
			members := make([]redis.Z, len(local[i].users))
			for j, uid := range local[i].users {
				members[j] = redis.Z{Score: float64(now), Member: uid}
			}
			pipe.ZAdd(ctx, ukey, members...)
			pipe.PExpire(ctx, ukey, ttl)
		}
		pipe.ZRemRangeByScore(ctx, ukey, "-inf", strconv.FormatInt(now-fresh, 10))
		users[i] = pipe.ZCard(ctx, ukey)
	}
	for name := range h.presenceKeys {
		if !current[name] {
			pipe.HDel(ctx, h.presenceKey(name), h.cfg.InstanceID)
			delete(h.presenceKeys, name)
		}
	}
	for name := range current {
		h.presenceKeys[name] = true
	}
	if pipe.Len() == 0 {
		return localTotals
	}
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := pipe.Exec(qctx); err != nil {
		return localTotals
	}
	totals := make([]int, len(chans))
	for i, g := range gets {
		totals[i] = int(users[i].Val())
		for field, v := range g.Val() {
			cnt, ts, ok := strings.Cut(v, ":")
			if !ok {
				continue
			}
			n, err1 := strconv.Atoi(cnt)
			t, err2 := strconv.ParseInt(ts, 10, 64)
			if err1 != nil || err2 != nil {
				continue
			}
			if field == h.cfg.InstanceID {
				n = local[i].anonymous
			} else if now-t > fresh {
				continue
			}
			totals[i] += n
		}
	}
	return totals
}

// presenceCleanup removes this instance's presence fields when it stops.
func (h *Hub) presenceCleanup() {
	if h.cfg.Redis == nil || len(h.presenceKeys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pipe := h.cfg.Redis.Pipeline()
	for name := range h.presenceKeys {
		pipe.HDel(ctx, h.presenceKey(name), h.cfg.InstanceID)
	}
	_, _ = pipe.Exec(ctx)
	clear(h.presenceKeys)
}
