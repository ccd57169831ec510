package qa

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/talks"
)

const (
	questionColumns = `q.id, q.talk_id, q.author_id, u.display_name AS author_name, q.body, q.anonymous, q.status,
		q.pinned, q.votes, q.answered_at, q.created_at, q.updated_at,
		(SELECT recording_second(q.taken_at, k.live_started_at, k.recording_offset_seconds, k.recording_video_id)
		 FROM talks k WHERE k.id = q.talk_id) AS recording_at`
	// votedBy, closed by the viewer's id placeholder and ")", says whether
	// the viewer voted for q.
	votedBy = `EXISTS (SELECT 1 FROM question_votes v WHERE v.question_id = q.id AND v.user_id = `

	// insertQuestion returns the new row as selectQuestion reads it (no
	// votes, no answers yet), so that nothing is read back.
	insertQuestion = `WITH q AS (
		INSERT INTO questions (id, talk_id, author_id, body, anonymous, status, created_at, updated_at)
		VALUES (:id, :talk_id, :author_id, :body, :anonymous, :status, :created_at, :created_at) RETURNING *)
		SELECT ` + questionColumns + `, false AS voted FROM q JOIN users u ON u.id = q.author_id`
	// selectAskTalk is the talk as moderation reads it for a new question,
	// with the question's id taken and the asker's name read in the same
	// round trip: the question and its events are then made here and
	// written in one statement (insertAlong).
	selectAskTalk = `SELECT ` + talks.AccessColumns + `, k.qa_open, k.qa_moderation, k.qa_allow_anonymous,
		nextval('questions_id_seq') AS question_id, coalesce((SELECT display_name FROM users WHERE id = $2), '') AS author_name
		FROM talks k WHERE k.id = $1`
	// insertAlong is a new question as the along of a live.Write.
	insertAlong = `along AS (INSERT INTO questions (id, talk_id, author_id, body, anonymous, status, created_at, updated_at)
		SELECT CAST(:id AS bigint), CAST(:talk_id AS bigint), CAST(:author_id AS bigint), CAST(:body AS text),
			CAST(:anonymous AS boolean), CAST(:status AS text), CAST(:created_at AS timestamptz), CAST(:created_at AS timestamptz)
		WHERE EXISTS (SELECT FROM go_ahead) RETURNING id)`
	selectQuestion = `SELECT ` + questionColumns + `, ` + votedBy + `$2) AS voted
		FROM questions q JOIN users u ON u.id = q.author_id WHERE q.id = $1`
	// selectAccess is what every request about one question needs to decide
	// who may do what.
	selectAccess = `SELECT q.id, q.status, k.qa_open, q.author_id = $2 AS mine, q.created_at AS asked_at, ` + talks.AccessColumns + `
		FROM questions q JOIN talks k ON k.id = q.talk_id WHERE q.id = $1`
	lockQuestion = `SELECT id, talk_id, status, pinned, answered_at, taken_at FROM questions WHERE id = $1 FOR UPDATE`
	// unpinOthers clears the talk's pin before another question takes it;
	// callers hold the talk's row lock, so two pins cannot cross.
	unpinOthers    = `UPDATE questions SET pinned = false, updated_at = $3 WHERE talk_id = $1 AND pinned AND id <> $2 RETURNING id`
	updateQuestion = `UPDATE questions SET status = :status, pinned = :pinned, answered_at = :answered_at, taken_at = :taken_at,
		updated_at = :updated_at WHERE id = :id`
	updateBody = `UPDATE questions SET body = $2, status = $3, updated_at = $4 WHERE id = $1`

	// A page of a talk's questions in the statuses asked for, and the
	// viewer's own pending ones when :own_pending; after the cursor's
	// position when :after.
	listQuestions = `SELECT ` + questionColumns + `, ` + votedBy + `:viewer) AS voted
		FROM questions q JOIN users u ON u.id = q.author_id
		WHERE q.talk_id = :talk_id AND (q.status = ANY(:statuses) OR (:own_pending AND q.status = 'pending' AND q.author_id = :viewer))`
	listTop = listQuestions + `
		  AND (NOT :after OR q.votes < :votes OR (q.votes = :votes AND (q.created_at, q.id) > (:at, :id)))
		ORDER BY q.votes DESC, q.created_at, q.id LIMIT :limit`
	listRecent = listQuestions + `
		  AND (NOT :after OR (q.created_at, q.id) < (:at, :id))
		ORDER BY q.created_at DESC, q.id DESC LIMIT :limit`

	answersFrom = `SELECT a.id, a.question_id, a.body, a.created_at, u.id AS author_id, u.display_name AS author_name
		FROM answers a JOIN users u ON u.id = a.author_id`
	selectAnswers = answersFrom + ` WHERE a.question_id = ANY($1) ORDER BY a.created_at, a.id`
	// insertAnswer returns the new answer as answersFrom reads it, with its
	// question's status now (it may have changed since the request's
	// access check).
	insertAnswer = `WITH a AS (INSERT INTO answers (question_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING *)
		SELECT a.id, a.question_id, a.body, a.created_at, u.id AS author_id, u.display_name AS author_name, q.status AS question_status
		FROM a JOIN users u ON u.id = a.author_id JOIN questions q ON q.id = a.question_id`

	// The vote statements change the vote row and the counter together, so
	// votes always equals the number of rows; the question's row lock
	// serialises concurrent voters of one question. Each is one statement
	// committed asynchronously (its own transaction only), so the hot row's
	// lock is not held while the disk syncs; SetVote then waits with
	// live.AwaitDurable before it answers.
	addVote = `WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
		ins AS (
			INSERT INTO question_votes (question_id, user_id) SELECT $1, $2 FROM cfg
			ON CONFLICT DO NOTHING RETURNING 1)
		UPDATE questions SET votes = votes + (SELECT count(*) FROM ins) WHERE id = $1 RETURNING votes`
	removeVote = `WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
		del AS (
			DELETE FROM question_votes WHERE question_id = $1 AND user_id = $2
			  AND (SELECT v FROM cfg) IS NOT NULL RETURNING 1)
		UPDATE questions SET votes = votes - (SELECT count(*) FROM del) WHERE id = $1 RETURNING votes`
	// lockVotes reads the count to publish under the question's row lock, so
	// two flushes of one question commit (and take their seq) in count order.
	lockVotes = `SELECT q.talk_id, t.status AS talk_status, q.status, q.votes FROM questions q JOIN talks t ON t.id = q.talk_id
		WHERE q.id = $1 FOR NO KEY UPDATE OF q`

	exportQuestions = `SELECT id, talk_id, body, anonymous, status, created_at FROM questions WHERE author_id = $1 ORDER BY id`
	exportAnswers   = `SELECT id, question_id, body, created_at FROM answers WHERE author_id = $1 ORDER BY id`
	exportVotes     = `SELECT question_id, created_at FROM question_votes WHERE user_id = $1 ORDER BY created_at`
)

