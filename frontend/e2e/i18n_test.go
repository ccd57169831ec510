package e2e

import (
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// speaks makes the tab's browser prefer a language, as a browser set to it
// does: navigator.languages and the Accept-Language header.
func speaks(tab *Tab, lang string) {
	tab.t.Helper()
	ua := eval[string](tab, `navigator.userAgent`)
	if _, err := chromedp.Call(tab.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: ua, AcceptLanguage: lang,
	}); err != nil {
		tab.t.Fatalf("%s: browser language %s: %v", tab.name, lang, err)
	}
}

// axeSettled runs axe-core once no animation runs (a question fading in is
// not yet at its final contrast).
func axeSettled(tab *Tab, page, axe string) {
	tab.t.Helper()
	tab.Until("animations done", `document.getAnimations().every(a => a.playState !== 'running')`)
	axeCheck(tab, page, axe)
}

// inLanguage waits until the page shows in the catalog's language: <html
// lang> and the schedule link of the header as the catalog words it.
func inLanguage(tab *Tab, cat *catalog) {
	tab.t.Helper()
	tab.Until("the page in "+cat.code, fmt.Sprintf(`document.documentElement.lang === %s && [...document.querySelectorAll('#site-nav a')].some(a => a.textContent.trim() === %s)`,
		js(cat.code), js(cat.T("nav.schedule"))))
}

