package registrations

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Test hooks for the external tests.
var ErrMissing = errMissing

// Queued reports how many requests wait in talkID's queue, how many its
// batches took since the queue was created, and whether the queue exists.
func (b *Batcher) Queued(talkID int64) (waiting, taken int, ok bool) { return b.queued(talkID) }

// Queues is the number of talks with a queue (each has one goroutine).
func (b *Batcher) Queues() int { return b.queueCount() }

// Batcher is the batcher of the service's registrations.
func (s *Service) Batcher() *Batcher { return s.batcher }

// Cancel cancels userID's registration for talkID in tx, as a request would.
func Cancel(ctx context.Context, tx sqlx.ExtContext, talkID, userID int64) (bool, error) {
	return new(Service).cancel(ctx, tx, talkID, userID)
}

// Outcome is what one request of RegisterMany is told.
type Outcome struct {
	Reg     Registration
	Created bool
	Err     error
}

// RegisterMany queues one request per user id, all at once and in order
// (so that they go in one batch when none runs), and waits for them.
func (b *Batcher) RegisterMany(ctx context.Context, talkID int64, userIDs []int64) []Outcome {
	reqs := make([]request, len(userIDs))
	for i, id := range userIDs {
		reqs[i] = request{userID: id}
	}
	out := make([]Outcome, len(reqs))
	for i, o := range b.lanes.DoAll(ctx, talkID, reqs) {
		out[i] = Outcome{o.Val.Registration, o.Val.Created, o.Err}
	}
	return out
}
