// Package migrations holds the numbered SQL migrations of Hub Talks, embedded
// in the binary, and the runner that applies them.
//
// Each file NNNN_name.sql is applied in its own transaction, and its version
// is recorded in that same transaction, so a failed file leaves nothing half
// applied. The whole run holds a PostgreSQL advisory lock, so several
// instances (or release steps) starting together apply each file once.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed *.sql
var files embed.FS

// lockKey is the advisory lock held while migrating ("hubtalks" in ASCII).
const lockKey = 0x6875627461_6c6b

const (
	createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`
	selectCurrent = `SELECT coalesce(max(version), 0) FROM schema_migrations`
	insertVersion = `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`
)

// Migration is one embedded SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrSchemaBehind and ErrSchemaAhead say why a database does not match this binary.
var (
	ErrSchemaBehind = errors.New("database schema is behind this binary: run `hubtalks migrate` or set RUN_MIGRATIONS=1")
	ErrSchemaAhead  = errors.New("database schema is newer than this binary: deploy the newer binary")
)

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	entries, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, name := range entries {
		num, _, ok := strings.Cut(path.Base(name), "_")
		if !ok {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: bad version number", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", prev, name, v)
		}
		seen[v] = name
		body, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Latest is the highest embedded version.
func Latest() int {
	all, err := All()
	if err != nil || len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// Current reports the version the database is at (0 for an empty database).
func Current(ctx context.Context, db *sql.DB) (int, error) {
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("check schema_migrations: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := db.QueryRowContext(ctx, selectCurrent).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Check returns ErrSchemaBehind or ErrSchemaAhead when the database does not
// match the embedded migrations, nil when it does.
func Check(ctx context.Context, db *sql.DB) error {
	cur, err := Current(ctx, db)
	if err != nil {
		return err
	}
	switch latest := Latest(); {
	case cur < latest:
		return fmt.Errorf("schema at version %d, binary wants %d: %w", cur, latest, ErrSchemaBehind)
	case cur > latest:
		return fmt.Errorf("schema at version %d, binary knows %d: %w", cur, latest, ErrSchemaAhead)
	}
	return nil
}

// Up applies every pending migration under the advisory lock and returns the
// versions it applied (none when the database is current).
func Up(ctx context.Context, db *sql.DB, log *slog.Logger) ([]int, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(lockKey)); err != nil {
		return nil, fmt.Errorf("migrate: take advisory lock: %w", err)
	}
	// Unlock with a fresh context: the caller's may be done by now.
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(lockKey)) //nolint:errcheck
	if _, err := conn.ExecContext(ctx, createVersionTable); err != nil {
		return nil, fmt.Errorf("migrate: create version table: %w", err)
	}
	var cur int
	if err := conn.QueryRowContext(ctx, selectCurrent).Scan(&cur); err != nil {
		return nil, fmt.Errorf("migrate: read version: %w", err)
	}
	if len(all) > 0 && cur > all[len(all)-1].Version {
		return nil, fmt.Errorf("schema at version %d, binary knows %d: %w", cur, all[len(all)-1].Version, ErrSchemaAhead)
	}
	var applied []int
	for _, m := range all {
		if m.Version <= cur {
			continue
		}
		if err := apply(ctx, conn, m); err != nil {
			return applied, err
		}
		if log != nil {
			log.Info("migration applied", "version", m.Version, "name", m.Name)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

func apply(ctx context.Context, conn *sql.Conn, m Migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", m.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, insertVersion, m.Version, m.Name); err != nil {
		return fmt.Errorf("migration %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return nil
}
