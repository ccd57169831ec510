package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// longQuestion is a question of n characters (280: as long as a tweet; 500:
// the longest the API takes).
func longQuestion(topic string, n int) string {
	s := "About " + topic + ": how do you keep clinicians, patients and the hospital's IT in the loop when the app changes every month, " +
		"the evidence is from a different population, and the reimbursement rules differ per region, and what would you do differently next time?"
	for len(s) < n {
		s += " And how would you measure whether it worked?"
	}
	return s[:n]
}

// fitCheck runs in the projector page and returns what does not fit: the
// page scrolls; the pinned question, the first three top questions, the QR
// code or the join URL is not entirely inside the viewport, or is cut by an
// ancestor that clips (overflow other than visible); a text is cut other
// than after whole lines by line-clamp; a question is half shown. It also
// lists the question ids whose text is clamped and how many questions show.
const fitCheck = `(() => {
	const problems = [];
	const clamped = [];
	const vw = innerWidth, vh = innerHeight;
	const inside = (r, c) => r.top >= c.top - 1 && r.left >= c.left - 1 && r.bottom <= c.bottom + 1 && r.right <= c.right + 1;
	const what = el => el.dataset.testid + (el.dataset.questionId ? '#' + el.dataset.questionId : '');
	function whole(el) {
		const r = el.getBoundingClientRect();
		if (r.width < 1 || r.height < 1) problems.push(what(el) + ' has no size');
		if (!inside(r, {top: 0, left: 0, bottom: vh, right: vw})) problems.push(what(el) + ' is outside the viewport: ' + JSON.stringify(r));
		for (let a = el.parentElement; a; a = a.parentElement) {
			const s = getComputedStyle(a);
			if ((s.overflowX !== 'visible' || s.overflowY !== 'visible') && !inside(r, a.getBoundingClientRect()))
				problems.push(what(el) + ' is cut by ' + a.tagName.toLowerCase() + '.' + a.className);
		}
	}
	// Text that does not fit its box must be clamped after whole lines.
	function lines(el, id) {
		if (el.scrollHeight <= el.clientHeight + 1) return;
		const s = getComputedStyle(el);
		const n = el.clientHeight / parseFloat(s.lineHeight);
		if (s.webkitLineClamp === 'none' || Math.abs(n - Math.round(n)) > 0.1) problems.push(id + ' text is cut mid-line (' + n.toFixed(2) + ' lines)');
		else clamped.push(id);
	}
	if (document.documentElement.scrollHeight > vh || document.documentElement.scrollWidth > vw)
		problems.push('the page scrolls: ' + document.documentElement.scrollWidth + 'x' + document.documentElement.scrollHeight);
	const pinned = document.querySelector('[data-testid="pinned-question"]');
	whole(pinned);
	lines(pinned.querySelector('[data-testid="pinned-body"]'), 'pinned');
	for (const id of ['qr', 'join-url']) whole(document.querySelector('[data-testid="' + id + '"]'));
	const poll = document.querySelector('[data-testid="present-poll"]');
	if (poll) { whole(poll); whole(poll.querySelector('[data-testid="poll-chart"] svg')); }
	const list = document.querySelector('[data-testid="top-questions"]');
	const box = list.getBoundingClientRect();
	const qs = [...list.querySelectorAll('[data-testid="question"]')];
	let shown = 0;
	qs.forEach((q, i) => {
		const r = q.getBoundingClientRect();
		const apart = r.left >= box.right || r.top >= box.bottom;
		if (i < 3 || !apart) {
			whole(q);
			shown++;
		}
		lines(q.querySelector('[data-testid="question-body"]'), 'question#' + q.dataset.questionId);
	});
	return {problems, clamped, shown, font: parseFloat(getComputedStyle(document.querySelector('[data-testid="question-body"]')).fontSize)};
})()`

type fit struct {
	Problems []string `json:"problems"`
	Clamped  []string `json:"clamped"`
	Shown    int      `json:"shown"`
	Font     float64  `json:"font"`
}

