package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// questionID waits for the viewer's own question with this body and returns its id.
func questionID(tab *Tab, body string) int64 {
	tab.t.Helper()
	find := `[...document.querySelectorAll('[data-testid="question"]')].find(q => q.querySelector('.body')?.textContent === ` + js(body) + `)`
	tab.Until("my question in the list", find)
	return eval[int64](tab, `Number(`+find+`.dataset.questionId)`)
}

// dbQuestion reads a question's state from the database.
func dbQuestion(t *testing.T, app *App, id int64) (status string, pinned bool, votes int) {
	t.Helper()
	err := app.Env.DB.QueryRowx(`SELECT status, pinned, (SELECT count(*) FROM question_votes v WHERE v.question_id = q.id)
		FROM questions q WHERE id = $1`, id).Scan(&status, &pinned, &votes)
	if err != nil {
		t.Fatalf("question %d: %v", id, err)
	}
	return status, pinned, votes
}

// TestLiveQuestionJourney: a participant signs up in the browser, registers,
// opens the live room and asks (pre-moderated); a moderator approves it and
// it appears for the participant and for a second browser, which upvotes
// it; the speaker starts the session, pins and answers the question, and the
// participant sees all three. No one
// reloads a page.
func TestLiveQuestionJourney(t *testing.T) {
	app := startApp(t)
	mod, speaker, talk := app.spokenTalk("Interoperable health apps with FHIR", "pre")
	viewer := app.Env.NewUser("participant")

	b1 := newBrowser(t, app)
	b2 := newBrowser(t, app) // the second browser: its own process and profile

	// 1. A participant signs up, registers and asks.
	pia := b1.Tab("participant", nil)
	pia.Open(talk.Path(""), tid("login-to-register"))
	pia.Open("/signup?next=" + talk.Path(""))
	email := fmt.Sprintf("pia-%d@example.test", time.Now().UnixNano())
	pia.Type(tid("signup-name"), "Pia Participant")
	pia.Type(tid("signup-email"), email)
	pia.Type(tid("signup-password"), "a long enough password")
	pia.Click(tid("signup-submit"))
	pia.Click(tid("register"))
	pia.Until("registration confirmed", `document.querySelector('[data-testid="registration-status"]')?.textContent.includes('You are registered')`)
	var regStatus string
	if err := app.Env.DB.QueryRowx(`SELECT r.status FROM registrations r JOIN users u ON u.id = r.user_id
		WHERE r.talk_id = $1 AND lower(u.email) = lower($2)`, talk.ID, email).Scan(&regStatus); err != nil || regStatus != "confirmed" {
		t.Fatalf("registration in the database: %q, %v", regStatus, err)
	}
	pia.Visible(tid("join-link"))
	pia.Click(tid("live-link"))
	pia.Until("the live room", `location.pathname === `+js(talk.Path("/live")))

	// The second browser is already in the room before the question exists.
	bob := b2.Tab("second browser", &viewer)
	bob.Open(talk.Path("/live"), tid("ask-body"))

	body := "How do you keep FHIR profiles in sync across countries?"
	pia.Type(tid("ask-body"), body)
	pia.Click(tid("ask-submit"))
	qid := questionID(pia, body)
	pia.Visible(qsel(qid, "") + `[data-status="pending"]`)
	if st, _, _ := dbQuestion(t, app, qid); st != "pending" {
		t.Fatalf("question %d is %q in the database, want pending (pre-moderation)", qid, st)
	}
	if n := eval[int](bob, `document.querySelectorAll('[data-question-id="`+fmt.Sprint(qid)+`"]').length`); n != 0 {
		bob.fail("a pending question is shown to another participant")
	}

	// 3. A moderator approves it in the console's pending queue.
	moritz := b1.Tab("moderator", &mod)
	moritz.Open(talk.Path("/console"))
	pending := fmt.Sprintf(`%s[data-question-id="%d"]`, tid("pending-question"), qid)
	moritz.Click(pending + " " + tid("approve"))
	moritz.Until("the queue to empty", `!document.querySelector(`+js(pending)+`)`)
	if st, _, _ := dbQuestion(t, app, qid); st != "approved" {
		t.Fatalf("question %d is %q after approval, want approved", qid, st)
	}
	pia.Visible(qsel(qid, "") + `[data-status="approved"]`)

	// 2. The second browser sees it appear without reloading, and upvotes it.
	bob.Visible(qsel(qid, ""))
	if got := eval[string](bob, `document.querySelector(`+js(qsel(qid, ".body"))+`).textContent`); got != body {
		bob.fail("question text %q, want %q", got, body)
	}
	bob.Click(qsel(qid, tid("vote")))
	bob.Until("the vote to count", `document.querySelector(`+js(qsel(qid, tid("vote")))+`).getAttribute('aria-pressed') === 'true' && document.querySelector(`+js(qsel(qid, tid("votes")))+`).textContent === '1'`)
	pia.Until("the upvote to reach the asker", `document.querySelector(`+js(qsel(qid, tid("votes")))+`)?.textContent === '1'`)
	if _, _, votes := dbQuestion(t, app, qid); votes != 1 {
		t.Fatalf("votes in the database: %d, want 1", votes)
	}

	// 4. The speaker pins it and answers it; the participant sees both.
	sofia := b2.Tab("speaker", &speaker)
	sofia.Open(talk.Path("/console"))
	sofia.Click(tid("start-session"))
	sofia.Visible(tid("end-session"))
	pia.Until("the talk to go live for the participant", `document.querySelector('.room-head')?.textContent.includes('Live now')`)
	var talkStatus string
	if err := app.Env.DB.Get(&talkStatus, `SELECT status FROM talks WHERE id = $1`, talk.ID); err != nil || talkStatus != "live" {
		t.Fatalf("talk status in the database: %q, %v", talkStatus, err)
	}
	sofia.Click(qsel(qid, tid("pin")))
	sofia.Until("the pin to hold", `document.querySelector(`+js(tid("pinned-question")+" "+qsel(qid, ""))+`)`)
	pia.Until("the pinned question on top", `document.querySelector(`+js(tid("pinned-question"))+`)?.textContent.includes(`+js(body)+`)`)
	answer := "We publish them from one repository and validate every build."
	sofia.Click(tid("pinned-question") + " " + qsel(qid, tid("answer-toggle")))
	sofia.Type(tid("pinned-question")+" "+qsel(qid, tid("answer-body")), answer)
	sofia.Click(tid("pinned-question") + " " + qsel(qid, tid("answer-submit")))
	pia.Until("the answer under the pinned question", `[...document.querySelectorAll(`+js(tid("pinned-question")+" "+qsel(qid, tid("answer")))+`)].some(a => a.textContent.includes(`+js(answer)+`))`)
	bob.Until("the answer for the second browser too", `document.querySelector(`+js(qsel(qid, tid("answer")))+`)?.textContent.includes(`+js(answer)+`)`)
	if _, pinned, _ := dbQuestion(t, app, qid); !pinned {
		t.Fatal("the question is not pinned in the database")
	}
	var answers int
	if err := app.Env.DB.Get(&answers, `SELECT count(*) FROM answers WHERE question_id = $1 AND body = $2`, qid, answer); err != nil || answers != 1 {
		t.Fatalf("answers in the database: %d, %v", answers, err)
	}

	for _, tab := range []*Tab{pia, bob, moritz, sofia} {
		noCSPViolations(tab)
	}
}

