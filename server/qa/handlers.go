package qa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Errors of the Q&A's rules.
var (
	ErrQAClosed          = errors.New("this talk does not take questions now")
	ErrNotVotable        = errors.New("only approved and answered questions take votes")
	ErrNotPinnable       = errors.New("only approved and answered questions can be pinned")
	ErrQuestionDismissed = errors.New("restore the question before answering it")
)

func callerID(u *domain.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}

type listCursor struct {
	Votes int       `json:"v"`
	At    time.Time `json:"t"`
	ID    int64     `json:"i"`
}

// list: GET /talks/{id}/questions?sort=top|recent&status=a,b
func (d *Domain) list(c *fiber.Ctx) error {
	talkID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	var v domain.Checker
	sort := c.Query("sort", "top")
	v.Check(sort == "top" || sort == "recent", "sort", "must be top or recent")
	var statuses []string
	if s := c.Query("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			switch st = strings.TrimSpace(st); st {
			case StatusPending, StatusApproved, StatusAnswered, StatusDismissed:
				statuses = append(statuses, st)
			default:
				v.Add("status", "must be pending, approved, answered or dismissed (comma-separated)")
			}
		}
	}
	var cur listCursor
	if page.Cursor != "" {
		if err := httpx.DecodeCursor(page.Cursor, &cur); err != nil {
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	_, staff, err := d.mod.TalkFor(ctx, talkID, u)
	if err != nil {
		return err
	}
	// Askers see their own questions awaiting moderation in the default list
	// (nobody else does), so a reload does not seem to lose them.
	ownPending := false
	if !staff {
		ownPending = len(statuses) == 0 && u != nil
		for _, st := range statuses {
			if !public(st) {
				return domain.Forbidden("only staff of this talk see " + st + " questions")
			}
		}
		if len(statuses) == 0 {
			statuses = []string{StatusApproved, StatusAnswered}
		}
	} else if len(statuses) == 0 {
		statuses = []string{StatusPending, StatusApproved, StatusAnswered, StatusDismissed}
	}
	var rows []questionRow
	has := page.Cursor != ""
	if sort == "top" {
		err = d.db.SelectContext(ctx, &rows, listTop, talkID, callerID(u), pq.Array(statuses), has, cur.Votes, cur.At, cur.ID, page.Limit+1, ownPending)
	} else {
		err = d.db.SelectContext(ctx, &rows, listRecent, talkID, callerID(u), pq.Array(statuses), has, cur.At, cur.ID, page.Limit+1, ownPending)
	}
	if err != nil {
		return fmt.Errorf("list questions of talk %d: %w", talkID, err)
	}
	out := httpx.List[Question]{Items: make([]Question, 0, len(rows))}
	if len(rows) > page.Limit {
		last := rows[page.Limit-1]
		next := httpx.EncodeCursor(listCursor{Votes: last.Votes, At: last.CreatedAt, ID: last.ID})
		out.NextCursor = &next
		rows = rows[:page.Limit]
	}
	for _, r := range rows {
		out.Items = append(out.Items, r.question(u.IsModerator()))
	}
	if err := attachAnswers(ctx, d.db, out.Items); err != nil {
		return err
	}
	return c.JSON(out)
}

type askRequest struct {
	Body      *string `json:"body"`
	Anonymous bool    `json:"anonymous"`
}

// ask: POST /talks/{id}/questions
func (d *Domain) ask(c *fiber.Ctx) error {
	talkID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	var req askRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	t, staff, err := d.mod.TalkFor(ctx, talkID, u)
	if err != nil {
		return err
	}
	var v domain.Checker
	body := moderation.Text(&v, "body", req.Body, MaxQuestion)
	v.Check(!req.Anonymous || t.QA.AllowAnonymous, "anonymous", "this talk does not take anonymous questions")
	if err := v.Err(); err != nil {
		return err
	}
	if !accepting(t.Status, t.QA.Open) {
		return ErrQAClosed
	}
	// Staff of the talk run the session (and read questions out from the
	// room): they are not throttled.
	if !staff {
		if err := d.mod.Allow(ctx, "question", u.ID, d.mod.Cfg.QuestionRate); err != nil {
			return err
		}
	}
	status := StatusApproved
	if t.QA.Moderation == "pre" {
		status = StatusPending
	}
	held := d.mod.Blocked(body)
	if held {
		status = StatusPending
	}
	// With an Idempotency-Key, a retry replays this response and asks nothing twice.
	return idempotency.Run(c, d.mod.Recorder, func(tx *live.Tx) (idempotency.Result, error) {
		out, err := d.insertQuestion(ctx, tx, moderation.TalkRef{ID: talkID, Status: t.Status}, u, body, req.Anonymous, status, held)
		return idempotency.Result{Status: fiber.StatusCreated, Body: out}, err
	})
}

// insertQuestion stores a new question with its log entry and events.
func (d *Domain) insertQuestion(ctx context.Context, tx *live.Tx, talk moderation.TalkRef, u *domain.User, body string, anonymous bool, status string, held bool) (Question, error) {
	talkID := talk.ID
	var id int64
	if err := tx.GetContext(ctx, &id, insertQuestion, talkID, u.ID, body, anonymous, status, d.mod.Now()); err != nil {
		return Question{}, fmt.Errorf("insert question: %w", err)
	}
	if held {
		a := moderation.Action{TalkID: talkID, Action: "hold_blocked_words", Target: moderation.Target{Type: "question", ID: id},
			Reason: "blocked words: sent to pending"}
		if err := d.mod.Record(ctx, tx, a); err != nil {
			return Question{}, err
		}
	}
	ev, err := loadQuestion(ctx, tx, id, 0, false)
	if err != nil {
		return Question{}, err
	}
	var pub any
	if public(status) {
		pub = ev
	}
	if err := moderation.Publish(tx, talk, "question.created", live.Subject("question", id), ev, pub); err != nil {
		return Question{}, err
	}
	return loadQuestion(ctx, tx, id, u.ID, u.IsModerator())
}

type voteResponse struct {
	ID    int64 `json:"id"`
	Votes int   `json:"votes"`
	Voted bool  `json:"voted"`
}

func (d *Domain) vote(c *fiber.Ctx) error   { return d.setVote(c, true) }
func (d *Domain) unvote(c *fiber.Ctx) error { return d.setVote(c, false) }

// setVote: PUT/DELETE /questions/{id}/vote. Votes are taken on public
// questions while the talk takes questions; repeating is harmless.
func (d *Domain) setVote(c *fiber.Ctx, on bool) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	a, err := loadAccess(ctx, d.db, id, u)
	if err != nil {
		return err
	}
	if !public(a.Status) {
		return ErrNotVotable
	}
	if !accepting(a.TalkStatus, a.QAOpen) {
		return ErrQAClosed
	}
	if err := d.mod.Allow(ctx, "vote", u.ID, d.mod.Cfg.VoteRate); err != nil {
		return err
	}
	stmt := addVote
	if !on {
		stmt = removeVote
	}
	var votes int
	if err := d.db.GetContext(ctx, &votes, stmt, id, u.ID); err != nil {
		return fmt.Errorf("vote on question %d: %w", id, err)
	}
	if err := live.AwaitDurable(ctx, d.db); err != nil {
		return err
	}
	d.votes.touch(id)
	return c.JSON(voteResponse{ID: id, Votes: votes, Voted: on})
}

