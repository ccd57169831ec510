package realtime

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// presenceLoop sends each public channel's viewer count to its local
// subscribers, at most once per PresenceEvery and only when it changed (or
// someone joined). A signed-in user counts once however many sockets they
// hold; the count covers every instance that shares the hub's Presence
// (RedisPresence across processes). Presence has no seq and is never stored
// or replayed.
func (h *Hub) presenceLoop(ctx context.Context) {
	every(ctx, h.cfg.PresenceEvery, func() { h.presenceTick(ctx) })
	h.presenceCleanup()
}

// every calls tick every d until ctx ends.
func every(ctx context.Context, d time.Duration, tick func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tick()
		}
	}
}

func (h *Hub) presenceTick(ctx context.Context) {
	chans := h.channelsWhere(func(ch *channel) bool { return ch.public })

	local := make(map[string]Viewers, len(chans))
	for _, ch := range chans {
		ch.mu.Lock()
		v := Viewers{Anonymous: ch.anonymous, Users: make([]int64, 0, len(ch.users))}
		for uid := range ch.users {
			v.Users = append(v.Users, uid)
		}
		ch.mu.Unlock()
		local[ch.name] = v
	}
	gone := make([]string, 0)
	for name := range h.presenceKeys {
		if _, ok := local[name]; !ok {
			gone = append(gone, name)
			delete(h.presenceKeys, name)
		}
	}
	for name := range local {
		h.presenceKeys[name] = true
	}
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	totals, err := h.presence.Report(qctx, h.cfg.InstanceID, local, gone)
	cancel()
	if err != nil {
		// Count this instance alone rather than show nothing.
		totals = make(map[string]int, len(local))
		for name, v := range local {
			totals[name] = v.Count()
		}
	}
	at := time.Now()
	for _, ch := range chans {
		total := totals[ch.name]
		ch.mu.Lock()
		if ch.inited && len(ch.subs) > 0 && (total != ch.viewers || ch.joined) {
			ch.viewers, ch.joined = total, false
			data := strconv.AppendInt([]byte(`{"viewers":`), int64(total), 10)
			data = append(data, '}')
			b := encodeEvent(Event{Channel: ch.name, Type: PresenceType, At: at, Data: json.RawMessage(data)})
			for _, s := range ch.subs {
				s.c.enqueue(b, false)
			}
		}
		ch.mu.Unlock()
	}
}

// presenceCleanup withdraws this instance's viewers when it stops.
func (h *Hub) presenceCleanup() {
	if len(h.presenceKeys) == 0 {
		return
	}
	gone := make([]string, 0, len(h.presenceKeys))
	for name := range h.presenceKeys {
		gone = append(gone, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = h.presence.Report(ctx, h.cfg.InstanceID, nil, gone)
	clear(h.presenceKeys)
}

// Room is what this instance sees of one public channel: its signed-in
// subscribers here, and the viewers over every instance as last counted.
type Room struct {
	Channel string
	Users   []int64 // distinct signed-in users subscribed on this instance
	Viewers int     // the last presence count over all instances (0 before the first)
}

// Rooms lists the public channels that have subscribers on this instance
// (attendance samples it: who is in which live room, and how full it is).
func (h *Hub) Rooms() []Room {
	chans := h.channelsWhere(func(ch *channel) bool { return ch.public })
	rooms := make([]Room, 0, len(chans))
	for _, ch := range chans {
		ch.mu.Lock()
		r := Room{Channel: ch.name, Users: make([]int64, 0, len(ch.users)), Viewers: ch.viewers}
		for uid := range ch.users {
			r.Users = append(r.Users, uid)
		}
		if r.Viewers < ch.anonymous+len(ch.users) {
			r.Viewers = ch.anonymous + len(ch.users) // before the first count, or between two
		}
		empty := len(ch.subs) == 0
		ch.mu.Unlock()
		if !empty {
			rooms = append(rooms, r)
		}
	}
	return rooms
}