// TestProjectorFitsScreen: with a pinned question of 280 characters and
// seven approved ones (the most voted of 500 characters, two of 280), the projector at 1280×720 and
// 1920×1080 shows the pinned question, at least three more, the QR code and
// the join URL whole, without scrolling; long texts end after whole lines
// (clamped, with an ellipsis) and short ones are not clamped; no question is
// half shown. The same with an open poll on stage. Text is at least 20 px at
// 720 p. Axe checks the page with the poll.
func TestProjectorFitsScreen(t *testing.T) {
	app := startApp(t)
	axe := loadAxe(t)
	mod := app.Env.NewUser("moderator")
	speaker := app.Env.NewUser("participant")
	talk := app.createTalk(mod, "Interoperability of mHealth apps with hospital records: what FHIR solved and what it did not", "pre", speaker.ID)
	bodies := []string{
		longQuestion("the pinned one", 280),
		longQuestion("certification", 500),
		longQuestion("evidence", 280),
		"Are the slides online?",
		longQuestion("data protection", 280),
		"Which FHIR version?",
		"Who pays for the integration?",
		"Is there an open test server?",
	}
	ids := make([]int64, len(bodies))
	voters := make([]testserver.User, len(bodies))
	for i := range voters {
		voters[i] = app.Env.NewUser("participant")
	}
	for i, body := range bodies {
		ids[i] = askQuestion(t, app, talk, voters[i], body)
		testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", ids[i]), mod.Token, map[string]any{"status": "approved"}), 200)
		// Fewer votes down the list: the long ones rank first.
		for _, v := range voters[:len(bodies)-i] {
			testserver.Must(t, app.Env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", ids[i]), v.Token, nil), 200)
		}
	}
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", ids[0]), speaker.Token, map[string]any{"pinned": true}), 200)

	b := newBrowser(t, app)
	projector := b.Tab("projector", nil)
	check := func(stage string, w, h int64, poll bool) {
		t.Helper()
		projector.do("viewport", chromedp.EmulateViewport(w, h))
		projector.Open(talk.Path("/present"))
		projector.Visible(tid("pinned-body"))
		projector.Until("seven questions", `document.querySelectorAll('[data-testid="top-questions"] [data-testid="question"]').length === 7`)
		if poll {
			projector.Visible(tid("present-poll") + " " + tid("poll-chart"))
		}
		projector.Until("fonts", `document.fonts.status === 'loaded'`)
		f := eval[fit](projector, fitCheck)
		t.Logf("%s at %dx%d: %d questions shown, question text %.1f px, clamped %v", stage, w, h, f.Shown, f.Font, f.Clamped)
		if len(f.Problems) > 0 {
			projector.fail("%s at %dx%d does not fit:\n  %s", stage, w, h, strings.Join(f.Problems, "\n  "))
		}
		if f.Shown < 3 {
			projector.fail("%s at %dx%d: %d questions besides the pinned one, want at least 3", stage, w, h, f.Shown)
		}
		// The long ones are clamped (so the check can see clamping), the short ones whole.
		for _, want := range []string{"pinned", fmt.Sprintf("question#%d", ids[1])} {
			if !strings.Contains(" "+strings.Join(f.Clamped, " ")+" ", " "+want+" ") {
				projector.fail("%s at %dx%d: %s is not clamped (clamped: %v)", stage, w, h, want, f.Clamped)
			}
		}
		if strings.Contains(" "+strings.Join(f.Clamped, " ")+" ", fmt.Sprintf(" question#%d ", ids[3])) {
			projector.fail("%s at %dx%d: the short question is clamped", stage, w, h)
		}
		// Read from afar: at least 20 px on a 720 p screen, and larger on a bigger one.
		if min := 20 * float64(h) / 720; f.Font < min {
			projector.fail("%s at %dx%d: question text is %.1f px, want at least %.1f", stage, w, h, f.Font, min)
		}
	}
	for _, size := range [][2]int64{{1280, 720}, {1920, 1080}} {
		check("questions", size[0], size[1], false)
	}

	// An open poll of six options, with results for everyone.
	var poll struct{ ID int64 }
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/talks/%d/polls", talk.ID), speaker.Token, map[string]any{
		"question": "Which standard does your hospital's record system speak today, if any, and since when?", "kind": "single",
		"options": []string{"FHIR R4", "FHIR STU3", "HL7 v2", "CDA", "Something else", "I do not know"}, "results": "live"}), 201).JSON(t, &poll)
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/polls/%d", poll.ID), speaker.Token, map[string]any{"status": "open"}), 200)
	for i, v := range voters[:4] {
		testserver.Must(t, app.Env.Put(fmt.Sprintf("/api/v1/polls/%d/ballot", poll.ID), v.Token, map[string]any{"choices": []int{i % 3}}), 200)
	}
	for _, size := range [][2]int64{{1280, 720}, {1920, 1080}} {
		check("questions and a poll", size[0], size[1], true)
	}
	axeCheck(projector, "projector with a poll", axe)
	noCSPViolations(projector)
}

