// Package demo seeds a believable Hub Talks series for `make run` and
// screenshots: staff, speakers, participants, and talks in every state.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/accounts"
)

// Password is every demo account's password (demo data only).
const Password = "hubtalks-demo"

// Login is one demo account.
type Login struct{ Email, Name, Role string }

// Users are the demo accounts.
var Users = []Login{
	{"admin@demo.hubtalks.test", "Ana Admin", "admin"},
	{"moderator@demo.hubtalks.test", "Moritz Moderator", "moderator"},
	{"speaker@demo.hubtalks.test", "Dr. Sofia Speaker", "participant"},
	{"speaker2@demo.hubtalks.test", "Prof. Kwame Mensah", "participant"},
	{"participant@demo.hubtalks.test", "Pia Participant", "participant"},
}

// Seed creates what is missing of the demo; running it twice changes nothing.
func Seed(ctx context.Context, db *sqlx.DB, log *slog.Logger) ([]Login, error) {
	store := accounts.NewStore(db)
	hash, err := accounts.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, u := range Users {
		created, err := store.CreateUser(ctx, u.Email, u.Name, hash, u.Role)
		if errors.Is(err, accounts.ErrEmailTaken) {
			if err := db.GetContext(ctx, &created.ID, `SELECT id FROM users WHERE lower(email) = lower($1)`, u.Email); err != nil {
				return nil, fmt.Errorf("find demo user %s: %w", u.Email, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("create demo user %s: %w", u.Email, err)
		}
		ids[u.Email] = created.ID
	}
	if err := verifyDemoAddresses(ctx, db); err != nil {
		return nil, err
	}
	// Each domain's part of the demo, in order; each is idempotent.
	if err := seedTalks(ctx, db, ids, hash, log); err != nil {
		return nil, err
	}
	if err := seedProfiles(ctx, db, ids); err != nil {
		return nil, err
	}
	return Users, nil
}
