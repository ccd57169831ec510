//go:build screens

package e2e

// Screenshots of the schedule and the live room in English, Spanish,
// German and French at 1280 and 360 px, and the pseudo-locale en-XA (every message
// accented and 40 % longer) on the schedule, a talk, the live room, the
// console and the projector, failing where its longer text is clipped:
//
//	HUBTALKS_SCREENS_URL=http://127.0.0.1:3100 HUBTALKS_SCREENS_DIR=/work/reports/screens \
//	  go test -tags screens -run TestScreensI18n -v ./frontend/e2e/

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// clipped lists elements whose text is cut: overflow hidden (or an
// ellipsis) with content wider or taller than the box; visually hidden
// elements (.sr-only) are meant to be.
const clipped = `[...document.querySelectorAll('main *, header *')].filter(e => {
	if (e.closest('.sr-only') || e.closest('svg')) return false;
	const s = getComputedStyle(e);
	const hides = [s.overflow, s.overflowX, s.overflowY].includes('hidden') || s.textOverflow === 'ellipsis' || s.whiteSpace === 'nowrap' && s.overflowX !== 'visible';
	return hides && e.textContent.trim() && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1);
}).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '') + ': ' + e.textContent.trim().slice(0, 60))`

func TestScreensI18n(t *testing.T) {
	base, dir, login := screensTarget(t)
	live, _ := demoTalks(t, base)
	if live.ID == 0 {
		t.Fatal("the demo seed has no pre-moderated upcoming talk")
	}
	app := &App{t: t, URL: base}
	b := newBrowser(t, app)
	participant := login("participant@demo.hubtalks.test").Token
	speaker := login("speaker@demo.hubtalks.test").Token

	type page struct{ name, path, ready, token string }
	schedule := page{"schedule", "/", tid("talk-card"), ""}
	room := page{"live", live.Path("/live"), tid("ask-body"), participant}
	shots := map[string][]page{
		"en":    {schedule, room},
		"es":    {schedule, room},
		"de":    {schedule, room},
		"fr":    {schedule, room},
		"en-XA": {schedule, room, {"talk", live.Path(""), "main h1", participant}, {"console", live.Path("/console"), tid("start-session"), speaker}, {"present", live.Path("/present"), "main", ""}},
	}
	for _, lang := range []string{"en", "es", "de", "fr", "en-XA"} {
		for _, p := range shots[lang] {
			var user *testserver.User
			if p.token != "" {
				user = &testserver.User{Token: p.token}
			}
			tab := b.Tab(lang+" "+p.name, user)
			for _, width := range []int64{1280, 360} {
				height := int64(900)
				if width == 360 {
					height = 740
				}
				tab.do("viewport", chromedp.EmulateViewport(width, height))
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				tab.Open(p.path + sep + "lang=" + lang)
				tab.Visible(p.ready)
				tab.Until("the page in "+lang, `document.documentElement.lang === `+js(lang))
				tab.Until("the page to settle", `document.fonts.status === 'loaded' && !document.querySelector('main [role="status"].loading')
					&& ![...document.querySelectorAll('[data-testid="viewers"], .viewers')].some(e => e.textContent.includes('–'))`)
				ctx, cancel := contextFor(tab)
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				cancel()
				if err != nil {
					tab.fail("screenshot: %v", err)
				}
				name := "i18n-" + lang + "-" + p.name + "-" + map[int64]string{1280: "1280", 360: "360"}[width] + ".png"
				if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s ← %s", name, p.path)
				if over := eval[int](tab, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
					t.Errorf("%s %s at %d px scrolls sideways by %d px", lang, p.name, width, over)
				}
				if lang == "en-XA" {
					for _, c := range eval[[]string](tab, clipped) {
						t.Errorf("%s %s at %d px: clipped %s", lang, p.name, width, c)
					}
				}
			}
		}
	}
}
