package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/demo"
)

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flags("seed", "Create a believable demo Hub Talks series with its users. Running it again changes nothing.\n"+
		"It refuses a database that holds accounts other than the demo's (their password is published).", stderr)
	force := fs.Bool("force", false, "seed even though the database holds accounts other than the demo's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withDatabase(ctx, getenv, func(cfg config, db *sqlx.DB) error {
		if !*force {
			n, err := demo.ForeignUsers(ctx, db)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("seed: the database holds %d accounts that are not demo accounts; "+
					"demo accounts have a published password and must not reach a database in use (--force to seed anyway)", n)
			}
		}
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
