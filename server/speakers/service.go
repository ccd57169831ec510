package speakers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/talks"
)

// maxProfileTalks is how many talks a profile lists.
const maxProfileTalks = 200

// Service is the speakers' rules.
type Service struct {
	db       *sqlx.DB
	store    Store
	accounts *accounts.Service
	talks    *talks.Service
	// decoding bounds how many photos are decoded at once: each may take
	// up to MaxPhotoPixels × 4 bytes while it is scaled.
	decoding chan struct{}
}

// NewService builds the speakers' rules on the accounts (the caller's own
// user, answered after a photo change) and the talks (a profile's list).
func NewService(db *sqlx.DB, acc *accounts.Service, tks *talks.Service) *Service {
	return &Service{db: db, accounts: acc, talks: tks, decoding: make(chan struct{}, 2)}
}

// Profile is the public profile of user id, who speaks at a talk that is
// not a draft; anyone else (a guest, an erased account, a speaker of
// drafts only, a user who speaks at nothing) is not found.
func (s *Service) Profile(ctx context.Context, _ *domain.User, id int64) (Profile, error) {
	p, err := s.store.profile(ctx, s.db, id)
	if err != nil {
		return Profile{}, err
	}
	// As anyone sees them: no drafts, no stream URLs.
	list, err := s.talks.List(ctx, nil, talks.Query{Speaker: strconv.FormatInt(id, 10), Page: keyset.Page{Limit: maxProfileTalks}})
	if err != nil {
		return Profile{}, err
	}
	if len(list.Items) == 0 {
		return Profile{}, fmt.Errorf("user %d speaks at no published talk: %w", id, domain.NotFound("no such speaker"))
	}
	p.Talks = list.Items
	return p, nil
}

// SetPhoto replaces the caller's photo with the upload, re-encoded
// (reencode), and answers the caller's account.
func (s *Service) SetPhoto(ctx context.Context, actor *domain.User, up Upload) (accounts.User, error) {
	if len(up.Data) > MaxPhotoBytes {
		return accounts.User{}, ErrPhotoTooLarge
	}
	if !acceptedType(up.ContentType) {
		return accounts.User{}, ErrPhotoType
	}
	select {
	case s.decoding <- struct{}{}:
	case <-ctx.Done():
		return accounts.User{}, fmt.Errorf("wait to decode a photo: %w", ctx.Err())
	}
	jpeg, hash, err := Square(up.Data)
	<-s.decoding
	if err != nil {
		return accounts.User{}, err
	}
	if err := s.store.setPhoto(ctx, s.db, actor.ID, hash, jpeg); err != nil {
		return accounts.User{}, err
	}
	return s.accounts.Me(ctx, actor)
}

// RemovePhoto removes the caller's photo (none is fine) and answers the
// caller's account.
func (s *Service) RemovePhoto(ctx context.Context, actor *domain.User) (accounts.User, error) {
	if err := s.store.removePhoto(ctx, s.db, actor.ID); err != nil {
		return accounts.User{}, err
	}
	return s.accounts.Me(ctx, actor)
}

// Photo is user id's photo if hash is still its hash.
func (s *Service) Photo(ctx context.Context, id int64, hash string) (Photo, error) {
	return s.store.photo(ctx, s.db, id, hash)
}