// TestProjectorControls: askers' names show by default; the Names toggle
// hides them, and the choice outlives a reload; ?names=1 and ?names=0 in the
// address set it too. The fullscreen button is reached with Tab and pressed
// with Enter; F toggles full screen as well.
func TestProjectorControls(t *testing.T) {
	app := startApp(t)
	mod := app.Env.NewUser("moderator")
	asker := app.Env.NewUser("participant")
	talk := app.createTalk(mod, "Digital therapeutics in Germany", "pre")
	q := askQuestion(t, app, talk, asker, "How long does a DiGA listing take?")
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", q), mod.Token, map[string]any{"status": "approved"}), 200)

	b := newBrowser(t, app)
	projector := b.Tab("projector", nil)
	projector.do("viewport", chromedp.EmulateViewport(1280, 720))
	projector.Open(talk.Path("/present"))
	nameShown := `document.querySelector(` + js(qsel(q, tid("asker"))) + `)?.textContent === ` + js(asker.Name)
	nameGone := `document.querySelector(` + js(qsel(q, "")) + `) && !document.querySelector(` + js(qsel(q, tid("asker"))) +
		`) && !document.querySelector('main').textContent.includes(` + js(asker.Name) + `)`
	projector.Until("the asker's name by default", nameShown)
	if eval[string](projector, `document.querySelector(`+js(tid("names-toggle"))+`).getAttribute('aria-pressed')`) != "true" {
		projector.fail("the Names toggle is not pressed while names show")
	}
	projector.Click(tid("names-toggle"))
	projector.Until("the name hidden", nameGone)
	projector.Open(talk.Path("/present"))
	projector.Visible(qsel(q, ""))
	projector.Until("the name still hidden after a reload", nameGone+` && document.querySelector(`+js(tid("names-toggle"))+`).getAttribute('aria-pressed') === 'false'`)
	projector.Open(talk.Path("/present?names=1"))
	projector.Until("?names=1 shows the name", nameShown)
	projector.Open(talk.Path("/present?names=0"))
	projector.Visible(qsel(q, ""))
	projector.Until("?names=0 hides it", nameGone)
	// The toggle after ?names=0: shown, and the address no longer overrides it.
	projector.Click(tid("names-toggle"))
	projector.Until("the name back", nameShown+` && !location.search.includes('names')`)

	// Full screen: the button is in the tab order, Enter presses it.
	projector.Visible(tid("fullscreen"))
	reached := false
	for range 10 {
		projector.do("tab", chromedp.KeyEvent(kb.Tab))
		if eval[bool](projector, `document.activeElement?.dataset.testid === 'fullscreen'`) {
			reached = true
			break
		}
	}
	if !reached {
		projector.fail("the fullscreen button is not reached with Tab")
	}
	projector.do("enter", chromedp.KeyEvent(kb.Enter))
	projector.Until("full screen", `document.fullscreenElement === document.documentElement && document.querySelector(`+js(tid("fullscreen"))+`).getAttribute('aria-pressed') === 'true'`)
	projector.do("f", chromedp.KeyEvent("f"))
	projector.Until("out of full screen", `!document.fullscreenElement && document.querySelector(`+js(tid("fullscreen"))+`).getAttribute('aria-pressed') === 'false'`)
	projector.do("f", chromedp.KeyEvent("f"))
	projector.Until("full screen again with F", `document.fullscreenElement === document.documentElement`)

	// The projector in German (?lang=de): its controls, headings, vote counts,
	// the QR code's name and the tab's title; the talk's title as typed.
	projector.Open(talk.Path("/present?lang=de"))
	projector.Until("the projector in German", `document.documentElement.lang === 'de' && document.querySelector(`+js(tid("names-toggle"))+`)?.textContent.trim() === 'Namen'`)
	projector.Visible(qsel(q, tid("votes")))
	got := eval[map[string]string](projector, `({
		full: document.querySelector(`+js(tid("fullscreen"))+`).textContent.trim(),
		fullTitle: document.querySelector(`+js(tid("fullscreen"))+`).title,
		settings: document.querySelector('.controls').getAttribute('aria-label'),
		top: document.querySelector('#top-h').textContent,
		ask: document.querySelector(`+js(tid("pinned-question")+" .label")+`).textContent,
		votes: document.querySelector(`+js(qsel(q, tid("votes")))+`).getAttribute('aria-label'),
		viewers: document.querySelector(`+js(tid("viewers"))+`).textContent,
		qr: document.querySelector(`+js(tid("qr")+" svg")+`).getAttribute('aria-label'),
		title: document.title,
		h1: document.querySelector('header h1').textContent,
	})`)
	want := map[string]string{
		"full": "Vollbild", "fullTitle": "Vollbild (F)", "settings": "Einstellungen der Projektoransicht", "top": "Beliebteste Fragen",
		"ask": "Stellen Sie Ihre Fragen", "title": "Digital therapeutics in Germany · Fragen und Antworten", "h1": "Digital therapeutics in Germany",
	}
	for k, v := range want {
		if got[k] != v {
			projector.fail("in German, %s = %q, want %q", k, got[k], v)
		}
	}
	if !regexp.MustCompile(`^\d+ Stimmen?$`).MatchString(got["votes"]) || !strings.HasPrefix(got["qr"], "QR-Code für ") ||
		(!strings.HasSuffix(got["viewers"], " schauen zu") && !strings.HasSuffix(got["viewers"], " schaut zu")) {
		projector.fail("in German: votes %q, QR code %q, viewers %q", got["votes"], got["qr"], got["viewers"])
	}
	noBrowserDialogs(projector)
	noCSPViolations(projector)
}

