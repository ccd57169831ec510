//go:build screens

package e2e

// Screenshots of a running server with the demo seed, for people to look at:
//
//	hubtalks migrate && hubtalks seed && PORT=3100 hubtalks serve
//	HUBTALKS_SCREENS_URL=http://127.0.0.1:3100 go test -tags screens -run TestScreens -v ./frontend/e2e/
//
// It writes PNGs to $HUBTALKS_SCREENS_DIR (default /tmp/screens) and fails on
// console errors other than the expected 401 of a signed-out /api/v1/me, and
// on any Content-Security-Policy violation.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubtalks/hubtalks/server/demo"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// screensTarget is the running server and the folder of the screenshot
// run (skipping the test when HUBTALKS_SCREENS_URL is not set), and a way
// to log in its demo users.
func screensTarget(t *testing.T) (base, dir string, login func(email string) testserver.User) {
	t.Helper()
	base = strings.TrimRight(os.Getenv("HUBTALKS_SCREENS_URL"), "/")
	if base == "" {
		t.Skip("HUBTALKS_SCREENS_URL is not set")
	}
	dir = os.Getenv("HUBTALKS_SCREENS_DIR")
	if dir == "" {
		dir = "/tmp/screens"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	login = func(email string) testserver.User {
		body, _ := json.Marshal(map[string]string{"email": email, "password": demo.Password})
		resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Token string
			User  struct{ ID int64 }
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Token == "" {
			t.Fatalf("log in %s: %d %v", email, resp.StatusCode, err)
		}
		return testserver.User{ID: r.User.ID, Email: email, Token: r.Token}
	}
	return base, dir, login
}

// demoTalks finds in the demo seed at base a pre-moderated talk still to
// come (the live room the screens show) and a talk with a recording; a
// zero Talk where there is none.
func demoTalks(t *testing.T, base string) (live, past Talk) {
	t.Helper()
	var talks struct {
		Items []struct {
			ID     int64
			Slug   string
			Status string
			QA     struct{ Moderation string }
			Rec    *struct{ VideoID string } `json:"recording"`
		}
	}
	resp, err := http.Get(base + "/api/v1/talks?limit=200")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&talks); err != nil {
		t.Fatalf("GET /api/v1/talks: %d %v", resp.StatusCode, err)
	}
	for _, tk := range talks.Items {
		if live.ID == 0 && tk.Status != "ended" && tk.QA.Moderation == "pre" {
			live = Talk{ID: tk.ID, Slug: tk.Slug}
		}
		if past.ID == 0 && tk.Rec != nil {
			past = Talk{ID: tk.ID, Slug: tk.Slug}
		}
	}
	return live, past
}

