package live

import (
	"context"
	"sync"
	"time"
)

// Coalescer turns bursts of committed changes to one item (votes on a
// question, ballots of a poll) into few events. Each change is committed
// at once (its response carries the true state); it then touches its item
// here. The first touch starts a timer of one window; touches while it
// runs add nothing. When it fires, flush runs once for the item (typically
// one small transaction that reads the item's current state under its row
// lock and emits one event with it). So a burst of any size costs one
// event per item per window per instance, and the last event of a burst
// carries the final state: every change committed before a flush is read
// by it, and a change committed after finds no timer and starts the next.
type Coalescer struct {
	window time.Duration
	flush  func(ctx context.Context, id int64) error
	onErr  func(id int64, err error)

	mu     sync.Mutex
	timers map[int64]*time.Timer
	closed bool
	wg     sync.WaitGroup
}

// NewCoalescer flushes each touched item at most once per window; onErr
// (may be nil) hears of failed flushes.
func NewCoalescer(window time.Duration, flush func(ctx context.Context, id int64) error, onErr func(id int64, err error)) *Coalescer {
	return &Coalescer{window: window, flush: flush, onErr: onErr, timers: map[int64]*time.Timer{}}
}

// Touch notes a committed change of item id.
func (c *Coalescer) Touch(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if _, ok := c.timers[id]; ok {
		return
	}
	c.wg.Add(1)
	c.timers[id] = time.AfterFunc(c.window, func() { c.fire(id) })
}

func (c *Coalescer) fire(id int64) {
	defer c.wg.Done()
	c.mu.Lock()
	delete(c.timers, id)
	c.mu.Unlock()
	c.run(id)
}

func (c *Coalescer) run(id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.flush(ctx, id); err != nil && c.onErr != nil {
		c.onErr(id, err)
	}
}

// Close flushes every waiting item now and waits for running flushes;
// later touches are ignored (the server is stopping). Safe to call twice.
func (c *Coalescer) Close() error {
	c.mu.Lock()
	c.closed = true
	var now []int64
	for id, t := range c.timers {
		if t.Stop() {
			now = append(now, id)
			delete(c.timers, id)
		}
	}
	c.mu.Unlock()
	for _, id := range now {
		c.run(id)
		c.wg.Done()
	}
	c.wg.Wait()
	return nil
}
