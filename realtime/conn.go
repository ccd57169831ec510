package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// transport is the part of a WebSocket connection the hub uses. The
// fasthttp/websocket conn inside a contrib/websocket Conn satisfies it.
// Only WriteControl and Close may be called concurrently with the others.
type transport interface {
	ReadMessage() (int, []byte, error)
	WriteMessage(messageType int, data []byte) error
	WriteControl(messageType int, data []byte, deadline time.Time) error
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	SetReadLimit(limit int64)
	SetPongHandler(h func(string) error)
	SetPingHandler(h func(string) error)
	NetConn() net.Conn
}

// client is one connection: a bounded send queue and the subscriptions its
// reader goroutine manages. Its writer goroutine exists only while there is
// something to write (frames, a ping, the close frame): an idle connection
// costs one goroutine (fasthttp's, running ServeConn), not two, which is
// most of the memory of an idle subscriber.
type client struct {
	h *Hub
	p Principal
	t transport

	mu       sync.Mutex
	q        [][]byte // frames waiting for the writer
	spare    [][]byte // the writer's previous batch, reused: no allocation per frame
	qBytes   int      // bytes of non-forced frames in q
	writing  bool     // a writer goroutine is running
	pingDue  bool     // the hub's pinger asked for a ping
	nextPing time.Time
	dead     bool // closing: enqueue is a no-op
	finished bool // ServeConn returned: the transport belongs to the pool
	disc     Disconnect
	libSent  bool           // the websocket library already sent the close frame
	room     chan struct{}  // closed when the writer takes the queue (a replay waits on it)
	writers  sync.WaitGroup // the writer goroutine, if any

	// Owned by the reader goroutine.
	subs      map[string]*subRef
	tokens    float64
	lastAt    time.Time
	excess    int
	subTokens float64
	subLastAt time.Time
}

type subRef struct {
	ch *channel
	s  *sub
}

func newClient(h *Hub, p Principal, t transport) *client {
	now := time.Now()
	return &client{h: h, p: p, t: t, tokens: h.cfg.FrameBurst, subTokens: h.cfg.SubscribeBurst, subLastAt: now,
		nextPing: now.Add(h.cfg.PingEvery)}
}

// kickLocked starts the writer unless it is running. c.mu is held.
func (c *client) kickLocked() {
	if !c.writing {
		c.writing = true
		c.writers.Add(1)
		go c.writeLoop()
	}
}

// enqueue queues frame for the writer without blocking. A forced frame
// (small control replies: subscribed, error, pong) bypasses the queue limit;
// any other frame that would overflow it closes the connection as a slow
// consumer, so one stuck client never holds up a fan-out. Replayed events
// go through enqueueFrames, which waits for room instead.
func (c *client) enqueue(frame []byte, force bool) bool {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return false
	}
	if !force {
		if c.qBytes+len(frame) > c.h.cfg.SendQueueBytes || len(c.q) >= c.h.cfg.SendQueueMessages {
			c.mu.Unlock()
			c.h.m.slowDrops.Inc()
			c.close(DisconnectSlow)
			return false
		}
		c.qBytes += len(frame)
	}
	c.q = append(c.q, frame)
	c.kickLocked()
	c.mu.Unlock()
	return true
}

// fitsLocked reports whether n more frames of size bytes fit in the queue.
func (c *client) fitsLocked(n, size int) bool {
	return c.qBytes+size <= c.h.cfg.SendQueueBytes && len(c.q)+n <= c.h.cfg.SendQueueMessages
}

