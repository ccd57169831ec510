package e2e

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/demo"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestAfterTheTalk: on the demo series, a participant who attended the past
// talk sees their minutes on its page and downloads a certificate (issued by
// the server), and anyone can verify its code; the talk's report page shows
// the demo talk's figures to staff. No serious accessibility violations.
func TestAfterTheTalk(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, app.Env.DB, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	var talk Talk
	if err := app.Env.DB.Get(&talk, `SELECT id, slug, title FROM talks WHERE slug = 'be-healthy-be-mobile-lessons-from-a-decade-of-mhealth'`); err != nil {
		t.Fatal(err)
	}
	pia := demoUser(t, app, "participant@demo.hubtalks.test")
	admin := app.Env.NewUser("admin")
	axe := loadAxe(t)

	b := newBrowser(t, app)
	part := b.Tab("participant", &pia)
	part.Open(talk.Path(""))
	part.Until("own minutes", `document.querySelector(`+js(tid("my-minutes"))+`)?.textContent.includes('75 of 75 minutes')`)
	axeCheck(part, "past talk page", axe)
	part.Click(tid("certificate-download"))
	part.Until("the certificate issued", `document.querySelector(`+js(tid("certificate-status"))+`)?.textContent.includes('downloaded')`)
	var code string
	if err := app.Env.DB.Get(&code, `SELECT code FROM certificates WHERE talk_id = $1 AND user_id = $2`, talk.ID, pia.ID); err != nil {
		t.Fatalf("certificate in the database: %v", err)
	}

	anyone := b.Tab("anyone", nil)
	anyone.Open("/certificates/" + code)
	anyone.Until("the verification", `document.querySelector(`+js(tid("certificate-name"))+`)?.textContent === `+js(pia.Name))
	axeCheck(anyone, "certificate verification", axe)
	anyone.Open("/certificates/NOTACODE", tid("certificate-unknown"))

	staff := b.Tab("admin", &admin)
	staff.Open(talk.Path("/report"))
	for id, want := range map[string]string{"r-registered": "4", "r-confirmed": "4", "r-attended": "4", "r-share": "3 (75%)",
		"r-peak": "38", "r-asked": "8", "r-answered": "6", "r-flags": "1"} {
		staff.Until(id+" = "+want, `document.querySelector(`+js(tid(id))+`)?.textContent.trim() === `+js(want))
	}
	staff.Until("top questions", `document.querySelector(`+js(tid("r-top"))+`)?.textContent.includes('cost per quitter')`)
	axeCheck(staff, "report", axe)
	if w := eval[int](staff, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Errorf("the report scrolls sideways by %d px", w)
	}
}

// demoUser is a demo account with a fresh session.
func demoUser(t *testing.T, app *App, email string) testserver.User {
	t.Helper()
	u := testserver.User{Email: email}
	if err := app.Env.DB.QueryRow(`SELECT id, display_name FROM users WHERE email = $1`, email).Scan(&u.ID, &u.Name); err != nil {
		t.Fatalf("demo user %s: %v", email, err)
	}
	token, _, err := accounts.NewStore(app.Env.DB).CreateSession(context.Background(), u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u.Token = token
	return u
}
