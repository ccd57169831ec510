package e2e

import (
	"fmt"
	"testing"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// askQuestion posts a question through the API and returns its id.
func askQuestion(t *testing.T, app *App, talk Talk, asker testserver.User, body string) int64 {
	t.Helper()
	r := testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk.ID), asker.Token,
		map[string]any{"body": body, "anonymous": false}), 201)
	var q struct{ ID int64 }
	r.JSON(t, &q)
	return q.ID
}

// online waits until the page counts its viewers: the live socket is
// connected and the talk's public channel subscribed.
func online(tab *Tab) {
	tab.t.Helper()
	tab.Until("the live connection", `(() => { const v = document.querySelector('[data-testid="viewers"]');
		return v && !v.textContent.includes('–'); })()`)
}

// TestRevokedTalkBackToDraft: an anonymous viewer has a scheduled talk's live
// room open and a projector shows its questions; a moderator moves the talk
// back to draft through the API; the server revokes the public channel and
// both pages, without reloading, say the talk is no longer available live
// and stop showing the question.
func TestRevokedTalkBackToDraft(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mod, talk := app.talkBy("Consent management in research apps", "post")
	asker := app.Env.NewUser("participant")
	body := "Can participants withdraw consent from inside the app?"
	qid := askQuestion(t, app, talk, asker, body)

	b := newBrowser(t, app)
	viewer := b.Tab("anonymous viewer", nil)
	viewer.Open(talk.Path("/live"), qsel(qid, ""))
	online(viewer)

	projector := b.Tab("projector", nil)
	projector.Open(talk.Path("/present"), qsel(qid, ""))
	online(projector)

	for _, tab := range []*Tab{viewer, projector} {
		eval[bool](tab, `window.e2eSamePage = true`)
		if eval[bool](tab, `!!document.querySelector(`+js(tid("live-ended"))+`)`) {
			tab.fail("the page says the talk ended before it did")
		}
	}

	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/talks/%d", talk.ID), mod.Token, map[string]any{"status": "draft"}), 200)
	var status string
	if err := app.Env.DB.Get(&status, `SELECT status FROM talks WHERE id = $1`, talk.ID); err != nil || status != "draft" {
		t.Fatalf("talk status in the database: %q, %v", status, err)
	}

	const msg = "This talk is no longer available live."
	for _, tab := range []*Tab{viewer, projector} {
		tab.Until("the talk to end live", `document.querySelector(`+js(tid("live-ended"))+`)?.textContent.includes(`+js(msg)+`)`)
		// Announced: the message is inside a live region.
		if !eval[bool](tab, `!!document.querySelector(`+js(tid("live-ended"))+`).closest('[role="status"], [role="alert"], [aria-live]')`) {
			tab.fail("the message is not in a live region")
		}
		tab.Until("the question to go", `!document.querySelector(`+js(qsel(qid, ""))+`) && !document.body.textContent.includes(`+js(body)+`)`)
		if !eval[bool](tab, `window.e2eSamePage === true`) {
			tab.fail("the page was reloaded")
		}
		noCSPViolations(tab)
	}
	// The projector drops everything else (title, join code) and stays readable.
	if n := eval[int](projector, `document.querySelectorAll('main section, main aside, header').length`); n != 0 {
		projector.fail("%d parts of the old projector view still shown", n)
	}
	if !eval[bool](projector, `document.querySelector(`+js(tid("live-ended"))+`).closest('[role="status"]') !== null`) {
		projector.fail("the projector's message is not in a role=status region")
	}
	axeCheck(projector, "projector after the talk went back to draft", axeJS)
	axeCheck(viewer, "live room after the talk went back to draft", axeJS)
}

// TestRevokedSpeakerRemoved: a speaker has the talk console open with a
// pending question; a moderator removes them from the talk's speakers; the
// server revokes the staff channel and the console says they are no longer
// staff, no longer showing the pending question.
func TestRevokedSpeakerRemoved(t *testing.T) {
	app := startApp(t)
	mod, speaker, talk := app.spokenTalk("Wearables in cardiac rehabilitation", "pre")
	asker := app.Env.NewUser("participant")
	body := "How accurate are wrist sensors during exercise?"
	qid := askQuestion(t, app, talk, asker, body)

	b := newBrowser(t, app)
	sofia := b.Tab("speaker", &speaker)
	sofia.Open(talk.Path("/console"))
	pending := fmt.Sprintf(`%s[data-question-id="%d"]`, tid("pending-question"), qid)
	sofia.Visible(pending)
	online(sofia)
	eval[bool](sofia, `window.e2eSamePage = true`)
	if eval[bool](sofia, `!!document.querySelector(`+js(tid("not-staff"))+`)`) {
		sofia.fail("the console says the speaker is not staff before the change")
	}

	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/talks/%d", talk.ID), mod.Token, map[string]any{"speakers": []any{}}), 200)
	var n int
	if err := app.Env.DB.Get(&n, `SELECT count(*) FROM talk_speakers WHERE talk_id = $1`, talk.ID); err != nil || n != 0 {
		t.Fatalf("speakers in the database: %d, %v; want 0", n, err)
	}

	const msg = "You are no longer staff of this talk."
	sofia.Until("the console to end", `document.querySelector(`+js(tid("not-staff"))+`)?.textContent.includes(`+js(msg)+`)`)
	if !eval[bool](sofia, `!!document.querySelector(`+js(tid("not-staff"))+`).closest('[role="status"], [role="alert"], [aria-live]')`) {
		sofia.fail("the message is not in a live region")
	}
	sofia.Until("the pending question to go", `!document.querySelector(`+js(pending)+`) && !document.body.textContent.includes(`+js(body)+`)`)
	if !eval[bool](sofia, `window.e2eSamePage === true`) {
		sofia.fail("the page was reloaded")
	}
	noCSPViolations(sofia)
}
