package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/demo"
)

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runFlaglessCommand(ctx, "seed", "Create a believable demo Hub Talks series with its users. Running it again changes nothing.", args, getenv, stderr, func(cfg config, db *sqlx.DB) error {
		logins, err := demo.Seed(ctx, db, newLogger(stderr, cfg.LogLevel))
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Fprintln(stdout, "Demo logins (password for all: "+demo.Password+"):")
		for _, l := range logins {
			fmt.Fprintf(stdout, "  %-11s %s\n", l.Role, l.Email)
		}
		return nil
	})
}
