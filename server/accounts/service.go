package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/keyset"
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
	// OnVerified runs in the transaction that verifies an address (nil:
	// nothing more to do), e.g. to send the registrations' state once.
	OnVerified VerifiedHook
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

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && len(s) <= 254
}

// ValidRole reports a known global role.
func ValidRole(r string) bool {
	return r == domain.RoleParticipant || r == domain.RoleModerator || r == domain.RoleAdmin
}

// Signup creates a participant account and its first session.
func (s *Service) Signup(ctx context.Context, caller *domain.User, req Signup) (Session, error) {
	var v domain.Checker
	name := CheckDisplayName(&v, "display_name", req.DisplayName)
	email, hash, err := s.credentials(ctx, &v, req.Email, req.Password, name, req.From)
	if err != nil {
		return Session{}, err
	}
	u, err := s.withVerification(ctx, req.Locale, func(tx *live.Tx) (User, error) {
		return s.store.createUser(ctx, tx, email, name, hash, domain.RoleParticipant)
	})
	if err != nil {
		return Session{}, err
	}
	return s.startSession(ctx, caller, u)
}

// withVerification runs give, which gives an account its email address
// (a new account, an upgraded guest), and in the same transaction records
// the language it signed up in and queues the address's verification: an
// address and its one verification message exist together.
func (s *Service) withVerification(ctx context.Context, locale string, give func(tx *live.Tx) (User, error)) (User, error) {
	var u User
	err := s.rec.InTx(ctx, func(tx *live.Tx) error {
		var err error
		if u, err = give(tx); err != nil {
			return err
		}
		if err := s.store.setSignupLocale(ctx, tx, u.ID, locale); err != nil {
			return err
		}
		return s.SendVerification(ctx, tx, u.ID)
	})
	return u, err
}