// TestPlaylistDeleteDialog: deleting a playlist asks in the app's own dialog
// (no browser confirm): Cancel keeps it, in the page and in the database;
// confirming deletes it from both.
func TestPlaylistDeleteDialog(t *testing.T) {
	app := startApp(t)
	mod := app.Env.NewUser("moderator")
	var pl struct{ ID int64 }
	testserver.Must(t, app.Env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "Hub Talks 2025"}), 201).JSON(t, &pl)
	count := func() int {
		var n int
		if err := app.Env.DB.Get(&n, `SELECT count(*) FROM playlists WHERE id = $1`, pl.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}

	b := newBrowser(t, app)
	moritz := b.Tab("moderator", &mod)
	moritz.Open("/recordings/manage")
	moritz.Click(tid("delete-playlist"))
	moritz.Until("the app's dialog", `document.querySelector(`+js(tid("dialog"))+`).open && document.querySelector('#dialog-title').textContent.includes('Hub Talks 2025')`)
	if !eval[bool](moritz, `document.activeElement?.dataset.testid === 'dialog-confirm'`) {
		moritz.fail("the focus is not in the dialog")
	}
	moritz.Click(tid("dialog-cancel"))
	moritz.Until("the dialog closed, the focus back on the button", `!document.querySelector(`+js(tid("dialog"))+`).open && document.activeElement?.dataset.testid === 'delete-playlist'`)
	if n := count(); n != 1 {
		t.Fatalf("after Cancel, %d playlists in the database, want 1", n)
	}
	moritz.Visible(tid("delete-playlist"))

	// Escape cancels too; then the confirm button deletes.
	moritz.Click(tid("delete-playlist"))
	moritz.Until("the dialog", `document.querySelector(`+js(tid("dialog"))+`).open`)
	moritz.do("escape", chromedp.KeyEvent(kb.Escape))
	moritz.Until("the dialog closed", `!document.querySelector(`+js(tid("dialog"))+`).open`)
	if n := count(); n != 1 {
		t.Fatalf("after Escape, %d playlists in the database, want 1", n)
	}
	moritz.Click(tid("delete-playlist"))
	moritz.Click(tid("dialog-confirm"))
	moritz.Until("the playlist gone from the page", `!document.querySelector(`+js(tid("delete-playlist"))+`) && !document.querySelector('main').textContent.includes('Hub Talks 2025')`)
	if n := count(); n != 0 {
		t.Fatalf("after confirming, %d playlists in the database, want 0", n)
	}
	noBrowserDialogs(moritz)
	noCSPViolations(moritz)
}

// noBrowserDialogs fails when the page opened alert, confirm or prompt.
func noBrowserDialogs(tab *Tab) {
	tab.t.Helper()
	if d := tab.Dialogs(); len(d) > 0 {
		tab.fail("the page opened browser dialogs: %q", d)
	}
}
