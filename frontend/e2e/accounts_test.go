package e2e

import (
	"net/mail"
	"regexp"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// mailbox sends what the app's outbox holds to a real SMTP server on
// loopback, as the worker of `hubtalks serve` does, and reads the links
// out of the messages received there.
type mailbox struct {
	t   *testing.T
	app *App
	*testserver.Mailbox
}

func newMailbox(t *testing.T, app *App) *mailbox {
	t.Helper()
	return &mailbox{t: t, app: app, Mailbox: testserver.NewMailbox(t, app.Env, testserver.AppComposer(app.URL))}
}

// link sends the outbox until the newest message to addr links to the
// app's page (e.g. "/account/reset") and returns that link as an app path
// with its query.
func (mb *mailbox) link(addr, page string) string {
	mb.t.Helper()
	linkRE := regexp.MustCompile(regexp.QuoteMeta(mb.app.URL+page) + `\?token=[^\s"<>]+`)
	var found string
	testkit.WaitFor(mb.t, "a message to "+addr+" linking to "+page, waitFor, func() bool {
		mb.Send(mb.t)
		for _, raw := range mb.Sink.Received() {
			msg, _, text, err := testkit.MailPart(raw, "text/plain")
			if err != nil {
				mb.t.Fatalf("a received message: %v", err)
			}
			to, err := mail.ParseAddress(msg.Header.Get("To"))
			if err != nil {
				mb.t.Fatalf("the recipient %q: %v", msg.Header.Get("To"), err)
			}
			if l := linkRE.FindString(string(text)); l != "" && strings.EqualFold(to.Address, addr) {
				found = l // the newest wins: a link sent again replaces the first
			}
		}
		return found != ""
	})
	return strings.TrimPrefix(found, mb.app.URL)
}

// TestPasswordResetJourney: someone who forgot the password asks for a link
// from the login page, gets it by mail, chooses a new password (typed twice)
// and signs in with it; the old password and the old session stop working,
// and the link does not work a second time.
func TestPasswordResetJourney(t *testing.T) {
	app := startApp(t)
	mail := newMailbox(t, app)
	ada := app.Env.NewUser("participant")
	b := newBrowser(t, app)
	tab := b.Tab("ada", nil)

	tab.Open("/login")
	tab.Click(tid("forgot-password"))
	tab.Until("the reset page", `location.pathname === '/account/reset'`)
	tab.Type(tid("reset-email"), ada.Email)
	tab.Click(tid("reset-request"))
	tab.Until("the answer that does not tell whether the account exists",
		`document.querySelector(`+js(tid("reset-requested"))+`)?.textContent.includes('If an account exists for that address')`)

	link := mail.link(ada.Email, "/account/reset")
	newPassword := "lantern-meadow-orbit-93"
	tab.Open(link)
	tab.Until("the token out of the address bar", `location.pathname === '/account/reset' && !location.search.includes('token')`)
	// A repetition that differs is caught before anything is sent.
	tab.Type(tid("reset-password"), newPassword)
	tab.Type(tid("reset-again"), newPassword+"x")
	tab.Click(tid("reset-submit"))
	tab.Until("the mismatch named at its field, the cursor there", `document.activeElement?.id === 'reset-again' &&
		document.getElementById('reset-again').getAttribute('aria-invalid') === 'true' &&
		document.getElementById(document.getElementById('reset-again').getAttribute('aria-describedby'))?.textContent.includes('not the same')`)
	tab.do("clear the repetition", clearField(tid("reset-again")))
	tab.Type(tid("reset-again"), newPassword)
	tab.Click(tid("reset-submit"))
	tab.Until("the login page saying the password changed", `location.pathname === '/login' && document.querySelector(`+js(tid("reset-done"))+`)`)

	testserver.Must(t, app.Env.Get("/api/v1/me", ada.Token), 401)
	testserver.Must(t, app.Env.Post("/api/v1/auth/login", "", map[string]any{"email": ada.Email, "password": testserver.TestPassword}), 401)
	tab.Type(tid("login-email"), ada.Email)
	tab.Type(tid("login-password"), newPassword)
	tab.Click(tid("login-submit"))
	tab.Visible(tid("logout"))

	// The link works once.
	tab.Open(link)
	tab.Type(tid("reset-password"), "another-long-passphrase-7")
	tab.Type(tid("reset-again"), "another-long-passphrase-7")
	tab.Click(tid("reset-submit"))
	tab.Visible(tid("reset-bad-token"))
	testserver.Must(t, app.Env.Post("/api/v1/auth/login", "", map[string]any{"email": ada.Email, "password": newPassword}), 200)
	noCSPViolations(tab)
}

// TestVerificationJourney: a new account sees "Confirm your address" on
// its account page (and may send the link again); the link from the mail
// verifies the address, and the banner is gone.
func TestVerificationJourney(t *testing.T) {
	app := startApp(t)
	mail := newMailbox(t, app)
	axeJS := loadAxe(t)
	b := newBrowser(t, app)
	tab := b.Tab("newcomer", nil)
	email := "newcomer@example.test"

	tab.Open("/signup")
	tab.Type(tid("signup-name"), "Nora Newcomer")
	tab.Type(tid("signup-email"), email)
	tab.Type(tid("signup-password"), "kestrel-harbour-lamp-58")
	tab.Click(tid("signup-submit"))
	tab.Visible(tid("logout"))

	tab.Open("/account")
	tab.Until("the banner naming the address", `document.querySelector(`+js(tid("verify-banner"))+`)?.textContent.includes(`+js(email)+`)`)
	axeCheck(tab, "account page of an unverified account", axeJS)
	// Send again works a few times, then says politely how long to wait.
	var userID int64
	if err := app.Env.DB.Get(&userID, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		t.Fatal(err)
	}
	resends := accounts.DefaultConfig().VerifyResendsPerUser
	for i := 1; i <= resends; i++ {
		tab.Click(tid("resend-verification"))
		testkit.WaitFor(t, "the message sent again", waitFor, func() bool {
			var n int
			return app.Env.DB.Get(&n, `SELECT count(*) FROM outbox WHERE user_id = $1`, userID) == nil && n == 1+i
		})
		tab.Until("the link sent again", `document.querySelector(`+js(tid("resend-status"))+`)?.textContent.includes(`+js("We sent a new link to "+email)+`)`)
	}
	tab.Click(tid("resend-verification"))
	tab.Until("the wait, said politely", `/You can ask for another one in (\d+ (seconds?|minutes?)|about \d+ hours?)\./.test(document.querySelector(`+js(tid("resend-status"))+`)?.textContent ?? '') &&
		!document.querySelector('main [role="alert"]')`)

	link := mail.link(email, "/account/verify")
	tab.Open(link)
	tab.Until("the address verified", `document.querySelector(`+js(tid("verify-result"))+`)?.textContent.includes('Your address is verified')`)
	axeCheck(tab, "verification page", axeJS)
	var verified bool
	if err := app.Env.DB.Get(&verified, `SELECT email_verified_at IS NOT NULL FROM users WHERE lower(email) = lower($1)`, email); err != nil || !verified {
		t.Fatalf("the address verified in the database: %v, %v", verified, err)
	}

	tab.Open("/account", tid("name-input"))
	if eval[bool](tab, `!!document.querySelector(`+js(tid("verify-banner"))+`)`) {
		tab.fail("the banner is still there after verification")
	}

	// The same link again: used, and the page says the address is verified already.
	tab.Open(link)
	tab.Until("the used link explained", `document.querySelector(`+js(tid("verify-result"))+`)?.textContent.includes('already been used') &&
		document.querySelector(`+js(tid("verify-result"))+`)?.textContent.includes('verified already')`)
	noCSPViolations(tab)
}

// TestChangeNameAndPassword: on the account page a signed-in user changes
// the display name (the header shows it at once) and the password (the
// new one signs in, the old one no longer does).
func TestChangeNameAndPassword(t *testing.T) {
	app := startApp(t)
	axeJS := loadAxe(t)
	ben := app.Env.NewUser("participant")
	b := newBrowser(t, app)
	tab := b.Tab("ben", &ben)

	tab.Open("/account", tid("name-input"))
	axeCheck(tab, "account page", axeJS)
	tab.do("clear the name", clearField(tid("name-input")))
	tab.Type(tid("name-input"), "  Benedikt Q. Example  ")
	tab.Click(tid("name-save"))
	tab.Until("the new name in the header", `document.querySelector(`+js(tid("account-link"))+`)?.textContent.trim() === 'Benedikt Q. Example' &&
		document.querySelector(`+js(tid("name-status"))+`)?.textContent.includes('Saved')`)
	var name string
	if err := app.Env.DB.Get(&name, `SELECT display_name FROM users WHERE id = $1`, ben.ID); err != nil || name != "Benedikt Q. Example" {
		t.Fatalf("name in the database: %q, %v", name, err)
	}

	newPassword := "quartz-willow-ferry-21"
	tab.Type(tid("password-current"), testserver.TestPassword)
	tab.Type(tid("password-new"), newPassword)
	tab.Type(tid("password-again"), newPassword)
	tab.Click(tid("password-save"))
	tab.Until("the change confirmed", `document.querySelector(`+js(tid("password-status"))+`)?.textContent.includes('Your password is changed')`)
	testserver.Must(t, app.Env.Post("/api/v1/auth/login", "", map[string]any{"email": ben.Email, "password": testserver.TestPassword}), 401)
	testserver.Must(t, app.Env.Post("/api/v1/auth/login", "", map[string]any{"email": ben.Email, "password": newPassword}), 200)
	noCSPViolations(tab)
}
