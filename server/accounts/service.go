package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/ratelimit"
)

// Service is the accounts' rules: who may sign up and sign in (throttled),
// sessions and roles, and a person's export and erasure, to which every
// domain adds its part (OnExport, OnErase).
type Service struct {
	cfg       Config
	db        *sqlx.DB // handed to exporters
	rec       *live.Recorder
	store     *Store
	limiter   ratelimit.Limiter
	sockets   SocketCloser
	erasers   []Eraser
	exporters map[string]Exporter
}

// NewService builds the accounts' rules; its store caches session lookups
// briefly. sockets may be nil.
func NewService(cfg Config, db *sqlx.DB, rec *live.Recorder, limiter ratelimit.Limiter, sockets SocketCloser) *Service {
	return &Service{cfg: cfg, db: db, rec: rec, store: newCachingStore(db, cfg.SessionIdle), limiter: limiter,
		sockets: sockets, exporters: map[string]Exporter{}}
}

// Store exposes the accounts' SQL to the command line.
func (s *Service) Store() *Store { return s.store }

// OnErase registers a domain's part of erasing an account.
func (s *Service) OnErase(e Eraser) { s.erasers = append(s.erasers, e) }

// OnExport registers a domain's part of a data export under key.
func (s *Service) OnExport(key string, e Exporter) { s.exporters[key] = e }

const (
	minPasswordLen = 10
	maxPasswordLen = 1024 // bytes; longer is a denial-of-service vector, not a password
)

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && len(s) <= 254
}

// ValidPassword checks the only rules we have: length, counted in characters.
func ValidPassword(v *domain.Checker, pw string) {
	n := utf8.RuneCountInString(pw)
	v.Check(n >= minPasswordLen, "password", fmt.Sprintf("must be at least %d characters", minPasswordLen))
	v.Check(len(pw) <= maxPasswordLen, "password", fmt.Sprintf("must be at most %d bytes", maxPasswordLen))
	v.Check(utf8.ValidString(pw), "password", "must be valid UTF-8")
}

// ValidDisplayName checks a name shown next to questions and posts.
func ValidDisplayName(v *domain.Checker, name string) {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	v.Check(n >= 1 && n <= 80, "display_name", "must be 1 to 80 characters")
}

// ValidRole reports a known global role.
func ValidRole(r string) bool {
	return r == domain.RoleParticipant || r == domain.RoleModerator || r == domain.RoleAdmin
}

// Signup creates a participant account and its first session.
func (s *Service) Signup(ctx context.Context, req Signup) (Session, error) {
	req.Email = strings.TrimSpace(req.Email)
	var v domain.Checker
	v.Check(ValidEmail(req.Email), "email", "must be an email address")
	ValidPassword(&v, req.Password)
	ValidDisplayName(&v, req.DisplayName)
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	if ok, retry := s.limiter.Allow(ctx, "signup:ip:"+req.From, s.cfg.SignupsPerIP, s.cfg.SignupWindow); !ok {
		return Session{}, domain.TooMany("too many sign-ups from your address; try again later", retry)
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return Session{}, err
	}
	u, err := s.store.CreateUser(ctx, req.Email, strings.TrimSpace(req.DisplayName), hash, domain.RoleParticipant)
	if err != nil {
		return Session{}, err
	}
	return s.startSession(ctx, u)
}

// Login checks the password and opens a new session. The session the
// caller came with by cookie (actor, may be nil) ends: a session id planted
// before login (fixation) is never promoted.
func (s *Service) Login(ctx context.Context, actor *domain.User, req Login) (Session, error) {
	var v domain.Checker
	v.Check(req.Email != "", "email", "is required")
	v.Check(req.Password != "", "password", "is required")
	v.Check(len(req.Password) <= maxPasswordLen, "password", "is too long")
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	u, err := s.authenticate(ctx, strings.ToLower(strings.TrimSpace(req.Email)), req.Password, req.From)
	if err != nil {
		return Session{}, err
	}
	if actor != nil && actor.ViaCookie {
		if err := s.store.deleteSession(ctx, actor.SessionID); err != nil {
			return Session{}, err
		}
	}
	return s.startSession(ctx, u)
}

// authenticate finds the account of email if password is its own, under
// the login throttle (throttle.go), which counts the attempt before the
// password is checked. Unknown emails and wrong passwords take the same
// time and get the same answer.
func (s *Service) authenticate(ctx context.Context, email, password, from string) (User, error) {
	succeeded, err := s.admitLogin(ctx, email, from)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.userByEmail(ctx, email)
	found := err == nil
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return User{}, err
	}
	hash := u.PasswordHash
	if !found || hash == "" {
		hash = dummyHash()
	}
	if !checkPassword(password, hash) || !found {
		return User{}, ErrInvalidCredentials
	}
	succeeded()
	return u.User, nil
}

