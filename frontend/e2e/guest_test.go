package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// TestGuestFromTheQRCode: the scan-the-QR path. A fresh browser opens the
// projector's short link, joins with a name, asks and votes in at most
// three interactions after the page loads, and the question and its vote
// reach a moderator's open live room. The guest then sees that registering
// needs an account, and creates one keeping what it wrote.
func TestGuestFromTheQRCode(t *testing.T) {
	app := startApp(t)
	mod, talk := app.talkBy("Apps on prescription", "post")

	staffBrowser := newBrowser(t, app)
	moritz := staffBrowser.Tab("moderator", &mod)
	moritz.Open(talk.Path("/live"), tid("ask-body"))

	guest := newBrowser(t, app).Tab("guest", nil) // a fresh profile: no session, no cookie
	guest.Open(fmt.Sprintf("/t/%d", talk.ID))
	guest.Until("the short link to lead to the live room", `location.pathname === `+js(talk.Path("/live")))
	guest.Visible(tid("guest-name"))

	interactions := 0
	guest.Type(tid("guest-name"), "Ada from row 12"+kb.Enter) // type the name, Enter
	interactions++
	body := "Who pays for an app on prescription?"
	guest.Type(tid("ask-body"), body+kb.Enter) // type the question, Enter
	interactions++
	qid := questionID(guest, body)
	guest.Click(qsel(qid, tid("vote"))) // upvote it
	interactions++
	if interactions > 3 {
		t.Fatalf("%d interactions from the short link to a vote, want at most 3", interactions)
	}
	guest.Until("the vote to count", `document.querySelector(`+js(qsel(qid, tid("votes")))+`)?.textContent === '1'`)

	var role string
	if err := app.Env.DB.Get(&role, `SELECT u.role FROM questions q JOIN users u ON u.id = q.author_id WHERE q.id = $1`, qid); err != nil || role != "guest" {
		t.Fatalf("the question's author is %q (%v), want a guest", role, err)
	}
	moritz.Until("the guest's question and vote in the moderator's room",
		`document.querySelector(`+js(qsel(qid, tid("votes")))+`)?.textContent === '1' && document.querySelector(`+js(qsel(qid, ".body"))+`)?.textContent === `+js(body))
	// The guest's own count is optimistic; the moderator's comes from the
	// server's event, sent after the vote committed, so only now is the
	// database sure to hold it.
	if _, _, votes := dbQuestion(t, app, qid); votes != 1 {
		t.Fatalf("votes in the database: %d, want 1", votes)
	}

	// Registering needs an account: the talk page says so instead of a broken button.
	guest.Open(talk.Path(""), tid("guest-register"))
	if n := eval[int](guest, `document.querySelectorAll(`+js(tid("register"))+`).length`); n != 0 {
		guest.fail("a guest is offered the register button")
	}
	guest.Until("the account menu to show a guest", `document.querySelector(`+js(tid("account-link"))+`)?.textContent.includes('(guest)')`)

	// Creating the account keeps the question.
	guest.Open("/account")
	guest.Type(tid("upgrade-email"), "ada-row12@example.test")
	guest.Type(tid("upgrade-password"), "a long enough password")
	guest.Click(tid("upgrade-submit"))
	guest.Visible(tid("upgraded"))
	guest.Until("the account menu to drop the guest tag", `!document.querySelector(`+js(tid("account-link"))+`)?.textContent.includes('(guest)')`)
	if err := app.Env.DB.Get(&role, `SELECT u.role FROM questions q JOIN users u ON u.id = q.author_id WHERE q.id = $1`, qid); err != nil || role != "participant" {
		t.Fatalf("after the upgrade the question's author is %q (%v), want the same user as a participant", role, err)
	}
	noCSPViolations(guest)
}
