package qa

import (
	"context"
	"database/sql"
	"time"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/talks"
)

// The staff's changes of a question: approve, dismiss, restore, mark
// answered, pin; each logged, and restated on the live channels.

// Moderate applies a change by staff of the talk.
func (s *Service) Moderate(ctx context.Context, u *domain.User, id int64, m Moderation) (Question, error) {
	if m.Body != nil {
		if m.Status != nil || m.Pinned != nil {
			return Question{}, domain.InvalidField("body", "an edit of the text comes alone, without status or pinned")
		}
		return s.Edit(ctx, u, id, *m.Body)
	}
	a, err := s.staffQuestion(ctx, id, u, "only staff of this talk moderate its questions")
	if err != nil {
		return Question{}, err
	}
	var v domain.Checker
	v.Check(m.Status != nil || m.Pinned != nil, "status", "give status, pinned or both")
	if m.Status != nil {
		st := *m.Status
		v.Check(st == StatusApproved || st == StatusDismissed || st == StatusAnswered, "status", "must be approved, dismissed or answered")
	}
	reason := moderation.Reason(&v, m.Reason)
	if err := v.Err(); err != nil {
		return Question{}, err
	}
	return live.TxnOf[Question](ctx, s.rec).Run(func(tx *live.Tx) (Question, error) {
		if err := s.moderate(ctx, tx, a.TalkID, id, u.ID, m, reason); err != nil {
			return Question{}, err
		}
		return s.store.Question(ctx, tx, id, u.ID, u.IsModerator())
	})
}

// moderate applies a staff change inside tx under the talk's row lock:
// status, pin (unpinning any other question of the talk first), the log
// entries and the events, all or nothing.
func (s *Service) moderate(ctx context.Context, tx *live.Tx, talkID, id, actorID int64, m Moderation, reason string) error {
	talk, err := s.mod.LockTalk(ctx, tx, talkID)
	if err != nil {
		return err
	}
	q, err := s.store.Lock(ctx, tx, id)
	if err != nil {
		return err
	}
	now := s.mod.Now()
	var actions []moderation.Action
	act := func(action string, target int64) {
		actions = append(actions, moderation.Action{TalkID: talkID, ActorID: actorID, Action: action,
			Target: moderation.Target{Type: "question", ID: target}, Reason: reason})
	}
	next := restatus(q, m.Status, now, act)
	next, unpinned, err := s.repin(ctx, tx, next, m.Pinned, now, act)
	if err != nil {
		return err
	}
	if next.Status == q.Status && next.Pinned == q.Pinned {
		return nil // nothing changed: no log, no event
	}
	if talk.TalkStatus == talks.StatusLive && !next.TakenAt.Valid && (next.Pinned || next.Status == StatusAnswered) {
		next.TakenAt = sql.NullTime{Time: now, Valid: true} // its moment in the recording
	}
	if err := s.mod.Record(ctx, tx, actions...); err != nil {
		return err
	}
	next.UpdatedAt = now
	if err := s.store.Update(ctx, tx, next); err != nil {
		return err
	}
	for _, other := range unpinned {
		if err := s.publishUpdate(ctx, tx, talk, other, true); err != nil {
			return err
		}
	}
	return s.publishUpdate(ctx, tx, talk, id, public(q.Status))
}

// restatus is q after a change of status to `to` (nil: none): answering
// stamps the time, dismissing unpins.
func restatus(q lockedQuestion, to *string, now time.Time, act func(action string, target int64)) lockedQuestion {
	if to == nil || *to == q.Status {
		return q
	}
	act(statusAction(q.Status, *to), q.ID)
	q.Status = *to
	if q.Status == StatusAnswered {
		q.AnsweredAt = sql.NullTime{Time: now, Valid: true}
	}
	if q.Status == StatusDismissed && q.Pinned {
		q.Pinned = false
		act("unpin", q.ID)
	}
	return q
}

// statusAction names the log action of a status change.
func statusAction(from, to string) string {
	switch {
	case to == StatusDismissed:
		return "dismiss"
	case to == StatusAnswered:
		return "mark_answered"
	case from == StatusPending:
		return "approve"
	case from == StatusDismissed:
		return "restore"
	default:
		return "unmark_answered"
	}
}

// repin is q after a change of pin (nil: none). Only public questions are
// pinned, one per talk: pinning unpins the talk's others first, returned.
func (s *Service) repin(ctx context.Context, tx *live.Tx, q lockedQuestion, pin *bool, now time.Time, act func(action string, target int64)) (lockedQuestion, []int64, error) {
	if pin == nil || *pin == q.Pinned {
		return q, nil, nil
	}
	q.Pinned = *pin
	if !*pin {
		act("unpin", q.ID)
		return q, nil, nil
	}
	if !public(q.Status) {
		return q, nil, ErrNotPinnable
	}
	others, err := s.store.UnpinOthers(ctx, tx, q.TalkID, q.ID, now)
	if err != nil {
		return q, nil, err
	}
	for _, other := range others {
		act("unpin", other)
	}
	act("pin", q.ID)
	return q, others, nil
}

// publishUpdate emits the question's new state: question.updated on staff;
// on public, question.created when it just became visible, question.updated
// while it stays visible, and question.removed when it stopped being
// visible, which also becomes what every earlier public event of the
// question (and of its answers) now says: a replay must not bring it back.
func (s *Service) publishUpdate(ctx context.Context, tx *live.Tx, talk talks.Access, id int64, wasPublic bool) error {
	ev, err := s.store.Question(ctx, tx, id, 0, false)
	if err != nil {
		return err
	}
	return publishQuestion(tx, talk, ev, wasPublic)
}

