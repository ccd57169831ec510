package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// recordingsFeed is a YouTube playlist feed as the sync fetches it: real
// titles carry more than the talk's title, thumbnails are on iN.ytimg.com.
func recordingsFeed(videos ...[2]string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <yt:playlistId>PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o</yt:playlistId><title>Hub Talks</title>`)
	for i, v := range videos {
		fmt.Fprintf(&b, `<entry><yt:videoId>%s</yt:videoId><title>%s</title><published>2026-01-%02dT10:00:00+00:00</published>
  <media:group><media:thumbnail url="https://i%d.ytimg.com/vi/%s/hqdefault.jpg" width="480" height="360"/></media:group></entry>`,
			v[0], v[1], i+1, i%4+1, v[0])
	}
	b.WriteString(`</feed>`)
	return []byte(b.String())
}

// TestRecordingsArriveBySync: a moderator presses "Sync now"; the server
// fetches the playlist's feed (a local stand-in for YouTube), links the
// video whose title names a talk, lists the ambiguous one to confirm, and
// the recordings page shows the linked talks, with a placeholder where a
// thumbnail cannot load and no CSP violation for YouTube's image hosts.
func TestRecordingsArriveBySync(t *testing.T) {
	feed := recordingsFeed(
		[2]string{"Xk3v9Qp2LmA", "Hub Talks | Évaluer les applis de santé – Dr Zoë Martin"},
		[2]string{"b7-Rt_0sWqE", "Hub Talks | Data spaces — panel"},
	)
	app := startApp(t, testserver.WithFeed(t, feed))
	axeJS := loadAxe(t)
	mod, apps := app.talkBy("Evaluer les applis de sante", "post")
	spaces1 := app.createTalk(mod, "Data spaces", "post")
	spaces2 := app.createTalk(mod, "Data spaces", "post")
	var playlist struct{ ID int64 }
	testserver.Must(t, app.Env.Post("/api/v1/playlists", mod.Token, map[string]any{
		"title": "Hub Talks 2026", "youtube_playlist_id": "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o"}), 201).JSON(t, &playlist)

	b := newBrowser(t, app)
	anon := b.Tab("anonymous", nil)
	moritz := b.Tab("moderator", &mod)
	// YouTube's hosts resolve to a closed local port (newBrowser), so the
	// thumbnails fail to load here after the CSP has allowed them.
	for _, tab := range []*Tab{anon, moritz} {
		// The page's own record of what its CSP refused.
		if _, err := chromedp.Call(tab.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.cspViolations = []; document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
		}); err != nil {
			t.Fatal(err)
		}
	}
	cspClean := func(tab *Tab) {
		t.Helper()
		if v := eval[[]string](tab, `window.cspViolations`); len(v) > 0 {
			tab.fail("the CSP refused %v", v)
		}
	}

	anon.Open("/recordings", tid("no-recordings"))

	moritz.Open("/recordings")
	moritz.Click(tid("manage-playlists"))
	moritz.Click(tid("sync-now"))
	moritz.Until("the sync's result", `document.querySelector(`+js(tid("sync-status"))+`)?.textContent.includes('2 new')`)
	if got := eval[string](moritz, `document.querySelector(`+js(tid("sync-status"))+`).textContent`); !strings.Contains(got, "1 linked") || !strings.Contains(got, "1 to confirm") {
		moritz.fail("sync status %q", got)
	}
	var video string
	if err := app.Env.DB.Get(&video, `SELECT coalesce(recording_video_id, '') FROM talks WHERE id = $1`, apps.ID); err != nil || video != "Xk3v9Qp2LmA" {
		t.Fatalf("recording of the talk the title names: %q (%v)", video, err)
	}
	moritz.Visible(tid("playlist-sync"))
	if eval[string](moritz, `document.querySelector(`+js(tid("playlist-sync"))+`).textContent`) == "" ||
		!eval[bool](moritz, `document.querySelector(`+js(tid("playlist-sync"))+`).textContent.includes('last synced')`) {
		moritz.fail("no last sync time")
	}

	// The ambiguous video: the moderator picks the later "Data spaces".
	moritz.Visible(tid("recording-match"))
	if n := eval[int](moritz, `document.querySelectorAll(`+js(tid("recording-match")+" button")+`).length`); n != 3 {
		moritz.fail("%d buttons for the ambiguous match, want 2 talks and none", n)
	}
	moritz.Click(tid("recording-match") + " button")
	moritz.Until("the match confirmed", `!document.querySelector(`+js(tid("recording-matches"))+`) && document.querySelector('[role="status"]')?.textContent.includes('Linked')`)
	var linked []int64
	if err := app.Env.DB.Select(&linked, `SELECT id FROM talks WHERE recording_video_id = 'b7-Rt_0sWqE'`); err != nil || len(linked) != 1 || (linked[0] != spaces1.ID && linked[0] != spaces2.ID) {
		t.Fatalf("talks linked to the ambiguous video: %v (%v)", linked, err)
	}
	axeCheck(moritz, "playlists (manage)", axeJS)
	cspClean(moritz)

	// Everyone sees both on the recordings page, newest first.
	anon.Open("/recordings")
	anon.Until("two recordings", `document.querySelectorAll(`+js(tid("recording"))+`).length === 2`)
	titles := eval[string](anon, `[...document.querySelectorAll(`+js(tid("recording")+" h3")+`)].map(h => h.textContent.trim()).join('|')`)
	if titles != "Data spaces|Evaluer les applis de sante" && titles != "Evaluer les applis de sante|Data spaces" {
		anon.fail("recordings %q", titles)
	}
	anon.Until("thumbnail placeholders for the images that cannot load", `document.querySelectorAll(`+js(tid("thumbnail-placeholder"))+`).length === 2`)
	cspClean(anon)
	for _, width := range []int64{1280, 360} {
		anon.do("viewport", chromedp.EmulateViewport(width, 800))
		anon.Open("/recordings", tid("recording"))
		axeCheck(anon, fmt.Sprintf("recordings at %d px", width), axeJS)
		if over := eval[int](anon, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
			anon.fail("recordings at %d px scroll sideways by %d px", width, over)
		}
	}
	anon.Click(tid("recording") + " h3 a")
	anon.Until("the talk page", `location.pathname.startsWith('/talks/') && document.querySelector(`+js(tid("talk-title"))+`)`)
	for _, tab := range []*Tab{anon, moritz} {
		noCSPViolations(tab)
	}
}
