package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPollJourney: the speaker creates a poll from a template in the
// console and opens it; two participants vote in the live room (each waits
// for the server's confirmation); the projector's chart shows both votes
// without a reload, and a reaction floats up on it. Axe checks the live
// room with the poll and the console with its polls.
func TestPollJourney(t *testing.T) {
	app := startApp(t)
	_, speaker, talk := app.spokenTalk("mHealth assessment frameworks", "post")
	ana, ben := app.twoParticipants()
	axe := loadAxe(t)
	b := newBrowser(t, app)

	console := b.Tab("speaker", &speaker)
	console.Open(talk.Path("/console"))
	console.Click(tid("poll-template")) // "Where are you joining from?"
	console.Until("the template filled in", `document.querySelector('[data-testid="poll-question"]').value === 'Where are you joining from?'`)
	console.Click(tid("poll-create"))
	console.Until("the draft in the list", `document.querySelector('[data-testid="console-poll"]')?.dataset.status === 'draft'`)
	console.Click(tid("poll-open"))
	console.Until("the poll open", `document.querySelector('[data-testid="console-poll"]')?.dataset.status === 'open'`)
	var pollID int64
	if err := app.Env.DB.Get(&pollID, `SELECT id FROM polls WHERE talk_id = $1 AND status = 'open'`, talk.ID); err != nil {
		t.Fatalf("open poll: %v", err)
	}
	axeCheck(console, "console with a poll", axe)

	projector := b.Tab("projector", nil)
	projector.Open(talk.Path("/present"), tid("present-poll"))
	// A floater lives 3.2 s: the projector notes every one it shows, so a
	// slow machine cannot make the test look after it has gone.
	eval[bool](projector, `window.seenFloaters = [];
		new MutationObserver(() => document.querySelectorAll('[data-testid="reaction-floater"]')
			.forEach(f => window.seenFloaters.push(f.textContent))).observe(document.body, {childList: true, subtree: true});
		true`)

	// Each participant votes for a different option; the form is replaced by
	// "You answered" once the server has the ballot.
	for i, u := range []struct {
		name   string
		option int
	}{{"ana", 1}, {"ben", 2}} {
		user := ana
		if i == 1 {
			user = ben
		}
		tab := b.Tab(u.name, &user)
		tab.Open(talk.Path("/live"), tid("live-poll"))
		tab.Click(`[data-testid="live-poll"] label:nth-of-type(` + string(rune('0'+u.option)) + `) [data-testid="poll-option"]`)
		tab.Click(tid("poll-submit"))
		tab.Visible(tid("poll-voted"))
		if i == 0 {
			axeCheck(tab, "live room with a poll", axe)
			tab.Click(`[data-testid="react-button"][aria-label="React with idea"]`)
		}
	}
	var ballots int
	if err := app.Env.DB.Get(&ballots, `SELECT count(*) FROM poll_ballots WHERE poll_id = $1`, pollID); err != nil || ballots != 2 {
		t.Fatalf("ballots in the database: %d (%v), want 2", ballots, err)
	}

	// The projector's bars: Europe 1, Africa 1, the rest 0 — live.
	projector.Until("both votes on the projector's chart",
		`[...document.querySelectorAll('[data-testid="present-poll"] [data-testid="poll-bar"]')].map(b => b.dataset.count).join(',') === '1,1,0,0,0'`)
	projector.Until("the reaction floating up", `window.seenFloaters.includes('💡')`)
	console.Until("the console's results live", `document.querySelector('[data-testid="console-poll"] [data-testid="poll-chart"]')?.dataset.ballots === '2'`)

	// On a 360 px phone: the live room with its poll and the projector fit.
	for _, tab := range []*Tab{console, projector} {
		tab.do("viewport", chromedp.EmulateViewport(360, 800))
	}
	phone := b.Tab("phone", &ana)
	phone.do("viewport", chromedp.EmulateViewport(360, 800))
	phone.Open(talk.Path("/live"), tid("poll-chart"))
	axeCheck(phone, "live room with a poll at 360 px", axe)
	for _, tab := range []*Tab{phone, console, projector} {
		if over := eval[int](tab, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
			tab.fail("%s at 360 px scrolls sideways by %d px", tab.name, over)
		}
		noCSPViolations(tab)
	}
}
