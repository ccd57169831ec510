package qa

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Service holds the Q&A's rules.
type Service struct {
	mod   *moderation.Service
	db    *sqlx.DB
	rec   *live.Recorder
	store Store
	votes *live.Coalescer
}

// New builds the Q&A on the shared moderation service.
func New(mod *moderation.Service) *Service {
	s := &Service{mod: mod, db: mod.DB, rec: mod.Recorder}
	s.votes = live.NewCoalescer(mod.Cfg.VoteWindow, s.flushVotes, func(id int64, err error) {
		mod.Log.Warn("publish votes failed", "question_id", id, "err", err)
	})
	return s
}

// Close publishes the vote counts still waiting for their window; the
// server calls it on shutdown.
func (s *Service) Close() error { return s.votes.Close() }

// visible: what the caller may see of a question at all; anything else is
// a 404. Staff of the talk see every status.
func (a access) visible() bool { return a.Staff() || (a.Visible() && public(a.Status)) }

// question loads question id for u; one u may not see is not found.
func (s *Service) question(ctx context.Context, id int64, u *domain.User) (access, error) {
	a, err := s.store.Access(ctx, s.db, id, u)
	if err == nil && !a.visible() {
		err = moderation.NotFound("question", id)
	}
	return a, err
}

// staffQuestion loads question id for u, who must be staff of its talk
// (refused with why otherwise: 403 for a question u can see, their own
// pending one included, and 404 for one they cannot).
func (s *Service) staffQuestion(ctx context.Context, id int64, u *domain.User, why string) (access, error) {
	a, err := s.store.Access(ctx, s.db, id, u)
	switch {
	case err != nil || a.Staff():
		return a, err
	case a.visible() || (a.Mine && a.Visible()):
		return a, domain.Forbidden(why)
	default:
		return a, moderation.NotFound("question", id)
	}
}

// accepting reports whether a talk takes questions and votes: scheduled or
// live with Q&A open.
func accepting(talkStatus string, qaOpen bool) bool {
	return qaOpen && (talkStatus == talks.StatusScheduled || talkStatus == talks.StatusLive)
}

// List is a page of a talk's questions as u may see them.
func (s *Service) List(ctx context.Context, u *domain.User, talkID int64, f Filter) (keyset.List[Question], error) {
	var v domain.Checker
	v.Check(f.Sort == "top" || f.Sort == "recent", "sort", "must be top or recent")
	var asked []string
	if f.Status != "" {
		for _, st := range strings.Split(f.Status, ",") {
			switch st = strings.TrimSpace(st); st {
			case StatusPending, StatusApproved, StatusAnswered, StatusDismissed:
				asked = append(asked, st)
			default:
				v.Add("status", "must be pending, approved, answered or dismissed (comma-separated)")
			}
		}
	}
	p := listParams{TalkID: talkID, Viewer: domain.IDOf(u)}
	var err error
	if p.Bound, err = keyset.BoundOf(f.Page, &p.listCursor); err != nil {
		return keyset.List[Question]{}, err
	}
	if err := v.Err(); err != nil {
		return keyset.List[Question]{}, err
	}
	t, err := s.mod.TalkFor(ctx, talkID, u)
	if err != nil {
		return keyset.List[Question]{}, err
	}
	if p.Statuses, p.OwnPending, err = shown(t.Staff(), u, asked); err != nil {
		return keyset.List[Question]{}, err
	}
	rows, err := s.store.List(ctx, s.db, f.Sort, p)
	if err != nil {
		return keyset.List[Question]{}, err
	}
	out := keyset.Of(rows, f.Page.Limit, func(r questionRow) Question { return r.question(u.IsModerator()) },
		func(r questionRow) any {
			return listCursor{Votes: r.Votes, Position: keyset.Position{At: r.CreatedAt, ID: r.ID}}
		})
	return out, s.store.AttachAnswers(ctx, s.db, out.Items)
}

// shown is what a list shows of the statuses asked for (none: every one
// the caller may see). Askers see their own questions awaiting moderation
// in the default list (nobody else does), so a reload does not seem to
// lose them.
func shown(staff bool, u *domain.User, asked []string) (statuses []string, ownPending bool, err error) {
	switch {
	case staff && len(asked) == 0:
		return []string{StatusPending, StatusApproved, StatusAnswered, StatusDismissed}, false, nil
	case staff:
		return asked, false, nil
	}
	for _, st := range asked {
		if !public(st) {
			return nil, false, domain.ForbiddenMsg(domain.Say("problem.staff_questions", map[string]any{"Status": st}))
		}
	}
	if len(asked) == 0 {
		return []string{StatusApproved, StatusAnswered}, u != nil, nil
	}
	return asked, false, nil
}