// Store is the Q&A's SQL.
type Store struct{}

// questionRow is a question as stored: its API fields and its author.
type questionRow struct {
	Question
	moderation.Authored
}

// question renders the row; the author of an anonymous question is shown
// only when showAnonymous (moderators and admins).
func (r questionRow) question(showAnonymous bool) Question {
	q := r.Question
	q.Answers, q.CreatedAt, q.UpdatedAt = []Answer{}, q.CreatedAt.UTC(), q.UpdatedAt.UTC()
	if !q.Anonymous || showAnonymous {
		author := r.Person()
		q.Author = &author
	}
	if q.AnsweredAt != nil {
		at := q.AnsweredAt.UTC()
		q.AnsweredAt = &at
	}
	return q
}

// answerRow is an answer as stored: its API fields and its author.
type answerRow struct {
	Answer
	moderation.Authored
}

func (r answerRow) answer() Answer {
	a := r.Answer
	a.CreatedAt, a.Author = a.CreatedAt.UTC(), r.Person()
	return a
}

// Insert stores a new question (id taken by AskTalk, talk, author, body,
// anonymity, status and time of r) and returns it as stored.
func (Store) Insert(ctx context.Context, q sqlx.ExtContext, r questionRow) (questionRow, error) {
	return dbx.GetNamed[questionRow](ctx, q, "insert question", insertQuestion, r)
}

