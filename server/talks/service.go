package talks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
)

// Service holds the talks' rules.
type Service struct {
	db    *sqlx.DB
	rec   *live.Recorder
	store Store
	// Promote confirms from a talk's waitlist, in tx, when its capacity is
	// raised: the waitlist's rule is registrations' (which imports talks),
	// so the wiring sets it (server/domains.go).
	Promote func(ctx context.Context, tx sqlx.ExtContext, talkID int64) ([]int64, error)
}

// NewService builds the talks' rules on db, recording events with rec.
func NewService(db *sqlx.DB, rec *live.Recorder) *Service {
	return &Service{db: db, rec: rec}
}

// Txn runs fn in one transaction and returns its talk (see live.Txn).
type Txn = live.Txn[Talk]

// InTx is the Txn of a plain transaction of the service's recorder.
func (s *Service) InTx(ctx context.Context) Txn { return live.TxnOf[Talk](ctx, s.rec) }

// moderatorOnly refuses a change that only global staff may make (the
// routes refuse it first).
func moderatorOnly(actor *domain.User) error {
	if actor.IsModerator() {
		return nil
	}
	return domain.Forbidden("your role may not do this")
}

// Get is a talk as viewer may see it: not found for a draft they may not
// see; stream_url only for staff of the talk and confirmed registrants.
func (s *Service) Get(ctx context.Context, viewer *domain.User, id int64) (Talk, error) {
	return s.view(ctx, s.db, viewer, id)
}

// view is Get in q; it uses nothing of s but its store (so ForViewer can
// call it on a zero Service).
func (s *Service) view(ctx context.Context, q Queryer, viewer *domain.User, id int64) (Talk, error) {
	t, err := s.store.loadFull(ctx, q, id)
	if err != nil {
		return Talk{}, err
	}
	a, err := s.store.Access(ctx, q, id, viewer)
	if err != nil {
		return Talk{}, err
	}
	if !a.Visible() {
		return Talk{}, fmt.Errorf("talk %d is a draft: %w", id, domain.ErrNotFound)
	}
	if t.StreamURL == nil || a.Staff() {
		return t, nil
	}
	registered := false
	if viewer != nil {
		if registered, err = s.store.confirmed(ctx, q, id, viewer.ID); err != nil {
			return Talk{}, err
		}
	}
	if !registered {
		t.StreamURL = nil
	}
	return t, nil
}

// List is one page of the talks q asks for that viewer may see. stream_url
// is for staff and registrants: a list shows it to nobody but global staff
// (Get shows it to everyone allowed).
func (s *Service) List(ctx context.Context, viewer *domain.User, q Query) (keyset.List[Talk], error) {
	f, err := q.filter(viewer)
	if err != nil {
		return keyset.List[Talk]{}, err
	}
	rows, err := s.store.list(ctx, s.db, f)
	if err != nil {
		return keyset.List[Talk]{}, err
	}
	page := keyset.Of(rows, f.Limit, talkRow.talk, func(r talkRow) any { return cursor{StartsAt: r.StartsAt, ID: r.ID} })
	if err := s.store.attachSpeakers(ctx, s.db, page.Items); err != nil {
		return keyset.List[Talk]{}, err
	}
	if !viewer.IsModerator() {
		for i := range page.Items {
			page.Items[i].StreamURL = nil
		}
	}
	return page, nil
}

// Feed is every talk of the public calendar (no drafts); the calendar
// shows no stream_url. It also says when any talk last changed (the feed's
// Last-Modified), read first: a change committed in between then shows as
// a later Last-Modified, never as content older than the date.
func (s *Service) Feed(ctx context.Context) ([]Talk, time.Time, error) {
	changed, err := LastChange(ctx, s.db)
	if err != nil {
		return nil, changed, err
	}
	ts, err := s.store.feed(ctx, s.db)
	return ts, changed, err
}

