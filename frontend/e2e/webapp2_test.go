package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestNewTalkWithItsDefaults: a moderator creates a talk typing only its
// title (format and language are lists of what the server accepts, the
// times have defaults); a missing time is said in words, not "RFC 3339".
func TestNewTalkWithItsDefaults(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mod := app.Env.NewUser("moderator")
	b := newBrowser(t, app)
	moritz := b.Tab("moderator", &mod)

	moritz.Open("/talks/new", tid("talk-title-input"))
	if got := eval[[]string](moritz, `[...document.querySelectorAll('#t-format option, #t-lang option')].map(o => o.value).filter(v => ['online','onsite','hybrid','en','pt-BR'].includes(v))`); len(got) != 5 {
		moritz.fail("format and language options: %v", got)
	}
	axeCheck(moritz, "new talk", axeJS)

	// A missing start, said in words.
	eval[bool](moritz, `(() => { const i = document.querySelector('#t-start'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	moritz.Type(tid("talk-title-input"), "Rare diseases registries")
	moritz.Click(tid("talk-save"))
	moritz.Until("the missing start, in words", `document.querySelector('#t-start-err')?.textContent.includes('the talk starts')`)
	if txt := eval[string](moritz, `document.querySelector('main').innerText`); containsAny(txt, "RFC", "starts_at", "Unprocessable") {
		moritz.fail("the form speaks the API: %q", txt)
	}
	var n int
	if err := app.Env.DB.Get(&n, `SELECT count(*) FROM talks`); err != nil || n != 0 {
		t.Fatalf("%d talks after a refused form (%v)", n, err)
	}

	// The defaults, back: saved as they are.
	moritz.Open("/talks/new")
	moritz.Type(tid("talk-title-input"), "Rare diseases registries")
	moritz.Click(tid("talk-save"))
	moritz.Until("the new talk's editor", `/^\/talks\/\d+-rare-diseases-registries\/edit$/.test(location.pathname) && document.querySelector('h1')?.textContent === 'Edit talk'`)
	var format, lang string
	if err := app.Env.DB.QueryRowx(`SELECT format, language FROM talks WHERE title = 'Rare diseases registries'`).Scan(&format, &lang); err != nil || format != "online" || lang != "en" {
		t.Fatalf("new talk in the database: %q %q %v", format, lang, err)
	}
}

// TestErrorsSpeakHuman: errors show the problem's detail as a sentence,
// never the HTTP status; a missing talk is a not-found page without "Try
// again".
func TestErrorsSpeakHuman(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	b := newBrowser(t, app)
	anon := b.Tab("anonymous", nil)

	anon.Open("/login")
	anon.Type(tid("login-email"), "nobody@example.org")
	anon.Type(tid("login-password"), "not the password")
	anon.Click(tid("login-submit"))
	anon.Until("the login error", `document.querySelector('[role="alert"]')?.textContent.trim() === 'The email or the password is wrong.'`)

	for _, path := range []string{"/talks/99999-gone", "/talks/99999-gone/live"} {
		anon.Open(path, tid("not-found"))
		txt := eval[string](anon, `document.querySelector('main').innerText`)
		if containsAny(txt, "Not Found", "Try again", "not found") {
			anon.fail("%s: %q", path, txt)
		}
	}
	anon.do("phone", chromedp.EmulateViewport(360, 740))
	axeCheck(anon, "missing talk at 360 px", axeJS)
}

// containsAny reports whether s holds any of the words.
func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// TestFlagQueueShowsTheContent: a flag card shows the flagged text, its
// talk (linked), its author, the reporter and the reason; dismissing the
// question keeps the card with its confirmation; the console marks the
// reported question and the moderation log reads in words.
func TestFlagQueueShowsTheContent(t *testing.T) {
	app := startApp(t)
	mod, talk := app.talkBy("Wearables in cardiology", "post")
	asker, reporter := app.twoParticipants()
	body := "Which smartwatch brand pays for this talk?"
	q := askQuestion(t, app, talk, asker, body)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/questions/%d/flags", q), reporter.Token, map[string]any{"reason": "advertising"}), 201)

	b := newBrowser(t, app)
	moritz := b.Tab("moderator", &mod)
	moritz.Open(talk.Path("/console"), qsel(q, tid("reported")))

	moritz.Open("/moderation")
	card := tid("flag")
	moritz.Until("the flagged text, talk, author and reporter", `(() => { const c = document.querySelector(`+js(card)+`); return c &&
		c.querySelector(`+js(tid("flag-body"))+`).textContent === `+js(body)+` &&
		c.querySelector(`+js(tid("flag-talk"))+`).textContent === 'Wearables in cardiology' &&
		c.textContent.includes(`+js(asker.Name)+`) && c.textContent.includes(`+js(reporter.Name)+`) && c.textContent.includes('advertising') })()`)
	moritz.Click(tid("flag-remove"))
	moritz.Until("the confirmation, on the card", `document.querySelector(`+js(tid("flag-msg"))+`)?.textContent === 'Question dismissed and report resolved.'`)
	var status, flagStatus string
	if err := app.Env.DB.QueryRowx(`SELECT q.status, f.status FROM questions q JOIN flags f ON f.target_id = q.id AND f.target_type = 'question' WHERE q.id = $1`, q).Scan(&status, &flagStatus); err != nil || status != "dismissed" || flagStatus != "resolved" {
		t.Fatalf("question %q, flag %q (%v)", status, flagStatus, err)
	}
	moritz.Click(tid("flag-talk"))
	moritz.Until("the talk page", `document.querySelector(`+js(tid("talk-title"))+`)?.textContent === 'Wearables in cardiology'`)

	moritz.Open(talk.Path("/console"))
	moritz.Click("#log-h + button, .logbox button")
	moritz.Until("the log in words", `(() => { const t = document.querySelector('.logbox table')?.innerText ?? ''; return t.includes('Dismissed') && t.includes('Resolved a report') && t.includes('Question `+fmt.Sprint(q)+`') && !t.includes('dismiss_flag') })()`)
}

// TestAnsweredTab: answered questions leave Top and Recent for participants
// and the console's list, and show under Answered; the tabs follow the ARIA
// pattern (arrow keys); marking a question answered in the console moves
// the focus to the next question to take.
func TestAnsweredTab(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mod, speaker, talk := app.spokenTalk("Sleep apnoea at home", "post")
	asker := app.Env.NewUser("participant")
	first := askQuestion(t, app, talk, asker, "How accurate are home sleep tests?")
	second := askQuestion(t, app, talk, asker, "Who reads the recordings?")
	third := askQuestion(t, app, talk, asker, "Is CPAP covered by insurance?")
	testserver.Must(t, app.Env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", first), mod.Token, nil), 200)
	testserver.Must(t, app.Env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", first), speaker.Token, nil), 200)
	testserver.Must(t, app.Env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", second), mod.Token, nil), 200)

	b := newBrowser(t, app)
	sp := b.Tab("speaker", &speaker)
	part := b.Tab("participant", &asker)
	part.Open(talk.Path("/live"), qsel(first, ""))

	sp.Open(talk.Path("/console"))
	top := tid("ranked") + " " + tid("question")
	sp.Until("the most voted question first", `document.querySelector(`+js(top)+`)?.dataset.questionId === '`+fmt.Sprint(first)+`'`)
	sp.Click(qsel(first, tid("mark-answered")))
	sp.Until("the focus on the next question", `document.activeElement?.closest(`+js(tid("question"))+`)?.dataset.questionId === '`+fmt.Sprint(second)+`' && document.activeElement.dataset.testid === 'pin'`)
	sp.Visible(tid("answered") + " summary")
	var status string
	if err := app.Env.DB.Get(&status, `SELECT status FROM questions WHERE id = $1`, first); err != nil || status != "answered" {
		t.Fatalf("question %d is %q (%v)", first, status, err)
	}

	// The participant: gone from Top (live), there under Answered.
	part.Until("the answered question to leave Top", `!document.querySelector(`+js(qsel(first, ""))+`) && document.querySelector(`+js(qsel(third, ""))+`)`)
	part.do("focus the Top tab", chromedp.Focus(chromedp.CSS(tid("sort-top"))))
	part.do("arrow right, twice", chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	part.Until("the Answered tab, selected and focused", `document.activeElement?.dataset.testid === 'sort-answered' && document.activeElement.getAttribute('aria-selected') === 'true' && new URLSearchParams(location.search).get('sort') === 'answered'`)
	part.Until("the answered question alone", `document.querySelector(`+js(qsel(first, ""))+`) && document.querySelectorAll('#qsort-panel `+tid("question")+`').length === 1`)
	if ti := eval[int](part, `document.querySelectorAll('[role="tab"][tabindex="0"]').length`); ti != 2 {
		part.fail("%d tabs in the tab order, want one per tab list", ti)
	}
	part.do("arrow left on the room tabs", chromedp.Focus(chromedp.CSS(tid("tab-questions"))), chromedp.KeyEvent(kb.ArrowLeft))
	part.Until("the discussion tab", `new URLSearchParams(location.search).get('tab') === 'discussion' && document.activeElement?.dataset.testid === 'tab-discussion'`)
	axeCheck(part, "discussion tab", axeJS)
	part.Open(talk.Path("/live?sort=answered"), qsel(first, ""))
	axeCheck(part, "answered tab", axeJS)
}

// TestThreadURLAndStaffVotes: the whole thread card opens the thread, whose
// address can be linked and which Back closes; staff are not told to log
// in to vote; a cancelled talk shows neither registration nor "Add to
// calendar".
func TestThreadURLAndStaffVotes(t *testing.T) {
	app := startApp(t)
	mod, speaker, talk := app.spokenTalk("Antibiotic stewardship", "post")
	asker := app.Env.NewUser("participant")
	q := askQuestion(t, app, talk, asker, "Do rapid tests cut prescriptions?")
	thread := seedThread(t, app, talk.ID, "Local guidelines", 2)

	b := newBrowser(t, app)
	sp := b.Tab("speaker", &speaker)
	sp.Open(talk.Path("/console"), qsel(q, tid("vote-hint")))
	if hint := eval[string](sp, `document.querySelector(`+js(qsel(q, tid("vote-hint")))+`).textContent`); strings.Contains(hint, "log in") {
		sp.fail("staff are told %q", hint)
	}

	part := b.Tab("participant", &asker)
	part.Open(talk.Path("/live?tab=discussion"))
	// A click on the card's text, not on its title, opens the thread.
	part.Click(tid("thread-item") + " p.small")
	part.Until("the thread, in the address", `new URLSearchParams(location.search).get('thread') === '`+fmt.Sprint(thread)+`' && document.querySelector(`+js(tid("thread"))+`)?.textContent.includes('Local guidelines')`)
	part.do("back", chromedp.NavigateBack())
	part.Until("the list again, still in the live room", `location.pathname === `+js(talk.Path("/live"))+` && !new URLSearchParams(location.search).has('thread') && document.querySelector(`+js(tid("thread-item"))+`)`)
	part.Open(talk.Path(fmt.Sprintf("/live?tab=discussion&thread=%d", thread)))
	part.Until("the linked thread with its posts", `document.querySelector(`+js(tid("thread"))+`)?.textContent.includes('Local guidelines') && document.querySelectorAll(`+js(tid("post"))+`).length === 2`)

	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/talks/%d/cancel", talk.ID), mod.Token, nil), 200)
	part.Open(talk.Path(""), tid("talk-over"))
	if eval[bool](part, `!!document.querySelector(`+js(tid("add-to-calendar"))+`) || !!document.querySelector('#reg-h')`) {
		part.fail("a cancelled talk offers registration or the calendar")
	}
}

// TestAppDialogsAndScheduleTabs: reporting a question and cancelling a
// registration ask in the app's own dialog (Escape cancels, no browser
// dialog opens); the schedule's Upcoming/Past tabs work with arrow keys.
func TestAppDialogsAndScheduleTabs(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	_, talk := app.talkBy("Falls prevention in older adults", "post")
	asker, pia := app.twoParticipants()
	q := askQuestion(t, app, talk, asker, "Does vitamin D help?")
	app.register(talk, pia)

	b := newBrowser(t, app)
	part := b.Tab("participant", &pia)
	part.Open(talk.Path("/live"))
	part.Click(qsel(q, tid("flag-question")))
	part.Visible(tid("dialog-input"))
	axeCheck(part, "report dialog", axeJS)
	part.do("Escape", chromedp.KeyEvent(kb.Escape))
	part.Until("the dialog to close", `!document.querySelector(`+js(tid("dialog"))+`).open`)
	part.Click(qsel(q, tid("flag-question")))
	part.Type(tid("dialog-input"), "medical advice")
	part.Click(tid("dialog-confirm"))
	part.Until("the report confirmed", `document.querySelector(`+js(qsel(q, ""))+`).textContent.includes('Reported')`)
	var reason string
	if err := app.Env.DB.Get(&reason, `SELECT reason FROM flags WHERE target_type = 'question' AND target_id = $1`, q); err != nil || reason != "medical advice" {
		t.Fatalf("flag in the database: %q (%v)", reason, err)
	}

	part.Open(talk.Path(""))
	part.Click(tid("cancel-registration"))
	part.Visible(tid("dialog-confirm"))
	part.Click(tid("dialog-confirm"))
	part.Until("the registration cancelled", `document.querySelector('[role="status"]')?.textContent.includes('Your registration is cancelled')`)
	var active int
	if err := app.Env.DB.Get(&active, `SELECT count(*) FROM registrations WHERE talk_id = $1 AND user_id = $2 AND status <> 'cancelled'`, talk.ID, pia.ID); err != nil || active != 0 {
		t.Fatalf("%d active registrations (%v)", active, err)
	}

	part.Open("/")
	part.do("focus Upcoming", chromedp.Focus(chromedp.CSS(tid("tab-upcoming"))))
	part.do("arrow right", chromedp.KeyEvent(kb.ArrowRight))
	part.Until("the Past tab, selected and focused", `document.activeElement?.dataset.testid === 'tab-past' && document.activeElement.getAttribute('aria-selected') === 'true' && location.search.includes('tab=past')`)
	axeCheck(part, "schedule, past tab", axeJS)
	if d := part.Dialogs(); len(d) > 0 {
		part.fail("browser dialogs opened: %q", d)
	}
}

// TestCalendarLinks: beside the .ics download, Google and Outlook event
// links for the talk and a webcal:// subscription to the feed.
func TestCalendarLinks(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	_, talk := app.talkBy("Telehealth & rural care", "post")
	var start string
	if err := app.Env.DB.Get(&start, `SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') FROM talks WHERE id = $1`, talk.ID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, app)
	anon := b.Tab("anonymous", nil)
	anon.Open(talk.Path(""))
	anon.Click(tid("calendar-links") + " summary")
	anon.Visible(tid("cal-google"))
	got := eval[map[string]string](anon, `Object.fromEntries(['add-to-calendar', 'cal-google', 'cal-outlook', 'cal-subscribe'].map(id => [id, document.querySelector('[data-testid="' + id + '"]').href]))`)
	host := strings.TrimPrefix(app.URL, "http://")
	if !strings.HasSuffix(got["add-to-calendar"], fmt.Sprintf("/api/v1/talks/%d.ics", talk.ID)) ||
		!strings.HasPrefix(got["cal-google"], "https://calendar.google.com/calendar/render?") || !strings.Contains(got["cal-google"], "dates="+start+"%2F") ||
		!strings.Contains(got["cal-google"], "text=Telehealth+%26+rural+care") ||
		!strings.HasPrefix(got["cal-outlook"], "https://outlook.live.com/calendar/0/deeplink/compose?") ||
		got["cal-subscribe"] != "webcal://"+host+"/api/v1/talks.ics" {
		anon.fail("calendar links: %v", got)
	}
	axeCheck(anon, "talk page, calendar links open", axeJS)
}

// TestEditAndWithdrawOwnQuestion: the asker edits their question (another
// participant sees the new text live) and withdraws it (it leaves both
// rooms); others get no such buttons.
func TestEditAndWithdrawOwnQuestion(t *testing.T) {
	app := startApp(t)
	_, talk := app.talkBy("Long COVID clinics", "post")
	asker, other := app.twoParticipants()
	q := askQuestion(t, app, talk, asker, "How long is the waiting list?")

	b := newBrowser(t, app)
	me := b.Tab("asker", &asker)
	them := b.Tab("other", &other)
	them.Open(talk.Path("/live"), qsel(q, ""))
	if eval[bool](them, `!!document.querySelector(`+js(qsel(q, tid("edit-question")))+`)`) {
		them.fail("someone else's question offers Edit")
	}
	me.Open(talk.Path("/live"))
	me.Click(qsel(q, tid("edit-question")))
	me.do("clear", clearField(qsel(q, tid("edit-body"))))
	me.Type(qsel(q, tid("edit-body")), "How long is the waiting list for adults?")
	me.Click(qsel(q, tid("edit-save")))
	them.Until("the new text, live", `document.querySelector(`+js(qsel(q, ".body"))+`)?.textContent === 'How long is the waiting list for adults?'`)
	var body string
	if err := app.Env.DB.Get(&body, `SELECT body FROM questions WHERE id = $1`, q); err != nil || body != "How long is the waiting list for adults?" {
		t.Fatalf("body %q (%v)", body, err)
	}
	me.Click(qsel(q, tid("withdraw-question")))
	me.Click(tid("dialog-confirm"))
	me.Until("the question gone", `!document.querySelector(`+js(qsel(q, ""))+`)`)
	them.Until("the question gone for others", `!document.querySelector(`+js(qsel(q, ""))+`)`)
	var status string
	if err := app.Env.DB.Get(&status, `SELECT status FROM questions WHERE id = $1`, q); err != nil || status != "dismissed" {
		t.Fatalf("status %q (%v)", status, err)
	}
}

// TestPendingCountsAndBulkApprove: the moderation page counts the questions
// awaiting moderation per talk; the console approves them all at once.
func TestPendingCountsAndBulkApprove(t *testing.T) {
	app := startApp(t)
	mod, talk := app.talkBy("Screening for colorectal cancer", "pre")
	asker := app.Env.NewUser("participant")
	app.createTalk(mod, "A talk with nothing pending", "pre")
	for _, body := range []string{"From what age?", "Is a stool test enough?", "How often?"} {
		askQuestion(t, app, talk, asker, body)
	}
	b := newBrowser(t, app)
	moritz := b.Tab("moderator", &mod)
	moritz.Open("/moderation")
	moritz.Until("the pending count", `[...document.querySelectorAll(`+js(tid("pending-count"))+`)].map(a => a.textContent).join('|') === '3 awaiting moderation'`)
	moritz.Click(tid("pending-count"))
	moritz.Until("the console's queue", `document.querySelectorAll(`+js(tid("pending-question"))+`).length === 3`)
	moritz.Click(tid("approve-all"))
	moritz.Until("all approved", `document.querySelectorAll(`+js(tid("pending-question"))+`).length === 0 && document.querySelector('.pending [role="status"]')?.textContent === '3 questions approved.'`)
	var left int
	if err := app.Env.DB.Get(&left, `SELECT count(*) FROM questions WHERE talk_id = $1 AND status <> 'approved'`, talk.ID); err != nil || left != 0 {
		t.Fatalf("%d questions not approved (%v)", left, err)
	}
}

// TestAdminChangesRoles: an admin finds a person and makes them a
// moderator in the app; the change is stored; the page has no serious
// accessibility problem at 1280 and 360 px.
func TestAdminChangesRoles(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	admin := app.Env.NewUser("admin")
	pia := app.Env.NewUser("participant")
	app.Env.NewUser("participant")
	b := newBrowser(t, app)
	ada := b.Tab("admin", &admin)
	ada.Open("/")
	ada.Click(`nav a[href="/admin/users"]`)
	ada.Visible(tid("user-search"))
	ada.Type(tid("user-search"), pia.Email+"\n")
	row := fmt.Sprintf(`[data-testid="user-row"][data-user-id="%d"]`, pia.ID)
	ada.Until("the one person found", `document.querySelectorAll(`+js(tid("user-row"))+`).length === 1 && document.querySelector(`+js(row)+`)`)
	axeCheck(ada, "users at 1280 px", axeJS)
	ada.do("phone", chromedp.EmulateViewport(360, 740))
	axeCheck(ada, "users at 360 px", axeJS)
	if over := eval[int](ada, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		ada.fail("users page scrolls sideways by %d px", over)
	}
	eval[bool](ada, `(() => { const s = document.querySelector(`+js(row+" "+tid("user-role"))+`); s.value = 'moderator'; return s.dispatchEvent(new Event('change', {bubbles: true})) })()`)
	ada.Click(tid("dialog-confirm"))
	ada.Until("the change confirmed", `document.querySelector(`+js(row+" "+tid("user-msg"))+`)?.textContent === 'Now moderator.'`)
	var role string
	if err := app.Env.DB.Get(&role, `SELECT role FROM users WHERE id = $1`, pia.ID); err != nil || role != "moderator" {
		t.Fatalf("role %q (%v)", role, err)
	}
}

// TestStreamLinkAndAnonymousHelp: a registered participant finds the stream
// link in the live room's header (someone not registered does not get it);
// "Ask anonymously" says the moderators still see the name.
func TestStreamLinkAndAnonymousHelp(t *testing.T) {
	app := startApp(t)
	_, talk := app.talkBy("Digital therapeutics", "post")
	pia, other := app.twoParticipants()
	app.register(talk, pia)
	b := newBrowser(t, app)
	part := b.Tab("registered", &pia)
	part.Open(talk.Path("/live"))
	part.Until("the stream link in the header", `document.querySelector('.room-head `+tid("live-stream-link")+`')?.href === 'https://stream.example.org/hub-talk'`)
	part.Until("the anonymity help", `document.querySelector(`+js(tid("anon-help"))+`)?.textContent.includes('moderators still can') && document.querySelector(`+js(tid("ask-anonymous"))+`).getAttribute('aria-describedby') === 'anon-help'`)
	notReg := b.Tab("not registered", &other)
	notReg.Open(talk.Path("/live"), tid("ask-body"))
	if eval[bool](notReg, `!!document.querySelector(`+js(tid("live-stream-link"))+`)`) {
		notReg.fail("the stream link shows to someone not registered")
	}
}

// TestSharing: the server renders a talk's OpenGraph and Twitter tags into
// the HTML of its page (what a link preview reads, without JavaScript),
// escaped; a real favicon; the share menu; and on a phone (360×740) a
// register bar at the bottom, inside the viewport.
func TestSharing(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mod := app.Env.NewUser("moderator")
	speaker := app.Env.NewUser("participant")
	title := `Data "spaces" & <EU> rules`
	talk := app.createTalk(mod, title, "post", speaker.ID)

	get := func(path string) (string, string) {
		resp, err := http.Get(app.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b), resp.Header.Get("Content-Type")
	}
	page, _ := get(talk.Path(""))
	esc := `Data &#34;spaces&#34; &amp; &lt;EU&gt; rules`
	for _, want := range []string{
		`<meta property="og:title" content="` + esc + `" />`,
		`<meta name="twitter:title" content="` + esc + `" />`,
		`<title>` + esc + ` · Hub Talks</title>`,
		`<meta property="og:url" content="` + app.URL + talk.Path("") + `" />`,
		`<meta property="og:image" content="` + app.URL + `/og-image.png" />`,
		`<meta name="twitter:card" content="summary_large_image" />`,
		`with ` + speaker.Name,
		`<link rel="icon" href="/favicon.svg"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the talk's HTML lacks %s", want)
		}
	}
	if strings.Contains(page, title) || strings.Count(page, `name="description"`) != 1 {
		t.Errorf("the talk's HTML holds the raw title or not one description:\n%s", page)
	}
	if other, _ := get("/"); strings.Contains(other, "og:title") {
		t.Errorf("the schedule carries a talk's tags")
	}
	if _, ct := get("/favicon.svg"); !strings.Contains(ct, "svg") {
		t.Errorf("favicon.svg is %q", ct)
	}
	if _, ct := get("/og-image.png"); ct != "image/png" {
		t.Errorf("og-image.png is %q", ct)
	}

	b := newBrowser(t, app)
	anon := b.Tab("anonymous", nil)
	anon.do("phone", chromedp.EmulateViewport(360, 740))
	anon.Open(talk.Path(""), tid("sticky-register"))
	if !eval[bool](anon, `(() => { const r = document.querySelector(`+js(tid("sticky-register"))+`).getBoundingClientRect(); const b = document.querySelector(`+js(tid("sticky-register"))+` + ' .btn').getBoundingClientRect();
		return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth && b.bottom <= innerHeight && b.right <= innerWidth && b.height > 30 })()`) {
		anon.fail("the register bar is not inside the viewport")
	}
	anon.Click(tid("share") + " summary")
	anon.Until("the share links", `document.querySelector(`+js(tid("share-url"))+`).value === location.origin + `+js(talk.Path(""))+` &&
		document.querySelector(`+js(tid("share-linkedin"))+`).href.includes(encodeURIComponent(location.origin + `+js(talk.Path(""))+`)) &&
		document.querySelector(`+js(tid("share-email"))+`).href.startsWith('mailto:')`)
	axeCheck(anon, "talk page at 360 px, share open", axeJS)
	if over := eval[int](anon, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		anon.fail("the talk page scrolls sideways by %d px", over)
	}
	anon.do("desktop", chromedp.EmulateViewport(1280, 800))
	anon.Until("no bar on a desktop", `getComputedStyle(document.querySelector(`+js(tid("sticky-register"))+`)).display === 'none'`)
	axeCheck(anon, "talk page at 1280 px", axeJS)
}

// TestEditOwnPost: the author of a post edits it in the thread; another
// reader sees the new text live; nobody else gets Edit.
func TestEditOwnPost(t *testing.T) {
	app := startApp(t)
	_, talk := app.talkBy("Hospital at home", "post")
	author, reader := app.twoParticipants()
	var th struct{ ID int64 }
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/talks/%d/threads", talk.ID), reader.Token, map[string]any{"title": "Staffing", "body": "Who staffs the night shift?"}), 201).JSON(t, &th)
	var p struct{ ID int64 }
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), author.Token, map[string]any{"body": "Nurses on call, mostly"}), 201).JSON(t, &p)
	path := talk.Path(fmt.Sprintf("/live?tab=discussion&thread=%d", th.ID))
	post := fmt.Sprintf(`[data-testid="post"][data-post-id="%d"]`, p.ID)

	b := newBrowser(t, app)
	them := b.Tab("reader", &reader)
	them.Open(path, post)
	if eval[bool](them, `!!document.querySelector(`+js(post+" "+tid("edit-post"))+`)`) {
		them.fail("someone else's post offers Edit")
	}
	me := b.Tab("author", &author)
	me.Open(path)
	me.Click(post + " " + tid("edit-post"))
	me.do("clear", clearField(post+" "+tid("edit-post-body")))
	me.Type(post+" "+tid("edit-post-body"), "Nurses on call, with a doctor by phone")
	me.Click(post + " " + tid("edit-post-save"))
	them.Until("the edit, live", `document.querySelector(`+js(post)+`)?.textContent.includes('with a doctor by phone')`)
	var body string
	if err := app.Env.DB.Get(&body, `SELECT body FROM posts WHERE id = $1`, p.ID); err != nil || body != "Nurses on call, with a doctor by phone" {
		t.Fatalf("post %q (%v)", body, err)
	}
}
