// Package accounts owns users, sessions and the signed-in caller: signup,
// login and logout, the caller's own data (export, erasure), and the admin's
// user list and role changes.
package accounts

import (
	"context"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/ratelimit"
)

// CookieName is the session cookie.
const CookieName = "hub_session"

// Config tunes sessions and login throttling.
type Config struct {
	SessionTTL     time.Duration // absolute lifetime of a session
	SessionIdle    time.Duration // a session unused this long ends
	SecureCookie   bool          // set Secure on the cookie (behind TLS)
	AllowedOrigins []string      // origins whose cookie requests pass the CSRF check
	// Login throttling: failures per account, and attempts per client address,
	// in LoginWindow. The window is short so the real owner is never locked out for long.
	LoginFailuresPerAccount int
	LoginAttemptsPerIP      int
	LoginWindow             time.Duration
	SignupsPerIP            int
	SignupWindow            time.Duration
}

// DefaultConfig is what production runs with.
func DefaultConfig() Config {
	return Config{
		SessionTTL:              30 * 24 * time.Hour,
		SessionIdle:             14 * 24 * time.Hour,
		LoginFailuresPerAccount: 10,
		LoginAttemptsPerIP:      50,
		LoginWindow:             10 * time.Minute,
		SignupsPerIP:            30,
		SignupWindow:            time.Hour,
	}
}

// SocketCloser closes a user's live connections (the realtime hub).
type SocketCloser interface{ DisconnectUser(userID int64) }

// Eraser removes or anonymises what one domain keeps about a user when the
// account is erased; it runs inside the erasing transaction.
type Eraser func(ctx context.Context, tx *live.Tx, userID int64) error

// Exporter returns what one domain keeps about a user, for GET /me/export.
type Exporter func(ctx context.Context, db *sqlx.DB, userID int64) (any, error)

// Accounts is the accounts domain.
type Accounts struct {
	cfg       Config
	db        *sqlx.DB
	rec       *live.Recorder
	store     *Store
	limiter   ratelimit.Limiter
	sockets   SocketCloser
	log       *slog.Logger
	erasers   []Eraser
	exporters map[string]Exporter
}

// New builds the accounts domain. sockets may be nil.
func New(cfg Config, db *sqlx.DB, rec *live.Recorder, limiter ratelimit.Limiter, sockets SocketCloser, log *slog.Logger) *Accounts {
	return &Accounts{cfg: cfg, db: db, rec: rec, store: newCachingStore(db, cfg.SessionIdle), limiter: limiter, sockets: sockets,
		log: log, exporters: map[string]Exporter{}}
}

// Store exposes the accounts' SQL to the command line.
func (a *Accounts) Store() *Store { return a.store }

// OnErase registers a domain's part of erasing an account.
func (a *Accounts) OnErase(e Eraser) { a.erasers = append(a.erasers, e) }

// OnExport registers a domain's part of a data export under key.
func (a *Accounts) OnExport(key string, e Exporter) { a.exporters[key] = e }

func (a *Accounts) disconnect(userID int64) {
	if a.sockets != nil {
		a.sockets.DisconnectUser(userID)
	}
}
