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
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/ratelimit"
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

// Moderation is the moderation domain; qa and threads hold one.
type Moderation struct {
	DB       *sqlx.DB
	Recorder *live.Recorder
	Cfg      Config
	Log      *slog.Logger
	limiter  ratelimit.Limiter
	blocked  *regexp.Regexp // nil: nothing blocked
}

// New builds the domain; cfg's unset fields get their defaults.
func New(db *sqlx.DB, rec *live.Recorder, limiter ratelimit.Limiter, cfg Config, log *slog.Logger) *Moderation {
	cfg = cfg.Defaults()
	return &Moderation{DB: db, Recorder: rec, Cfg: cfg, Log: log, limiter: limiter, blocked: blockedPattern(cfg.BlockedWords)}
}

// Now is the domain's clock, in UTC.
func (m *Moderation) Now() time.Time { return m.Cfg.Now().UTC() }

func blockedPattern(words []string) *regexp.Regexp {
	var alts []string
	for _, w := range words {
		if w = strings.TrimSpace(w); w != "" {
			alts = append(alts, regexp.QuoteMeta(strings.ToLower(w)))
		}
	}
	if len(alts) == 0 {
		return nil
	}
	// Whole words: the match may not touch a letter, digit or underscore.
	return regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}_])(?:` + strings.Join(alts, "|") + `)(?:$|[^\p{L}\p{N}_])`)
}

// Blocked reports whether any text holds a blocked word.
func (m *Moderation) Blocked(texts ...string) bool {
	if m.blocked == nil {
		return false
	}
	for _, t := range texts {
		if m.blocked.MatchString(t) {
			return true
		}
	}
	return false
}

// Allow applies a per-user rate limit; the error is a 429 with Retry-After.
func (m *Moderation) Allow(ctx context.Context, kind string, userID int64, r Rate) error {
	ok, retry := m.limiter.Allow(ctx, fmt.Sprintf("mod:%s:%d", kind, userID), r.N, r.Per)
	if ok {
		return nil
	}
	return domain.TooMany("too many "+kind+"s; wait a little", retry)
}

// Person is a user as shown next to what they wrote or did.
type Person struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// Text trims a required text field and checks its length in characters
// (1..max); the trimmed text is stored as typed, never rewritten.
func Text(v *domain.Checker, field string, s *string, max int) string {
	if s == nil {
		v.Add(field, "is required")
		return ""
	}
	t := strings.TrimSpace(*s)
	n := utf8.RuneCountInString(t)
	switch {
	case n == 0:
		v.Add(field, "must not be empty")
	case n > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case !utf8.ValidString(t):
		v.Add(field, "must be valid UTF-8")
	}
	return t
}

// MaxReason bounds the optional reason of flags and staff actions.
const MaxReason = 500

// Reason checks an optional reason.
func Reason(v *domain.Checker, s *string) string {
	if s == nil {
		return ""
	}
	t := strings.TrimSpace(*s)
	v.Check(utf8.RuneCountInString(t) <= MaxReason, "reason", fmt.Sprintf("must be at most %d characters", MaxReason))
	return t
}

// TalkRef is the talk an event belongs to, as far as the channel rule
// needs it.
type TalkRef struct {
	ID     int64
	Status string
}

// Publish emits an event about subject by the channel rule of this package:
// always on the talk's staff channel with staffData, and on its public
// channel with publicData unless that is nil or the talk is a draft (a
// draft emits nothing in public).
func Publish(tx *live.Tx, talk TalkRef, typ, subject string, staffData, publicData any) error {
	if err := tx.Emit(live.StaffChannel(talk.ID), typ, subject, staffData); err != nil {
		return err
	}
	if publicData == nil {
		return nil
	}
	return PublishPublic(tx, talk, typ, subject, publicData)
}

// PublishPublic emits an event on the talk's public channel only, unless
// the talk is a draft.
func PublishPublic(tx *live.Tx, talk TalkRef, typ, subject string, data any) error {
	if talk.Status == "draft" {
		return nil
	}
	return tx.Emit(live.TalkChannel(talk.ID), typ, subject, data)
}

// LockTalk takes the talk's row lock for the rest of tx (moderation
// changes of one talk, pins above all, are serialised by it) and returns
// the talk.
func LockTalk(ctx context.Context, tx *live.Tx, talkID int64) (TalkRef, error) {
	t := TalkRef{ID: talkID}
	if err := tx.GetContext(ctx, &t.Status, lockTalk, talkID); err != nil {
		return t, fmt.Errorf("lock talk %d: %w", talkID, err)
	}
	return t, nil
}
