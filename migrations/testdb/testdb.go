// Package testdb gives tests their own real PostgreSQL database and Redis
// key space. It never mocks either service.
//
// Services come from the environment that `make test` sets up:
//   - HUBTALKS_TEST_DATABASE_URL (or DATABASE_URL): a role that may CREATE DATABASE;
//   - HUBTALKS_TEST_REDIS_URL (or REDIS_URL).
//
// Without them the tests that need a service are skipped with a message, unless
// HUBTALKS_TEST_REQUIRE_SERVICES=1, under which a missing service fails the test.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver
	"github.com/redis/go-redis/v9"

	"github.com/hubtalks/hubtalks/migrations"
)

const templateLock = 0x7465_6d706c // "templ"

func required() bool { return os.Getenv("HUBTALKS_TEST_REQUIRE_SERVICES") == "1" }

func missing(t testing.TB, what string) {
	t.Helper()
	msg := what + " not configured: run `make test`, or set HUBTALKS_TEST_DATABASE_URL and HUBTALKS_TEST_REDIS_URL"
	if required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// AdminURL is the DSN of the test server's maintenance database.
func AdminURL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "PostgreSQL", "HUBTALKS_TEST_DATABASE_URL", "DATABASE_URL")
}

// RedisURL is the URL of the test Redis.
func RedisURL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "Redis", "HUBTALKS_TEST_REDIS_URL", "REDIS_URL")
}

// serviceURL is the first of the variables that is set.
func serviceURL(t testing.TB, service string, variables ...string) string {
	t.Helper()
	for _, v := range variables {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	missing(t, service)
	return ""
}

// UnreachableAddr is a loopback host:port where nothing listens: the
// address of a service (PostgreSQL, Redis, SMTP) that is down.
func UnreachableAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withDatabase returns dsn with its database name replaced.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse test database url: %w", err)
	}
	u.Path = "/" + name
	// As in production (cmd/hubtalks): one round trip per parameterised query.
	q := u.Query()
	if !q.Has("binary_parameters") {
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// EmptyURL creates a fresh database with no schema at all (for migration
// tests) and returns its DSN. It is dropped when the test ends.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, "template0")
}

// NewURL creates a fresh database migrated to the latest schema and returns
// its DSN. It is dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	adb, admin := openAdmin(t)
	defer adb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := adb.PingContext(ctx); err != nil {
		if required() {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (%v): run `make test`", err)
	}
	tmpl, err := ensureTemplate(ctx, adb, admin)
	if err != nil {
		t.Fatalf("template database: %v", err)
	}
	adb.Close()
	return createDatabase(t, tmpl)
}

// openAdmin opens (without connecting yet) the maintenance database, whose
// DSN it returns too.
func openAdmin(t testing.TB) (*sql.DB, string) {
	t.Helper()
	admin := AdminURL(t)
	adb, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("open admin database: %v", err)
	}
	return adb, admin
}

func createDatabase(t testing.TB, tmpl string) string {
	t.Helper()
	adb, admin := openAdmin(t)
	defer adb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := "hubtalks_t_" + randomSuffix()
	if _, err := adb.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adb, err := sql.Open("postgres", admin)
		if err != nil {
			return
		}
		defer adb.Close()
		_, _ = adb.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// New is NewURL opened with sqlx; the pool is closed when the test ends.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", NewURL(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	db.SetMaxOpenConns(40)
	t.Cleanup(func() { db.Close() })
	return db
}

// ensureTemplate creates (once, under an advisory lock shared by every test
// process) a template database migrated to the embedded schema. Its name
// carries a hash of the migrations, so a changed migration gets a new one.
func ensureTemplate(ctx context.Context, adb *sql.DB, admin string) (string, error) {
	all, err := migrations.All()
	if err != nil {
		return "", err
	}
	var sig strings.Builder
	for _, m := range all {
		sig.WriteString(m.Name)
		sig.WriteString(m.SQL)
	}
	name := "hubtalks_tmpl_" + shortHash(sig.String())

	conn, err := adb.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(templateLock)); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(templateLock)) //nolint:errcheck

	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	_, _ = conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	dsn, err := withDatabase(admin, building)
	if err != nil {
		return "", err
	}
	tdb, err := sql.Open("postgres", dsn)
	if err != nil {
		return "", err
	}
	_, err = migrations.Up(ctx, tdb, nil)
	tdb.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	return name, nil
}

// Redis returns a client of the test Redis and a key prefix no other test
// uses; code under test must put every key and channel under that prefix.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatalf("parse test redis url: %v", err)
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		if required() {
			t.Fatalf("Redis unreachable: %v", err)
		}
		t.Skipf("Redis unreachable (%v): run `make test`", err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb, "t" + randomSuffix() + ":"
}
