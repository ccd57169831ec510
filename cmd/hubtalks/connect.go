package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver
	"github.com/redis/go-redis/v9"
)

// oneRoundTrip asks lib/pq to send a parameterised query in one round trip
// (binary_parameters skips its separate Describe step). Our only []byte
// parameters are bytea values, which that mode sends as binary.
func oneRoundTrip(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" || u.Query().Has("binary_parameters") {
		return dsn
	}
	q := u.Query()
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	return u.String()
}

// withDatabase reads the configuration from the environment, opens its
// database for use and closes it when use returns.
func withDatabase(ctx context.Context, getenv func(string) string, use func(config, *sqlx.DB) error) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return use(cfg, db)
}

// runFlaglessCommand runs a command that takes no flags of its own (only
// --help) on the configured database.
func runFlaglessCommand(ctx context.Context, name, summary string, args []string, getenv func(string) string, stderr io.Writer, use func(config, *sqlx.DB) error) error {
	if err := flags(name, summary, stderr).Parse(args); err != nil {
		return err
	}
	return withDatabase(ctx, getenv, use)
}

func openDB(ctx context.Context, dsn string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", oneRoundTrip(dsn))
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("DATABASE_URL: cannot reach PostgreSQL: %w", err)
	}
	return db, nil
}

func openRedis(ctx context.Context, url string) (*redis.Client, error) {
	if url == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: cannot reach Redis: %w", err)
	}
	return rdb, nil
}