// Create adds the talk ch describes, in a transaction of txn, and returns
// it whole.
func (s *Service) Create(ctx context.Context, actor *domain.User, ch Change, txn Txn) (Talk, error) {
	if err := moderatorOnly(actor); err != nil {
		return Talk{}, err
	}
	t, speakers, err := ch.newTalk()
	if err != nil {
		return Talk{}, err
	}
	if ok, err := s.store.knownUsers(ctx, s.db, speakers); err != nil {
		return Talk{}, err
	} else if !ok {
		return Talk{}, domain.InvalidField("speakers", "names a user that does not exist or is a guest")
	}
	return txn.Run(func(tx *live.Tx) (Talk, error) {
		id, err := s.store.insert(ctx, tx, t, speakers)
		if err != nil {
			return Talk{}, err
		}
		return s.store.loadFull(ctx, tx, id)
	})
}

// Update changes any subset of the writable fields of talk id and returns
// it whole. Rescheduling (new times) bumps the iCalendar SEQUENCE and tells
// the registrants; raising capacity confirms from the waitlist in order;
// lowering it below the confirmed count is refused.
func (s *Service) Update(ctx context.Context, actor *domain.User, id int64, ch Change) (Talk, error) {
	if err := moderatorOnly(actor); err != nil {
		return Talk{}, err
	}
	return s.InTx(ctx).Run(func(tx *live.Tx) (Talk, error) {
		old, err := s.store.lock(ctx, tx, id)
		if err != nil {
			return Talk{}, err
		}
		t, speakers, err := s.changed(ctx, tx, old, ch)
		if err != nil {
			return Talk{}, err
		}
		rescheduled := (!t.StartsAt.Equal(old.StartsAt) || !t.EndsAt.Equal(old.EndsAt)) && old.Status != StatusDraft
		if rescheduled {
			t.ICalSequence++
		}
		if err := s.store.update(ctx, tx, t); err != nil {
			return Talk{}, err
		}
		if speakers != nil {
			if err := s.store.setSpeakers(ctx, tx, id, speakers); err != nil {
				return Talk{}, err
			}
		}
		if err := s.afterUpdate(ctx, tx, old, t, rescheduled); err != nil {
			return Talk{}, err
		}
		if speakers != nil || t.Status != old.Status {
			// Who may follow the talk's channels may have changed.
			tx.Recheck(live.TalkChannel(id), live.StaffChannel(id))
		}
		return s.emitUpdated(ctx, tx, id)
	})
}

// changed is old with ch applied and checked, and the new speakers (nil
// when ch leaves them).
func (s *Service) changed(ctx context.Context, q sqlx.QueryerContext, old Talk, ch Change) (Talk, []int64, error) {
	t := old
	var v domain.Checker
	var speakers []int64
	ch.apply(&t, &v, &speakers)
	checkTalk(t, &v)
	if ch.present["status"] && t.Status != old.Status && old.Status != StatusDraft && old.Status != StatusScheduled {
		v.AddMsg("status", domain.Say("problem.talk_back", map[string]any{"From": old.Status, "To": t.Status}))
	}
	if t.Capacity != nil && *t.Capacity < old.RegisteredCount {
		v.AddMsg("capacity", domain.Count("problem.capacity_below", old.RegisteredCount, nil))
	}
	if speakers != nil {
		if ok, err := s.store.knownUsers(ctx, q, speakers); err != nil {
			return Talk{}, nil, err
		} else if !ok {
			v.Add("speakers", "names a user that does not exist or is a guest")
		}
	}
	return t, speakers, v.Err()
}

// afterUpdate tells the registrants of a reschedule and, when capacity was
// raised, confirms from the waitlist.
func (s *Service) afterUpdate(ctx context.Context, tx *live.Tx, old, t Talk, rescheduled bool) error {
	if rescheduled && old.Status != StatusCancelled && old.Status != StatusEnded {
		payload, _ := json.Marshal(map[string]time.Time{"old_starts_at": old.StartsAt, "old_ends_at": old.EndsAt})
		if err := s.store.tellRegistrants(ctx, tx, t.ID, MessageTalkRescheduled, string(payload)); err != nil {
			return err
		}
	}
	if raised(old.Capacity, t.Capacity) && (t.Status == StatusScheduled || t.Status == StatusLive) && s.Promote != nil {
		if _, err := s.Promote(ctx, tx, t.ID); err != nil {
			return err
		}
	}
	return nil
}

