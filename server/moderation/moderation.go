// Package moderation keeps the Q&A and the discussion threads accountable:
// the flag queue shared by questions and posts, the per-talk moderation log
// of every staff action, the blocked-words filter, per-user rate limits, and
// the rule by which content events are split between a talk's two channels.
//
// Channel rule (qa and threads follow it through Publish): the staff channel
// talk:{id}:staff is a complete feed of the talk's content — every
// question.*, answer.*, thread.* and post.* event is emitted there, whatever
// the item's visibility, plus flag.created. The public channel talk:{id}
// carries the subset the public may see: approved/answered questions and
// visible threads and posts. A staff client therefore takes question, thread
// and post state from the staff channel alone (it may follow the public one
// too: events are whole resources, so applying a duplicate is harmless); a
// public client follows the public channel. When a publicly visible item
// stops being visible, the public channel says so without its text:
// question.removed {id}, or thread.updated/post.updated with hidden=true and
// the text fields emptied. Payloads never carry the author of an anonymous
// question, on either channel, because speakers (staff) may not see it;
// moderators read it over HTTP.
package moderation

import (
	"time"

	"github.com/hubtalks/hubtalks/server/talks"
)

// Rate is at most N hits per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// Config tunes Q&A, threads and moderation. The zero value means the
// defaults (see Defaults); tests set fields to shrink or widen them.
type Config struct {
	QuestionRate Rate // questions asked per user
	PostRate     Rate // threads and posts written per user
	VoteRate     Rate // votes and unvotes per user
	FlagRate     Rate // flags raised per user
	// BlockedWords are matched case-insensitively as whole words (or
	// phrases); a matching question goes to pending, a matching thread or
	// post is hidden. nil means DefaultBlockedWords; an empty non-nil slice
	// blocks nothing.
	BlockedWords []string
	// EditWindow is how long authors may edit their posts and thread titles.
	EditWindow time.Duration
	// VoteWindow is how long vote changes on a question are collected into
	// one question.voted event.
	VoteWindow time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time
}

// DefaultBlockedWords is a deliberately short starting list; deployments
// set their own.
var DefaultBlockedWords = []string{"fuck", "shit", "cunt", "viagra", "casino bonus"}

// Defaults fills every unset field of c.
func (c Config) Defaults() Config {
	def := func(r *Rate, n int) {
		if r.N <= 0 {
			r.N = n
		}
		if r.Per <= 0 {
			r.Per = time.Minute
		}
	}
	def(&c.QuestionRate, 5)
	def(&c.PostRate, 10)
	def(&c.VoteRate, 60)
	def(&c.FlagRate, 10)
	if c.BlockedWords == nil {
		c.BlockedWords = DefaultBlockedWords
	}
	if c.EditWindow <= 0 {
		c.EditWindow = 15 * time.Minute
	}
	if c.VoteWindow <= 0 {
		c.VoteWindow = 250 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Talk is a talk as the content domains need it: the caller's access (the
// one rule of staff and drafts) and the talk's Q&A settings.
type Talk struct {
	talks.Access
	QAOpen           bool   `db:"qa_open"`
	QAModeration     string `db:"qa_moderation"` // "pre" or "post"
	QAAllowAnonymous bool   `db:"qa_allow_anonymous"`
}

// Person is a user as shown next to what they wrote or did.
type Person struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// Authored are the author columns of a row of what people write
// (questions, answers, threads, posts).
type Authored struct {
	AuthorID   int64  `db:"author_id"`
	AuthorName string `db:"author_name"`
}

// Person is the author as shown next to what they wrote.
func (a Authored) Person() Person { return Person{ID: a.AuthorID, DisplayName: a.AuthorName} }

// Target names what an action or a flag is about.
type Target struct {
	Type string `json:"type"` // question, post, thread, flag
	ID   int64  `json:"id"`
}

// Action is one staff action for the log. ActorID 0 is the system.
type Action struct {
	TalkID  int64
	ActorID int64
	Action  string
	Target  Target
	Reason  string
}

// HiddenForWords is the system's log entry for hiding target because it
// holds a blocked word.
func HiddenForWords(talkID int64, target Target) Action {
	return Action{TalkID: talkID, Action: "hide_blocked_words", Target: target, Reason: "blocked words: hidden"}
}

// LogEntry is a moderation log entry as the API shows it.
type LogEntry struct {
	ID        int64     `json:"id" db:"id"`
	TalkID    int64     `json:"talk_id" db:"talk_id"`
	Actor     *Person   `json:"actor" db:"-"` // null: the system (blocked words)
	Action    string    `json:"action" db:"action"`
	Target    Target    `json:"target" db:"-"`
	Reason    string    `json:"reason" db:"reason"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// FlagTarget is what a flag is about: on the moderators' queue, the
// target as they see it now (its talk, text, author and status: a
// question's status, or "visible", "hidden" for a post, "deleted" when it
// is gone); to the reporter, only its type and id.
type FlagTarget struct {
	Target
	TalkID    int64   `json:"talk_id,omitempty"`
	TalkTitle string  `json:"talk_title,omitempty"`
	ThreadID  int64   `json:"thread_id,omitempty"` // a post's thread
	Body      *string `json:"body,omitempty"`
	Author    *Person `json:"author,omitempty"`
	Status    string  `json:"status,omitempty"`
}

// Flag is a report as the API shows it.
type Flag struct {
	ID        int64      `json:"id" db:"id"`
	TalkID    int64      `json:"talk_id" db:"talk_id"`
	Target    FlagTarget `json:"target" db:"-"`
	Reason    string     `json:"reason" db:"reason"`
	Status    string     `json:"status" db:"status"`
	Reporter  *Person    `json:"reporter" db:"-"` // null once the reporter's account is erased
	CreatedAt time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt time.Time  `json:"updated_at" db:"updated_at"`
}

// flagEvent is a flag as the staff channel carries it: without its
// reporter (speakers follow that channel too; moderators see who reported
// over HTTP). The outer field shadows Flag's in JSON.
type flagEvent struct {
	Flag
	Reporter *Person `json:"reporter,omitempty"`
}

// Report is a flag raised on a question or a post.
type Report struct {
	Reason *string `json:"reason"`
}

// Review closes a flag: status resolved or dismissed.
type Review struct {
	Status *string `json:"status"`
	Reason *string `json:"reason"`
}
