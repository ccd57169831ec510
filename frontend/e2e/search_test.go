package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestSearchToTheMomentInTheRecording: a question pinned during the live
// session of a talk that now has a recording; someone searches for it from
// the header, opens the question result, and lands on the talk page at the
// question, whose ▶ plays the recording from the second it was taken. The
// search page and the past talk's page pass axe-core at 1280 and 360 px.
func TestSearchToTheMomentInTheRecording(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	mod, speaker, talk := app.spokenTalk("Remote monitoring after heart failure", "post")
	asker := app.Env.NewUser("participant")
	status := func(s string) {
		testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/talks/%d/status", talk.ID), speaker.Token, map[string]any{"status": s}), 200)
	}
	status("live")
	q := askQuestion(t, app, talk, asker, "How were alerts triaged at night?")
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", q), speaker.Token, map[string]any{"pinned": true}), 200)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/questions/%d/answers", q), speaker.Token,
		map[string]any{"body": "A nurse on call, with a written <escalation> plan."}), 201)
	testserver.Must(t, app.Env.Patch(fmt.Sprintf("/api/v1/questions/%d", q), speaker.Token, map[string]any{"status": "answered"}), 200)
	status("ended")
	// The live start 12:34 before the pin, so the second is exact.
	if _, err := app.Env.DB.Exec(`UPDATE talks SET live_started_at = (SELECT taken_at FROM questions WHERE id = $2) - interval '754 seconds'
		WHERE id = $1`, talk.ID, q); err != nil {
		t.Fatal(err)
	}
	var pl struct{ ID int64 }
	testserver.Must(t, app.Env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "Hub Talks"}), 201).JSON(t, &pl)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/playlists/%d/items", pl.ID), mod.Token,
		map[string]any{"video_id": "dQw4w9WgXcQ", "title": talk.Title, "talk_id": talk.ID}), 201)

	b := newBrowser(t, app)
	anon := b.Tab("anonymous", nil)
	anon.Open("/", tid("header-search"))
	anon.Type(tid("header-search"), "triage escalation"+kb.Enter)
	result := tid(fmt.Sprintf("result-question-%d", q))
	anon.Until("the question among the results", `document.querySelector(`+js(result+" mark")+`) !== null`)
	anon.Until("its moment in the result", `document.querySelector(`+js(result+" "+tid("result-moment"))+`)?.textContent.includes('12:34')`)
	// The answer's text is shown as text, with the matches marked.
	anon.Until("the snippet as text", `document.querySelector(`+js(result)+`).textContent.includes('<escalation>')`)
	axeCheck(anon, "search results at 1280 px", axeJS)

	anon.Click(result + " a.title")
	moment := tid(fmt.Sprintf("moment-%d", q))
	anon.Until("the talk page at the question", `location.hash === '#question-`+fmt.Sprint(q)+`' && document.querySelector(`+js(moment)+`) !== null`)
	if href := eval[string](anon, `document.querySelector(`+js(moment)+`).href`); href != "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=754&autoplay=1" {
		t.Fatalf("▶ links to %q", href)
	}
	anon.Click(moment)
	anon.Until("the recording to play from 12:34", `document.querySelector(`+js(tid("recording-embed"))+`).src.includes('start=754')`)
	axeCheck(anon, "past talk page at 1280 px", axeJS)

	// A moderator nudges the offset in the editor; the moment moves.
	moritz := b.Tab("moderator", &mod)
	moritz.Open(talk.Path("/edit"), tid("recording-offset"))
	moritz.Click(`[aria-label="Nudge the offset"] button:nth-child(4)`) // +5 s
	moritz.Click(tid("recording-offset-save"))
	moritz.Until("the offset saved", `document.querySelector('[role=status]')?.textContent.includes('Offset saved')`)
	var offset int
	if err := app.Env.DB.Get(&offset, `SELECT recording_offset_seconds FROM talks WHERE id = $1`, talk.ID); err != nil || offset != 5 {
		t.Fatalf("offset in the database: %d, %v", offset, err)
	}
	anon.Open(talk.Path(""))
	anon.Until("the moment moved by 5 s", `document.querySelector(`+js(moment)+`)?.href.includes('start=759')`)

	for _, p := range []struct{ path, ready, name string }{
		{"/search?q=triaged", result, "search results"},
		{talk.Path(""), moment, "past talk page"},
	} {
		anon.do("viewport", chromedp.EmulateViewport(360, 800))
		anon.Open(p.path, p.ready)
		axeCheck(anon, p.name+" at 360 px", axeJS)
		if over := eval[int](anon, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
			anon.fail("%s at 360 px scrolls sideways by %d px", p.name, over)
		}
	}
}
