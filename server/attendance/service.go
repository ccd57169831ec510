package attendance

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Config is what certificates need to know of the deployment.
type Config struct {
	Series   string         // the series' name on certificates (default "Hub Talks")
	TimeZone *time.Location // dates and times on certificates (default UTC)
	BaseURL  string         // the verification link printed on certificates
	Now      func() time.Time
}

// Service holds the attendance rules.
type Service struct {
	db    *sqlx.DB
	cfg   Config
	store Store
}

// NewService returns the attendance service.
func NewService(db *sqlx.DB, cfg Config) *Service {
	if cfg.Series == "" {
		cfg.Series = "Hub Talks"
	}
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{db: db, cfg: cfg}
}

// Sheet is a talk's attendance for its staff: with emails for moderators
// and admins only.
type Sheet struct {
	TalkID    int64
	Records   []Record
	WithEmail bool
}

// Sheet lists who attended the talk, for its staff.
func (s *Service) Sheet(ctx context.Context, actor *domain.User, talkID int64) (Sheet, error) {
	if err := StaffOnly(ctx, s.db, actor, talkID, "only the talk's speakers, moderators and admins see its attendance"); err != nil {
		return Sheet{}, err
	}
	rs, err := s.store.records(ctx, s.db, talkID)
	if err != nil {
		return Sheet{}, err
	}
	withEmail := actor.IsModerator()
	if !withEmail {
		for i := range rs {
			rs[i].Email = nil
		}
	}
	return Sheet{TalkID: talkID, Records: rs, WithEmail: withEmail}, nil
}

// StaffOnly lets the talk's staff through; others learn that a draft does
// not exist, or are refused with refusal (a fixed text, what they may not see).
func StaffOnly(ctx context.Context, q sqlx.QueryerContext, actor *domain.User, talkID int64, refusal string) error {
	a, err := talks.AccessFor(ctx, q, talkID, actor)
	switch {
	case err != nil:
		return err
	case a.Staff():
		return nil
	case !a.Visible():
		return fmt.Errorf("talk %d: %w", talkID, domain.ErrNotFound)
	}
	return domain.Forbidden(refusal)
}

// Mine is the caller's own attendance of a talk they may see.
func (s *Service) Mine(ctx context.Context, actor *domain.User, talkID int64) (Mine, error) {
	a, err := talks.AccessFor(ctx, s.db, talkID, actor)
	if err != nil {
		return Mine{}, err
	}
	if !a.Visible() {
		return Mine{}, fmt.Errorf("talk %d: %w", talkID, domain.ErrNotFound)
	}
	sess, err := s.store.session(ctx, s.db, talkID)
	if err != nil {
		return Mine{}, err
	}
	rec, err := s.store.own(ctx, s.db, talkID, actor.ID)
	if err != nil {
		return Mine{}, err
	}
	m := Mine{TalkID: talkID, MinShare: sess.MinShare, SessionMinutes: SessionMinutes(sess.StartedAt, sess.EndedAt, s.cfg.Now())}
	if rec != nil {
		m.Minutes = rec.Minutes
		if m.SessionMinutes > 0 { // a few marks may fall in the minute the session ended
			m.Minutes = min(m.Minutes, m.SessionMinutes)
		}
		m.FirstSeen, m.LastSeen = &rec.FirstSeen, &rec.LastSeen
	}
	m.Eligible = eligible(sess, m.Minutes, m.SessionMinutes)
	return m, nil
}

// eligible: the session is over and minutes cover at least its share.
func eligible(sess Session, minutes, sessionMinutes int) bool {
	return sess.EndedAt != nil && sessionMinutes > 0 && minutes > 0 &&
		float64(minutes) >= sess.MinShare*float64(sessionMinutes)-1e-9
}

// Summary sums a talk's attendance (for the report).
type Summary struct {
	Attended           int // signed-in users seen in the live room
	AttendedRegistered int // of them, registered
	Eligible           int // present for at least the certificate share
	TotalMinutes       int
}

// ReadSession reads the live session of talk talkID in q; a talk that does
// not exist is not found.
func ReadSession(ctx context.Context, q sqlx.QueryerContext, talkID int64) (Session, error) {
	return Store{}.session(ctx, q, talkID)
}

// Summarize sums the talk's attendance in q, for a session of
// sessionMinutes with the given certificate share.
func Summarize(ctx context.Context, q sqlx.QueryerContext, talkID int64, sessionMinutes int, minShare float64) (Summary, error) {
	rs, err := Store{}.records(ctx, q, talkID)
	if err != nil {
		return Summary{}, err
	}
	var s Summary
	ended := &time.Time{} // eligibility here only weighs minutes
	for _, r := range rs {
		m := r.Minutes
		if sessionMinutes > 0 {
			m = min(m, sessionMinutes)
		}
		s.Attended++
		s.TotalMinutes += m
		if r.Registered {
			s.AttendedRegistered++
		}
		if eligible(Session{EndedAt: ended, MinShare: minShare}, m, sessionMinutes) {
			s.Eligible++
		}
	}
	return s, nil
}

// Export is the user's attendance, for GET /me/export.
func (s *Service) Export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	rs, err := s.store.export(ctx, db, userID)
	if rs == nil {
		rs = []exportRow{}
	}
	return rs, err
}

// Issue makes (or finds again) the caller's certificate of a talk whose live
// session is over and that they attended for long enough, and renders it
// in lang.
func (s *Service) Issue(ctx context.Context, actor *domain.User, lang string, talkID int64) ([]byte, Certificate, error) {
	mine, err := s.Mine(ctx, actor, talkID)
	if err != nil {
		return nil, Certificate{}, err
	}
	sess, err := s.store.session(ctx, s.db, talkID)
	if err != nil {
		return nil, Certificate{}, err
	}
	if sess.EndedAt == nil {
		return nil, Certificate{}, ErrNotOver
	}
	if !mine.Eligible {
		return nil, Certificate{}, domain.BecauseMsg(ErrNotAttended, domain.Count("problem.attended_minutes",
			mine.SessionMinutes, map[string]any{"Minutes": mine.Minutes, "Share": fmt.Sprintf("%.0f", sess.MinShare*100)}))
	}
	code, err := s.store.issue(ctx, s.db, newCode(), talkID, actor.ID, mine.Minutes)
	if err != nil {
		return nil, Certificate{}, err
	}
	c, err := s.Verify(ctx, code)
	if err != nil {
		return nil, Certificate{}, err
	}
	pdf, err := s.render(lang, c)
	return pdf, c, err
}

// Verify finds a certificate by its code; an unknown code (or one whose
// holder erased their account) is domain.ErrNotFound.
func (s *Service) Verify(ctx context.Context, code string) (Certificate, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != codeLength {
		return Certificate{}, fmt.Errorf("certificate: %w", domain.ErrNotFound)
	}
	c, err := s.store.certificate(ctx, s.db, code)
	if err != nil {
		return c, err
	}
	c.Session = SessionMinutes(&c.StartedAt, &c.EndedAt, c.EndedAt)
	c.Date = c.StartedAt.In(s.cfg.TimeZone).Format("2 January 2006")
	c.SeriesTitle = s.cfg.Series
	if c.Speakers == nil {
		c.Speakers = []string{}
	}
	return c, nil
}

// codeLength is the length of a verification code: 130 bits of
// crypto/rand in base32 (26 characters), unguessable.
const codeLength = 26

func newCode() string {
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:codeLength]
}
