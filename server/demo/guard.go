package demo

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Domain is the email domain of every demo account.
const Domain = "demo.hubtalks.test"

const (
	// countForeignUsers counts the accounts the demo did not make (guests
	// and erased accounts included): a database holding any is somebody's.
	countForeignUsers = `SELECT count(*) FROM users WHERE email IS NULL OR email NOT LIKE '%@` + Domain + `'`
	// verifyDemoUsers: demo mail reaches the demo accounts.
	verifyDemoUsers = `UPDATE users SET email_verified_at = now()
		WHERE email LIKE '%@` + Domain + `' AND email_verified_at IS NULL`
)

// ForeignUsers counts the accounts of db that are not demo accounts. The
// demo's accounts have a published password, so they must never be added
// to a database in real use.
func ForeignUsers(ctx context.Context, db sqlx.QueryerContext) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, db, &n, countForeignUsers); err != nil {
		return 0, fmt.Errorf("count non-demo users: %w", err)
	}
	return n, nil
}

func verifyDemoAddresses(ctx context.Context, db sqlx.ExecerContext) error {
	if _, err := db.ExecContext(ctx, verifyDemoUsers); err != nil {
		return fmt.Errorf("verify demo addresses: %w", err)
	}
	return nil
}
