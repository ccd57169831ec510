// Package polls is the live polls of a talk and its reactions.
//
// Polls: staff of a talk (its speakers, moderators, admins) create polls
// of four kinds — single (one option), multiple (up to max_choices
// options), words (a word cloud: up to three short words a person) and
// rating (1–5) — and run them: draft → open → closed, at most one open
// poll per talk (the database holds that, and one ballot per person per
// poll, and that each ballot fits its poll and the poll is open).
// Signed-in users and guests (where the talk allows guests) cast one
// ballot per poll and may replace it while the poll is open.
//
// Results (counts, top words, average) are shown by the poll's results
// mode: live (to everyone, as ballots come), closed (to everyone once the
// poll is closed; to staff before) or staff (to staff only). Events follow
// moderation's channel rule: poll.opened and poll.closed go to the staff
// channel with results and to the public channel with what the public may
// see; poll.results, coalesced per poll (live.Coalescer, like
// question.voted), goes to the staff channel always and to the public one
// only when the public may see the results now. Drafts emit nothing.
//
// Reactions (👏 ❤️ 😂 🤔 💡) are not stored: each one is handed to the live
// hub, which sums them per talk per second over every instance and sends
// one ephemeral reactions event (realtime/reactions.go). A user's
// reactions beyond ReactionRate are dropped without an error.
package polls

import (
	"errors"
	"time"

	"github.com/hubtalks/hubtalks/server/moderation"
)

// Kinds, results modes and statuses of a poll.
const (
	KindSingle   = "single"
	KindMultiple = "multiple"
	KindWords    = "words"
	KindRating   = "rating"

	ResultsLive   = "live"
	ResultsClosed = "closed"
	ResultsStaff  = "staff"

	StatusDraft  = "draft"
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Limits of what a poll and a ballot hold.
const (
	MaxQuestion   = 300
	MaxOption     = 120
	MinOptions    = 2
	MaxOptions    = 10
	MaxWords      = 3
	MaxWordLength = 40
	TopWords      = 50 // the word cloud shows the most common words
)

// Emojis are the reactions a participant may send.
var Emojis = []string{"👏", "❤️", "😂", "🤔", "💡"}

// Errors of the polls' rules.
var (
	ErrAlreadyOpen = errors.New("another poll of this talk is open; close it first")
	ErrClosed      = errors.New("this poll is not open for ballots")
	ErrNotDraft    = errors.New("only a draft poll can be edited")
)

// Config tunes polls and reactions; zero fields take the defaults.
type Config struct {
	BallotRate    moderation.Rate // ballots cast or replaced per user, default 30 a minute
	ReactionRate  moderation.Rate // reactions per user, default 5 a second; more are dropped
	ResultsWindow time.Duration   // ballots within it become one poll.results, default 250 ms
}

func (c Config) defaults() Config {
	if c.BallotRate.N <= 0 {
		c.BallotRate = moderation.Rate{N: 30, Per: time.Minute}
	}
	if c.ReactionRate.N <= 0 {
		c.ReactionRate = moderation.Rate{N: 5, Per: time.Second}
	}
	if c.ResultsWindow <= 0 {
		c.ResultsWindow = 250 * time.Millisecond
	}
	return c
}

// Poll is a poll as the API shows it. Counts, Words and Average are its
// results, null where the caller may not see them (or they do not apply
// to its kind): Counts per option (single, multiple) or per rating 1–5
// (rating); Words the top TopWords normalised words (words); Average the
// mean rating (rating).
type Poll struct {
	ID         int64       `json:"id" db:"id"`
	TalkID     int64       `json:"talk_id" db:"talk_id"`
	Question   string      `json:"question" db:"question"`
	Kind       string      `json:"kind" db:"kind"`
	Options    []string    `json:"options" db:"-"`
	MaxChoices int         `json:"max_choices" db:"max_choices"`
	Results    string      `json:"results" db:"results"`
	Status     string      `json:"status" db:"status"`
	Ballots    int         `json:"ballots" db:"-"`
	Counts     []int       `json:"counts" db:"-"`
	Words      []WordCount `json:"words" db:"-"`
	Average    *float64    `json:"average" db:"-"`
	MyBallot   *Ballot     `json:"my_ballot" db:"-"`
	OpenedAt   *time.Time  `json:"opened_at" db:"opened_at"`
	ClosedAt   *time.Time  `json:"closed_at" db:"closed_at"`
}

// WordCount is one word of a word cloud.
type WordCount struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

// Ballot is one person's answer to a poll: choices (option indexes), words
// (as typed) or a rating, by the poll's kind.
type Ballot struct {
	PollID  int64    `json:"poll_id"`
	Choices []int    `json:"choices,omitempty"`
	Words   []string `json:"words,omitempty"`
	Rating  *int     `json:"rating,omitempty"`
}

// Results are a poll's results as poll.results carries them.
type Results struct {
	ID      int64       `json:"id"`
	Ballots int         `json:"ballots"`
	Counts  []int       `json:"counts"`
	Words   []WordCount `json:"words"`
	Average *float64    `json:"average"`
}

// Draft is a new poll, or the change of a draft's fields.
type Draft struct {
	Question   *string  `json:"question"`
	Kind       *string  `json:"kind"`
	Options    []string `json:"options"`
	MaxChoices *int     `json:"max_choices"`
	Results    *string  `json:"results"`
}

// Change is PATCH /polls/{id}: a status (open, closed), draft fields, or
// both (the fields first).
type Change struct {
	Draft
	Status *string `json:"status"`
}

// Cast is a ballot as sent: the field of the poll's kind.
type Cast struct {
	Choices []int    `json:"choices"`
	Words   []string `json:"words"`
	Rating  *int     `json:"rating"`
}

// Reaction is POST /talks/{id}/reactions.
type Reaction struct {
	Emoji *string `json:"emoji"`
}
