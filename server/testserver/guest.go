package testserver

import (
	"context"
	"fmt"
	"time"

	"github.com/hubtalks/hubtalks/server/accounts"
)

// NewGuest creates a guest (a display name, no email, no password)
// directly in the database, with a session, without the per-address limit
// that POST /auth/guest has.
func (e *Env) NewGuest() User {
	e.T.Helper()
	name := fmt.Sprintf("Guest %d", userSeq.Add(1))
	ctx := context.Background()
	store := accounts.NewStore(e.DB)
	u, err := store.CreateGuest(ctx, name)
	if err != nil {
		e.T.Fatalf("create guest: %v", err)
	}
	token, _, err := store.CreateSession(ctx, u.ID, time.Hour)
	if err != nil {
		e.T.Fatalf("create session: %v", err)
	}
	return User{ID: u.ID, Name: name, Role: "guest", Token: token}
}