// Ask stores u's question in txn, with its events (and its log entry when
// blocked words hold it). The question is made here from what the request
// and the talk's read tell, and written with its events in one statement.
func (s *Service) Ask(ctx context.Context, u *domain.User, talkID int64, a Ask, txn moderation.Txn[Question]) (Question, error) {
	t, err := s.store.AskTalk(ctx, s.db, talkID, u)
	if err == nil && !t.Visible() {
		err = moderation.NotFound("talk", talkID)
	}
	if err == nil {
		err = t.TakingPart()
	}
	if err != nil {
		return Question{}, err
	}
	var v domain.Checker
	body := moderation.Text(&v, "body", a.Body, MaxQuestion)
	v.Check(!a.Anonymous || t.QAAllowAnonymous, "anonymous", "this talk does not take anonymous questions")
	if err := v.Err(); err != nil {
		return Question{}, err
	}
	if !accepting(t.TalkStatus, t.QAOpen) {
		return Question{}, ErrQAClosed
	}
	// Staff of the talk run the session (and read questions out from the
	// room): they are not throttled.
	if !t.Staff() {
		if err := s.mod.Allow(ctx, "question", u.ID, s.mod.Cfg.QuestionRate); err != nil {
			return Question{}, err
		}
	}
	// The database keeps microseconds: the answer shows what a read shows.
	now := s.mod.Now().Truncate(time.Microsecond)
	r := questionRow{Question: Question{ID: t.QuestionID, TalkID: talkID, Body: body, Anonymous: a.Anonymous, Status: StatusApproved,
		CreatedAt: now, UpdatedAt: now}, Authored: moderation.Authored{AuthorID: u.ID, AuthorName: t.AuthorName}}
	if t.QAModeration == "pre" {
		r.Status = StatusPending
	}
	if s.mod.Blocked(body) {
		r.Status = StatusPending
		return txn.Run(func(tx *live.Tx) (Question, error) { return s.insertHeld(ctx, tx, t.Access, u, r) })
	}
	ev := r.question(false)
	w := live.Write{Along: s.store.InsertAlong(r),
		Events: moderation.Drafts(t.Access, "question.created", live.Subject("question", r.ID), ev, moderation.IfPublic(public(r.Status), ev))}
	return txn.Write(w, r.question(u.IsModerator()))
}

// insertHeld stores a new question that blocked words sent to pending,
// with the log entry that says so, and its event (staff only).
func (s *Service) insertHeld(ctx context.Context, tx *live.Tx, talk talks.Access, u *domain.User, r questionRow) (Question, error) {
	row, err := s.store.Insert(ctx, tx, r)
	if err != nil {
		return Question{}, err
	}
	if err := s.mod.Record(ctx, tx, moderation.Action{TalkID: talk.TalkID, Action: "hold_blocked_words",
		Target: moderation.Target{Type: "question", ID: row.ID}, Reason: "blocked words: sent to pending"}); err != nil {
		return Question{}, err
	}
	ev := row.question(false)
	if err := moderation.Publish(tx, talk, "question.created", live.Subject("question", row.ID), ev, nil); err != nil {
		return Question{}, err
	}
	return row.question(u.IsModerator()), nil
}

// Vote adds (on) or removes u's vote. Votes are taken on public questions
// while the talk takes questions; repeating is harmless. The count goes
// out in question.voted, coalesced (votes.go).
func (s *Service) Vote(ctx context.Context, u *domain.User, id int64, on bool) (Vote, error) {
	a, err := moderation.TakingPart(s.question(ctx, id, u))
	if err != nil {
		return Vote{}, err
	}
	if !public(a.Status) {
		return Vote{}, ErrNotVotable
	}
	if !accepting(a.TalkStatus, a.QAOpen) {
		return Vote{}, ErrQAClosed
	}
	if err := s.mod.Allow(ctx, "vote", u.ID, s.mod.Cfg.VoteRate); err != nil {
		return Vote{}, err
	}
	votes, err := s.store.SetVote(ctx, s.db, id, u.ID, on)
	if err != nil {
		return Vote{}, err
	}
	s.votes.Touch(id)
	return Vote{ID: id, Votes: votes, Voted: on}, nil
}

// Answer stores an answer by a speaker of the talk, a moderator or an
// admin.
func (s *Service) Answer(ctx context.Context, u *domain.User, id int64, r Reply) (Answer, error) {
	a, err := s.staffQuestion(ctx, id, u, "only speakers of this talk and moderators answer its questions")
	if err != nil {
		return Answer{}, err
	}
	var v domain.Checker
	body := moderation.Text(&v, "body", r.Body, MaxAnswer)
	if err := v.Err(); err != nil {
		return Answer{}, err
	}
	if a.Status == StatusDismissed {
		return Answer{}, ErrQuestionDismissed
	}
	return live.TxnOf[Answer](ctx, s.rec).Run(func(tx *live.Tx) (Answer, error) {
		out, status, err := s.store.InsertAnswer(ctx, tx, id, u.ID, body, s.mod.Now())
		if err != nil {
			return Answer{}, err
		}
		if err := s.mod.Record(ctx, tx, moderation.Action{TalkID: a.TalkID, ActorID: u.ID, Action: "answer",
			Target: moderation.Target{Type: "question", ID: id}}); err != nil {
			return Answer{}, err
		}
		// Answers share their question's subject: they leave the public
		// record with it.
		return out, moderation.Publish(tx, a.Access, "answer.created", live.Subject("question", id), out, moderation.IfPublic(public(status), out))
	})
}

// Flag files u's report on a question u sees.
func (s *Service) Flag(ctx context.Context, u *domain.User, id int64, r moderation.Report) (moderation.Flag, bool, error) {
	return s.mod.Flag(ctx, u, moderation.Target{Type: "question", ID: id}, r, func(ctx context.Context, id int64, u *domain.User) (talks.Access, error) {
		a, err := s.question(ctx, id, u)
		return a.Access, err
	})
}

// Export is the Q&A's part of an account's data export. Erasure needs
// nothing here: questions, answers and votes stay (the author row itself
// is anonymised by accounts) so that counts stay right.
func (s *Service) Export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	return s.store.Export(ctx, db, userID)
}
