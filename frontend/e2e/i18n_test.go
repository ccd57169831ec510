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
