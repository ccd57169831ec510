package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/hubtalks/hubtalks/migrations"
	"github.com/hubtalks/hubtalks/migrations/testdb"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", testdb.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUpTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	db, ctx := open(t), context.Background()
	if err := migrations.Check(ctx, db); !errors.Is(err, migrations.ErrSchemaBehind) {
		t.Fatalf("empty database: Check = %v, want ErrSchemaBehind", err)
	}
	applied, err := migrations.Up(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := migrations.All()
	if len(applied) != len(all) || len(all) == 0 {
		t.Fatalf("applied %v of %d", applied, len(all))
	}
	again, err := migrations.Up(ctx, db, nil)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Up applied %v, %v", again, err)
	}
	if err := migrations.Check(ctx, db); err != nil {
		t.Fatalf("Check after Up: %v", err)
	}
	// A database ahead of the binary is refused.
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name) VALUES (99999, 'future.sql')`); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Check(ctx, db); !errors.Is(err, migrations.ErrSchemaAhead) {
		t.Fatalf("Check = %v, want ErrSchemaAhead", err)
	}
	if _, err := migrations.Up(ctx, db, nil); !errors.Is(err, migrations.ErrSchemaAhead) {
		t.Fatalf("Up = %v, want ErrSchemaAhead", err)
	}
}

func TestConcurrentUpAppliesEachMigrationOnce(t *testing.T) {
	t.Parallel()
	url := testdb.EmptyURL(t)
	ctx := context.Background()
	const runners = 4
	var wg sync.WaitGroup
	applied := make([][]int, runners)
	errs := make([]error, runners)
	for i := 0; i < runners; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db, err := sql.Open("postgres", url) // a separate pool, as a separate instance would have
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = migrations.Up(ctx, db, nil)
		}(i)
	}
	wg.Wait()
	total := 0
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("runner %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	all, _ := migrations.All()
	if total != len(all) {
		t.Fatalf("%d migrations applied in all, want %d (each once): %v", total, len(all), applied)
	}
	db, _ := sql.Open("postgres", url)
	defer db.Close()
	var rows, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(all) || distinct != len(all) {
		t.Fatalf("schema_migrations has %d rows (%d distinct), want %d", rows, distinct, len(all))
	}
}

func TestFailedMigrationLeavesNothing(t *testing.T) {
	t.Parallel()
	db, ctx := open(t), context.Background()
	// Something already in the way of the first migration makes it fail.
	if _, err := db.Exec(`CREATE TABLE sessions (x int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Up(ctx, db, nil); err == nil {
		t.Fatal("Up succeeded over a conflicting table")
	}
	var users sql.NullString
	if err := db.QueryRow(`SELECT to_regclass('users')::text`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users.Valid {
		t.Fatal("the failed migration left its users table behind")
	}
	if cur, err := migrations.Current(ctx, db); err != nil || cur != 0 {
		t.Fatalf("version after failure: %d, %v", cur, err)
	}
}
