// Package server is the Hub Talks HTTP application: middleware, routing, and
// the wiring of the domain packages (accounts, talks, …) that own their
// handlers and SQL. It sees the realtime hub only through the Hub interface.
package server

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/etag"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/attendance"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/polls"
	"github.com/hubtalks/hubtalks/server/ratelimit"
	"github.com/hubtalks/hubtalks/server/speakers"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Config is everything the server needs to know, read from the environment by cmd/.
type Config struct {
	BaseURL        string   // public origin, e.g. https://talks.example.org
	AllowedOrigins []string // further origins allowed for cookies, CSRF and live sockets
	TrustedProxies []string // addresses whose X-Forwarded-For is believed
	SeriesTimezone *time.Location
	// SeriesEmail is the series' address, the ORGANIZER of its calendars
	// (SERIES_EMAIL; empty: "hubtalks@" the host of BaseURL).
	SeriesEmail string
	Accounts    accounts.Config
	// RedisPrefix namespaces every Redis key and channel of this deployment.
	RedisPrefix string
	Moderation  moderation.Config // Q&A and threads: rate limits, blocked words, edit window, clock
	Polls       polls.Config      // ballot and reaction limits, results window
	// MetricsAddr, when set, is where ServeMetrics serves /metrics (run by
	// cmd/); the public port then answers 404 for it.
	MetricsAddr string
	// Playlists is how playlists sync from YouTube (Interval 0: only on demand).
	Playlists playlists.SyncConfig
	// Attendance tunes how live presence becomes attendance (tests drive
	// its clock).
	Attendance attendance.TrackerConfig
}

// Deps are the connections the server uses; Redis may be nil (one instance).
type Deps struct {
	DB    *sqlx.DB
	Redis redis.UniversalClient
	Log   *slog.Logger
	Hub   Hub // nil: no live socket (commands, some tests); events are still stored
}

// Server is the HTTP application.
type Server struct {
	apiRoutes apiPatterns
	talkPages *talks.Service
	cfg       Config
	db        *sqlx.DB
	rdb       redis.UniversalClient
	log       *slog.Logger
	app       *fiber.App
	registry  *prometheus.Registry
	metrics   *httpMetrics
	limiter   ratelimit.Limiter
	accounts  *accounts.Service
	hub       Hub
	recorder  *live.Recorder
	// playlistSync syncs playlists from YouTube every Config.Playlists.Interval.
	playlistSync *playlists.Syncer
	// talkStatuses serves live-channel authorisation during reconnect storms.
	talkStatuses *talkStatuses
	// tracker turns this instance's live presence into attendance (nil
	// without a hub).
	tracker  *attendance.Tracker
	draining atomic.Bool
	trusted  trustedProxies // TRUSTED_PROXIES, for the client address
}

// BodyLimit is the largest request body accepted (413 beyond), except for
// a playlist's feed import, which takes up to playlists.MaxFeedBytes, and
// a speaker's photo (speakers.MaxPhotoRead read, speakers.MaxPhotoBytes kept).
const BodyLimit = 64 << 10

// New builds the application and its routes.
func New(cfg Config, deps Deps) *Server { return newServer(cfg, deps, newRegistry()) }

func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