func TestScreens(t *testing.T) {
	base, dir, login := screensTarget(t)
	live, past := demoTalks(t, base)
	if live.ID == 0 || past.ID == 0 {
		t.Fatalf("the demo seed has no pre-moderated upcoming talk (%+v) or no recording (%+v)", live, past)
	}

	app := &App{t: t, URL: base}
	b := newBrowser(t, app)
	participant := login("participant@demo.hubtalks.test")
	moderator := login("moderator@demo.hubtalks.test")
	seedQA(t, base, live.ID, participant, moderator, login("speaker@demo.hubtalks.test"), login("admin@demo.hubtalks.test"))
	anon := b.Tab("anonymous", nil)
	part := b.Tab("participant", &participant)
	mod := b.Tab("moderator", &moderator)

	shots := []struct {
		file  string
		tab   *Tab
		path  string
		ready string
		width int64
	}{
		{"01-schedule.png", anon, "/", tid("talk-card"), 1280},
		{"02-schedule-past.png", anon, "/?tab=past", tid("talk-card"), 1280},
		{"03-talk.png", part, live.Path(""), tid("live-link"), 1280},
		{"04-talk-recording.png", anon, past.Path(""), "main h1", 1280},
		{"05-live-participant.png", part, live.Path("/live"), tid("ask-body"), 1280},
		{"06-console-pending.png", mod, live.Path("/console"), tid("start-session"), 1280},
		{"07-moderation.png", mod, "/moderation", "main h1", 1280},
		{"08-present.png", anon, live.Path("/present"), "main", 1600},
		{"09-live-phone-360.png", part, live.Path("/live"), tid("ask-body"), 360},
		{"10-schedule-phone-360.png", anon, "/", tid("talk-card"), 360},
		{"11-edit-talk.png", mod, live.Path("/edit"), "main form", 1280},
		{"12-account.png", part, "/account", tid("export"), 1280},
		{"13-recordings.png", anon, "/recordings", tid("recording"), 1280},
		{"14-recordings-phone-360.png", anon, "/recordings", tid("recording"), 360},
		{"15-playlists.png", mod, "/recordings/manage", "main h1", 1280},
		{"16-talk-attended.png", part, past.Path(""), tid("my-minutes"), 1280},
		{"17-report.png", mod, past.Path("/report"), tid("r-peak"), 1280},
		{"18-report-phone-360.png", mod, past.Path("/report"), tid("r-peak"), 360},
	}
	// Shots of a given height, or of a page after an action (height 0: as above).
	type shot struct {
		file, path, ready string
		tab               *Tab
		width, height     int64
		then              func(tab *Tab) // before the screenshot; the app dialog it opens is cancelled after
	}
	all := make([]shot, 0, len(shots)+4)
	for _, s := range shots {
		all = append(all, shot{file: s.file, path: s.path, ready: s.ready, tab: s.tab, width: s.width})
	}
	ensurePlaylist(t, base, moderator)
	deleteDialog := func(tab *Tab) {
		tab.Click(tid("delete-playlist"))
		tab.Until("the delete dialog", `document.querySelector('[data-testid="dialog"]')?.open`)
	}
	all = append(all,
		shot{file: "19-present-1280x720.png", tab: anon, path: live.Path("/present"), ready: tid("pinned-body"), width: 1280, height: 720},
		shot{file: "20-present-1920x1080.png", tab: anon, path: live.Path("/present"), ready: tid("pinned-body"), width: 1920, height: 1080},
		shot{file: "21-present-phone-360.png", tab: anon, path: live.Path("/present"), ready: tid("pinned-body"), width: 360},
		shot{file: "22-playlist-delete-dialog.png", tab: mod, path: "/recordings/manage", ready: tid("delete-playlist"), width: 1280, then: deleteDialog},
	)
	for _, s := range all {
		height := s.height
		if height == 0 {
			height = 900
			if s.width == 360 {
				height = 740
			}
		}
		s.tab.do("viewport", chromedp.EmulateViewport(s.width, height))
		s.tab.Open(s.path)
		s.tab.Visible(s.ready)
		// Fonts, the live snapshot and the first presence count.
		s.tab.Until("the page to settle", `!/Loading/.test(document.querySelector('main').textContent) && document.fonts.status === 'loaded'
			&& ![...document.querySelectorAll('[data-testid="viewers"], .viewers')].some(e => e.textContent.includes('–'))`)
		if s.then != nil {
			s.then(s.tab)
		}
		png := func() []byte {
			ctx, cancel := contextFor(s.tab)
			defer cancel()
			buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				s.tab.fail("screenshot: %v", err)
			}
			return buf
		}()
		if err := os.WriteFile(filepath.Join(dir, s.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s ← %s (%d px)", s.file, s.path, s.width)
		if s.then != nil {
			s.tab.Click(tid("dialog-cancel"))
		}
	}
	for _, tab := range []*Tab{anon, part, mod} {
		for _, line := range tab.Console() {
			if strings.Contains(line, "/api/v1/me") && strings.Contains(line, "401") {
				continue
			}
			if strings.Contains(line, "youtube") || strings.Contains(line, "ytimg") {
				t.Logf("%s: %s (no internet here)", tab.name, line)
				continue
			}
			t.Errorf("%s console: %s", tab.name, line)
		}
	}
	fmt.Println("screenshots in", dir)
}

// seedQA gives the demo's pre-moderated talk some Q&A for the screenshots
// (once: nothing happens when it has questions already): approved questions
// with votes, one pinned and answered by its speaker, one awaiting moderation.
func seedQA(t *testing.T, base string, talkID int64, participant, moderator, speaker, admin testserver.User) {
	call := func(method, path string, u testserver.User, body any, want int) map[string]any {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, base+"/api/v1"+path, rd)
		req.Header.Set("Authorization", "Bearer "+u.Token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	existing := call("GET", fmt.Sprintf("/talks/%d/questions?status=pending", talkID), moderator, nil, 200)
	all := call("GET", fmt.Sprintf("/talks/%d/questions", talkID), moderator, nil, 200)
	if len(existing["items"].([]any))+len(all["items"].([]any)) > 0 {
		return
	}
	ask := func(u testserver.User, body string, anon bool) string {
		q := call("POST", fmt.Sprintf("/talks/%d/questions", talkID), u, map[string]any{"body": body, "anonymous": anon}, 201)
		return fmt.Sprint(q["id"])
	}
	q1 := ask(participant, "Which of these tools are CE-marked as medical devices today, and under which risk class?", false)
	q2 := ask(admin, "How do you validate a model on patients from a hospital that was not in the training data?", false)
	q3 := ask(participant, "Who is liable when an AI triage tool misses a melanoma: the vendor or the clinician?", true)
	ask(participant, "Will the slides be shared after the talk?", false)
	for _, id := range []string{q1, q2, q3} {
		call("PATCH", "/questions/"+id, moderator, map[string]any{"status": "approved"}, 200)
	}
	for _, u := range []testserver.User{participant, moderator, admin} {
		call("PUT", "/questions/"+q2+"/vote", u, nil, 200)
	}
	call("PUT", "/questions/"+q3+"/vote", moderator, nil, 200)
	call("PATCH", "/questions/"+q1, speaker, map[string]any{"pinned": true}, 200)
	call("POST", "/questions/"+q1+"/answers", speaker, map[string]any{"body": "Several are, mostly class IIa under the MDR; I will show the list on the next slide."}, 201)
}

// ensurePlaylist gives the demo a playlist (it has none) for the delete
// dialog's screenshot; the dialog is cancelled, so it stays.
func ensurePlaylist(t *testing.T, base string, moderator testserver.User) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/playlists")
	if err != nil {
		t.Fatal(err)
	}
	var l struct{ Items []json.RawMessage }
	_ = json.NewDecoder(resp.Body).Decode(&l)
	resp.Body.Close()
	if len(l.Items) > 0 {
		return
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/playlists", strings.NewReader(`{"title":"Hub Talks 2026","description":"The series' recordings"}`))
	req.Header.Set("Authorization", "Bearer "+moderator.Token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create a playlist: %d", resp.StatusCode)
	}
}

// contextFor is a bounded context for one action on the tab.
func contextFor(tab *Tab) (context.Context, context.CancelFunc) {
	return context.WithTimeout(tab.ctx, waitFor)
}
