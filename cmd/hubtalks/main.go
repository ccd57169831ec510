// Command hubtalks is the one Hub Talks binary: it serves the app, migrates
// the database, manages users and seeds a demo. Configuration comes from the
// environment only (see the README's table).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // SERIES_TIMEZONE works on machines without system zone data
)

const usage = `hubtalks — a platform for a series of public talks with live Q&A

Usage:
  hubtalks serve                  serve the web app and the API on $PORT
  hubtalks migrate                apply pending database migrations
  hubtalks users create --email E --password P --role participant|moderator|admin [--name N]
  hubtalks users set-role --email E --role participant|moderator|admin
  hubtalks seed [--force]         create a demo talk series (idempotent; refuses a database in use)

Run "hubtalks <command> --help" for a command's flags. Configuration is read
from the environment: DATABASE_URL, REDIS_URL, PORT, BASE_URL, ALLOWED_ORIGINS,
TRUSTED_PROXIES, SMTP_URL, ADMIN_EMAIL, ADMIN_PASSWORD, LOG_LEVEL,
RUN_MIGRATIONS, SERIES_TIMEZONE, EVENT_RETENTION, LIVE_SOCKETS_PER_USER,
LIVE_SOCKETS_PER_ADDRESS, METRICS_ADDR, MAIL_LOG_BODIES.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hubtalks:", err)
			os.Exit(1)
		}
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, getenv, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stderr)
	case "users":
		return cmdUsers(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return cmdSeed(ctx, rest, getenv, stdout, stderr)
	case "playlists":
		return cmdPlaylists(ctx, rest, getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// flags builds a command's flag set whose --help prints to stdout-like w.
func flags(name, summary string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: hubtalks %s\n\n%s\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}
