package qa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/moderation"
)

const (
	// $N = the caller's id (0 when signed out), for "voted".
	questionColumns = `q.id, q.talk_id, q.author_id, u.display_name AS author_name, q.body, q.anonymous, q.status,
		q.pinned, q.votes, q.answered_at, q.created_at, q.updated_at`

	insertQuestion = `INSERT INTO questions (talk_id, author_id, body, anonymous, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`
	selectQuestion = `SELECT ` + questionColumns + `,
			EXISTS (SELECT 1 FROM question_votes v WHERE v.question_id = q.id AND v.user_id = $2) AS voted
		FROM questions q JOIN users u ON u.id = q.author_id WHERE q.id = $1`
	// selectAccess is what every request about one question needs to decide
	// who may do what. staff of the talk = its speakers + moderators + admins
	// (as talks.IsStaff), the speaker part read here in the same query.
	selectAccess = `SELECT q.id, q.talk_id, q.author_id, q.status, t.status AS talk_status, t.qa_open,
			EXISTS (SELECT 1 FROM talk_speakers s WHERE s.talk_id = q.talk_id AND s.user_id = $2) AS speaker
		FROM questions q JOIN talks t ON t.id = q.talk_id WHERE q.id = $1`
	lockQuestion = `SELECT id, talk_id, status, pinned, answered_at FROM questions WHERE id = $1 FOR UPDATE`
	// unpinOthers clears the talk's pin before another question takes it;
	// callers hold the talk's row lock, so two pins cannot cross.
	unpinOthers    = `UPDATE questions SET pinned = false, updated_at = $3 WHERE talk_id = $1 AND pinned AND id <> $2 RETURNING id`
	updateQuestion = `UPDATE questions SET status = $2, pinned = $3, answered_at = $4, updated_at = $5 WHERE id = $1`

	listTop = `SELECT ` + questionColumns + `,
			EXISTS (SELECT 1 FROM question_votes v WHERE v.question_id = q.id AND v.user_id = $2) AS voted
		FROM questions q JOIN users u ON u.id = q.author_id
		WHERE q.talk_id = $1 AND (q.status = ANY($3) OR ($9 AND q.status = 'pending' AND q.author_id = $2))
		  AND (NOT $4 OR q.votes < $5 OR (q.votes = $5 AND (q.created_at, q.id) > ($6, $7)))
		ORDER BY q.votes DESC, q.created_at, q.id LIMIT $8`
	listRecent = `SELECT ` + questionColumns + `,
			EXISTS (SELECT 1 FROM question_votes v WHERE v.question_id = q.id AND v.user_id = $2) AS voted
		FROM questions q JOIN users u ON u.id = q.author_id
		WHERE q.talk_id = $1 AND (q.status = ANY($3) OR ($8 AND q.status = 'pending' AND q.author_id = $2))
		  AND (NOT $4 OR (q.created_at, q.id) < ($5, $6))
		ORDER BY q.created_at DESC, q.id DESC LIMIT $7`

	selectAnswers = `SELECT a.id, a.question_id, a.body, a.created_at, u.id AS author_id, u.display_name AS author_name
		FROM answers a JOIN users u ON u.id = a.author_id
		WHERE a.question_id = ANY($1) ORDER BY a.created_at, a.id`
	selectAnswer = `SELECT a.id, a.question_id, a.body, a.created_at, u.id AS author_id, u.display_name AS author_name
		FROM answers a JOIN users u ON u.id = a.author_id WHERE a.id = $1`
	selectStatus = `SELECT status FROM questions WHERE id = $1`
	insertAnswer = `INSERT INTO answers (question_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id`

	// The vote statements change the vote row and the counter together, so
	// votes always equals the number of rows; the question's row lock
	// serialises concurrent voters of one question. Each is one statement
	// committed asynchronously (its own transaction only), so the hot row's
	// lock is not held while the disk syncs; the handler then waits with
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

// Statuses of a question.
const (
	StatusPending   = "pending"
	StatusApproved  = "approved"
	StatusAnswered  = "answered"
	StatusDismissed = "dismissed"
)

// public reports whether a question in status is shown to everyone.
func public(status string) bool { return status == StatusApproved || status == StatusAnswered }

// Question is a question as the API shows it.
type Question struct {
	ID         int64              `json:"id"`
	TalkID     int64              `json:"talk_id"`
	Body       string             `json:"body"`
	Author     *moderation.Person `json:"author"`
	Anonymous  bool               `json:"anonymous"`
	Status     string             `json:"status"`
	Pinned     bool               `json:"pinned"`
	Votes      int                `json:"votes"`
	Voted      bool               `json:"voted"`
	Answers    []Answer           `json:"answers"`
	AnsweredAt *time.Time         `json:"answered_at"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
}

// Answer is a written answer to a question.
type Answer struct {
	ID         int64             `json:"id"`
	QuestionID int64             `json:"question_id"`
	Body       string            `json:"body"`
	Author     moderation.Person `json:"author"`
	CreatedAt  time.Time         `json:"created_at"`
}

type questionRow struct {
	ID         int64        `db:"id"`
	TalkID     int64        `db:"talk_id"`
	AuthorID   int64        `db:"author_id"`
	AuthorName string       `db:"author_name"`
	Body       string       `db:"body"`
	Anonymous  bool         `db:"anonymous"`
	Status     string       `db:"status"`
	Pinned     bool         `db:"pinned"`
	Votes      int          `db:"votes"`
	AnsweredAt sql.NullTime `db:"answered_at"`
	CreatedAt  time.Time    `db:"created_at"`
	UpdatedAt  time.Time    `db:"updated_at"`
	Voted      bool         `db:"voted"`
}

// question renders the row; the author of an anonymous question is shown
// only when showAnonymous (moderators and admins).
func (r questionRow) question(showAnonymous bool) Question {
	q := Question{ID: r.ID, TalkID: r.TalkID, Body: r.Body, Anonymous: r.Anonymous, Status: r.Status, Pinned: r.Pinned,
		Votes: r.Votes, Voted: r.Voted, Answers: []Answer{}, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if !r.Anonymous || showAnonymous {
		q.Author = &moderation.Person{ID: r.AuthorID, DisplayName: r.AuthorName}
	}
	if r.AnsweredAt.Valid {
		at := r.AnsweredAt.Time.UTC()
		q.AnsweredAt = &at
	}
	return q
}

type answerRow struct {
	ID         int64     `db:"id"`
	QuestionID int64     `db:"question_id"`
	Body       string    `db:"body"`
	CreatedAt  time.Time `db:"created_at"`
	AuthorID   int64     `db:"author_id"`
	AuthorName string    `db:"author_name"`
}

func (r answerRow) answer() Answer {
	return Answer{ID: r.ID, QuestionID: r.QuestionID, Body: r.Body, CreatedAt: r.CreatedAt.UTC(),
		Author: moderation.Person{ID: r.AuthorID, DisplayName: r.AuthorName}}
}

type queryer interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// loadQuestion reads one question with its answers; viewerID decides voted.
func loadQuestion(ctx context.Context, q queryer, id, viewerID int64, showAnonymous bool) (Question, error) {
	var r questionRow
	err := sqlx.GetContext(ctx, q, &r, selectQuestion, id, viewerID)
	if errors.Is(err, sql.ErrNoRows) {
		return Question{}, fmt.Errorf("question %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return Question{}, fmt.Errorf("load question %d: %w", id, err)
	}
	qs := []Question{r.question(showAnonymous)}
	if err := attachAnswers(ctx, q, qs); err != nil {
		return Question{}, err
	}
	return qs[0], nil
}

func attachAnswers(ctx context.Context, q queryer, qs []Question) error {
	if len(qs) == 0 {
		return nil
	}
	ids, byID := httpx.IndexByID(qs, func(it *Question) int64 { return it.ID })
	var rows []answerRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectAnswers, pq.Array(ids)); err != nil {
		return fmt.Errorf("load answers: %w", err)
	}
	for _, r := range rows {
		byID[r.QuestionID].Answers = append(byID[r.QuestionID].Answers, r.answer())
	}
	return nil
}

// access is what one request knows about a question and its caller.
type access struct {
	ID         int64  `db:"id"`
	TalkID     int64  `db:"talk_id"`
	AuthorID   int64  `db:"author_id"`
	Status     string `db:"status"`
	TalkStatus string `db:"talk_status"`
	QAOpen     bool   `db:"qa_open"`
	Speaker    bool   `db:"speaker"`
	user       *domain.User
}

// staff: speakers of this talk, moderators, admins.
func (a access) staff() bool { return a.Speaker || a.user.IsModerator() }

// visible: what the caller may see at all; anything else is a 404.
func (a access) visible() bool {
	if a.staff() {
		return true
	}
	return a.TalkStatus != "draft" && public(a.Status)
}

func loadAccess(ctx context.Context, db *sqlx.DB, id int64, u *domain.User) (access, error) {
	var uid int64
	if u != nil {
		uid = u.ID
	}
	var a access
	err := db.GetContext(ctx, &a, selectAccess, id, uid)
	if errors.Is(err, sql.ErrNoRows) {
		return access{}, fmt.Errorf("question %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return access{}, fmt.Errorf("load question %d: %w", id, err)
	}
	a.user = u
	if !a.visible() {
		return access{}, fmt.Errorf("question %d: %w", id, domain.ErrNotFound)
	}
	return a, nil
}

// accepting reports whether a talk takes questions and votes: scheduled or
// live with Q&A open.
func accepting(talkStatus string, qaOpen bool) bool {
	return qaOpen && (talkStatus == "scheduled" || talkStatus == "live")
}

type exportedQuestion struct {
	ID        int64     `json:"id" db:"id"`
	TalkID    int64     `json:"talk_id" db:"talk_id"`
	Body      string    `json:"body" db:"body"`
	Anonymous bool      `json:"anonymous" db:"anonymous"`
	Status    string    `json:"status" db:"status"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

type exportedAnswer struct {
	ID         int64     `json:"id" db:"id"`
	QuestionID int64     `json:"question_id" db:"question_id"`
	Body       string    `json:"body" db:"body"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}

type exportedVote struct {
	QuestionID int64     `json:"question_id" db:"question_id"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}
