package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hubtalks/hubtalks/migrations"
)

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flags("migrate", "Apply every pending migration (safe to run from several instances at once).", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	db, err := openDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := migrations.Up(ctx, db.DB, log)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	log.Info("database is current", "version", migrations.Latest(), "applied", len(applied))
	return nil
}
