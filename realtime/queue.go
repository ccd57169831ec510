package realtime

import "context"

// The send queue of one connection: live events are queued without
// blocking within its budget (a client over it is closed as a slow
// consumer); replayed events wait for room, so a replay never holds more
// than the budget either.

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
