package qa

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// coalescer turns bursts of votes into few question.voted events. Each vote
// is committed at once (its response carries the true count); it then
// touches its question here. The first touch starts a timer of one window;
// touches while it runs add nothing. When it fires, one small transaction
// reads the question's current count and emits question.voted with it.
// So a burst of any size costs one event per question per window per
// instance, and the last event of a burst carries the final count: every
// vote committed before a flush reads its count, and a vote committed after
// finds no timer and starts the next one.
type coalescer struct {
	window time.Duration
	flush  func(ctx context.Context, questionID int64) error
	onErr  func(questionID int64, err error)

	mu     sync.Mutex
	timers map[int64]*time.Timer
	closed bool
	wg     sync.WaitGroup
}

func newCoalescer(window time.Duration, flush func(context.Context, int64) error, onErr func(int64, error)) *coalescer {
	return &coalescer{window: window, flush: flush, onErr: onErr, timers: map[int64]*time.Timer{}}
}

// touch notes a committed vote change on questionID.
func (c *coalescer) touch(questionID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if _, ok := c.timers[questionID]; ok {
		return
	}
	c.wg.Add(1)
	c.timers[questionID] = time.AfterFunc(c.window, func() { c.fire(questionID) })
}

func (c *coalescer) fire(questionID int64) {
	defer c.wg.Done()
	c.mu.Lock()
	delete(c.timers, questionID)
	c.mu.Unlock()
	c.run(questionID)
}

func (c *coalescer) run(questionID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.flush(ctx, questionID); err != nil && c.onErr != nil {
		c.onErr(questionID, err)
	}
}

// Close publishes every waiting count now and waits for running flushes;
// later touches are ignored (the server is stopping). Safe to call twice.
func (c *coalescer) Close() error {
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

// flushVotes emits one question.voted with the question's current count:
// on the staff channel always, on the public one while the question is
// publicly visible.
func (s *Service) flushVotes(ctx context.Context, questionID int64) error {
	return s.rec.InTx(ctx, func(tx *live.Tx) error {
		r, err := s.store.LockVotes(ctx, tx, questionID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil // deleted with its talk meanwhile
		}
		if err != nil {
			return err
		}
		ev := votedEvent{ID: questionID, Votes: r.Votes}
		return moderation.Publish(tx, r.Access, "question.voted", live.Subject("question", questionID), ev, moderation.IfPublic(public(r.Status), ev))
	})
}