// TestI18nLanguages: the browser's language chooses the interface
// (Spanish, German), the language menu overrides it and the choice survives
// a reload (cookie), <html lang> follows, and a talk in another language than
// the interface carries its own lang on its title.
func TestI18nLanguages(t *testing.T) {
	app := startApp(t)
	mod := app.Env.NewUser("moderator")
	en := app.createTalk(mod, "Remote monitoring after heart failure", "post")
	es := app.createTalk(mod, "Salud digital en atención primaria", "post")
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/talks/%d", es.ID), mod.Token, map[string]any{"language": "es"}), 200)

	esCat, deCat, frCat := loadCatalog(t, "es"), loadCatalog(t, "de"), loadCatalog(t, "fr")

	b := newBrowser(t, app)
	ana := b.Tab("Spanish browser", nil)
	speaks(ana, "es-ES,es;q=0.9")
	ana.Open("/")
	inLanguage(ana, esCat)
	ana.Visible(tid("talk-card"))
	// In the Spanish interface the English talk is marked English, the Spanish one is not marked.
	ana.Until("the English title marked", fmt.Sprintf(`document.querySelector('[data-talk-id="%d"] .title a')?.lang === 'en'`, en.ID))
	if got := eval[string](ana, fmt.Sprintf(`document.querySelector('[data-talk-id="%d"] .title a').lang`, es.ID)); got != "" {
		ana.fail("the Spanish talk's title in the Spanish interface has lang %q", got)
	}
	english := eval[string](ana, `new Intl.DisplayNames(['es'], {type: 'language'}).of('en')`)
	textIs(ana, fmt.Sprintf(`[data-talk-id="%d"] [data-testid="talk-language"]`, en.ID), esCat.T("badge.language", "language", english))

	otto := b.Tab("German browser", nil)
	speaks(otto, "de-DE,de;q=0.9,en;q=0.5")
	otto.Open(es.Path("/live"))
	inLanguage(otto, deCat)
	otto.Until("the Spanish title marked in the German room", `document.querySelector('main h1')?.lang === 'es'`)
	textIs(otto, tid("tab-questions"), deCat.T("live.questions"))

	// The menu overrides the browser and is remembered by the cookie.
	otto.Open("/")
	otto.do("choose Français", chromedp.SetValue(chromedp.CSS(tid("language-menu")), "fr"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="language-menu"]').dispatchEvent(new Event('change'))`))
	inLanguage(otto, frCat)
	if c := eval[string](otto, `document.cookie`); c != "hubtalks_locale=fr" {
		otto.fail("cookie after the menu: %q", c)
	}
	otto.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
	inLanguage(otto, frCat)

	// The menu by keyboard: focus it and pick with the arrow keys.
	ana.do("focus the menu", chromedp.Focus(chromedp.CSS(tid("language-menu"))))
	ana.do("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	ana.Until("the next language", `document.documentElement.lang === 'fr'`)

	for _, tab := range []*Tab{ana, otto} {
		noCSPViolations(tab)
	}
}

// journey is one language's run of TestI18nJourneys: its talk, written in
// that language, the person who votes in its room (who speaks another
// language: a room mixes them) and what the asker types.
type journey struct {
	code, title, question string
	voterCode             string
}

var journeys = []journey{
	{"es", "Salud digital en atención primaria", "¿Qué dispositivos usaron los pacientes en casa?", "fr"},
	{"fr", "La télésurveillance après une insuffisance cardiaque", "Quels appareils les patients ont-ils utilisés à domicile ?", "de"},
	{"de", "Telemonitoring bei Herzinsuffizienz", "Welche Geräte haben die Patientinnen und Patienten zu Hause genutzt?", "it"},
	{"it", "La sanità digitale nelle cure primarie", "Quali dispositivi hanno usato i pazienti a casa?", "pt"},
	// The last room's voter browses in English: the fallback language takes
	// the same path, and marks the Portuguese title as Portuguese.
	{"pt", "Saúde digital nos cuidados de saúde primários", "Que dispositivos usaram os doentes em casa?", "en"},
}

// message sends the outbox until a message to addr has this subject and
// returns its Content-Language and its text.
func (mb *mailbox) message(addr, subject string) (lang, text string) {
	mb.t.Helper()
	var seen []string
	testkit.WaitFor(mb.t, fmt.Sprintf("a message to %s: %q", addr, subject), waitFor, func() bool {
		mb.Send(mb.t)
		seen = seen[:0]
		for _, raw := range mb.Sink.Received() {
			msg, _, body, err := testkit.MailPart(raw, "text/plain")
			if err != nil {
				mb.t.Fatalf("a received message: %v", err)
			}
			to, err := mail.ParseAddress(msg.Header.Get("To"))
			if err != nil || !strings.EqualFold(to.Address, addr) {
				continue
			}
			subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				mb.t.Fatalf("the subject %q: %v", msg.Header.Get("Subject"), err)
			}
			seen = append(seen, subj)
			if subj == subject {
				lang, text = msg.Header.Get("Content-Language"), string(body)
			}
		}
		return text != ""
	})
	if text == "" {
		mb.t.Fatalf("no message to %s with the subject %q; received %q", addr, subject, seen)
	}
	return lang, text
}

// TestI18nJourneys: in Spanish, French, German, Italian and Portuguese a
// newcomer signs up, confirms the address and registers for a talk (both
// emails in that language), sees the schedule with each talk's title marked
// with its language, asks in the live room; a moderator in the same
// language approves it in the console and sees the flag queue; someone
// browsing in another language votes for it, and the asker sees the vote
// arrive. The reminder goes out in the language signed up in; then the
// asker picks the voter's language in the menu, and the password reset
// page and message speak that one. Every text the test expects comes from the frontend catalogs
// (frontend/src/i18n/<code>.json) and the server's (server/i18n), and
// axe-core finds nothing serious or critical on each screen. One server,
// one browser; each language has its own talk and its own people.
func TestI18nJourneys(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mb := newMailbox(t, app)
	b := newBrowser(t, app)

	// Shared setup: every talk exists before the first journey, so each
	// schedule shows them all.
	mod := app.Env.NewUser("moderator")
	english := app.createTalk(mod, "Remote monitoring after heart failure", "pre")
	talkLang := map[int64]string{english.ID: "en"}
	talksByCode := map[string]Talk{}
	voters := map[string]testserver.User{}
	for _, j := range journeys {
		tk := app.createTalk(mod, j.title, "pre")
		testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"language": j.code}), 200)
		talksByCode[j.code], talkLang[tk.ID] = tk, j.code
		voters[j.code] = app.Env.NewUser("participant")
	}
	// An open flag, for the moderation page's queue.
	flagger := app.Env.NewUser("participant")
	flagged := askQuestion(t, app, english, flagger, "Is the data shared with the GP?")
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", flagged), mod.Token, map[string]any{"status": "approved"}), 200)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/questions/%d/flags", flagged), voters["es"].Token, map[string]any{"reason": "off topic"}), 201)

	for _, j := range journeys {
		t.Run(j.code, func(t *testing.T) {
			cat, vcat := loadCatalog(t, j.code), loadCatalog(t, j.voterCode)
			talk := talksByCode[j.code]
			// Tabs made with the subtest's t: they fail it, and close with it.
			in := &Browser{t: t, ctx: b.ctx, app: app}
			asker := in.Tab("asker ("+j.code+")", nil)
			speaks(asker, j.code)
			moderator := in.Tab("moderator ("+j.code+")", &mod)
			speaks(moderator, j.code)
			voter := in.Tab("voter ("+j.voterCode+")", new(voters[j.code]))
			speaks(voter, j.voterCode)

			// Sign up, in the language of the browser.
			email, name := "newcomer-"+j.code+"@example.test", "Newcomer "+strings.ToUpper(j.code)
			asker.Open("/signup")
			inLanguage(asker, cat)
			textIs(asker, tid("signup-submit"), cat.T("signup.submit"))
			asker.Type(tid("signup-name"), name)
			asker.Type(tid("signup-email"), email)
			asker.Type(tid("signup-password"), "kestrel-harbour-lamp-58-"+j.code)
			asker.Click(tid("signup-submit"))
			asker.Visible(tid("logout"))

			// The verification message speaks it too; its link confirms.
			lang, text := mb.message(email, i18n.T(j.code, "account.verify.subject", nil))
			if greeting := i18n.T(j.code, "mail.greeting", i18n.Data{"Name": name}); lang != j.code || !strings.Contains(text, greeting) {
				t.Errorf("verification: Content-Language %q, want %q, and the greeting %q in:\n%s", lang, j.code, greeting, text)
			}
			asker.Open(mb.link(email, "/account/verify"))
			inLanguage(asker, cat)
			asker.Until("the address verified", `document.querySelector(`+js(tid("verify-result")+` [role="status"]`)+`)?.textContent.trim() === `+js(cat.T("verify.done")))

			// Register for the talk (its page is matched by test ids: it is
			// being translated elsewhere); the confirmation speaks the language.
			asker.Open(talk.Path(""))
			inLanguage(asker, cat)
			titleLang(asker, `main h1`, "")
			asker.Click(tid("register"))
			asker.Visible(tid("join-link"))
			axeSettled(asker, "talk page, registered ("+j.code+")", axeJS)
			lang, text = mb.message(email, i18n.T(j.code, "registration.confirmed.subject", i18n.Data{"Title": j.title}))
			if lead := i18n.T(j.code, "registration.confirmed.lead", nil); lang != j.code || !strings.Contains(text, lead) {
				t.Errorf("confirmation: Content-Language %q, want %q, and %q in:\n%s", lang, j.code, lead, text)
			}

			// The schedule: each talk's title carries its language's lang
			// unless it is the interface's, and its badge names the
			// language in the interface's words.
			asker.Open("/")
			inLanguage(asker, cat)
			for id, code := range talkLang {
				card := fmt.Sprintf(`[data-talk-id="%d"]`, id)
				asker.Visible(card)
				want := code
				if code == j.code {
					want = ""
				}
				titleLang(asker, card+" .title a", want)
				language := eval[string](asker, `new Intl.DisplayNames([`+js(j.code)+`], {type: 'language'}).of(`+js(code)+`)`)
				textIs(asker, card+" "+tid("talk-language"), cat.T("badge.language", "language", language))
			}
			axeSettled(asker, "schedule ("+j.code+")", axeJS)

			// Ask: the talk is pre-moderated, the thanks say so.
			asker.Open(talk.Path("/live"))
			inLanguage(asker, cat)
			titleLang(asker, `main h1`, "")
			textIs(asker, tid("tab-questions"), cat.T("live.questions"))
			asker.Type(tid("ask-body"), j.question)
			asker.Click(tid("ask-submit"))
			asker.Until("the thanks", `[...document.querySelectorAll('main [role="status"]')].some(e => e.textContent.trim() === `+js(cat.T("live.askPending"))+`)`)
			axeSettled(asker, "live room ("+j.code+")", axeJS)

			// Moderate: approve it in the console, see the flag queue.
			moderator.Open(talk.Path("/console"))
			inLanguage(moderator, cat)
			moderator.Visible(tid("pending-question"))
			asked := eval[int64](moderator, `Number(document.querySelector('[data-testid="pending-question"]').dataset.questionId)`)
			textIs(moderator, fmt.Sprintf(`[data-testid="pending-question"][data-question-id="%d"] [data-testid="approve"]`, asked), cat.T("mod.approve"))
			axeSettled(moderator, "console ("+j.code+")", axeJS)
			moderator.Click(fmt.Sprintf(`[data-testid="pending-question"][data-question-id="%d"] [data-testid="approve"]`, asked))
			moderator.Until("the approval said", `[...document.querySelectorAll('main [role="status"]')].some(e => e.textContent.trim() === `+js(cat.T("console.approved"))+`)`)
			moderator.Open("/moderation")
			inLanguage(moderator, cat)
			moderator.Visible(tid("flag"))
			textIs(moderator, "#flags-h", cat.T("moderation.flags"))
			axeSettled(moderator, "moderation ("+j.code+")", axeJS)

			// Vote, from a browser in another language: its own words, and
			// the talk's title marked as the talk's language.
			voter.Open(talk.Path("/live"))
			inLanguage(voter, vcat)
			titleLang(voter, `main h1`, j.code)
			voter.Click(qsel(asked, tid("vote")))
			voter.Until("the vote counted", `document.querySelector(`+js(qsel(asked, tid("votes")))+`)?.textContent === '1'`)
			textIs(voter, qsel(asked, tid("vote-hint")), vcat.T("question.voteHint", "count", 1, "hint", "voted"))
			axeSettled(voter, "live room ("+j.voterCode+", talk in "+j.code+")", axeJS)

			// The asker sees the approved question and its vote arrive, in
			// the asker's language.
			asker.Until("the vote, live", `document.querySelector(`+js(qsel(asked, tid("votes")))+`)?.textContent === '1'`)
			textIs(asker, qsel(asked, tid("vote-hint")), cat.T("question.voteHint", "count", 1, "hint", "canVote"))

			// The reminder a day ahead, as the worker enqueues it for someone
			// registered before then: in the language signed up in.
			if _, err := app.Env.DB.Exec(`UPDATE registrations SET confirmed_at = now() - interval '2 days'
				WHERE talk_id = $1 AND user_id = (SELECT id FROM users WHERE lower(email) = lower($2))`, talk.ID, email); err != nil {
				t.Fatal(err)
			}
			mb.EnqueueReminders(t)
			lang, text = mb.message(email, i18n.T(j.code, "reminder.24h.subject", i18n.Data{"Title": j.title}))
			if lead := i18n.N(j.code, "reminder.lead", 24, nil); lang != j.code || !strings.Contains(text, lead) {
				t.Errorf("reminder: Content-Language %q, want %q, and %q in:\n%s", lang, j.code, lead, text)
			}

			// The asker picks the voter's language in the menu: the account
			// keeps the choice, and it beats the language signed up in, for
			// the page and for the password reset message.
			asker.do("choose "+j.voterCode, chromedp.SetValue(chromedp.CSS(tid("language-menu")), j.voterCode),
				chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="language-menu"]').dispatchEvent(new Event('change'))`))
			inLanguage(asker, vcat)
			testkit.WaitFor(t, "the choice kept in the account", waitFor, func() bool {
				var chosen *string
				err := app.Env.DB.Get(&chosen, `SELECT locale FROM users WHERE lower(email) = lower($1)`, email)
				return err == nil && chosen != nil && *chosen == j.voterCode
			})
			asker.Open("/account/reset")
			inLanguage(asker, vcat)
			asker.Type(tid("reset-email"), email)
			asker.Click(tid("reset-request"))
			textIs(asker, tid("reset-requested"), vcat.T("reset.requested"))
			lang, text = mb.message(email, i18n.T(j.voterCode, "account.reset.subject", nil))
			if greeting := i18n.T(j.voterCode, "mail.greeting", i18n.Data{"Name": name}); lang != j.voterCode || !strings.Contains(text, greeting) {
				t.Errorf("reset: Content-Language %q, want %q, and the greeting %q in:\n%s", lang, j.voterCode, greeting, text)
			}

			for _, tab := range []*Tab{asker, moderator, voter} {
				noCSPViolations(tab)
			}
		})
	}
}

