package moderation

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/ratelimit"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Service holds the moderation's rules; qa and threads hold one for what
// they share: the clock, rate limits, blocked words, the log and flags.
type Service struct {
	DB       *sqlx.DB
	Recorder *live.Recorder
	Cfg      Config
	Log      *slog.Logger
	store    Store
	limiter  ratelimit.Limiter
	blocked  *regexp.Regexp // nil: nothing blocked
}

// New builds the service; cfg's unset fields get their defaults.
func New(db *sqlx.DB, rec *live.Recorder, limiter ratelimit.Limiter, cfg Config, log *slog.Logger) *Service {
	cfg = cfg.Defaults()
	return &Service{DB: db, Recorder: rec, Cfg: cfg, Log: log, limiter: limiter, blocked: blockedPattern(cfg.BlockedWords)}
}

// Txn runs fn in one transaction and returns its value (see live.Txn).
type Txn[T any] = live.Txn[T]

// Now is the domain's clock, in UTC.
func (s *Service) Now() time.Time { return s.Cfg.Now().UTC() }

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
func (s *Service) Blocked(texts ...string) bool {
	if s.blocked == nil {
		return false
	}
	for _, t := range texts {
		if s.blocked.MatchString(t) {
			return true
		}
	}
	return false
}

// Allow applies a per-user rate limit; the error is a 429 with Retry-After.
func (s *Service) Allow(ctx context.Context, kind string, userID int64, r Rate) error {
	ok, retry := s.limiter.Allow(ctx, fmt.Sprintf("mod:%s:%d", kind, userID), r.N, r.Per)
	if ok {
		return nil
	}
	detail := "too many actions; wait a little"
	switch kind { // one message each: a kind is an English noun
	case "flag":
		detail = "too many flags; wait a little"
	case "question":
		detail = "too many questions; wait a little"
	case "vote":
		detail = "too many votes; wait a little"
	case "post":
		detail = "too many posts; wait a little"
	case "ballot":
		detail = "too many ballots; wait a little"
	case "reaction":
		detail = "too many reactions; wait a little"
	}
	return domain.TooMany(detail, retry)
}

// Record writes actions to the moderation log inside tx, in order: an
// action and its log entry exist together or not at all.
func (s *Service) Record(ctx context.Context, tx sqlx.ExtContext, actions ...Action) error {
	for _, a := range actions {
		if err := s.store.InsertLog(ctx, tx, a, s.Now()); err != nil {
			return err
		}
	}
	return nil
}

// TalkFor loads a talk for u, with u's access to it: a draft is not found
// for anyone but its staff.
func (s *Service) TalkFor(ctx context.Context, talkID int64, u *domain.User) (Talk, error) {
	t, err := s.store.Talk(ctx, s.DB, talkID, u)
	if err == nil && !t.Visible() {
		err = NotFound("talk", talkID)
	}
	return t, err
}

// TakingPart passes on an item read with its talk access (a, err: what a
// reader returned) once the caller may take part in that talk: the first
// step of every participant's write.
func TakingPart[A interface{ TakingPart() error }](a A, err error) (A, error) {
	if err == nil {
		err = a.TakingPart()
	}
	return a, err
}

// LockTalk takes the talk's row lock for the rest of tx (moderation
// changes of one talk, pins above all, are serialised by it) and returns
// the talk's id and status.
func (s *Service) LockTalk(ctx context.Context, tx *live.Tx, talkID int64) (talks.Access, error) {
	return s.store.LockTalk(ctx, tx, talkID)
}