// enqueueAll queues all frames if they fit in the budget now, or none.
func (c *client) enqueueAll(frames []*frame) bool {
	size := 0
	for _, f := range frames {
		size += len(f.b)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || !c.fitsLocked(len(frames), size) {
		return false
	}
	for _, f := range frames {
		c.q = append(c.q, f.b)
	}
	c.qBytes += size
	if len(frames) > 0 {
		c.kickLocked()
	}
	return true
}

// enqueueFrames queues replayed frames within the budget, waiting for the
// writer to take the queue whenever the next frame does not fit. It returns
// false once the connection is closing (a client that does not read is
// closed by the write deadline).
func (c *client) enqueueFrames(frames []*frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range frames {
		for !c.dead && c.qBytes > 0 && !c.fitsLocked(1, len(f.b)) {
			if !c.waitLocked() {
				return false
			}
		}
		if c.dead {
			return false
		}
		c.q = append(c.q, f.b)
		c.qBytes += len(f.b)
		c.kickLocked()
	}
	return !c.dead
}

// waitRoom waits until the queue holds at most low bytes; false when the
// connection is closing.
func (c *client) waitRoom(ctx context.Context, low int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.dead && c.qBytes > low {
		if ctx.Err() != nil || !c.waitLocked() {
			return false
		}
	}
	return !c.dead
}

// waitLocked releases c.mu until the writer takes the queue or the
// connection closes, and takes it again; false when the hub stops.
func (c *client) waitLocked() bool {
	if c.room == nil {
		c.room = make(chan struct{})
	}
	room := c.room
	c.mu.Unlock()
	defer c.mu.Lock()
	select {
	case <-room:
		return true
	case <-c.h.ctx.Done():
		return false
	}
}

// signalRoomLocked wakes a replay waiting for room.
func (c *client) signalRoomLocked() {
	if c.room != nil {
		close(c.room)
		c.room = nil
	}
}

// requestPing asks the writer for a ping if one is due.
func (c *client) requestPing(now time.Time) {
	c.mu.Lock()
	if !c.dead && !c.finished && now.After(c.nextPing) {
		c.nextPing = now.Add(c.h.cfg.PingEvery)
		c.pingDue = true
		c.kickLocked()
	}
	c.mu.Unlock()
}

// close starts closing the connection with d; the first reason wins. The
// writer flushes and sends the close frame. If the writer is stuck on a
// peer that does not read, the socket deadlines are cut after a grace
// period.
func (c *client) close(d Disconnect) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	c.dead = true
	c.disc = d
	c.signalRoomLocked()
	if !c.finished {
		c.kickLocked()
		time.AfterFunc(c.h.cfg.CloseGrace, c.hardClose)
	}
	c.mu.Unlock()
}

// hardClose expires both deadlines of the socket (unless ServeConn has
// already returned), which unblocks a writer stuck on a peer that does not
// read and the reader. Closing is left to ServeConn's return: fasthttp
// ignores Close on a hijacked conn and closes it after the handler.
func (c *client) hardClose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.finished && c.t != nil {
		_ = c.t.NetConn().SetDeadline(time.Now())
	}
}

// refreshRead pushes the idle deadline back, unless the connection is
// closing (then the close handshake's shorter deadline stays).
func (c *client) refreshRead() {
	c.mu.Lock()
	if !c.dead && c.t != nil {
		_ = c.t.NetConn().SetReadDeadline(time.Now().Add(c.h.cfg.IdleTimeout))
	}
	c.mu.Unlock()
}

// endRead gives the peer d to answer the close frame; the reader then ends.
func (c *client) endRead(d time.Duration) {
	c.mu.Lock()
	if c.t != nil && !c.finished {
		_ = c.t.NetConn().SetReadDeadline(time.Now().Add(d))
	}
	c.mu.Unlock()
}

func (c *client) isDead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead
}

func (c *client) giveBack(batch [][]byte) {
	clear(batch) // drop references to frames
	c.mu.Lock()
	if c.spare == nil && cap(batch) <= 4*c.h.cfg.SendQueueMessages {
		c.spare = batch[:0]
	}
	c.mu.Unlock()
}

// take swaps the queue for the spare buffer and returns the frames to write.
func (c *client) take() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.takeLocked()
}

func (c *client) takeLocked() [][]byte {
	batch := c.q
	c.q = c.spare[:0]
	c.spare = nil
	c.qBytes = 0
	c.signalRoomLocked()
	return batch
}

// writeLoop is the connection's only writer while it runs: it writes what
// is queued, a due ping, and finally the close frame, then exits when there
// is nothing left. Every write has the WriteTimeout deadline: a peer that
// stops reading is cut when the write blocks that long, whatever it was
// sent (its queue may never overflow if nothing new arrives).
func (c *client) writeLoop() {
	defer c.writers.Done()
	for {
		c.mu.Lock()
		if c.dead {
			c.mu.Unlock()
			c.writeClose()
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch, ping := c.takeLocked(), c.pingDue
		c.pingDue = false
		if len(batch) == 0 && !ping {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()

		for _, f := range batch {
			_ = c.t.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout))
			if err := c.t.WriteMessage(websocket.TextMessage, f); err != nil {
				c.giveBack(batch)
				c.writeFailed(err)
				return
			}
		}
		c.giveBack(batch)
		// Pings keep proxies from timing out an idle socket and make a dead
		// peer show up as an error.
		if ping {
			if err := c.t.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
				c.writeFailed(err)
				return
			}
		}
	}
}