// askTalk is the talk a question is asked in, with the new question's id
// and the asker's name.
type askTalk struct {
	moderation.Talk
	QuestionID int64  `db:"question_id"`
	AuthorName string `db:"author_name"`
}

// AskTalk reads talk talkID as u sees it, taking a question id.
func (Store) AskTalk(ctx context.Context, q sqlx.QueryerContext, talkID int64, u *domain.User) (askTalk, error) {
	return moderation.GetItem[askTalk](ctx, q, "talk", talkID, u, selectAskTalk)
}

// InsertAlong is r, a new question whose id is taken, as the change of a
// live.Write.
func (Store) InsertAlong(r questionRow) realtime.Along {
	return realtime.Along{CTEs: insertAlong, Args: map[string]any{"id": r.ID, "talk_id": r.TalkID, "author_id": r.AuthorID,
		"body": r.Body, "anonymous": r.Anonymous, "status": r.Status, "created_at": r.CreatedAt}}
}

// Question reads one question with its answers; viewerID decides voted.
func (s Store) Question(ctx context.Context, q sqlx.QueryerContext, id, viewerID int64, showAnonymous bool) (Question, error) {
	r, err := dbx.GetOne[questionRow](ctx, q, moderation.Name("question", id), selectQuestion, id, viewerID)
	if err != nil {
		return Question{}, err
	}
	qs := []Question{r.question(showAnonymous)}
	if err := s.AttachAnswers(ctx, q, qs); err != nil {
		return Question{}, err
	}
	return qs[0], nil
}

// AttachAnswers reads the answers of qs into them.
func (Store) AttachAnswers(ctx context.Context, q sqlx.QueryerContext, qs []Question) error {
	return dbx.Attach(ctx, q, qs, func(it *Question) int64 { return it.ID }, selectAnswers,
		func(r answerRow) int64 { return r.QuestionID }, func(it *Question, r answerRow) { it.Answers = append(it.Answers, r.answer()) })
}

// access is what one request knows about a question and its caller.
type access struct {
	talks.Access
	ID     int64     `db:"id"`
	Status string    `db:"status"`
	QAOpen bool      `db:"qa_open"`
	Mine   bool      `db:"mine"` // the caller asked it
	Asked  time.Time `db:"asked_at"`
}

// Access reads question id and u's access to its talk; a question that
// does not exist is not found.
func (Store) Access(ctx context.Context, q sqlx.QueryerContext, id int64, u *domain.User) (access, error) {
	return moderation.GetItem[access](ctx, q, "question", id, u, selectAccess)
}

// lockedQuestion is the moderated state of a question, read under its row
// lock.
type lockedQuestion struct {
	ID         int64        `db:"id"`
	TalkID     int64        `db:"talk_id"`
	Status     string       `db:"status"`
	Pinned     bool         `db:"pinned"`
	AnsweredAt sql.NullTime `db:"answered_at"`
	TakenAt    sql.NullTime `db:"taken_at"`   // first pinned or marked answered while the talk was live
	UpdatedAt  time.Time    `db:"updated_at"` // not read: set by the change
}

// Lock reads question id under its row lock.
func (Store) Lock(ctx context.Context, q sqlx.QueryerContext, id int64) (lockedQuestion, error) {
	return dbx.Get[lockedQuestion](ctx, q, fmt.Sprintf("lock question %d", id), lockQuestion, id)
}

