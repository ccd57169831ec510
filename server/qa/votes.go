package qa

import (
	"context"
	"errors"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// flushVotes emits one question.voted with the question's current count:
// on the staff channel always, on the public one while the question is
// publicly visible. It is the flush of the votes' live.Coalescer: bursts of
// votes on one question become one event per window.
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
