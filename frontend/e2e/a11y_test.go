package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// axeViolation is what the test reports of one axe-core violation.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeCheck runs axe-core (frontend/node_modules/axe-core, a devDependency) in
// the page and fails on serious or critical violations.
func axeCheck(tab *Tab, page string, axe string) {
	tab.t.Helper()
	eval[bool](tab, axe+";true")
	violations := eval[[]axeViolation](tab, `axe.run(document, {resultTypes: ['violations']}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`,
		chromedp.EvalAwaitPromise)
	var bad []string
	for _, v := range violations {
		line := fmt.Sprintf("%s [%s] %s\n      %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n      "))
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			tab.t.Logf("%s: axe (%s, not failing): %s", page, v.Impact, line)
		}
	}
	if len(bad) > 0 {
		tab.fail("%s: %d serious or critical accessibility violations:\n  %s", page, len(bad), strings.Join(bad, "\n  "))
	}
}

// loadAxe returns axe-core's script, which axeCheck runs in the page.
func loadAxe(t *testing.T) string {
	t.Helper()
	axeJS, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core (a devDependency of frontend/; npm ci installs it): %v", err)
	}
	return string(axeJS)
}

// TestAccessibility: no serious or critical axe-core violations on the
// schedule, a talk page, the live room (with questions, a pinned one and an
// answer), the talk console's pending queue, the moderation page and the
// projector (with its pinned question); on a desktop and a 360 px wide
// phone, where no page may scroll sideways.
func TestAccessibility(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mod, speaker, pre := app.spokenTalk("Remote monitoring after heart failure", "pre")
	asker := app.Env.NewUser("participant")
	app.createTalk(mod, "Apps for mental health: evidence and hype", "post")
	ask := func(body string) int64 { return askQuestion(t, app, pre, asker, body) }
	approved := ask("Which devices did the patients use at home?")
	pinned := ask("How were alerts triaged at night?")
	ask("Is the data shared with the GP?") // stays pending
	for _, id := range []int64{approved, pinned} {
		testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", id), mod.Token, map[string]any{"status": "approved"}), 200)
	}
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", pinned), speaker.Token, map[string]any{"pinned": true}), 200)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/questions/%d/answers", pinned), speaker.Token,
		map[string]any{"body": "A nurse on call, with a written escalation plan."}), 201)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/questions/%d/flags", approved), asker.Token,
		map[string]any{"reason": "off topic"}), 201)
	app.register(pre, asker)
	testserver.Must(t, app.Env.Patch("/api/v1/me", speaker.Token, map[string]any{"bio": "Cardiology nurse.\nRemote monitoring since 2015.",
		"affiliation": "Heart Centre", "links": []string{"https://example.org/heart"}}), 200)

	b := newBrowser(t, app)
	anon := b.Tab("anonymous", nil)
	part := b.Tab("participant", &asker)
	moritz := b.Tab("moderator", &mod)
	pages := []struct {
		tab   *Tab
		name  string
		path  string
		ready string
	}{
		{anon, "schedule", "/", tid("talk-card")},
		{anon, "talk page (signed out)", pre.Path(""), tid("login-to-register")},
		{part, "talk page (registered)", pre.Path(""), tid("join-link")},
		{anon, "live room (signed out)", pre.Path("/live"), qsel(approved, "")},
		{part, "live room", pre.Path("/live"), tid("pinned-question") + " " + tid("answer")},
		{part, "discussion", pre.Path("/live?tab=discussion"), tid("new-thread")},
		{moritz, "talk console (pending queue)", pre.Path("/console"), tid("pending-question")},
		{moritz, "moderation (flag queue)", "/moderation", tid("flag")},
		{part, "my talks", "/me/talks", "main h1"},
		{anon, "projector", pre.Path("/present"), tid("pinned-question") + " " + tid("pinned-body")},
		{anon, "speaker page", fmt.Sprintf("/speakers/%d", speaker.ID), tid("speaker-talks")},
		{part, "account (speaker profile)", "/account", tid("profile-save")},
	}
	for _, width := range []int64{1280, 360} {
		for _, p := range pages {
			p.tab.do("viewport", chromedp.EmulateViewport(width, 800))
			p.tab.Open(p.path)
			p.tab.Visible(p.ready)
			axeCheck(p.tab, fmt.Sprintf("%s at %d px", p.name, width), axeJS)
			if over := eval[int](p.tab, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
				p.tab.fail("%s at %d px scrolls sideways by %d px", p.name, width, over)
			}
		}
	}
	for _, tab := range []*Tab{anon, part, moritz} {
		noCSPViolations(tab)
	}
}
