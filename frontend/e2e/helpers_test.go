package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hubtalks/hubtalks/frontend"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/testserver"
)

const chromiumPath = "/usr/bin/chromium"

// waitFor bounds every wait on the page; the tests never sleep.
const waitFor = 15 * time.Second

// requirements skips (or, under HUBTALKS_TEST_REQUIRE_SERVICES=1, fails)
// when the web app is not built into the binary or Chromium is missing.
func requirements(t *testing.T) {
	t.Helper()
	miss := func(msg string) {
		t.Helper()
		if os.Getenv("HUBTALKS_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, ok := frontend.Dist(); !ok {
		miss("the web app is not built: run `cd frontend && npm ci && npm run build` (make test does) before the browser tests")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		miss("Chromium is not installed at " + chromiumPath + ": `scripts/deps.sh test` (make test) installs it")
	}
}

// App is the real server (fresh PostgreSQL database, live hub) serving the
// embedded web app on a real listener. Restart replaces it with a new server
// on the same database and address, as a deploy does.
type App struct {
	t    *testing.T
	Env  *testserver.Env
	URL  string // http://127.0.0.1:port, also the server's BaseURL (live socket Origin check)
	addr string
	log  *slog.Logger

	mu     sync.Mutex
	srv    *server.Server
	cancel context.CancelFunc
	done   chan struct{}
}

func startApp(t *testing.T, opts ...testserver.Option) *App {
	t.Helper()
	requirements(t)
	// The port must be known before the server is built: the live socket and
	// the CSRF check accept only the configured origins.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	env := testserver.New(t, append([]testserver.Option{testserver.WithHub(realtime.HubConfig{}),
		testserver.WithConfig(func(c *server.Config) { c.BaseURL = url })}, opts...)...)
	a := &App{t: t, Env: env, URL: url, addr: ln.Addr().String(),
		log: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	a.serve(env.Server, ln)
	t.Cleanup(a.Stop)
	return a
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (a *App) serve(srv *server.Server, ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln, 5*time.Second); err != nil {
			a.log.Error("serve", "err", err)
		}
	}()
	a.mu.Lock()
	a.srv, a.cancel, a.done = srv, cancel, done
	a.mu.Unlock()
}

// API is the server now serving, for requests in memory (changes made
// through it reach its live hub, so open browsers see them).
func (a *App) API() *testserver.Env {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &testserver.Env{T: a.t, DB: a.Env.DB, Server: a.srv, Config: a.Env.Config, URL: a.URL}
}

// Stop shuts the server down as SIGTERM does (live sockets closed with 1012)
// and waits until it no longer listens.
func (a *App) Stop() {
	a.mu.Lock()
	cancel, done := a.cancel, a.done
	a.cancel, a.done = nil, nil
	a.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Offline is a server on the same database with no live hub and no
// listener: changes made through it are stored (events included) while the
// real one is down, as another instance would during a deploy.
func (a *App) Offline() *testserver.Env {
	srv := server.New(a.Env.Config, server.Deps{DB: a.Env.DB, Log: a.log})
	return &testserver.Env{T: a.t, DB: a.Env.DB, Server: srv, Config: a.Env.Config}
}

// Start serves a new server (new hub, same database) on the old address.
func (a *App) Start() {
	a.t.Helper()
	srv, _ := server.NewWithHub(a.Env.Config, server.Deps{DB: a.Env.DB, Log: a.log}, realtime.HubConfig{})
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		a.t.Fatalf("listen again on %s: %v", a.addr, err)
	}
	a.serve(srv, ln)
}

// Talk is what the tests need of a talk.
type Talk struct {
	ID    int64  `json:"id"`
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

// Path is the app's canonical talk path, plus suffix ("/live", "/console").
func (t Talk) Path(suffix string) string { return fmt.Sprintf("/talks/%d-%s%s", t.ID, t.Slug, suffix) }

// createTalk makes a scheduled talk starting soon, through the API.
func (a *App) createTalk(mod testserver.User, title, moderation string, speakers ...int64) Talk {
	a.t.Helper()
	sp := []map[string]int64{}
	for _, id := range speakers {
		sp = append(sp, map[string]int64{"id": id})
	}
	start := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Minute)
	resp := testserver.Must(a.t, a.Env.Post("/api/v1/talks", mod.Token, map[string]any{
		"title":      title,
		"abstract":   "A talk made by the browser tests: " + title + ".",
		"starts_at":  start.Format(time.RFC3339),
		"ends_at":    start.Add(time.Hour).Format(time.RFC3339),
		"status":     "scheduled",
		"tags":       []string{"e2e"},
		"language":   "en",
		"format":     "online",
		"location":   "",
		"stream_url": "https://stream.example.org/hub-talk",
		"capacity":   50,
		"speakers":   sp,
		"qa":         map[string]any{"moderation": moderation, "allow_anonymous": true, "open": true},
	}), 201)
	var tk Talk
	resp.JSON(a.t, &tk)
	return tk
}

// talkBy makes a new moderator and the talk it creates (see createTalk).
func (a *App) talkBy(title, moderation string) (testserver.User, Talk) {
	a.t.Helper()
	mod := a.Env.NewUser("moderator")
	return mod, a.createTalk(mod, title, moderation)
}

// spokenTalk makes a new moderator, a new participant, and the talk the
// moderator creates with that participant as its speaker.
func (a *App) spokenTalk(title, moderation string) (mod, speaker testserver.User, talk Talk) {
	a.t.Helper()
	mod, speaker = a.Env.NewUser("moderator"), a.Env.NewUser("participant")
	return mod, speaker, a.createTalk(mod, title, moderation, speaker.ID)
}