// publishQuestion emits question ev as it is now (publishUpdate).
func publishQuestion(tx *live.Tx, talk talks.Access, ev Question, wasPublic bool) error {
	id := ev.ID
	subject := live.Subject("question", id)
	if err := tx.Emit(live.StaffChannel(talk.TalkID), "question.updated", subject, ev); err != nil {
		return err
	}
	switch isPublic := public(ev.Status); {
	case isPublic && !wasPublic:
		return moderation.PublishPublic(tx, talk, "question.created", subject, ev)
	case isPublic:
		return moderation.PublishPublic(tx, talk, "question.updated", subject, ev)
	case wasPublic:
		removed := removedQuestion{ID: id}
		if err := moderation.PublishPublic(tx, talk, "question.removed", subject, removed); err != nil {
			return err
		}
		return tx.Restate(live.TalkChannel(talk.TalkID), realtime.Restatement{Subject: subject, Type: "question.removed", Data: removed})
	}
	return nil
}

// restateText rewrites the stored question.created and question.updated
// events of an edited question into ev: the author's earlier text leaves
// the record, and a replay reads as the question does now. Answers and
// votes, which share its subject, keep their own data.
func restateText(tx *live.Tx, talk talks.Access, ev Question) error {
	subject := live.Subject("question", ev.ID)
	rs := []realtime.Restatement{{Subject: subject, OfType: "question.created", Data: ev},
		{Subject: subject, OfType: "question.updated", Data: ev}}
	if err := tx.Restate(live.StaffChannel(talk.TalkID), rs...); err != nil {
		return err
	}
	if !public(ev.Status) {
		return nil // publishQuestion removes it from the public record
	}
	return tx.Restate(live.TalkChannel(talk.TalkID), rs...)
}

// authorQuestion loads question id for its author u, who may still change
// it: while it is pending or unanswered, within the edit window. Anyone
// else is refused (403 when they can see it, 404 when they cannot).
func (s *Service) authorQuestion(ctx context.Context, id int64, u *domain.User) (access, error) {
	a, err := s.store.Access(ctx, s.db, id, u)
	switch {
	case err != nil:
		return a, err
	case !a.Mine && a.visible():
		return a, domain.Forbidden("only the author changes a question")
	case !a.Mine || !a.Visible():
		return a, moderation.NotFound("question", id)
	case a.Status != StatusPending && a.Status != StatusApproved:
		return a, ErrQuestionTaken
	case s.mod.Now().Sub(a.Asked) > s.mod.Cfg.EditWindow:
		return a, ErrEditWindow
	}
	return a, nil
}

// Edit changes the text of u's own question. A new text with a blocked
// word goes back to pending, as a new question would.
func (s *Service) Edit(ctx context.Context, u *domain.User, id int64, body string) (Question, error) {
	a, err := s.authorQuestion(ctx, id, u)
	if err != nil {
		return Question{}, err
	}
	var v domain.Checker
	text := moderation.Text(&v, "body", &body, MaxQuestion)
	if err := v.Err(); err != nil {
		return Question{}, err
	}
	return live.TxnOf[Question](ctx, s.rec).Run(func(tx *live.Tx) (Question, error) {
		q, err := s.store.Lock(ctx, tx, id)
		if err != nil {
			return Question{}, err
		}
		if q.Status != StatusPending && q.Status != StatusApproved {
			return Question{}, ErrQuestionTaken
		}
		status := q.Status
		if s.mod.Blocked(text) && status != StatusPending {
			status = StatusPending
			if err := s.mod.Record(ctx, tx, moderation.Action{TalkID: a.TalkID, Action: "hold_blocked_words",
				Target: moderation.Target{Type: "question", ID: id}, Reason: "blocked words: sent to pending"}); err != nil {
				return Question{}, err
			}
		}
		if err := s.store.UpdateBody(ctx, tx, id, text, status, s.mod.Now()); err != nil {
			return Question{}, err
		}
		ev, err := s.store.Question(ctx, tx, id, 0, false)
		if err != nil {
			return Question{}, err
		}
		if err := restateText(tx, a.Access, ev); err != nil {
			return Question{}, err
		}
		if err := publishQuestion(tx, a.Access, ev, public(q.Status)); err != nil {
			return Question{}, err
		}
		return s.store.Question(ctx, tx, id, u.ID, u.IsModerator())
	})
}

// Withdraw takes u's own question back: it leaves the room as a dismissed
// one does (staff still see it), logged as the author's withdrawal.
func (s *Service) Withdraw(ctx context.Context, u *domain.User, id int64) error {
	a, err := s.authorQuestion(ctx, id, u)
	if err != nil {
		return err
	}
	_, err = live.TxnOf[struct{}](ctx, s.rec).Run(func(tx *live.Tx) (struct{}, error) {
		q, err := s.store.Lock(ctx, tx, id)
		if err != nil {
			return struct{}{}, err
		}
		if q.Status != StatusPending && q.Status != StatusApproved {
			return struct{}{}, ErrQuestionTaken
		}
		was := public(q.Status)
		q.Status, q.Pinned, q.UpdatedAt = StatusDismissed, false, s.mod.Now()
		if err := s.store.Update(ctx, tx, q); err != nil {
			return struct{}{}, err
		}
		if err := s.mod.Record(ctx, tx, moderation.Action{TalkID: a.TalkID, ActorID: u.ID, Action: "withdraw",
			Target: moderation.Target{Type: "question", ID: id}}); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, s.publishUpdate(ctx, tx, a.Access, id, was)
	})
	return err
}
