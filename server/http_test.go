package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/migrations/testdb"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/testserver"
)

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	u := env.NewUser("admin")
	cases := []struct {
		name   string
		req    testserver.Req
		status int
		code   string
		field  string
	}{
		{"unknown route", testserver.Req{Method: "GET", Path: "/api/v1/no-such-thing"}, 404, "not_found", ""},
		{"unknown route, POST", testserver.Req{Method: "POST", Path: "/api/v1/no-such-thing", Body: `{}`}, 404, "not_found", ""},
		{"unknown route under a known one", testserver.Req{Method: "DELETE", Path: "/api/v1/talks/1/no-such-thing"}, 404, "not_found", ""},
		{"wrong method", testserver.Req{Method: "PUT", Path: "/api/v1/me"}, 405, "method_not_allowed", ""},
		{"wrong method, with a parameter", testserver.Req{Method: "PUT", Path: "/api/v1/talks/1"}, 405, "method_not_allowed", ""},
		{"malformed JSON", testserver.Req{Method: "POST", Path: "/api/v1/auth/login", Body: `{"email": `}, 400, "malformed_json", ""},
		{"not an object", testserver.Req{Method: "POST", Path: "/api/v1/auth/login", Body: `[1,2]`}, 400, "malformed_json", ""},
		{"unknown field", testserver.Req{Method: "POST", Path: "/api/v1/auth/signup", Body: `{"email":"a@b.co","password":"0123456789","display_name":"x","is_admin":true}`}, 422, "validation_failed", "is_admin"},
		{"wrong type", testserver.Req{Method: "POST", Path: "/api/v1/auth/login", Body: `{"email":42,"password":"x"}`}, 422, "validation_failed", "email"},
		{"invalid value", testserver.Req{Method: "PATCH", Path: "/api/v1/users/1", Token: u.Token, Body: `{"role":"root"}`}, 422, "validation_failed", "role"},
		{"bad id", testserver.Req{Method: "PATCH", Path: "/api/v1/users/abc", Token: u.Token, Body: `{"role":"admin"}`}, 404, "not_found", ""},
		{"bad limit", testserver.Req{Method: "GET", Path: "/api/v1/users?limit=1000", Token: u.Token}, 422, "validation_failed", "limit"},
		{"forged cursor", testserver.Req{Method: "GET", Path: "/api/v1/users?cursor=%%%", Token: u.Token}, 422, "validation_failed", "cursor"},
	}
	for _, tc := range cases {
		r := env.Do(tc.req)
		if r.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, r.StatusCode, tc.status, r.Body)
			continue
		}
		p := r.Problem(t)
		if p.Code != tc.code || p.Status != tc.status || p.Title == "" || p.Type != "about:blank" {
			t.Errorf("%s: problem %+v", tc.name, p)
		}
		if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
			t.Errorf("%s: errors %+v do not name %q", tc.name, p.Errors, tc.field)
		}
		if r.Header.Get("X-Request-Id") == "" || !strings.Contains(p.Instance, r.Header.Get("X-Request-Id")) {
			t.Errorf("%s: request id missing (header %q, instance %q)", tc.name, r.Header.Get("X-Request-Id"), p.Instance)
		}
	}
}

func TestBodyOver64KiB(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	base := env.Listen()
	// The server answers from the headers alone and closes: a client still
	// writing the body would only see a broken pipe, so write headers only.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 64<<10+1)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(b), `"code":"payload_too_large"`) {
		t.Fatalf("oversized body: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	// The server answers it before any handler; /metrics counts it all the same.
	m := testserver.Must(t, env.Get("/metrics", ""), 200)
	if !strings.Contains(string(m.Body), `hubtalks_http_requests_total{method="POST",route="unmatched",status="413"} 1`) {
		t.Fatalf("metrics do not count the 413:\n%s", grepLines(m.Body, "hubtalks_http_requests_total"))
	}
	if strings.Contains(string(m.Body), `route="unmatched",status="200"`) {
		t.Errorf("an answer counted twice:\n%s", grepLines(m.Body, "hubtalks_http_requests_total"))
	}
}

func grepLines(b []byte, prefix string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	r := env.Get("/api/v1/openapi.json", "")
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("nosniff missing")
	}
	page := env.Get("/talks/some-talk", "")
	if page.StatusCode != 200 || !strings.Contains(page.Header.Get("Content-Type"), "text/html") || page.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("app route: %d %q %q", page.StatusCode, page.Header.Get("Content-Type"), page.Header.Get("Cache-Control"))
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithRedis())
	testserver.Must(t, env.Get("/healthz", ""), 200)
	r := testserver.Must(t, env.Get("/readyz", ""), 200)
	if !strings.Contains(string(r.Body), `"redis":"ok"`) || !strings.Contains(string(r.Body), `"postgres":"ok"`) {
		t.Fatalf("readyz: %s", r.Body)
	}
	env.Get("/api/v1/me", "")
	m := testserver.Must(t, env.Get("/metrics", ""), 200)
	if !strings.Contains(string(m.Body), `hubtalks_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1`) {
		t.Fatalf("metrics lack the request by route:\n%s", m.Body)
	}
}

func TestReadyzWhenPostgresUnreachable(t *testing.T) {
	t.Parallel()
	addr := testdb.UnreachableAddr(t)
	db, err := sqlx.Open("postgres", "postgres://nobody@"+addr+"/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := server.New(server.Config{BaseURL: "http://hubtalks.test", Accounts: accounts.DefaultConfig()},
		server.Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	req, _ := http.NewRequest("GET", "/readyz", nil)
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"postgres":"unreachable"`) {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	// A request that needs the database gets a retryable 503, not a 500.
	req, _ = http.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"a@b.co","password":"0123456789"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || strings.Contains(string(body), addr) {
		t.Fatalf("login without database: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	env.Server.App().Post("/test/slow", func(c *fiber.Ctx) error {
		close(entered)
		<-release
		return c.SendString("finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- env.Server.Serve(ctx, ln, 10*time.Second) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/test/slow", "text/plain", nil)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel() // as SIGTERM does
	// New connections are refused once shutdown has begun.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 200*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepts after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

func TestLiveOriginCheckedBeforeUpgrade(t *testing.T) {
	t.Parallel()
	_, base := liveServer(t)
	for origin, want := range map[string]int{
		"https://evil.example":         403,
		"null":                         403,
		"http://hubtalks.test.evil.io": 403,
		"http://hubtalks.test":         101,
	} {
		req, _ := http.NewRequest("GET", base+"/api/v1/live", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", origin, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("origin %s: status %d, want %d", origin, resp.StatusCode, want)
		}
	}
	// A plain GET (no upgrade) is a problem, not a crash.
	resp, err := http.Get(base + "/api/v1/live")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 426 {
		t.Errorf("plain GET: %d", resp.StatusCode)
	}
}
