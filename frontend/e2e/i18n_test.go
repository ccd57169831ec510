package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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

// inLanguage waits until the page shows in code: <html lang> and the
// schedule link of the header in that language.
func inLanguage(tab *Tab, code, schedule string) {
	tab.t.Helper()
	tab.Until("the page in "+code, fmt.Sprintf(`document.documentElement.lang === %s && [...document.querySelectorAll('#site-nav a')].some(a => a.textContent.trim() === %s)`,
		js(code), js(schedule)))
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

	b := newBrowser(t, app)
	ana := b.Tab("Spanish browser", nil)
	speaks(ana, "es-ES,es;q=0.9")
	ana.Open("/")
	inLanguage(ana, "es", "Programa")
	ana.Visible(tid("talk-card"))
	// In the Spanish interface the English talk is marked English, the Spanish one is not marked.
	ana.Until("the English title marked", fmt.Sprintf(`document.querySelector('[data-talk-id="%d"] .title a')?.lang === 'en'`, en.ID))
	if got := eval[string](ana, fmt.Sprintf(`document.querySelector('[data-talk-id="%d"] .title a').lang`, es.ID)); got != "" {
		ana.fail("the Spanish talk's title in the Spanish interface has lang %q", got)
	}
	ana.Until("the badge of the English talk", fmt.Sprintf(`document.querySelector('[data-talk-id="%d"] [data-testid="talk-language"]')?.textContent.trim() === 'En inglés'`, en.ID))

	otto := b.Tab("German browser", nil)
	speaks(otto, "de-DE,de;q=0.9,en;q=0.5")
	otto.Open(es.Path("/live"))
	inLanguage(otto, "de", "Programm")
	otto.Until("the Spanish title marked in the German room", `document.querySelector('main h1')?.lang === 'es'`)
	otto.Visible(tid("tab-questions"))
	if got := eval[string](otto, `document.querySelector('[data-testid="tab-questions"]').textContent.trim()`); got != "Fragen" {
		otto.fail("questions tab in German: %q", got)
	}

	// The menu overrides the browser and is remembered by the cookie.
	otto.Open("/")
	otto.do("choose Français", chromedp.SetValue(chromedp.CSS(tid("language-menu")), "fr"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="language-menu"]').dispatchEvent(new Event('change'))`))
	inLanguage(otto, "fr", "Programme")
	if c := eval[string](otto, `document.cookie`); c != "hubtalks_locale=fr" {
		otto.fail("cookie after the menu: %q", c)
	}
	otto.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
	inLanguage(otto, "fr", "Programme")

	// The menu by keyboard: focus it and pick with the arrow keys.
	ana.do("focus the menu", chromedp.Focus(chromedp.CSS(tid("language-menu"))))
	ana.do("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	ana.Until("the next language", `document.documentElement.lang === 'fr'`)

	for _, tab := range []*Tab{ana, otto} {
		noCSPViolations(tab)
	}
}

// TestI18nJourneys: asking, voting, moderating and registering in Spanish
// and German, each screen in the asker's language with axe-core clean
// (no serious or critical violations) on the schedule, the live room, the
// console and the moderation page.
func TestI18nJourneys(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mod := app.Env.NewUser("moderator")
	asker := app.Env.NewUser("participant")
	voter := app.Env.NewUser("participant")
	talk := app.createTalk(mod, "Remote monitoring after heart failure", "pre")
	flagged := askQuestion(t, app, talk, voter, "Is the data shared with the GP?")
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", flagged), mod.Token, map[string]any{"status": "approved"}), 200)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/questions/%d/flags", flagged), asker.Token, map[string]any{"reason": "off topic"}), 201)

	b := newBrowser(t, app)
	ana := b.Tab("asker (es)", &asker)
	speaks(ana, "es")
	moritz := b.Tab("moderator (de)", &mod)
	speaks(moritz, "de")
	vera := b.Tab("voter (de)", &voter)
	speaks(vera, "de")

	// Register (es).
	ana.Open(talk.Path(""))
	inLanguage(ana, "es", "Programa")
	ana.Click(tid("register"))
	ana.Visible(tid("join-link"))
	axeSettled(ana, "talk page, registered (es)", axeJS)

	// Ask (es): a pre-moderated question, confirmed in Spanish.
	ana.Open(talk.Path("/live"))
	inLanguage(ana, "es", "Programa")
	ana.Type(tid("ask-body"), "Que dispositivos usaron los pacientes en casa?")
	ana.Click(tid("ask-submit"))
	ana.Until("the Spanish confirmation", `[...document.querySelectorAll('[role="status"]')].some(e => e.textContent.includes('¡Gracias!'))`)
	axeSettled(ana, "live room (es)", axeJS)

	// Moderate (de): approve it in the console, see the flag queue.
	moritz.Open(talk.Path("/console"))
	inLanguage(moritz, "de", "Programm")
	moritz.Visible(tid("pending-question"))
	asked := eval[int64](moritz, `Number(document.querySelector('[data-testid="pending-question"]').dataset.questionId)`)
	axeSettled(moritz, "console (de)", axeJS)
	moritz.Click(fmt.Sprintf(`[data-testid="pending-question"][data-question-id="%d"] [data-testid="approve"]`, asked))
	moritz.Until("the German confirmation", `[...document.querySelectorAll('[role="status"]')].some(e => e.textContent.trim() === 'Freigegeben.')`)
	moritz.Open("/moderation")
	moritz.Visible(tid("flag"))
	if got := eval[string](moritz, `document.querySelector('#flags-h').textContent.trim()`); got != "Meldungen" {
		moritz.fail("flag queue heading in German: %q", got)
	}
	axeSettled(moritz, "moderation (de)", axeJS)

	// Vote (de): the count and its spoken hint in German.
	vera.Open(talk.Path("/live"))
	inLanguage(vera, "de", "Programm")
	vera.Click(qsel(asked, tid("vote")))
	vera.Until("the vote counted", `document.querySelector(`+js(qsel(asked, tid("votes")))+`)?.textContent === '1'`)
	vera.Until("the German hint", `document.querySelector(`+js(qsel(asked, tid("vote-hint")))+`)?.textContent.startsWith('Stimme, Sie haben abgestimmt')`)
	axeSettled(vera, "live room (de)", axeJS)

	// The asker sees the approved question and its vote, still in Spanish.
	ana.Until("the vote, live", `document.querySelector(`+js(qsel(asked, tid("votes")))+`)?.textContent === '1'`)
	ana.Until("the Spanish hint", `document.querySelector(`+js(qsel(asked, tid("vote-hint")))+`)?.textContent.startsWith('voto')`)

	for _, lang := range []struct{ tab *Tab }{{ana}, {vera}} {
		lang.tab.Open("/")
		lang.tab.Visible(tid("talk-card"))
		axeSettled(lang.tab, "schedule ("+eval[string](lang.tab, `document.documentElement.lang`)+")", axeJS)
	}
	for _, tab := range []*Tab{ana, moritz, vera} {
		noCSPViolations(tab)
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
	inLanguage(moritz, "de", "Programm")
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
	inLanguage(moritz, "de", "Programm")
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
