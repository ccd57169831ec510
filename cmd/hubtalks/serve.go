package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/migrations"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/talks"
)

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	return runFlaglessCommand(ctx, "serve", "Serve the web app, the API and the live hub on $PORT until SIGTERM.", args, getenv, stderr, func(cfg config, db *sqlx.DB) error {
		return serve(ctx, cfg, db, getenv, stderr)
	})
}

func serve(ctx context.Context, cfg config, db *sqlx.DB, getenv func(string) string, stderr io.Writer) error {
	log := newLogger(stderr, cfg.LogLevel)
	if addr := getenv("DEBUG_ADDR"); addr != "" {
		if err := startDebug(addr, log); err != nil {
			return err
		}
	}
	if cfg.RunMigrations {
		if _, err := migrations.Up(ctx, db.DB, log); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	} else if err := migrations.Check(ctx, db.DB); err != nil {
		return err
	}
	deps := server.Deps{DB: db, Log: log}
	rdb, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
		deps.Redis = rdb // only when set: a nil *redis.Client in the interface is not nil
	}

	mailer, err := newMailer(cfg, log)
	if err != nil {
		return err
	}
	seriesEmail := cfg.SeriesEmail
	if seriesEmail == "" {
		seriesEmail = mailer.from
	}
	acfg := accounts.DefaultConfig()
	acfg.SecureCookie = isHTTPS(cfg.BaseURL)
	srv, _ := server.NewWithHub(server.Config{
		BaseURL: cfg.BaseURL, AllowedOrigins: cfg.AllowedOrigins, TrustedProxies: cfg.TrustedProxies,
		SeriesTimezone: cfg.SeriesTimezone, SeriesEmail: seriesEmail, Accounts: acfg, RedisPrefix: cfg.RedisPrefix, MetricsAddr: cfg.MetricsAddr,
		Playlists: playlists.SyncConfig{FeedBaseURL: cfg.PlaylistFeedURL, Interval: cfg.PlaylistSyncInterval},
	}, deps, realtime.HubConfig{
		MaxRetention: cfg.EventRetention, MaxSocketsPerUser: cfg.LiveSocketsPerUser, MaxSocketsPerAddr: cfg.LiveSocketsPerAddress,
	})
	if cfg.AdminEmail != "" {
		if err := ensureAdmin(ctx, srv.Accounts().Store(), cfg.AdminEmail, cfg.AdminPassword); err != nil {
			return err
		}
	}

	// The outbox worker sends confirmations, waitlist news, reminders and
	// the account messages (verification, password reset); it
	// runs in every instance (FOR UPDATE SKIP LOCKED keeps them apart) and
	// stops with the server.
	wctx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		composer := server.Composer(talks.CalendarConfig{BaseURL: cfg.BaseURL, Timezone: cfg.SeriesTimezone, Organizer: seriesEmail})
		outbox.NewWorker(db, composer, mailer.Mailer, log).Run(wctx)
	}()
	defer func() { stopWorker(); <-workerDone }()

	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		go func() {
			if err := srv.ServeMetrics(ctx, mln); err != nil {
				log.Error("metrics listener stopped", "err", err)
			}
		}()
		log.Info("serving metrics", "addr", mln.Addr().String())
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "redis", rdb != nil)
	if err := srv.Serve(ctx, ln, 25*time.Second); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

type mailerWithFrom struct {
	outbox.Mailer
	from string
}

// newMailer sends over SMTP when SMTP_URL is set, to the log otherwise. The
// sender is SMTP_URL's ?from=, else hubtalks@ the host of BASE_URL.
func newMailer(cfg config, log *slog.Logger) (mailerWithFrom, error) {
	from := "hubtalks@localhost"
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Hostname() != "" {
		from = "hubtalks@" + u.Hostname()
	}
	if cfg.SMTPURL == nil {
		return mailerWithFrom{outbox.LogMailer{Log: log, Bodies: cfg.MailLogBodies}, from}, nil
	}
	m, err := outbox.NewSMTPMailer(cfg.SMTPURL, from)
	if err != nil {
		return mailerWithFrom{}, envError{"SMTP_URL", err.Error()}
	}
	return mailerWithFrom{m, m.From()}, nil
}

func isHTTPS(baseURL string) bool { return len(baseURL) > 8 && baseURL[:8] == "https://" }

// ensureAdmin creates ADMIN_EMAIL as an admin when no such account exists;
// an existing account is left as it is (its password is not reset).
func ensureAdmin(ctx context.Context, store *accounts.Store, email, password string) error {
	var v domain.Checker
	accounts.ValidPassword(&v, password)
	if err := v.Err(); err != nil || !accounts.ValidEmail(email) {
		return envError{"ADMIN_EMAIL", "and ADMIN_PASSWORD must be an email and a password of at least 10 characters"}
	}
	hash, err := accounts.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = store.CreateUser(ctx, email, "Administrator", hash, domain.RoleAdmin)
	if errors.Is(err, accounts.ErrEmailTaken) {
		return nil
	}
	return err
}