// textIs waits until the element's trimmed text is want.
func textIs(tab *Tab, sel, want string) {
	tab.t.Helper()
	tab.Until(fmt.Sprintf("%s to read %q", sel, want), `document.querySelector(`+js(sel)+`)?.textContent.trim() === `+js(want))
}

// titleLang waits for the element and checks its lang attribute ("" for
// none: the text is in the interface's language).
func titleLang(tab *Tab, sel, want string) {
	tab.t.Helper()
	tab.Visible(sel)
	if got := eval[string](tab, `document.querySelector(`+js(sel)+`).lang`); got != want {
		tab.fail("%s has lang %q, want %q", sel, got, want)
	}
}

// TestI18nTalkPageAndEditor: in German, the page of an English talk says
// the talk is in English, in German, while its title and abstract carry
// lang="en" and the seats are counted in German; a German talk needs no
// such notice. The talk editor speaks German too: its own time check and
// a server's field message, both said in German.
func TestI18nTalkPageAndEditor(t *testing.T) {
	app := startApp(t)
	mod := app.Env.NewUser("moderator")
	en := app.createTalk(mod, "Remote monitoring after heart failure", "post")
	de := app.createTalk(mod, "Digitale Gesundheitsanwendungen in der Praxis", "post")
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/talks/%d", de.ID), mod.Token, map[string]any{"language": "de"}), 200)

	b := newBrowser(t, app)
	moritz := b.Tab("moderator (de)", &mod)
	speaks(moritz, "de-DE,de;q=0.9")

	moritz.Open(en.Path(""))
	inLanguage(moritz, loadCatalog(t, "de"))
	moritz.Until("the notice, in German", `document.querySelector(`+js(tid("talk-language-notice"))+`)?.textContent.trim() === 'Dieser Vortrag ist auf Englisch.'`)
	if got := eval[string](moritz, `document.querySelector(`+js(tid("talk-language-notice"))+`).closest('[lang]').lang`); got != "de" {
		moritz.fail("the notice is in the interface language, yet its lang is %q", got)
	}
	for _, sel := range []string{tid("talk-title"), tid("talk-abstract")} {
		if got := eval[string](moritz, `document.querySelector(`+js(sel)+`).lang`); got != "en" {
			moritz.fail("%s of the English talk in the German interface: lang %q", sel, got)
		}
	}
	if got := eval[string](moritz, `document.querySelector('#about-h').textContent.trim() + ' | ' + document.querySelector(`+js(tid("capacity"))+`).textContent.replace(/\s+/g, ' ').trim()`); got != "Über diesen Vortrag | 0 von 50 Plätzen belegt" {
		moritz.fail("the abstract's heading and the seats in German: %q", got)
	}

	moritz.Open(de.Path(""))
	moritz.Until("the German talk's title", `document.querySelector(`+js(tid("talk-title"))+`)?.textContent === `+js(de.Title))
	if eval[bool](moritz, `!!document.querySelector(`+js(tid("talk-language-notice"))+`)`) {
		moritz.fail("a German talk in the German interface has the other-language notice")
	}
	if got := eval[string](moritz, `document.querySelector(`+js(tid("talk-title"))+`).lang`); got != "" {
		moritz.fail("a German talk's title in the German interface has lang %q", got)
	}

	// The editor: labels and option names in German, then the form's own check of the times.
	moritz.Open(en.Path("/edit"), tid("talk-title-input"))
	inLanguage(moritz, loadCatalog(t, "de"))
	if got := eval[string](moritz, `document.querySelector('h1').textContent.trim() + ' | ' + document.querySelector('#t-format option[value="onsite"]').textContent + ' | ' + document.querySelector('#t-lang option[value="en"]').textContent`); got != "Vortrag bearbeiten | Vor Ort | Englisch" {
		moritz.fail("the editor in German: %q", got)
	}
	eval[bool](moritz, `(() => { const i = document.querySelector('#t-end'); i.value = '2020-01-01T10:00'; i.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	moritz.Click(tid("talk-save"))
	moritz.Until("the end before the start, in German", `document.querySelector('#t-end-err')?.textContent === 'Der Vortrag muss nach seinem Beginn enden.'`)
	moritz.Until("the form's alert, in German", `document.querySelector('form [role="alert"]')?.textContent.trim() === 'Bitte korrigieren Sie die unten markierten Felder.'`)

	// A server's field message (English, naming the API) said in German.
	moritz.Open(en.Path("/edit"), tid("talk-title-input"))
	moritz.do("clear the title", clearField(tid("talk-title-input")))
	moritz.Type(tid("talk-title-input"), "ab")
	moritz.Click(tid("talk-save"))
	moritz.Until("the title's length, in German", `document.querySelector('#t-title-err')?.textContent === 'Verwenden Sie 3 bis 200 Zeichen.'`)
	var title string
	if err := app.Env.DB.Get(&title, `SELECT title FROM talks WHERE id = $1`, en.ID); err != nil || title != en.Title {
		t.Fatalf("title after a refused form: %q (%v)", title, err)
	}
	noCSPViolations(moritz)
}
