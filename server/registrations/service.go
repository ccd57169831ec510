package registrations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/ratelimit"
	"github.com/hubtalks/hubtalks/server/talks"
)

// batchTimeout is the deadline of one batch of registrations (a request's
// own deadline, see httpx.WithDeadline, is 5 s).
const batchTimeout = 5 * time.Second

// Service is the rules of registering: the batched registration, its
// cancellation, the waitlist's promotions and who sees the registrants.
type Service struct {
	db      *sqlx.DB
	rec     *live.Recorder
	store   Store
	batcher *Batcher
	limiter ratelimit.Limiter // nil: changes are not limited
}

// Registration changes (registering or cancelling) per user: plenty for
// anyone changing their mind, too few to bomb an address with messages.
const (
	changesPerUser = 20
	changeWindow   = 10 * time.Minute
)

// LimitChanges limits each user's registration changes with l.
func (s *Service) LimitChanges(l ratelimit.Limiter) { s.limiter = l }

func (s *Service) admitChange(ctx context.Context, actor *domain.User) error {
	if s.limiter == nil {
		return nil
	}
	if ok, retry := s.limiter.Allow(ctx, "registrations:user:"+strconv.FormatInt(actor.ID, 10), changesPerUser, changeWindow); !ok {
		return domain.TooMany("too many registration changes; wait and try again", retry)
	}
	return nil
}

// NewService builds the registrations' rules on db. Its Erase and Export
// are its part of an account's erasure and export (accounts.OnErase,
// OnExport); its Promote is talks' when a capacity is raised.
func NewService(db *sqlx.DB, rec *live.Recorder) *Service {
	b := NewBatcher(db, DefaultBatchSize, batchTimeout)
	return &Service{db: db, rec: rec, store: b.store, batcher: b}
}

// Register registers actor for talkID through the talk's batch and answers
// 201 with the new registration, or 200 with the existing one. With key
// (the request's Idempotency-Key) the batch replays the answer stored under
// it, or stores its answer under it. The answer is durable when Register
// returns.
func (s *Service) Register(ctx context.Context, actor *domain.User, talkID int64, key *idempotency.Key) (idempotency.Response, error) {
	if actor.IsGuest() {
		return idempotency.Response{}, ErrEmailRequired
	}
	if err := s.admitChange(ctx, actor); err != nil {
		return idempotency.Response{}, err
	}
	res, err := s.batcher.Register(ctx, talkID, actor.ID, key)
	switch {
	case errors.Is(err, ErrClosed):
		return idempotency.Response{}, s.closed(ctx, actor, talkID)
	case err != nil:
		return idempotency.Response{}, err
	case res.Response != nil:
		return *res.Response, nil
	}
	return respond(res.Registration, res.Created)
}

// respond is the answer to a registration: 201 with a new one, 200 with
// the user's existing one.
func respond(r Registration, created bool) (idempotency.Response, error) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return idempotency.JSON(status, r)
}

// closed is the error for a registration refused because the talk is
// closed: ErrClosed, or no such talk for a caller who may not see it.
func (s *Service) closed(ctx context.Context, actor *domain.User, talkID int64) error {
	a, err := talks.AccessFor(ctx, s.db, talkID, actor)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && !a.Visible()) {
		return errMissing
	}
	if err != nil {
		return err
	}
	return ErrClosed
}

// Cancel removes actor's registration for talkID (also when there is none).
func (s *Service) Cancel(ctx context.Context, actor *domain.User, talkID int64) error {
	if err := s.admitChange(ctx, actor); err != nil {
		return err
	}
	return s.rec.InTx(ctx, func(tx *live.Tx) error {
		_, err := s.cancel(ctx, tx, talkID, actor.ID)
		return err
	})
}

// cancel removes userID's registration for talkID in tx; when it was
// confirmed and the talk still runs, the head of the waitlist is confirmed
// in the same transaction, and the user is sent a METHOD:CANCEL for their
// calendar (when they were ever invited). It reports whether there was a
// registration.
func (s *Service) cancel(ctx context.Context, tx sqlx.ExtContext, talkID, userID int64) (bool, error) {
	status, err := s.store.lockTalk(ctx, tx, talkID)
	if err != nil {
		return false, err
	}
	was, err := s.store.deleteMine(ctx, tx, talkID, userID)
	if err != nil || was == "" {
		return false, err
	}
	if was == "confirmed" && (status == talks.StatusScheduled || status == talks.StatusLive) {
		if _, err := s.Promote(ctx, tx, talkID); err != nil {
			return false, err
		}
		if err := s.store.unregistered(ctx, tx, talkID, userID); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Promote confirms waitlisted registrations of talkID in arrival order while
// there is room (after a cancellation, or a raise of the talk's capacity),
// writing a promotion message for each to the outbox. The caller holds the
// talk's row lock (or the trigger will take it). It returns the promoted
// users in order.
func (s *Service) Promote(ctx context.Context, tx sqlx.ExtContext, talkID int64) ([]int64, error) {
	return s.store.promote(ctx, tx, talkID)
}

// Registrants lists a talk's registrations to its staff; emails to
// moderators and admins only.
func (s *Service) Registrants(ctx context.Context, actor *domain.User, talkID int64) ([]Registrant, error) {
	a, err := talks.AccessFor(ctx, s.db, talkID, actor)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && !a.Visible()) {
		return nil, fmt.Errorf("talk %d: %w", talkID, domain.ErrNotFound) // as talks tells it
	}
	if err != nil {
		return nil, err
	}
	if !a.Staff() {
		return nil, domain.Forbidden("only the talk's speakers, moderators and admins see its registrants")
	}
	rs, err := s.store.registrants(ctx, s.db, talkID)
	if err != nil {
		return nil, err
	}
	if !actor.IsModerator() {
		for i := range rs {
			rs[i].Email = nil
		}
	}
	return rs, nil
}

// Mine lists actor's registrations, each with its talk as actor sees it
// (none for a talk actor may not see).
func (s *Service) Mine(ctx context.Context, actor *domain.User) ([]Registration, error) {
	rs, err := s.store.mine(ctx, s.db, actor.ID)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		t, err := talks.ForViewer(ctx, s.db, rs[i].TalkID, actor)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		rs[i].Talk = &t
	}
	return rs, nil
}

// Export is a user's registrations (without their talks), for their data
// export.
func (s *Service) Export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	return s.store.mine(ctx, db, userID)
}

// Erase cancels every registration of userID as the user would (promoting
// from waitlists), removes the rest, their unsent messages and their
// idempotency keys (stored responses hold registrations).
func (s *Service) Erase(ctx context.Context, tx *live.Tx, userID int64) error {
	ids, err := s.store.activeTalks(ctx, tx, userID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.cancel(ctx, tx, id, userID); err != nil {
			return err
		}
	}
	if err := s.store.erase(ctx, tx, userID); err != nil {
		return err
	}
	return idempotency.Erase(ctx, tx.Tx, userID)
}

// SendCurrentState runs in tx when userID's address has just been
// verified: the registration messages held until then are dropped, and one
// message per active registration for a talk still to come tells its
// current state (not a backlog of every change).
func (s *Service) SendCurrentState(ctx context.Context, tx sqlx.ExtContext, userID int64) error {
	return s.store.sendCurrentState(ctx, tx, userID)
}

// WaitDurable returns once every transaction committed before the call is
// flushed to disk: the batches commit asynchronously so that the talk's row
// lock is not held while the disk syncs, and nobody is answered before the
// registration is durable. Many concurrent waits share one flush.
func WaitDurable(ctx context.Context, db sqlx.ExecerContext) error { return live.AwaitDurable(ctx, db) }