// UnpinOthers unpins every question of the talk but id, at time at, and
// returns the ones it unpinned.
func (Store) UnpinOthers(ctx context.Context, q sqlx.QueryerContext, talkID, id int64, at time.Time) ([]int64, error) {
	return dbx.Select[int64](ctx, q, fmt.Sprintf("unpin questions of talk %d", talkID), unpinOthers, talkID, id, at)
}

// UpdateBody stores the author's new text of question id, with its status
// (pending when the new text holds a blocked word), at time at.
func (Store) UpdateBody(ctx context.Context, q sqlx.ExecerContext, id int64, body, status string, at time.Time) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("edit question %d", id), updateBody, id, body, status, at)
}

// Update stores r's status, pin, answer time and update time.
func (Store) Update(ctx context.Context, q sqlx.ExtContext, r lockedQuestion) error {
	return dbx.ExecNamed(ctx, q, fmt.Sprintf("update question %d", r.ID), updateQuestion, r)
}

// listCursor is the position after the last question of a page.
type listCursor struct {
	Votes int `json:"v" db:"votes"`
	keyset.Position
}

// listParams are the parameters of listTop and listRecent.
type listParams struct {
	listCursor
	keyset.Bound
	TalkID     int64          `db:"talk_id"`
	Viewer     int64          `db:"viewer"`
	Statuses   pq.StringArray `db:"statuses"`
	OwnPending bool           `db:"own_pending"`
}

// List reads a page of questions, sorted top or recent.
func (Store) List(ctx context.Context, q sqlx.ExtContext, sort string, p listParams) ([]questionRow, error) {
	query := listTop
	if sort == "recent" {
		query = listRecent
	}
	return dbx.SelectNamed[questionRow](ctx, q, fmt.Sprintf("list questions of talk %d", p.TalkID), query, p)
}

// InsertAnswer stores an answer and returns it, with its question's
// status.
func (Store) InsertAnswer(ctx context.Context, q sqlx.QueryerContext, questionID, authorID int64, body string, at time.Time) (Answer, string, error) {
	var r struct {
		answerRow
		QuestionStatus string `db:"question_status"`
	}
	err := sqlx.GetContext(ctx, q, &r, insertAnswer, questionID, authorID, body, at)
	if err != nil {
		return Answer{}, "", fmt.Errorf("insert answer to question %d: %w", questionID, err)
	}
	return r.answer(), r.QuestionStatus, nil
}

// SetVote adds (on) or removes userID's vote on question id, and returns
// the question's count once the change is durable. The vote is a statement
// of its own, committed asynchronously: db is not a transaction.
func (Store) SetVote(ctx context.Context, db sqlx.ExtContext, id, userID int64, on bool) (int, error) {
	stmt := addVote
	if !on {
		stmt = removeVote
	}
	var votes int
	if err := sqlx.GetContext(ctx, db, &votes, stmt, id, userID); err != nil {
		return 0, fmt.Errorf("vote on question %d: %w", id, err)
	}
	return votes, live.AwaitDurable(ctx, db)
}

// voteCount is a question's count as question.voted publishes it.
type voteCount struct {
	talks.Access
	Status string `db:"status"`
	Votes  int    `db:"votes"`
}

// LockVotes reads the count of question id under its row lock; a question
// deleted meanwhile is not found.
func (Store) LockVotes(ctx context.Context, q sqlx.QueryerContext, id int64) (voteCount, error) {
	return dbx.GetOne[voteCount](ctx, q, moderation.Name("question", id), lockVotes, id)
}

// Export reads what userID asked, answered and voted for.
func (Store) Export(ctx context.Context, q sqlx.QueryerContext, userID int64) (json.RawMessage, error) {
	return moderation.ExportLists(ctx, q, userID, moderation.ExportList{Key: "questions", Query: exportQuestions},
		moderation.ExportList{Key: "answers", Query: exportAnswers}, moderation.ExportList{Key: "votes", Query: exportVotes})
}