type patchRequest struct {
	Status *string `json:"status"`
	Pinned *bool   `json:"pinned"`
	Reason *string `json:"reason"`
}

// patch: PATCH /questions/{id} by staff of the talk.
func (d *Domain) patch(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	a, err := loadAccess(ctx, d.db, id, u)
	if err != nil {
		return err
	}
	if !a.staff() {
		return domain.Forbidden("only staff of this talk moderate its questions")
	}
	var req patchRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	var v domain.Checker
	v.Check(req.Status != nil || req.Pinned != nil, "status", "give status, pinned or both")
	if req.Status != nil {
		st := *req.Status
		v.Check(st == StatusApproved || st == StatusDismissed || st == StatusAnswered, "status", "must be approved, dismissed or answered")
	}
	reason := moderation.Reason(&v, req.Reason)
	if err := v.Err(); err != nil {
		return err
	}
	var out Question
	err = d.mod.Recorder.InTx(ctx, func(tx *live.Tx) error {
		if err := d.moderate(ctx, tx, a.TalkID, id, u.ID, req, reason); err != nil {
			return err
		}
		out, err = loadQuestion(ctx, tx, id, u.ID, u.IsModerator())
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(out)
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

type lockedQuestion struct {
	ID         int64        `db:"id"`
	TalkID     int64        `db:"talk_id"`
	Status     string       `db:"status"`
	Pinned     bool         `db:"pinned"`
	AnsweredAt sql.NullTime `db:"answered_at"`
}

// moderate applies a staff PATCH inside tx under the talk's row lock:
// status, pin (unpinning any other question of the talk first), the log
// entries and the events, all or nothing.
func (d *Domain) moderate(ctx context.Context, tx *live.Tx, talkID, id, actorID int64, req patchRequest, reason string) error {
	talk, err := moderation.LockTalk(ctx, tx, talkID)
	if err != nil {
		return err
	}
	var q lockedQuestion
	if err := tx.GetContext(ctx, &q, lockQuestion, id); err != nil {
		return fmt.Errorf("lock question %d: %w", id, err)
	}
	now := d.mod.Now()
	record := func(action string, target int64) error {
		return d.mod.Record(ctx, tx, moderation.Action{TalkID: talkID, ActorID: actorID, Action: action,
			Target: moderation.Target{Type: "question", ID: target}, Reason: reason})
	}
	status, pinned, answeredAt := q.Status, q.Pinned, q.AnsweredAt
	if req.Status != nil && *req.Status != q.Status {
		status = *req.Status
		if err := record(statusAction(q.Status, status), id); err != nil {
			return err
		}
		if status == StatusAnswered {
			answeredAt = sql.NullTime{Time: now, Valid: true}
		}
		if status == StatusDismissed && pinned {
			pinned = false
			if err := record("unpin", id); err != nil {
				return err
			}
		}
	}
	var unpinned []int64
	if req.Pinned != nil && *req.Pinned != pinned {
		if *req.Pinned {
			if !public(status) {
				return ErrNotPinnable
			}
			if err := tx.SelectContext(ctx, &unpinned, unpinOthers, talkID, id, now); err != nil {
				return fmt.Errorf("unpin questions of talk %d: %w", talkID, err)
			}
			for _, other := range unpinned {
				if err := record("unpin", other); err != nil {
					return err
				}
			}
			if err := record("pin", id); err != nil {
				return err
			}
		} else if err := record("unpin", id); err != nil {
			return err
		}
		pinned = *req.Pinned
	}
	if status == q.Status && pinned == q.Pinned {
		return nil // nothing changed: no log, no event
	}
	if _, err := tx.ExecContext(ctx, updateQuestion, id, status, pinned, answeredAt, now); err != nil {
		return fmt.Errorf("update question %d: %w", id, err)
	}
	for _, other := range unpinned {
		if err := d.publishUpdate(ctx, tx, talk, other, true); err != nil {
			return err
		}
	}
	return d.publishUpdate(ctx, tx, talk, id, public(q.Status))
}

// publishUpdate emits the question's new state: question.updated on staff;
// on public, question.created when it just became visible, question.updated
// while it stays visible, and question.removed when it stopped being
// visible, which also becomes what every earlier public event of the
// question (and of its answers) now says: a replay must not bring it back.
func (d *Domain) publishUpdate(ctx context.Context, tx *live.Tx, talk moderation.TalkRef, id int64, wasPublic bool) error {
	ev, err := loadQuestion(ctx, tx, id, 0, false)
	if err != nil {
		return err
	}
	subject := live.Subject("question", id)
	if err := tx.Emit(live.StaffChannel(talk.ID), "question.updated", subject, ev); err != nil {
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
		return tx.Restate(live.TalkChannel(talk.ID), realtime.Restatement{Subject: subject, Type: "question.removed", Data: removed})
	}
	return nil
}

// removedQuestion is question.removed: all the public learns of a question
// that is no longer visible.
type removedQuestion struct {
	ID int64 `json:"id"`
}

type answerRequest struct {
	Body *string `json:"body"`
}

// answer: POST /questions/{id}/answers by speakers of the talk, moderators, admins.
func (d *Domain) answer(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	a, err := loadAccess(ctx, d.db, id, u)
	if err != nil {
		return err
	}
	if !a.staff() {
		return domain.Forbidden("only speakers of this talk and moderators answer its questions")
	}
	var req answerRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	var v domain.Checker
	body := moderation.Text(&v, "body", req.Body, MaxAnswer)
	if err := v.Err(); err != nil {
		return err
	}
	if a.Status == StatusDismissed {
		return ErrQuestionDismissed
	}
	var out Answer
	err = d.mod.Recorder.InTx(ctx, func(tx *live.Tx) error {
		var aid int64
		if err := tx.GetContext(ctx, &aid, insertAnswer, id, u.ID, body, d.mod.Now()); err != nil {
			return fmt.Errorf("insert answer to question %d: %w", id, err)
		}
		if err := d.mod.Record(ctx, tx, moderation.Action{TalkID: a.TalkID, ActorID: u.ID, Action: "answer",
			Target: moderation.Target{Type: "question", ID: id}}); err != nil {
			return err
		}
		var r answerRow
		if err := tx.GetContext(ctx, &r, selectAnswer, aid); err != nil {
			return fmt.Errorf("load answer %d: %w", aid, err)
		}
		out = r.answer()
		// the status may have changed since loadAccess: read it in the tx
		var status string
		if err := tx.GetContext(ctx, &status, selectStatus, id); err != nil {
			return fmt.Errorf("load question %d: %w", id, err)
		}
		var pub any
		if public(status) {
			pub = out
		}
		// Answers share their question's subject: they leave the public
		// record with it.
		return moderation.Publish(tx, moderation.TalkRef{ID: a.TalkID, Status: a.TalkStatus}, "answer.created",
			live.Subject("question", id), out, pub)
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// flag: POST /questions/{id}/flags by anyone signed in who sees the question.
func (d *Domain) flag(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	a, err := loadAccess(httpx.Ctx(c), d.db, id, httpx.CurrentUser(c))
	if err != nil {
		return err
	}
	return d.mod.FlagHandler(c, a.TalkID, moderation.Target{Type: "question", ID: id})
}
