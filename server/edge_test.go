package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// A client behind a proxy that appends to X-Forwarded-For writes the left
// part of the header itself: it must not choose its rate-limit key.
func TestForgedForwardedForDoesNotChooseTheLimiterKey(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithConfig(func(c *server.Config) {
		c.TrustedProxies = []string{"127.0.0.1"}
		c.Accounts.LoginAttemptsPerIP = 50
	}))
	base := env.Listen()
	codes := map[int]int{}
	for i := range 60 {
		req, _ := http.NewRequest("POST", base+"/api/v1/auth/login",
			strings.NewReader(`{"email":"spray`+strconv.Itoa(i)+`@example.org","password":"wrong password"}`))
		req.Header.Set("Content-Type", "application/json")
		// The client forged the first entry; the proxy appended what it saw.
		req.Header.Set("X-Forwarded-For", "10.9.9."+strconv.Itoa(i)+", 203.0.113.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
		if i >= 50 && resp.StatusCode != 429 {
			t.Fatalf("login %d through a limit of 50: %d (so far %v)", i+1, resp.StatusCode, codes)
		}
	}
}

// A cross-site form cannot sign the browser in (login CSRF): /auth/* takes
// JSON only, and refuses a foreign Origin or Sec-Fetch-Site.
func TestAuthRefusesCrossSiteAndNonJSON(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	u := env.NewUser("participant")
	body := `{"email":"` + u.Email + `","password":"` + testserver.TestPassword + `"}`
	cases := []struct {
		name   string
		header map[string]string
		want   int
		code   string
	}{
		{"cross-site text/plain form", map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 415, "unsupported_media_type"},
		{"text/plain without origin", map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type"},
		{"url-encoded form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"JSON from a foreign origin", map[string]string{"Origin": "https://evil.example"}, 403, "cross_site_refused"},
		{"JSON from a null origin", map[string]string{"Origin": "null"}, 403, "cross_site_refused"},
		{"JSON marked cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross_site_refused"},
	}
	for _, c := range cases {
		r := env.Do(testserver.Req{Method: "POST", Path: "/api/v1/auth/login", Body: body, Header: c.header})
		if p := testserver.Must(t, r, c.want).Problem(t); p.Code != c.code {
			t.Fatalf("%s: problem %+v, want %s", c.name, p, c.code)
		}
		if r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s: a session cookie was set", c.name)
		}
	}
	for _, h := range []map[string]string{nil, {"Origin": "http://hubtalks.test", "Sec-Fetch-Site": "same-origin"}, {"Content-Type": "application/json; charset=utf-8"}} {
		r := env.Do(testserver.Req{Method: "POST", Path: "/api/v1/auth/login", Body: body, Header: h})
		testserver.Must(t, r, 200)
	}
}

// Answers to authenticated requests are one person's: no cache keeps them.
func TestAuthenticatedAnswersAreNotStored(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	u := env.NewUser("participant")
	for _, path := range []string{"/api/v1/me", "/api/v1/talks", "/api/v1/me/registrations"} {
		r := testserver.Must(t, env.Get(path, u.Token), 200)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("GET %s signed in: Cache-Control %q, want no-store", path, cc)
		}
	}
	r := testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testserver.TestPassword}), 200)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("login answer: Cache-Control %q, want no-store", cc)
	}
	if cc := testserver.Must(t, env.Get("/api/v1/talks", ""), 200).Header.Get("Cache-Control"); cc == "no-store" {
		t.Fatalf("anonymous listing: Cache-Control %q; it may be cached", cc)
	}
}

// A CR or LF in user text stored as it is (display names, titles) never
// reaches a calendar feed raw: it would end the content line and add
// properties of its own.
func TestCalendarsNeverEmitRawLineBreaksFromUserText(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	speaker := env.NewUser("participant")
	evil := "Eve\rATTENDEE:mailto:a@evil.example\r\nX-INJECTED:1\nX-INJECTED:2"
	if _, err := env.DB.Exec(`UPDATE users SET display_name = $2 WHERE id = $1`, speaker.ID, evil); err != nil {
		t.Fatal(err)
	}
	var talkID int64
	err := env.DB.Get(&talkID, `INSERT INTO talks (slug, title, abstract, location, tags, starts_at, ends_at, status)
		VALUES ('cr-talk', $1, $1, $1, ARRAY[$1], now() + interval '2 days', now() + interval '2 days 1 hour', 'scheduled') RETURNING id`, evil)
	if err != nil {
		t.Fatal(err)
	}
	testserver.AddSpeakers(t, env, talkID, speaker.ID)
	for _, path := range []string{"/api/v1/talks.ics", "/api/v1/talks/" + strconv.FormatInt(talkID, 10) + ".ics",
		"/api/v1/speakers/" + strconv.FormatInt(speaker.ID, 10) + "/talks.ics"} {
		raw := testserver.Must(t, env.Get(path, ""), 200).Body
		testkit.CheckCalendar(t, path, raw)
		body := string(raw)
		if strings.Count(body, "\r") != strings.Count(body, "\r\n") || strings.Count(body, "\n") != strings.Count(body, "\r\n") {
			t.Fatalf("%s: a bare CR or LF:\n%q", path, body)
		}
		for _, line := range strings.Split(body, "\r\n") {
			if strings.HasPrefix(line, "ATTENDEE") || strings.HasPrefix(line, "X-INJECTED") {
				t.Fatalf("%s: user text made a property: %q", path, line)
			}
		}
		if !strings.Contains(body, "Eve") {
			t.Fatalf("%s: the speaker's name is missing:\n%s", path, body)
		}
	}
}

// With METRICS_ADDR the numbers are served on the operator's listener
// only; the public port answers 404.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithConfig(func(c *server.Config) { c.MetricsAddr = "127.0.0.1:0" }))
	env.Get("/api/v1/me", "")
	testserver.Must(t, env.Get("/metrics", ""), 404)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.Server.ServeMetrics(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `hubtalks_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1`) {
		t.Fatalf("metrics listener: %d\n%s", resp.StatusCode, body)
	}
}