func (s *Service) startSession(ctx context.Context, u User) (Session, error) {
	token, _, err := s.store.CreateSession(ctx, u.ID, s.cfg.SessionTTL)
	if err != nil {
		return Session{}, err
	}
	return Session{User: u, Token: token}, nil
}

// Logout ends the caller's session and closes their live sockets.
func (s *Service) Logout(ctx context.Context, actor *domain.User) error {
	if err := s.store.deleteSession(ctx, actor.SessionID); err != nil {
		return err
	}
	s.disconnect(actor.ID)
	return nil
}

// Me is the caller's own account.
func (s *Service) Me(ctx context.Context, actor *domain.User) (User, error) {
	return s.store.UserByID(ctx, actor.ID)
}

// Users pages through the users by id. Only admins see emails: moderators
// list users to pick speakers, by name.
func (s *Service) Users(ctx context.Context, actor *domain.User, search UserSearch) (httpx.List[User], error) {
	var after int64
	if search.Page.Cursor != "" {
		if err := httpx.DecodeCursor(search.Page.Cursor, &after); err != nil {
			return httpx.List[User]{}, err
		}
	}
	admin := actor.IsAdmin()
	users, err := s.store.ListUsers(ctx, strings.TrimSpace(search.Text), admin, after, search.Page.Limit+1)
	if err != nil {
		return httpx.List[User]{}, err
	}
	return httpx.PageOf(users, search.Page.Limit, func(u User) User {
		if !admin {
			u.Email = ""
		}
		return u
	}, func(u User) any { return u.ID }), nil
}

// SetRole changes a user's role (admins only); their sessions and live
// sockets end, so the new role comes with a fresh session.
func (s *Service) SetRole(ctx context.Context, actor *domain.User, userID int64, change RoleChange) (User, error) {
	if !actor.IsAdmin() {
		return User{}, domain.ErrForbidden
	}
	var v domain.Checker
	v.Check(change.Role != nil, "role", "is required")
	if change.Role != nil {
		v.Check(ValidRole(*change.Role), "role", "must be participant, moderator or admin")
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	u, err := s.store.SetRole(ctx, userID, *change.Role)
	if err != nil {
		return User{}, err
	}
	s.disconnect(userID)
	return u, nil
}

// Export is everything stored about the caller, every domain's part included.
func (s *Service) Export(ctx context.Context, actor *domain.User) (Export, error) {
	out := Export{ExportedAt: time.Now().UTC(), Data: map[string]any{}}
	var err error
	if out.User, out.Sessions, err = s.store.exportOf(ctx, actor.ID); err != nil {
		return Export{}, err
	}
	for key, exp := range s.exporters {
		v, err := exp(ctx, s.db, actor.ID)
		if err != nil {
			return Export{}, fmt.Errorf("export %s of user %d: %w", key, actor.ID, err)
		}
		out.Data[key] = v
	}
	return out, nil
}

// Erase anonymises the caller's account in one transaction with every
// domain's part: questions and posts stay, under ErasedName, and the live
// event log names the person that way too (a replay shows what HTTP shows).
func (s *Service) Erase(ctx context.Context, actor *domain.User) error {
	uid := actor.ID
	err := s.rec.InTx(ctx, func(tx *live.Tx) error {
		for _, e := range s.erasers {
			if err := e(ctx, tx, uid); err != nil {
				return fmt.Errorf("erase user %d: %w", uid, err)
			}
		}
		if err := s.store.erase(ctx, tx, uid); err != nil {
			return err
		}
		return tx.RenamePerson(uid, ErasedName)
	})
	if err != nil {
		return err
	}
	s.store.forgetSessions(uid)
	s.disconnect(uid)
	return nil
}

// UserForToken finds the user of a raw session token (nil when it is not valid).
func (s *Service) UserForToken(ctx context.Context, token string) (*domain.User, error) {
	su, err := s.store.sessionUser(ctx, token)
	if err != nil || su == nil {
		return nil, err
	}
	return &domain.User{ID: su.ID, Email: su.Email, DisplayName: su.DisplayName, Role: su.Role, SessionID: su.SessionID}, nil
}

func (s *Service) disconnect(userID int64) {
	if s.sockets != nil {
		s.sockets.DisconnectUser(userID)
	}
}
