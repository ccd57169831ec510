package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// The demo's accounts have a published password: seed refuses a database
// that holds anyone else unless forced.
func TestSeedRefusesADatabaseInUse(t *testing.T) {
	dsn := testdb.NewURL(t)
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return dsn
		}
		return ""
	}
	seed := func(args ...string) error {
		return run(context.Background(), append([]string{"seed"}, args...), env, io.Discard, io.Discard)
	}
	if err := seed(); err != nil {
		t.Fatalf("seed on an empty database: %v", err)
	}
	if err := seed(); err != nil {
		t.Fatalf("seed again (only demo accounts): %v", err)
	}
	db := sqlx.MustConnect("postgres", dsn)
	defer db.Close()
	var unverified int
	db.MustExec(`INSERT INTO users (email, display_name, password_hash, role) VALUES ('ops@example.org', 'Real Person', 'x', 'admin')`)
	if err := db.Get(&unverified, `SELECT count(*) FROM users WHERE email LIKE '%@demo.hubtalks.test' AND email_verified_at IS NULL`); err != nil || unverified != 0 {
		t.Fatalf("%d demo accounts without a verified address (%v)", unverified, err)
	}
	err := seed()
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("seed on a database in use: %v, want a refusal naming --force", err)
	}
	if err := seed("--force"); err != nil {
		t.Fatalf("seed --force: %v", err)
	}
}