// noCSPViolations fails when the page broke its Content-Security-Policy.
func noCSPViolations(tab *Tab) {
	tab.t.Helper()
	for _, line := range tab.Console() {
		if strings.Contains(line, "Content Security Policy") {
			tab.t.Errorf("%s: CSP violation: %s", tab.name, line)
		}
	}
}

// TestQuestionIsText: a question whose body is markup is shown as that text,
// to the asker, to other participants and to staff, and runs nothing.
func TestQuestionIsText(t *testing.T) {
	app := startApp(t)
	mod, talk := app.talkBy("Security of health apps", "post")
	asker, other := app.twoParticipants()

	b := newBrowser(t, app)
	eve := b.Tab("asker", &asker)
	ann := b.Tab("other participant", &other)
	moritz := b.Tab("moderator", &mod)
	ann.Open(talk.Path("/live"), tid("ask-body"))
	moritz.Open(talk.Path("/console"), tid("start-session"))

	const evil = `<img src=x onerror=alert(1)>`
	eve.Open(talk.Path("/live"))
	eve.Type(tid("ask-body"), evil)
	eve.Click(tid("ask-submit"))
	qid := questionID(eve, evil)
	var stored string
	if err := app.Env.DB.Get(&stored, `SELECT body FROM questions WHERE id = $1`, qid); err != nil || stored != evil {
		t.Fatalf("stored body %q (%v), want it as typed", stored, err)
	}
	ann.Visible(qsel(qid, ""))
	moritz.Visible(qsel(qid, ""))
	// Reloading renders it from the HTTP snapshot rather than the live event.
	ann.Open(talk.Path("/live"), qsel(qid, ""))

	for _, tab := range []*Tab{eve, ann, moritz} {
		if got := eval[string](tab, `document.querySelector(`+js(qsel(qid, ".body"))+`).textContent`); got != evil {
			tab.fail("question text %q, want the literal %q", got, evil)
		}
		if n := eval[int](tab, `document.querySelectorAll('main img').length`); n != 0 {
			tab.fail("%d <img> elements in the page", n)
		}
		if n := eval[int](tab, `document.querySelectorAll('[onerror]').length`); n != 0 {
			tab.fail("%d elements with an onerror attribute", n)
		}
		if d := tab.Dialogs(); len(d) > 0 {
			tab.fail("the page opened dialogs: %q", d)
		}
		noCSPViolations(tab)
	}
}