// Flag files u's report on target (a question or a post) once see has
// shown that u sees it (see returns the access to its talk, or refuses):
// created is false when u had flagged it before, and the flag is then
// their earlier one.
func (s *Service) Flag(ctx context.Context, u *domain.User, target Target, r Report, see func(context.Context, int64, *domain.User) (talks.Access, error)) (f Flag, created bool, err error) {
	talk, err := TakingPart(see(ctx, target.ID, u))
	if err != nil {
		return f, false, err
	}
	var v domain.Checker
	reason := Reason(&v, r.Reason)
	if err := v.Err(); err != nil {
		return f, false, err
	}
	if err := s.Allow(ctx, "flag", u.ID, s.Cfg.FlagRate); err != nil {
		return f, false, err
	}
	err = s.Recorder.InTx(ctx, func(tx *live.Tx) error {
		row, isNew, err := s.store.InsertFlag(ctx, tx, flagRow{Flag: Flag{TalkID: talk.TalkID, Reason: reason, CreatedAt: s.Now()},
			TargetType: target.Type, TargetID: target.ID, ReporterID: sql.NullInt64{Int64: u.ID, Valid: true}})
		if err != nil || !isNew {
			f = row.flag()
			return err
		}
		f, created = row.flag(), true
		return tx.Emit(live.StaffChannel(talk.TalkID), "flag.created", live.Subject("flag", f.ID), flagEvent{Flag: f})
	})
	return f, created, err
}

// Flags is a page of the flag queue in status (open, resolved or
// dismissed), oldest first.
func (s *Service) Flags(ctx context.Context, u *domain.User, status string, page keyset.Page) (keyset.List[Flag], error) {
	if status != "open" && status != "resolved" && status != "dismissed" {
		return keyset.List[Flag]{}, domain.InvalidField("status", "must be open, resolved or dismissed")
	}
	return keyset.ByID(page, func(after int64, limit int) ([]flagRow, error) {
		return s.store.Flags(ctx, s.DB, status, after, limit)
	}, flagRow.flag, func(r flagRow) int64 { return r.ID })
}

// Review closes a flag as resolved or dismissed, logged in the same
// transaction; setting the status it already has changes nothing.
func (s *Service) Review(ctx context.Context, u *domain.User, id int64, r Review) (Flag, error) {
	var v domain.Checker
	v.Check(r.Status != nil && (*r.Status == "resolved" || *r.Status == "dismissed"), "status", "must be resolved or dismissed")
	reason := Reason(&v, r.Reason)
	if err := v.Err(); err != nil {
		return Flag{}, err
	}
	return live.TxnOf[Flag](ctx, s.Recorder).Run(func(tx *live.Tx) (Flag, error) {
		row, err := s.store.LockFlag(ctx, tx, id)
		if err != nil || row.Status == *r.Status {
			return row.flag(), err
		}
		now := s.Now()
		if err := s.store.SetFlagStatus(ctx, tx, id, *r.Status, now); err != nil {
			return Flag{}, err
		}
		action := map[string]string{"resolved": "resolve_flag", "dismissed": "dismiss_flag", "open": "reopen_flag"}[*r.Status]
		if err := s.Record(ctx, tx, Action{TalkID: row.TalkID, ActorID: u.ID, Action: action, Target: Target{"flag", id}, Reason: reason}); err != nil {
			return Flag{}, err
		}
		row.Status, row.UpdatedAt = *r.Status, now
		return row.flag(), nil
	})
}

// ModerationLog is a page of a talk's moderation log, newest first, for
// the staff of that talk.
func (s *Service) ModerationLog(ctx context.Context, u *domain.User, talkID int64, page keyset.Page) (keyset.List[LogEntry], error) {
	t, err := s.TalkFor(ctx, talkID, u)
	if err != nil {
		return keyset.List[LogEntry]{}, err
	}
	if !t.Staff() {
		return keyset.List[LogEntry]{}, domain.Forbidden("only staff of this talk read its moderation log")
	}
	return keyset.ByID(page, func(before int64, limit int) ([]logRow, error) {
		return s.store.Log(ctx, s.DB, talkID, before, limit)
	}, logRow.entry, func(r logRow) int64 { return r.ID })
}

// Erase is the moderation's part of erasing an account: flags stay in the
// queue, but no longer say who raised them.
func (s *Service) Erase(ctx context.Context, tx *live.Tx, userID int64) error {
	return s.store.ClearReporter(ctx, tx, userID)
}

// Export is the moderation's part of an account's data export: the flags
// the user raised.
func (s *Service) Export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	return s.store.Export(ctx, db, userID)
}
