package realtime

import (
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