// TestLiveRoomSurvivesRestart: the server goes away (closing sockets with
// 1012, as in a deploy); the room shows the offline banner, reconnects to the
// new server by itself, catches up on a question asked while it was down
// (replayed with `since`), and keeps receiving live events.
func TestLiveRoomSurvivesRestart(t *testing.T) {
	app := startApp(t)
	_, talk := app.talkBy("Restart-proof live rooms", "post")
	asker, viewer := app.twoParticipants()

	b := newBrowser(t, app)
	ann := b.Tab("viewer", &viewer)
	ann.Open(talk.Path("/live"), tid("ask-body"))
	ann.Until("online", `document.querySelector('[data-testid="viewers"] .num')?.textContent !== '–'`)
	if eval[bool](ann, `!!document.querySelector(`+js(tid("offline-banner"))+`)`) {
		ann.fail("offline banner while connected")
	}
	first := testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk.ID), asker.Token,
		map[string]any{"body": "Before the restart", "anonymous": false}), 201)
	var q1 struct{ ID int64 }
	first.JSON(t, &q1)
	ann.Visible(qsel(q1.ID, ""))

	eval[bool](ann, `window.e2eSamePage = true`)
	app.Stop()
	ann.Visible(tid("offline-banner"))

	// While no server listens, another instance stores a question.
	during := testserver.Must(t, app.Offline().Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk.ID), asker.Token,
		map[string]any{"body": "Asked during the restart", "anonymous": false}), 201)
	var q2 struct{ ID int64 }
	during.JSON(t, &q2)

	app.Start()
	ann.Visible(qsel(q2.ID, ""))
	ann.Until("the banner to go", `!document.querySelector(`+js(tid("offline-banner"))+`)`)

	after := testserver.Must(t, app.API().Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk.ID), asker.Token,
		map[string]any{"body": "Asked after the restart", "anonymous": false}), 201)
	var q3 struct{ ID int64 }
	after.JSON(t, &q3)
	ann.Visible(qsel(q3.ID, ""))
	// Nothing twice: each question once.
	if n := eval[int](ann, `document.querySelectorAll('[data-testid="question"]').length`); n != 3 {
		ann.fail("%d questions shown, want 3", n)
	}
	if !eval[bool](ann, `window.e2eSamePage === true`) {
		ann.fail("the page was reloaded")
	}
}
