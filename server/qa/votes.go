package qa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

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

// votedEvent is the data of question.voted.
type votedEvent struct {
	ID    int64 `json:"id"`
	Votes int   `json:"votes"`
}

// flushVotes emits one question.voted with the question's current count:
// on the staff channel always, on the public one while the question is
// publicly visible.
func (d *Domain) flushVotes(ctx context.Context, questionID int64) error {
	return d.mod.Recorder.InTx(ctx, func(tx *live.Tx) error {
		var r struct {
			TalkID     int64  `db:"talk_id"`
			TalkStatus string `db:"talk_status"`
			Status     string `db:"status"`
			Votes      int    `db:"votes"`
		}
		err := tx.GetContext(ctx, &r, lockVotes, questionID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // deleted with its talk meanwhile
		}
		if err != nil {
			return fmt.Errorf("read votes of question %d: %w", questionID, err)
		}
		ev := votedEvent{ID: questionID, Votes: r.Votes}
		var pub any
		if public(r.Status) {
			pub = ev
		}
		return moderation.Publish(tx, moderation.TalkRef{ID: r.TalkID, Status: r.TalkStatus}, "question.voted",
			live.Subject("question", questionID), ev, pub)
	})
}