// credentials checks a new account's email and password (with what v holds
// already), under the per-address limit of sign-ups (a sign-up or an
// upgrade tells whether an email is taken), and hashes the password.
func (s *Service) credentials(ctx context.Context, v *domain.Checker, email, password, name, from string) (string, string, error) {
	email = strings.TrimSpace(email)
	v.Check(ValidEmail(email), "email", "must be an email address")
	CheckPassword(v, "password", password, email, name)
	if err := v.Err(); err != nil {
		return "", "", err
	}
	if ok, retry := s.limiter.Allow(ctx, "signup:ip:"+from, s.cfg.SignupsPerIP, s.cfg.SignupWindow); !ok {
		return "", "", domain.TooMany("too many sign-ups from your address; try again later", retry)
	}
	hash, err := HashPassword(password)
	return email, hash, err
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
	return s.startSession(ctx, actor, u)
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

// startSession opens a session for u; the session the caller came with by
// cookie (may be nil) ends: one planted before (fixation) is never promoted.
func (s *Service) startSession(ctx context.Context, actor *domain.User, u User) (Session, error) {
	if actor != nil && actor.ViaCookie {
		if err := s.store.deleteSession(ctx, actor.SessionID); err != nil {
			return Session{}, err
		}
	}
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
	u, err := s.store.UserByID(ctx, actor.ID)
	if err != nil {
		return u, err
	}
	n, err := s.store.notifications(ctx, s.db, actor.ID)
	u.Notifications = &n
	return u, err
}

// Users pages through the users by id. Only admins see emails: moderators
// list users to pick speakers, by name.
func (s *Service) Users(ctx context.Context, actor *domain.User, search UserSearch) (keyset.List[User], error) {
	admin := actor.IsAdmin()
	return keyset.ByID(search.Page, func(after int64, limit int) ([]User, error) {
		return s.store.ListUsers(ctx, strings.TrimSpace(search.Text), admin, after, limit)
	}, func(u User) User {
		if !admin {
			u.Email = ""
		}
		return u
	}, func(u User) int64 { return u.ID })
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
	if err := s.refuseGuest(ctx, userID); err != nil {
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
	return &domain.User{ID: su.ID, Email: string(su.Email), DisplayName: su.DisplayName, Role: su.Role, SessionID: su.SessionID,
		Locale: string(su.Locale)}, nil
}

func (s *Service) disconnect(userID int64) {
	if s.sockets != nil {
		s.sockets.DisconnectUser(userID)
	}
}

// Token purposes, as account_tokens stores them.
const (
	purposeVerify = "verify"
	purposeReset  = "reset"
)

// SendVerification writes, in q's transaction, a new verification link
// for userID's address into the outbox: signup, a guest's upgrade and a
// resend call it. ErrNoEmail for an account without an address,
// ErrAlreadyVerified when there is nothing to verify.
func (s *Service) SendVerification(ctx context.Context, q sqlx.ExtContext, userID int64) error {
	t, err := s.store.verifyTarget(ctx, q, userID)
	if err != nil {
		return err
	}
	if t.Email == "" {
		return ErrNoEmail
	}
	if t.EmailVerified {
		return ErrAlreadyVerified
	}
	return s.sendToken(ctx, q, MessageVerify, purposeVerify, userID, t.Email, VerifyTTL)
}

// sendToken makes a token of purpose for email and writes the message of
// kind that carries it.
func (s *Service) sendToken(ctx context.Context, q sqlx.ExtContext, kind, purpose string, userID int64, email string, ttl time.Duration) error {
	token, err := s.store.createToken(ctx, q, userID, purpose, email, ttl)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(accountMessage{Email: email, Secret: token})
	if err != nil {
		return fmt.Errorf("encode %s message: %w", kind, err)
	}
	return s.store.enqueueAccountMessage(ctx, q, kind, userID, payload)
}

// ResendVerification sends the caller a new verification link, a few
// times an hour at most.
func (s *Service) ResendVerification(ctx context.Context, actor *domain.User) error {
	t, err := s.store.verifyTarget(ctx, s.db, actor.ID)
	if err != nil {
		return err
	}
	switch {
	case t.Email == "":
		return ErrNoEmail
	case t.EmailVerified:
		return ErrAlreadyVerified
	}
	key := "verify:resend:user:" + strconv.FormatInt(actor.ID, 10)
	if ok, retry := s.limiter.Allow(ctx, key, s.cfg.VerifyResendsPerUser, s.cfg.MessageWindow); !ok {
		return domain.TooMany("verification messages were sent recently; check your mailbox or try again later", retry)
	}
	return s.rec.InTx(ctx, func(tx *live.Tx) error { return s.SendVerification(ctx, tx, actor.ID) })
}

// Verify confirms the address of a verification link's token (single use,
// 48 hours, for the address it was sent to) and runs OnVerified in the
// same transaction.
func (s *Service) Verify(ctx context.Context, req Verify) error {
	if err := requireToken(req.Token); err != nil {
		return err
	}
	return s.rec.InTx(ctx, func(tx *live.Tx) error {
		u, err := s.store.useToken(ctx, tx, req.Token, purposeVerify)
		if err != nil {
			return err
		}
		return s.verified(ctx, tx, u)
	})
}

// verified marks u's address verified in tx; the first time, OnVerified runs.
func (s *Service) verified(ctx context.Context, tx *live.Tx, u User) error {
	if err := s.store.markVerified(ctx, tx, u.ID); err != nil {
		return err
	}
	if s.OnVerified != nil && !u.EmailVerified {
		return s.OnVerified(ctx, tx, u.ID)
	}
	return nil
}

func requireToken(token string) error {
	var v domain.Checker
	v.Check(token != "", "token", "is required")
	v.Check(len(token) <= 128, "token", "is too long")
	return v.Err()
}

// RequestPasswordReset sends a reset link to email if an account has that
// address. Whether it has, and whether the request was over a limit (per
// address asked for, per client address), the answer is the same: nothing
// tells a caller which addresses have accounts.
func (s *Service) RequestPasswordReset(ctx context.Context, req PasswordReset) error {
	email := strings.ToLower(strings.TrimSpace(req.Email))
	var v domain.Checker
	v.Check(ValidEmail(email), "email", "must be an email address")
	if err := v.Err(); err != nil {
		return err
	}
	if ok, _ := s.limiter.Allow(ctx, "reset:ip:"+req.From, s.cfg.ResetsPerIP, s.cfg.MessageWindow); !ok {
		return nil
	}
	if ok, _ := s.limiter.Allow(ctx, "reset:email:"+email, s.cfg.ResetsPerEmail, s.cfg.MessageWindow); !ok {
		return nil
	}
	u, err := s.store.userByEmail(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Sent to an unverified address too: only the owner of the address can
	// use the link, and using it verifies the address.
	return s.rec.InTx(ctx, func(tx *live.Tx) error {
		return s.sendToken(ctx, tx, MessageReset, purposeReset, u.ID, string(u.Email), ResetTTL)
	})
}

// ConfirmPasswordReset sets a new password with a reset link's token
// (single use, one hour). Every session of the user ends, their live
// sockets close, the address counts as verified and the failed sign-ins
// counted against the account are forgotten. A password the policy refuses
// leaves the token unused.
func (s *Service) ConfirmPasswordReset(ctx context.Context, req PasswordResetConfirm) error {
	if err := requireToken(req.Token); err != nil {
		return err
	}
	var u User
	err := s.rec.InTx(ctx, func(tx *live.Tx) error {
		var err error
		if u, err = s.store.useToken(ctx, tx, req.Token, purposeReset); err != nil {
			return err
		}
		hash, err := newPasswordHash(&domain.Checker{}, "password", req.Password, string(u.Email), u.DisplayName)
		if err != nil {
			return err
		}
		if err := s.store.setPassword(ctx, tx, u.ID, hash, 0); err != nil {
			return err
		}
		return s.verified(ctx, tx, u)
	})
	if err != nil {
		return err
	}
	s.store.forgetSessions(u.ID)
	s.disconnect(u.ID)
	s.forgetLoginFailures(ctx, strings.ToLower(string(u.Email)), req.From)
	return nil
}

// ChangePassword sets the caller's new password after checking the
// current one (attempts limited per user). Every other session of the
// caller ends; this one stays. The live sockets close (they cannot be told
// apart by session) and reconnect with the kept session.
func (s *Service) ChangePassword(ctx context.Context, actor *domain.User, req PasswordChange) error {
	var v domain.Checker
	v.Check(req.CurrentPassword != "", "current_password", "is required")
	v.Check(len(req.CurrentPassword) <= maxPasswordLen, "current_password", "is too long")
	if err := v.Err(); err != nil {
		return err
	}
	key := "password:user:" + strconv.FormatInt(actor.ID, 10)
	if ok, retry := s.limiter.Allow(ctx, key, s.cfg.PasswordChangesPerUser, s.cfg.LoginWindow); !ok {
		return domain.TooMany("too many attempts to change the password; wait and try again", retry)
	}
	me, err := s.store.UserByID(ctx, actor.ID)
	if err != nil {
		return err
	}
	err = s.rec.InTx(ctx, func(tx *live.Tx) error {
		current, err := s.store.passwordHashForUpdate(ctx, tx, actor.ID)
		if err != nil {
			return err
		}
		if current == "" {
			return ErrNoPassword
		}
		var v domain.Checker
		v.Check(checkPassword(req.CurrentPassword, current), "current_password", "is not your current password")
		hash, err := newPasswordHash(&v, "new_password", req.NewPassword, string(me.Email), me.DisplayName)
		if err != nil {
			return err
		}
		return s.store.setPassword(ctx, tx, actor.ID, hash, actor.SessionID)
	})
	if err != nil {
		return err
	}
	s.store.forgetSessions(actor.ID)
	s.disconnect(actor.ID)
	return nil
}

// UpdateProfile changes the caller's display name (the one rule of
// CleanDisplayName), speaker profile (checkProfile) and notification
// settings. The live event log names the person by the new name too, so a
// replay shows what HTTP shows.
func (s *Service) UpdateProfile(ctx context.Context, actor *domain.User, change ProfileChange) (User, error) {
	var v domain.Checker
	var name string
	if change.DisplayName != nil {
		name = CheckDisplayName(&v, "display_name", *change.DisplayName)
	}
	profile := checkProfile(&v, change)
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if l := change.Locale; l.Set && l.Value != nil && !i18n.Supported(*l.Value) {
		return User{}, domain.InvalidField("locale", "must be one of en, es, fr, de, it, pt, or null")
	}
	err := s.rec.InTx(ctx, func(tx *live.Tx) error {
		if change.Locale.Set {
			if err := s.store.setLocale(ctx, tx, actor.ID, change.Locale.Value); err != nil {
				return err
			}
		}
		if n := change.Notifications; n != nil {
			if err := s.store.setNotifications(ctx, tx, actor.ID, n.Reminders, n.Recording); err != nil {
				return err
			}
		}
		if profile.bio != nil || profile.affiliation != nil || profile.links != nil {
			if err := s.store.setProfile(ctx, tx, actor.ID, profile.bio, profile.affiliation, profile.links); err != nil {
				return err
			}
		}
		if change.DisplayName == nil {
			return nil
		}
		if _, err := s.store.setDisplayName(ctx, tx, actor.ID, name); err != nil {
			return err
		}
		return tx.RenamePerson(actor.ID, name)
	})
	if err != nil {
		return User{}, err
	}
	if change.DisplayName != nil || change.Locale.Set {
		s.store.forgetSessions(actor.ID) // the cached caller carries the name and the locale
	}
	return s.Me(ctx, actor)
}