// twoParticipants makes two new participants.
func (a *App) twoParticipants() (testserver.User, testserver.User) {
	a.t.Helper()
	return a.Env.NewUser("participant"), a.Env.NewUser("participant")
}

// register registers u for talk through the API.
func (a *App) register(talk Talk, u testserver.User) {
	a.t.Helper()
	testserver.Must(a.t, a.Env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", talk.ID), u.Token, nil), 201)
}

// Browser is one Chromium process with its own fresh profile directory.
type Browser struct {
	t   *testing.T
	ctx context.Context
	app *App
}

func newBrowser(t *testing.T, app *App) *Browser {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "hubtalks-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		// YouTube's embeds and thumbnails go to a closed local port: the
		// tests never reach outside the machine, and images fail as offline.
		chromedp.Flag("host-resolver-rules", "MAP *.ytimg.com 127.0.0.1:9, MAP *.youtube-nocookie.com 127.0.0.1:9, MAP *.youtube.com 127.0.0.1:9"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		bcancel()
		acancel()
		_ = os.RemoveAll(dir)
	})
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return &Browser{t: t, ctx: bctx, app: app}
}

// Tab is one person: a tab in its own browser context (its own cookies),
// recording the console and any JavaScript dialog.
type Tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	app  *App

	mu      sync.Mutex
	console []string
	dialogs []string
}

// Tab opens a tab in a new browser context; with a token it is signed in
// (the session cookie the server sets at login).
func (b *Browser) Tab(name string, user *testserver.User) *Tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: open tab: %v", name, err)
	}
	tab := &Tab{t: b.t, name: name, ctx: ctx, app: b.app}
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.console = append(tab.console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.String()))
			tab.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.dialogs = append(tab.dialogs, string(ev.Type)+": "+ev.Message)
			tab.mu.Unlock()
			// A dialog blocks the page: dismiss it so the test can go on (and fail).
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	if user != nil {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
			Name: accounts.CookieName, Value: user.Token, URL: b.app.URL + "/",
			HTTPOnly: new(true), SameSite: network.CookieSameSiteLax,
		})
		if err != nil {
			b.t.Fatalf("%s: set session cookie: %v", name, err)
		}
	}
	return tab
}

// Dialogs are the JavaScript dialogs (alert, confirm, prompt) the page opened.
func (tab *Tab) Dialogs() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.dialogs...)
}

// Console is everything the page wrote to its console, including the
// browser's own entries (CSP violations, failed requests).
func (tab *Tab) Console() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.console...)
}

// fail ends the test with what the person saw: a screenshot and the console.
func (tab *Tab) fail(format string, args ...any) {
	tab.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(tab.ctx, 5*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := filepath.Join(os.TempDir(), fmt.Sprintf("hubtalks-e2e-%s-%s.png", strings.ReplaceAll(tab.t.Name(), "/", "_"), tab.name))
		if os.WriteFile(name, png, 0o644) == nil {
			msg += "\nscreenshot: " + name
		}
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		msg += "\nlocation: " + loc
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main')?.innerText ?? '').slice(0, 2000)`)); err == nil {
		msg += "\npage text:\n  " + strings.ReplaceAll(strings.TrimSpace(text), "\n", "\n  ")
	}
	if c := tab.Console(); len(c) > 0 {
		msg += "\nconsole:\n  " + strings.Join(c, "\n  ")
	}
	tab.t.Fatalf("%s: %s", tab.name, msg)
}

func (tab *Tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, waitFor)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tab.fail("%s: %v", what, err)
	}
}

// Open loads an app path and waits for the app to render into #app, then
// for each of the elements in visible.
func (tab *Tab) Open(path string, visible ...string) {
	tab.t.Helper()
	tab.do("open "+path, chromedp.Navigate(tab.app.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
	for _, sel := range visible {
		tab.Visible(sel)
	}
}

// Visible waits until the element is visible.
func (tab *Tab) Visible(sel string) {
	tab.t.Helper()
	tab.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// Click waits for the element and clicks it.
func (tab *Tab) Click(sel string) {
	tab.t.Helper()
	tab.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// Type types text into a field, key by key, as a person does.
func (tab *Tab) Type(sel, text string) {
	tab.t.Helper()
	tab.do("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Until polls a JavaScript expression until it is truthy.
func (tab *Tab) Until(what, expr string) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, waitFor+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")",
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(waitFor)))
	if err != nil {
		if errors.Is(err, chromedp.ErrPollingTimeout) || errors.Is(err, context.DeadlineExceeded) {
			tab.fail("waited %v for %s (%s)", waitFor, what, expr)
		}
		tab.fail("wait for %s: %v", what, err)
	}
}

// eval runs an expression in the page and decodes its value.
func eval[T any](tab *Tab, expr string, opts ...chromedp.EvaluateOption) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tab.fail("evaluate %.80q: %v", expr, err)
	}
	return v
}

// tid is the CSS selector of a data-testid.
func tid(id string) string { return `[data-testid="` + id + `"]` }

// qsel selects the question card with that id, with an optional descendant.
func qsel(id int64, inner string) string {
	s := fmt.Sprintf(`[data-testid="question"][data-question-id="%d"]`, id)
	if inner != "" {
		s += " " + inner
	}
	return s
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// clearField empties a field as a person does (select all, delete), so the
// app sees the input events.
func clearField(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Focus(chromedp.CSS(sel)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Backspace),
	)
}