// writeFailed ends the connection after a failed write. A write that timed
// out is a slow consumer: the peer stopped reading.
func (c *client) writeFailed(err error) {
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	c.mu.Lock()
	if !c.dead {
		c.dead = true
		c.disc = DisconnectWriteError
		if timeout {
			c.h.m.slowDrops.Inc()
		}
	}
	c.signalRoomLocked()
	c.writing = false
	c.mu.Unlock()
	c.endRead(0)
}

// writeClose flushes what is queued (error frames, the last events; not for
// a slow consumer, whose queue is what got it closed) and sends the close
// frame, then gives the peer a moment to answer it rather than cutting the
// socket: a reset could destroy the close frame unread.
func (c *client) writeClose() {
	c.mu.Lock()
	d, libSent := c.disc, c.libSent
	var batch [][]byte
	if d != DisconnectSlow && d != DisconnectWriteError && !libSent {
		batch = c.takeLocked()
	}
	c.mu.Unlock()
	if len(batch) > 0 {
		_ = c.t.SetWriteDeadline(time.Now().Add(time.Second))
		for _, f := range batch {
			if c.t.WriteMessage(websocket.TextMessage, f) != nil {
				break
			}
		}
		c.giveBack(batch)
	}
	if d == DisconnectWriteError || libSent {
		c.endRead(0)
		return
	}
	_ = c.t.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(d.Code, d.Reason), time.Now().Add(time.Second))
	c.endRead(c.h.cfg.CloseGrace)
}

// ServeConn runs one live connection until it ends: it registers the
// connection, reads client frames in the calling goroutine, writes from one
// writer goroutine at a time, and unregisters before returning
// (contrib/websocket pools the Conn as soon as the handler returns, so
// nothing may keep it).
func (h *Hub) ServeConn(conn *websocket.Conn, p Principal) {
	h.serve(conn.Conn, p)
}

func (h *Hub) serve(t transport, p Principal) {
	c := newClient(h, p, t)
	if ok, d := h.register(c); !ok {
		_ = t.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(d.Code, d.Reason), time.Now().Add(time.Second))
		// Let the peer read the close frame before fasthttp closes the socket.
		_ = t.SetReadDeadline(time.Now().Add(h.cfg.CloseGrace))
		for {
			if _, _, err := t.ReadMessage(); err != nil {
				return
			}
		}
	}
	defer h.unregister(c)

	t.SetReadLimit(h.cfg.ReadLimit)
	c.refreshRead()
	t.SetPongHandler(func(string) error {
		c.refreshRead()
		return nil
	})
	t.SetPingHandler(func(data string) error {
		c.refreshRead()
		// A failed pong surfaces as a read or write error soon enough.
		_ = t.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(h.cfg.WriteTimeout))
		return nil
	})

	// The reader runs until the socket fails. Once the connection is
	// closing it only drains (waiting for the peer's close frame, within
	// the deadline the writer set).
	c.lastAt = time.Now()
	for {
		mt, msg, err := t.ReadMessage()
		if err != nil {
			c.close(readErrorDisconnect(c, err))
			break
		}
		if c.isDead() {
			continue
		}
		c.refreshRead()
		if !c.allowFrame() {
			continue
		}
		if mt != websocket.TextMessage {
			c.close(DisconnectBadFrame)
			continue
		}
		h.handleFrame(c, msg)
	}
	c.writers.Wait()
	for name := range c.subs {
		h.unsubscribe(c, name)
	}
	c.mu.Lock()
	c.finished = true
	c.t = nil
	c.mu.Unlock()
}

func readErrorDisconnect(c *client, err error) Disconnect {
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		c.mu.Lock()
		c.libSent = true // fasthttp/websocket has written the 1009 close frame
		c.mu.Unlock()
		return DisconnectTooBig
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		return DisconnectNormal
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return DisconnectIdle
	}
	return DisconnectNormal
}

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
