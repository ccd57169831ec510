// Package testserver runs the real Hub Talks server against a fresh real
// PostgreSQL database (and Redis when asked) for tests, with helpers to make
// requests and users. Every domain's tests use it.
package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/migrations/testdb"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// Env is one server on its own database.
type Env struct {
	T      testing.TB
	DB     *sqlx.DB
	Server *server.Server
	Config server.Config
	// Hub is the live hub (WithHub only).
	Hub *realtime.Hub
	// URL is set by Listen: the base URL of a real listener.
	URL string

	deps server.Deps
}

// Option changes how the test server is built.
type Option func(*options)

type options struct {
	redis     bool
	hub       bool
	hubCfg    realtime.HubConfig
	configure []func(*server.Config)
	log       *slog.Logger
}

// WithHub builds the server with a live hub (Redis broker when WithRedis is
// also given); cfg tunes it. Call Listen to serve sockets.
func WithHub(cfg realtime.HubConfig) Option {
	return func(o *options) { o.hub, o.hubCfg = true, cfg }
}

// WithRedis gives the server the test Redis under a unique prefix.
func WithRedis() Option { return func(o *options) { o.redis = true } }

// WithConfig changes the server's configuration before it is built.
func WithConfig(f func(*server.Config)) Option {
	return func(o *options) { o.configure = append(o.configure, f) }
}

// WithLog sends the server's log to l instead of the test log.
func WithLog(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// New builds a server on a fresh database. Logs go to the test log.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	db := testdb.New(t)
	cfg := server.Config{BaseURL: "http://hubtalks.test", Accounts: accounts.DefaultConfig()}
	deps := server.Deps{DB: db, Log: slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if o.log != nil {
		deps.Log = o.log
	}
	if o.redis {
		rdb, prefix := testdb.Redis(t)
		deps.Redis, cfg.RedisPrefix = rdb, prefix
	}
	for _, f := range o.configure {
		f(&cfg)
	}
	env := &Env{T: t, DB: db, Config: cfg, deps: deps}
	if o.hub {
		env.Server, env.Hub = server.NewWithHub(cfg, deps, o.hubCfg)
	} else {
		env.Server = server.New(cfg, deps)
	}
	return env
}

// Peer builds another instance of the same deployment: a server with its
// own live hub on e's database and Redis (use WithRedis for e, so the two
// hubs share a broker). Call Listen on it.
func (e *Env) Peer(hubCfg realtime.HubConfig) *Env {
	e.T.Helper()
	peer := &Env{T: e.T, DB: e.DB, Config: e.Config, deps: e.deps}
	peer.Server, peer.Hub = server.NewWithHub(e.Config, e.deps, hubCfg)
	return peer
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() {
		// Inside a fuzz target the F may not log: fall back to stderr.
		if recover() != nil {
			_, _ = os.Stderr.Write(p)
		}
	}()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Listen serves the app on 127.0.0.1:0 until the test ends and sets URL.
func (e *Env) Listen() string {
	e.T.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.T.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Server.Serve(ctx, ln, 5*time.Second)
	}()
	e.T.Cleanup(func() { cancel(); <-done })
	e.URL = "http://" + ln.Addr().String()
	return e.URL
}

// Response is a finished response with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test when it cannot.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %q: %v", r.StatusCode, r.Body, err)
	}
}

// Problem decodes a problem+json body.
func (r *Response) Problem(t testing.TB) httpx.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("status %d: content type %q, want application/problem+json; body %s", r.StatusCode, ct, r.Body)
	}
	var p httpx.Problem
	r.JSON(t, &p)
	return p
}

// Req describes one request.
type Req struct {
	Method string
	Path   string
	Body   any // marshalled as JSON unless []byte or string
	Token  string
	Header map[string]string
}

// Do sends r through the app in memory (no network) and reads the answer.
func (e *Env) Do(r Req) *Response {
	e.T.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	req := httptest.NewRequest(r.Method, r.Path, body)
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := e.Server.App().Test(req, -1)
	if err != nil {
		e.T.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	out := &Response{Response: resp, Body: data}
	if CheckResponse != nil {
		CheckResponse(e.T, r, out)
	}
	return out
}

// CheckResponse, when set (by a package's tests, before they start), sees
// every answer Do reads: the server's tests check each against openapi.json.
var CheckResponse func(t testing.TB, r Req, resp *Response)

// Get, Post, Patch, Put and Delete are Do for one method.
func (e *Env) Get(path, token string) *Response {
	return e.Do(Req{Method: "GET", Path: path, Token: token})
}
func (e *Env) Post(path, token string, body any) *Response {
	return e.Do(Req{Method: "POST", Path: path, Token: token, Body: body})
}
func (e *Env) Patch(path, token string, body any) *Response {
	return e.Do(Req{Method: "PATCH", Path: path, Token: token, Body: body})
}
func (e *Env) Put(path, token string, body any) *Response {
	return e.Do(Req{Method: "PUT", Path: path, Token: token, Body: body})
}
func (e *Env) Delete(path, token string) *Response {
	return e.Do(Req{Method: "DELETE", Path: path, Token: token})
}

// User is a test account with a live bearer token.
type User struct {
	ID    int64
	Email string
	Name  string
	Role  string
	Token string
}

var (
	hashOnce sync.Once
	hash     string
	userSeq  atomic.Int64
)

// TestPassword is the password of every account made by NewUser.
const TestPassword = "correct horse battery"

// NewUser creates an account with role and a verified address directly in
// the database (fast: the password hash is computed once per test binary)
// and a session for it.
func (e *Env) NewUser(role string) User {
	e.T.Helper()
	hashOnce.Do(func() {
		var err error
		if hash, err = accounts.HashPassword(TestPassword); err != nil {
			panic(err)
		}
	})
	n := userSeq.Add(1)
	email := fmt.Sprintf("user%d-%d@example.test", n, time.Now().UnixNano()%1e6)
	name := fmt.Sprintf("Test User %d", n)
	ctx := context.Background()
	store := accounts.NewStore(e.DB)
	u, err := store.CreateUser(ctx, email, name, hash, role)
	if err != nil {
		e.T.Fatalf("create user: %v", err)
	}
	// A test account's address counts as verified: mail reaches it.
	if _, err := e.DB.ExecContext(ctx, `UPDATE users SET email_verified_at = now() WHERE id = $1`, u.ID); err != nil {
		e.T.Fatalf("verify user: %v", err)
	}
	token, _, err := store.CreateSession(ctx, u.ID, time.Hour)
	if err != nil {
		e.T.Fatalf("create session: %v", err)
	}
	return User{ID: u.ID, Email: email, Name: name, Role: role, Token: token}
}

// Must fails the test unless the response has status want.
func Must(t testing.TB, r *Response, want int) *Response {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("status %d, want %d; body %s", r.StatusCode, want, r.Body)
	}
	return r
}

// For returns the same server reporting to t (inside fuzz targets and
// subtests the outer test must not be used).
func (e *Env) For(t testing.TB) *Env {
	c := *e
	c.T = t
	return &c
}
