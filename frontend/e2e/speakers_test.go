package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestSpeakerProfile: a speaker fills in their profile and uploads a photo
// on the account page; the talk page shows the photo and links to the
// speaker page, which lists the talk; My talks lists "Talks I speak at"
// with the console. A file that is not an image is refused in words.
// With HUBTALKS_SCREENS_DIR set it also saves screenshots of the three
// pages at 1280 and 360 px.
func TestSpeakerProfile(t *testing.T) {
	app := startApp(t)
	mod := app.Env.NewUser("moderator")
	speaker := app.Env.NewUser("participant")
	talk := app.createTalk(mod, "Telehealth for rural clinics", "post", speaker.ID)

	dir := t.TempDir()
	photo := filepath.Join(dir, "me.png")
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(photo, portraitPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notImage, []byte("these are my notes, not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, app)
	tab := b.Tab("speaker", &speaker)
	tab.Open("/account")
	tab.Type(tid("bio-input"), "Nurse educator.\nI teach remote care.")
	tab.Type(tid("affiliation-input"), "City Hospital")
	tab.Type("#profile-link-0", "https://example.org/ada")
	tab.Click(tid("profile-save"))
	tab.Until("the profile to be saved", `document.querySelector('[data-testid="profile-status"]').textContent.includes('Saved')`)

	upload := func(file string) {
		tab.do("choose "+filepath.Base(file), chromedp.SetUploadFiles(chromedp.CSS(tid("photo-input")), []string{file}))
	}
	upload(notImage)
	tab.Until("the refusal", `document.querySelector('[data-testid="error"]')?.textContent.includes('not a JPEG or PNG')`)
	upload(photo)
	tab.Until("the uploaded photo", `document.querySelector('section[aria-labelledby="profile-title"] img.avatar')?.src.includes('/photo/')`)
	tab.Visible(tid("photo-remove"))

	var me struct {
		PhotoURL *string `json:"photo_url"`
		Bio      string
	}
	testserver.Must(t, app.Env.Get("/api/v1/me", speaker.Token), 200).JSON(t, &me)
	if me.PhotoURL == nil || me.Bio != "Nurse educator.\nI teach remote care." {
		t.Fatalf("stored profile: photo %v, bio %q", me.PhotoURL, me.Bio)
	}

	// The talk page: the photo, the affiliation, a link to the speaker page.
	tab.Open(talk.Path(""))
	tab.Visible(tid("talk-speaker"))
	tab.Until("the speaker's photo", fmt.Sprintf(`document.querySelector('[data-testid="talk-speaker"] img')?.getAttribute('src') === %s
		&& document.querySelector('[data-testid="talk-speaker"] img').naturalWidth === 256`, js(*me.PhotoURL)))
	if got := eval[string](tab, `document.querySelector('[data-testid="talk-speaker"]').textContent`); !strings.Contains(got, "City Hospital") {
		t.Fatalf("talk page speaker: %q", got)
	}
	tab.Click(`[data-testid="talk-speaker"] a`)
	tab.Visible(tid("speaker-page"))
	if p := eval[string](tab, `location.pathname`); p != fmt.Sprintf("/speakers/%d", speaker.ID) {
		t.Fatalf("the speaker link went to %s", p)
	}
	tab.Until("the speaker's talk", fmt.Sprintf(`[...document.querySelectorAll('[data-testid="speaker-talks"] [data-testid="talk-card"]')]
		.some(c => c.dataset.talkId === '%d')`, talk.ID))
	// The bio keeps its line break, as text.
	if h := eval[float64](tab, `document.querySelector('[data-testid="speaker-bio"]').getBoundingClientRect().height /
		parseFloat(getComputedStyle(document.querySelector('[data-testid="speaker-bio"]')).lineHeight)`); h < 1.9 {
		t.Errorf("the bio shows on %.1f lines, want 2", h)
	}
	if rel := eval[string](tab, `document.querySelector('a[href="https://example.org/ada"]')?.rel ?? ''`); rel != "nofollow noopener ugc" {
		t.Errorf("link rel %q", rel)
	}
	sub := eval[string](tab, `document.querySelector('[data-testid="speaker-subscribe"]').href`)
	if !strings.HasPrefix(sub, "webcal://") || !strings.HasSuffix(sub, fmt.Sprintf("/api/v1/speakers/%d/talks.ics", speaker.ID)) {
		t.Errorf("subscribe link %q", sub)
	}

	// My talks: the talk, with its console.
	tab.Open("/me/talks")
	tab.Visible(tid("speaking"))
	if href := eval[string](tab, `document.querySelector('[data-testid="speaking-console"]').getAttribute('href')`); href != talk.Path("/console") {
		t.Fatalf("console link %q, want %q", href, talk.Path("/console"))
	}
	noCSPViolations(tab)

	if out := os.Getenv("HUBTALKS_SCREENS_DIR"); out != "" {
		speakerScreens(t, tab, out, talk, speaker.ID)
	}
}

// portraitPNG is a 480×640 picture: a face-like disc on a coloured ground.
func portraitPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	for y := range 640 {
		for x := range 480 {
			c := color.RGBA{R: 40, G: uint8(90 + y/8), B: 160, A: 255}
			if dx, dy := x-240, y-300; dx*dx+dy*dy < 150*150 {
				c = color.RGBA{R: 236, G: 188, B: 150, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// speakerScreens saves the speaker page, the talk page's speakers and the
// profile editor at 1280 and 360 px.
func speakerScreens(t *testing.T, tab *Tab, dir string, talk Talk, speakerID int64) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int64{1280, 360} {
		for _, s := range []struct{ name, path, ready string }{
			{"speaker-page", fmt.Sprintf("/speakers/%d", speakerID), tid("speaker-talks")},
			{"talk-speakers", talk.Path(""), tid("talk-speaker")},
			{"account-profile", "/account", tid("profile-save")},
		} {
			tab.do("viewport", chromedp.EmulateViewport(width, 900))
			tab.Open(s.path)
			tab.Visible(s.ready)
			tab.Until("images to load", `[...document.images].every(i => i.complete)`)
			ctx, cancel := context.WithTimeout(tab.ctx, waitFor)
			var buf []byte
			var err error
			if s.name == "speaker-page" {
				buf, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
			} else {
				var sel string
				if s.name == "talk-speakers" {
					sel = `section[aria-labelledby="speakers-h"]`
				} else {
					sel = `section[aria-labelledby="profile-title"]`
				}
				tab.do("scroll", chromedp.ScrollIntoView(chromedp.CSS(sel)))
				buf, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
			}
			cancel()
			if err != nil {
				t.Fatalf("screenshot %s: %v", s.name, err)
			}
			file := filepath.Join(dir, fmt.Sprintf("speakers-%s-%d.png", s.name, width))
			if err := os.WriteFile(file, buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
