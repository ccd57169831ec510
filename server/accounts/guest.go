package accounts

import (
	"context"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
)

// Guest creates a guest account (a display name, no email, no password)
// and its first session, so that a live audience can take part without
// signing up. Guests are limited per client address, loosely enough that
// a full venue behind one NAT can join. The session the caller came with
// by cookie (actor, may be nil) ends, as at login.
func (s *Service) Guest(ctx context.Context, actor *domain.User, req GuestJoin) (Session, error) {
	var v domain.Checker
	name := CheckDisplayName(&v, "display_name", req.DisplayName)
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	if ok, retry := s.limiter.Allow(ctx, "guest:ip:"+req.From, s.cfg.GuestsPerIP, s.cfg.GuestWindow); !ok {
		return Session{}, domain.TooMany("too many guests joined from your address; try again later", retry)
	}
	u, err := s.store.CreateGuest(ctx, name)
	if err != nil {
		return Session{}, err
	}
	// A guest speaks the language of the request it joined from.
	if err := s.store.setSignupLocale(ctx, s.store.db, u.ID, req.Locale); err != nil {
		return Session{}, err
	}
	return s.startSession(ctx, actor, u)
}

// Upgrade makes the caller's guest account a participant's with an email
// (unverified) and a password. The id stays, and so does everything the
// guest wrote; its sessions stay valid, and its live sockets reconnect so
// that they carry the new role.
func (s *Service) Upgrade(ctx context.Context, actor *domain.User, req Upgrade) (User, error) {
	if !actor.IsGuest() {
		return User{}, ErrNotGuest
	}
	var v domain.Checker
	email, hash, err := s.credentials(ctx, &v, req.Email, req.Password, actor.DisplayName, req.From)
	if err != nil {
		return User{}, err
	}
	u, err := s.withVerification(ctx, req.Locale, func(tx *live.Tx) (User, error) {
		return s.store.upgradeGuest(ctx, tx, actor.ID, email, hash)
	})
	if err != nil {
		return User{}, err
	}
	s.disconnect(actor.ID)
	return u, nil
}

// refuseGuest refuses a role change of a guest: a guest has no email, and
// every other role needs one.
func (s *Service) refuseGuest(ctx context.Context, userID int64) error {
	role, err := s.store.roleOf(ctx, userID)
	if err != nil {
		return err
	}
	if role == domain.RoleGuest {
		return ErrGuestRole
	}
	return nil
}