func raised(old, now *int) bool {
	switch {
	case now == nil:
		return old != nil
	case old == nil:
		return false
	default:
		return *now > *old
	}
}

// Cancel cancels the talk: its registrations end, registrants are told
// through the outbox, calendars get STATUS:CANCELLED with a higher SEQUENCE.
// Cancelling a cancelled talk again returns it unchanged.
func (s *Service) Cancel(ctx context.Context, actor *domain.User, id int64, txn Txn) (Talk, error) {
	if err := moderatorOnly(actor); err != nil {
		return Talk{}, err
	}
	return txn.Run(func(tx *live.Tx) (Talk, error) {
		t, err := s.store.lock(ctx, tx, id)
		if err != nil {
			return Talk{}, err
		}
		switch t.Status {
		case StatusCancelled:
			return t, nil
		case StatusEnded:
			return Talk{}, ErrEnded
		}
		if err := s.store.cancel(ctx, tx, id); err != nil {
			return Talk{}, err
		}
		if t.Status != StatusDraft {
			if err := s.store.tellRegistrants(ctx, tx, id, MessageTalkCancelled, "{}"); err != nil {
				return Talk{}, err
			}
		}
		if err := s.store.endRegistrations(ctx, tx, id); err != nil {
			return Talk{}, err
		}
		return s.emitUpdated(ctx, tx, id)
	})
}

// MayRun is nil when actor is staff of the talk, who may start and end it.
// Anyone else learns that it does not exist, or is refused when they may
// see it. (Global staff pass even for a talk that does not exist: the
// change itself then finds nothing.)
func (s *Service) MayRun(ctx context.Context, actor *domain.User, id int64) error {
	a, err := s.store.Access(ctx, s.db, id, actor)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	switch {
	case a.Staff():
		return nil
	case err != nil || !a.Visible():
		return fmt.Errorf("talk %d: %w", id, domain.ErrNotFound)
	default:
		return domain.Forbidden("only the talk's speakers, moderators and admins may start or end it")
	}
}

// SetStatus starts or ends the live session: scheduled → live → ended (a
// scheduled talk may also end directly). Setting the current status again
// changes nothing.
func (s *Service) SetStatus(ctx context.Context, actor *domain.User, id int64, ch StatusChange, txn Txn) (Talk, error) {
	if err := s.MayRun(ctx, actor, id); err != nil {
		return Talk{}, err
	}
	if ch.Status == nil || (*ch.Status != StatusLive && *ch.Status != StatusEnded) {
		return Talk{}, domain.InvalidField("status", `must be "live" or "ended"`)
	}
	to := *ch.Status
	return txn.Run(func(tx *live.Tx) (Talk, error) {
		t, err := s.store.lock(ctx, tx, id)
		if err != nil {
			return Talk{}, err
		}
		if t.Status == to {
			return t, nil
		}
		if t.Status != StatusScheduled && (t.Status != StatusLive || to != StatusEnded) {
			return Talk{}, domain.BecauseMsg(ErrInvalidTransition, domain.Say("problem.talk_become", map[string]any{"From": t.Status, "To": to}))
		}
		if err := s.store.setStatus(ctx, tx, id, to); err != nil {
			return Talk{}, err
		}
		return s.emitUpdated(ctx, tx, id)
	})
}

// emitUpdated sends talk.updated in tx and returns the full talk for the
// staff member who changed it.
func (s *Service) emitUpdated(ctx context.Context, tx *live.Tx, id int64) (Talk, error) {
	t, err := s.store.loadFull(ctx, tx, id)
	if err != nil {
		return Talk{}, err
	}
	return t, EmitUpdated(tx, t)
}

// EmitUpdated records talk.updated for t, without stream_url (events go to
// everyone who may follow the channel): on the public channel, or only on
// the staff channel while t is a draft (a draft emits nothing in public).
func EmitUpdated(tx *live.Tx, t Talk) error {
	t.StreamURL = nil
	channel := live.TalkChannel(t.ID)
	if t.Status == StatusDraft {
		channel = live.StaffChannel(t.ID)
	}
	return tx.Emit(channel, "talk.updated", live.Subject("talk", t.ID), t)
}
