// Package qa is the live Q&A of a talk: questions (asked, listed, voted,
// moderated, pinned, answered), their written answers and their flags.
//
// Who may do what (api.md "Roles"): anyone reads the public questions of a
// visible talk (approved and answered ones); signed-in users ask, vote and
// flag; staff of the talk (its speakers, moderators, admins) see every
// status and moderate (approve, dismiss, restore, mark answered, pin);
// speakers of the talk, moderators and admins answer. The author of an
// anonymous question is shown to moderators and admins only — not to
// speakers, and never in live events. Pending and dismissed questions are
// staff-only: a non-staff caller gets 404 for them, and asking the list for
// those statuses gets 403. Events follow the channel rule of package
// moderation.
package qa

import (
	"errors"
	"time"

	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Limits on user text, in characters after trimming.
const (
	MaxQuestion = 500
	MaxAnswer   = 5000
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

// Errors of the Q&A's rules.
var (
	ErrQAClosed          = errors.New("this talk does not take questions now")
	ErrNotVotable        = errors.New("only approved and answered questions take votes")
	ErrNotPinnable       = errors.New("only approved and answered questions can be pinned")
	ErrQuestionDismissed = errors.New("restore the question before answering it")
	// ErrEditWindow refuses an author's edit or withdrawal after the edit
	// window (moderation Config.EditWindow).
	ErrEditWindow = errors.New("the time to edit this question has passed")
	// ErrQuestionTaken refuses an author's edit or withdrawal of a question
	// already answered or dismissed.
	ErrQuestionTaken = errors.New("this question was already answered or dismissed")
)

// Question is a question as the API shows it.
type Question struct {
	ID         int64              `json:"id" db:"id"`
	TalkID     int64              `json:"talk_id" db:"talk_id"`
	Body       string             `json:"body" db:"body"`
	Author     *moderation.Person `json:"author" db:"-"`
	Anonymous  bool               `json:"anonymous" db:"anonymous"`
	Status     string             `json:"status" db:"status"`
	Pinned     bool               `json:"pinned" db:"pinned"`
	Votes      int                `json:"votes" db:"votes"`
	Voted      bool               `json:"voted" db:"voted"`
	Answers    []Answer           `json:"answers" db:"-"`
	AnsweredAt *time.Time         `json:"answered_at" db:"answered_at"`
	// RecordingAt is the second of the talk's recording where the question
	// was taken live (pinned or marked answered); null without a recording
	// or when it was answered only in writing.
	RecordingAt *int      `json:"recording_at" db:"recording_at"`
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
	UpdatedAt   time.Time `json:"updated_at" db:"updated_at"`
}

// Answer is a written answer to a question.
type Answer struct {
	ID         int64             `json:"id" db:"id"`
	QuestionID int64             `json:"question_id" db:"question_id"`
	Body       string            `json:"body" db:"body"`
	Author     moderation.Person `json:"author" db:"-"`
	CreatedAt  time.Time         `json:"created_at" db:"created_at"`
}

// Vote is a caller's vote on a question, with the question's count.
type Vote struct {
	ID    int64 `json:"id"`
	Votes int   `json:"votes"`
	Voted bool  `json:"voted"`
}

// votedEvent is the data of question.voted.
type votedEvent struct {
	ID    int64 `json:"id"`
	Votes int   `json:"votes"`
}

// removedQuestion is question.removed: all the public learns of a question
// that is no longer visible.
type removedQuestion struct {
	ID int64 `json:"id"`
}

// Filter asks for a page of a talk's questions: Sort top (most votes
// first) or recent; Status a comma-separated list of statuses (empty: every
// status the caller may see).
type Filter struct {
	Sort   string
	Status string
	Page   keyset.Page
}

// Ask is a new question.
type Ask struct {
	Body      *string `json:"body"`
	Anonymous bool    `json:"anonymous"`
}

// Moderation is a staff change of a question: its status (approved,
// dismissed or answered), its pin, or both.
type Moderation struct {
	Body   *string `json:"body"` // the author's edit: alone
	Status *string `json:"status"`
	Pinned *bool   `json:"pinned"`
	Reason *string `json:"reason"`
}

// Reply is a written answer to a question.
type Reply struct {
	Body *string `json:"body"`
}