func newServer(cfg Config, deps Deps, reg *prometheus.Registry) *Server {
	s := &Server{cfg: cfg, db: deps.DB, rdb: deps.Redis, log: deps.Log, registry: reg, hub: deps.Hub}
	var pub live.Hub
	if deps.Hub != nil {
		pub = deps.Hub
	}
	s.recorder = live.NewRecorder(deps.DB, pub)
	s.talkStatuses = newTalkStatuses(time.Second)
	s.trusted = parseTrustedProxies(cfg.TrustedProxies)
	if s.cfg.SeriesTimezone == nil {
		s.cfg.SeriesTimezone = time.UTC
	}
	s.metrics = newHTTPMetrics(s.registry)
	if deps.Redis != nil {
		s.limiter = ratelimit.NewRedis(deps.Redis, cfg.RedisPrefix, deps.Log, s.metrics.limiterFailOpen)
	} else {
		s.limiter = ratelimit.NewMemory()
	}
	s.cfg.Accounts.AllowedOrigins = s.origins()
	var sockets accounts.SocketCloser
	if deps.Hub != nil {
		sockets = deps.Hub
	}
	s.accounts = accounts.NewService(s.cfg.Accounts, deps.DB, s.recorder, s.limiter, sockets)

	s.app = fiber.New(fiber.Config{
		AppName:                 "hubtalks",
		Immutable:               true, // values from the request outlive handlers (events, logs)
		BodyLimit:               BodyLimit,
		ErrorHandler:            s.errorHandler,
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            30 * time.Second,
		IdleTimeout:             120 * time.Second,
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
	})
	// Larger bodies for the feed import and a signed-in speaker's photo
	// only, decided from the request line and headers before the body is
	// read.
	s.app.Server().HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		if playlists.IsImportRequest(string(h.Method()), string(h.RequestURI())) {
			return fasthttp.RequestConfig{MaxRequestBodySize: playlists.MaxFeedBytes}
		}
		// Only a caller with credentials may make the server read a photo's
		// worth of body; the sign-in itself is checked by the route.
		credentials := len(h.Peek(fiber.HeaderAuthorization)) > 0 || len(h.Cookie(accounts.CookieName)) > 0
		if credentials && speakers.IsPhotoUpload(string(h.Method()), string(h.RequestURI())) {
			return fasthttp.RequestConfig{MaxRequestBodySize: speakers.MaxPhotoRead}
		}
		return fasthttp.RequestConfig{}
	}
	s.routes()
	return s
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return clientAddressHeader // set by resolveClientAddress from X-Forwarded-For
}

// App is the Fiber application (tests drive it with app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Accounts is the accounts' rules (the command line creates users through its store).
func (s *Server) Accounts() *accounts.Service { return s.accounts }

// Registry holds the server's Prometheus metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// origins are the browser origins we trust: our own and ALLOWED_ORIGINS.
func (s *Server) origins() []string {
	var out []string
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Host != "" {
		out = append(out, u.Scheme+"://"+u.Host)
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func (s *Server) routes() {
	app := s.app
	app.Use(s.resolveClientAddress)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	app.Use(requestid.New())
	app.Use(s.metrics.middleware)
	app.Use(s.logRequests)
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy:     contentSecurityPolicy,
		XFrameOptions:             "DENY",
		ReferrerPolicy:            "strict-origin-when-cross-origin",
		HSTSMaxAge:                31536000,
		CrossOriginEmbedderPolicy: "unsafe-none", // YouTube embeds need it off
	}))
	app.Use(compress.New(compress.Config{Next: func(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/v1/live") }}))

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	if s.cfg.MetricsAddr == "" {
		app.Get("/metrics", s.metricsHandler())
	} else {
		app.Get("/metrics", func(*fiber.Ctx) error { return fiber.ErrNotFound })
	}

	api := app.Group("/api/v1", httpx.WithDeadline(httpx.DBTimeout))
	api.Get("/openapi.json", s.openAPI)
	api.Use(etag.New())
	api.Use("/auth", s.guardAuth)
	acc := accounts.NewHandlers(s.accounts)
	api.Use(acc.Authenticate, acc.CheckCSRF, noStoreWhenSignedIn)
	acc.Routes(api)
	s.mountLive(api)
	s.mountDomains(api)

	s.mountFrontend()
}

// contentSecurityPolicy allows only our own scripts and styles (no
// 'unsafe-inline'), YouTube's privacy-enhanced embeds and thumbnails (the
// feeds name i.ytimg.com and i1…i4.ytimg.com).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: https://*.ytimg.com; frame-src https://www.youtube-nocookie.com; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz says whether this instance should get traffic: PostgreSQL (and
// Redis when configured) answer, and it is not shutting down.
func (s *Server) readyz(c *fiber.Ctx) error {
	if s.draining.Load() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "draining"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	checks := fiber.Map{}
	ok := true
	if err := s.db.PingContext(ctx); err != nil {
		checks["postgres"], ok = "unreachable", false
	} else {
		checks["postgres"] = "ok"
	}
	if s.rdb != nil {
		if err := s.rdb.Ping(ctx).Err(); err != nil {
			checks["redis"], ok = "unreachable", false
		} else {
			checks["redis"] = "ok"
		}
	}
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(fiber.Map{"status": map[bool]string{true: "ready", false: "unavailable"}[ok], "checks": checks})
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", "request_id", c.Locals("requestid"), "route", c.Path(), "panic", e)
}

func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now, so the log shows its status.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	s.log.Info("request", "request_id", c.Locals("requestid"), "method", c.Method(), "route", c.Route().Path,
		"status", c.Response().StatusCode(), "duration_ms", float64(time.Since(start).Microseconds())/1000)
	return nil
}
