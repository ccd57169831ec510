package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/migrations"
)

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	return runFlaglessCommand(ctx, "migrate", "Apply every pending migration (safe to run from several instances at once).", args, getenv, stderr, func(cfg config, db *sqlx.DB) error {
		log := newLogger(stderr, cfg.LogLevel)
		applied, err := migrations.Up(ctx, db.DB, log)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		log.Info("database is current", "version", migrations.Latest(), "applied", len(applied))
		return nil
	})
}
