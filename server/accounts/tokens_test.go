package accounts_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// newMailbox delivers env's account messages over real SMTP to a sink.
func newMailbox(t *testing.T, env *testserver.Env) *testserver.Mailbox {
	composer := accounts.Composer{BaseURL: env.Config.BaseURL}
	return testserver.NewMailbox(t, env, outbox.ByKind{Default: composer, Kinds: composer.Kinds()})
}

// link reads the token of the one page link of a message.
func link(t *testing.T, m testserver.Delivered, page string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta("http://hubtalks.test/account/"+page+"?token=") + `([A-Za-z0-9_%\-]+)`)
	sub := re.FindStringSubmatch(m.Text)
	if sub == nil {
		t.Fatalf("no %s link in %q", page, m.Text)
	}
	token, err := url.QueryUnescape(sub[1])
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// one fails unless exactly one message arrived, to email.
func one(t *testing.T, got []testserver.Delivered, email string) testserver.Delivered {
	t.Helper()
	if len(got) != 1 || !strings.Contains(got[0].To, email) {
		t.Fatalf("want one message to %s, got %+v", email, got)
	}
	return got[0]
}

func wantProblem(t *testing.T, r *testserver.Response, status int, code, field string) {
	t.Helper()
	p := testserver.Must(t, r, status).Problem(t)
	if p.Code != code {
		t.Fatalf("code %q, want %q; body %s", p.Code, code, r.Body)
	}
	if field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != field) {
		t.Fatalf("errors %+v, want field %s", p.Errors, field)
	}
}

type me struct {
	ID            int64  `json:"id"`
	DisplayName   string `json:"display_name"`
	EmailVerified bool   `json:"email_verified"`
}

func getMe(t *testing.T, env *testserver.Env, token string) me {
	t.Helper()
	var m me
	testserver.Must(t, env.Get("/api/v1/me", token), 200).JSON(t, &m)
	return m
}

func TestSignupSendsOneVerificationThatVerifiesOnce(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	mb := newMailbox(t, env)
	r, b := signup(t, env, "vera@example.org", "a long enough password")
	testserver.Must(t, r, http.StatusCreated)
	var kinds []string
	if err := env.DB.Select(&kinds, `SELECT kind FROM outbox WHERE user_id = $1`, b.User.ID); err != nil || len(kinds) != 1 || kinds[0] != accounts.MessageVerify {
		t.Fatalf("signup queued %v (%v), want exactly one verification", kinds, err)
	}
	if getMe(t, env, b.Token).EmailVerified {
		t.Fatal("a new address is verified before its link was used")
	}
	msg := one(t, mb.Deliver(t), "vera@example.org")
	token := link(t, msg, "verify")
	if len(token) < 43 {
		t.Fatalf("token %q is shorter than 256 bits", token)
	}
	// Only a hash of the token is stored, and the sent message forgets it.
	var raw int
	if err := env.DB.Get(&raw, `SELECT (SELECT count(*) FROM account_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8')))
		+ (SELECT count(*) FROM outbox WHERE payload::text LIKE '%' || $1 || '%')`, token); err != nil || raw != 1 {
		t.Fatalf("stored hash and raw copies: %d (%v), want only the hash", raw, err)
	}

	testserver.Must(t, env.Post("/api/v1/auth/verify", "", map[string]string{"token": token}), http.StatusNoContent)
	if !getMe(t, env, b.Token).EmailVerified {
		t.Fatal("verified address not shown as verified")
	}
	wantProblem(t, env.Post("/api/v1/auth/verify", "", map[string]string{"token": token}), 422, "invalid_token", "")
	wantProblem(t, env.Post("/api/v1/auth/verify", "", map[string]string{"token": "not-a-token"}), 422, "invalid_token", "")
	wantProblem(t, env.Post("/api/v1/auth/verify/resend", b.Token, nil), 409, "already_verified", "")
	if got := mb.Deliver(t); len(got) != 0 {
		t.Fatalf("sent %d more messages", len(got))
	}
}

func TestVerificationLinkExpiresAndDiesWithItsAddress(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	mb := newMailbox(t, env)
	_, b := signup(t, env, "late@example.org", "a long enough password")
	token := link(t, one(t, mb.Deliver(t), "late@example.org"), "verify")
	if _, err := env.DB.Exec(`UPDATE account_tokens SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, env.Post("/api/v1/auth/verify", "", map[string]string{"token": token}), 422, "invalid_token", "")

	testserver.Must(t, env.Post("/api/v1/auth/verify/resend", b.Token, nil), http.StatusAccepted)
	token = link(t, one(t, mb.Deliver(t), "late@example.org"), "verify")
	if _, err := env.DB.Exec(`UPDATE users SET email = 'moved@example.org' WHERE id = $1`, b.User.ID); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, env.Post("/api/v1/auth/verify", "", map[string]string{"token": token}), 422, "invalid_token", "")
	if getMe(t, env, b.Token).EmailVerified {
		t.Fatal("a link for the old address verified the new one")
	}
}

func TestVerificationResendIsThrottled(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	_, b := signup(t, env, "again@example.org", "a long enough password")
	for i := 0; i < accounts.DefaultConfig().VerifyResendsPerUser; i++ {
		testserver.Must(t, env.Post("/api/v1/auth/verify/resend", b.Token, nil), http.StatusAccepted)
	}
	r := env.Post("/api/v1/auth/verify/resend", b.Token, nil)
	wantProblem(t, r, 429, "rate_limited", "")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	var n int
	if err := env.DB.Get(&n, `SELECT count(*) FROM outbox WHERE user_id = $1`, b.User.ID); err != nil || n != 1+accounts.DefaultConfig().VerifyResendsPerUser {
		t.Fatalf("%d messages queued (%v)", n, err)
	}
	wantProblem(t, env.Post("/api/v1/auth/verify/resend", "", nil), 401, "unauthorized", "")
}

func TestATokenWorksOnceUnderConcurrentUse(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	mb := newMailbox(t, env)
	signup(t, env, "race@example.org", "a long enough password")
	verify := link(t, one(t, mb.Deliver(t), "race@example.org"), "verify")
	testserver.Must(t, env.Post("/api/v1/auth/password-reset", "", map[string]string{"email": "race@example.org"}), http.StatusAccepted)
	reset := link(t, one(t, mb.Deliver(t), "race@example.org"), "reset")
	for _, c := range []struct{ path, body string }{
		{"/api/v1/auth/verify", fmt.Sprintf(`{"token":%q}`, verify)},
		{"/api/v1/auth/password-reset/confirm", fmt.Sprintf(`{"token":%q,"password":"a brand new passphrase"}`, reset)},
	} {
		var ok, invalid atomic.Int32
		testkit.AtOnce(12, func(int) {
			r := env.Post(c.path, "", c.body)
			switch r.StatusCode {
			case http.StatusNoContent:
				ok.Add(1)
			case http.StatusUnprocessableEntity:
				invalid.Add(1)
			}
		})
		if ok.Load() != 1 || invalid.Load() != 11 {
			t.Fatalf("%s: %d succeeded and %d were refused, want 1 and 11", c.path, ok.Load(), invalid.Load())
		}
	}
}

func TestPasswordResetEndToEnd(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	mb := newMailbox(t, env)
	u := env.NewUser("participant")
	var other authBody
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testserver.TestPassword}), 200).JSON(t, &other)

	// An unknown address gets the same answer and no message.
	testserver.Must(t, env.Post("/api/v1/auth/password-reset", "", map[string]string{"email": "nobody@example.org"}), http.StatusAccepted)
	if got := mb.Deliver(t); len(got) != 0 {
		t.Fatalf("a reset for an unknown address sent %+v", got)
	}
	wantProblem(t, env.Post("/api/v1/auth/password-reset", "", map[string]string{"email": "not an address"}), 422, "validation_failed", "email")

	testserver.Must(t, env.Post("/api/v1/auth/password-reset", "", map[string]string{"email": strings.ToUpper(u.Email)}), http.StatusAccepted)
	msg := one(t, mb.Deliver(t), u.Email)
	token := link(t, msg, "reset")

	// A password the policy refuses leaves the token usable.
	wantProblem(t, env.Post("/api/v1/auth/password-reset/confirm", "", map[string]string{"token": token, "password": "1234567890"}), 422, "validation_failed", "password")
	testserver.Must(t, env.Get("/api/v1/me", u.Token), 200)
	testserver.Must(t, env.Post("/api/v1/auth/password-reset/confirm", "", map[string]string{"token": token, "password": "a brand new passphrase"}), http.StatusNoContent)

	for _, old := range []string{u.Token, other.Token} {
		testserver.Must(t, env.Get("/api/v1/me", old), http.StatusUnauthorized)
	}
	wantProblem(t, env.Post("/api/v1/auth/password-reset/confirm", "", map[string]string{"token": token, "password": "yet another passphrase"}), 422, "invalid_token", "")
	wantProblem(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testserver.TestPassword}), 401, "invalid_credentials", "")
	var fresh authBody
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": "a brand new passphrase"}), 200).JSON(t, &fresh)
	if !getMe(t, env, fresh.Token).EmailVerified {
		t.Fatal("a used reset link did not verify the address it went to")
	}

	// A link is good for an hour.
	testserver.Must(t, env.Post("/api/v1/auth/password-reset", "", map[string]string{"email": u.Email}), http.StatusAccepted)
	token = link(t, one(t, mb.Deliver(t), u.Email), "reset")
	if _, err := env.DB.Exec(`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, env.Post("/api/v1/auth/password-reset/confirm", "", map[string]string{"token": token, "password": "yet another passphrase"}), 422, "invalid_token", "")
}

func TestPasswordResetRequestsAreThrottledSilently(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	u := env.NewUser("participant")
	limit := accounts.DefaultConfig().ResetsPerEmail
	for i := 0; i < limit+2; i++ {
		testserver.Must(t, env.Post("/api/v1/auth/password-reset", "", map[string]string{"email": u.Email}), http.StatusAccepted)
	}
	var n int
	if err := env.DB.Get(&n, `SELECT count(*) FROM outbox WHERE user_id = $1 AND kind = $2`, u.ID, accounts.MessageReset); err != nil || n != limit {
		t.Fatalf("%d reset messages queued (%v), want %d", n, err, limit)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	u := env.NewUser("participant")
	var other authBody
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testserver.TestPassword}), 200).JSON(t, &other)

	wantProblem(t, env.Post("/api/v1/me/password", u.Token, map[string]string{"current_password": "not the password", "new_password": "a brand new passphrase"}),
		422, "validation_failed", "current_password")
	wantProblem(t, env.Post("/api/v1/me/password", u.Token, map[string]string{"current_password": testserver.TestPassword, "new_password": "password123"}),
		422, "validation_failed", "new_password")
	testserver.Must(t, env.Get("/api/v1/me", other.Token), 200) // refusals change nothing
	testserver.Must(t, env.Post("/api/v1/me/password", u.Token, map[string]string{"current_password": testserver.TestPassword, "new_password": "a brand new passphrase"}),
		http.StatusNoContent)
	testserver.Must(t, env.Get("/api/v1/me", u.Token), 200)
	testserver.Must(t, env.Get("/api/v1/me", other.Token), http.StatusUnauthorized)
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": "a brand new passphrase"}), 200)
	wantProblem(t, env.Post("/api/v1/me/password", "", map[string]string{"current_password": "x", "new_password": "y"}), 401, "unauthorized", "")
}

func TestPatchMeRenamesEverywhere(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	mod, u := env.NewUser("moderator"), env.NewUser("participant")
	talk := testserver.NewTalk(t, env, mod.Token, map[string]any{"status": "scheduled", "qa": map[string]any{"open": true}})
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk.ID), u.Token, map[string]any{"body": "Who am I?", "anonymous": false}), 201)

	var got me
	testserver.Must(t, env.Patch("/api/v1/me", u.Token, map[string]string{"display_name": "  Zoë Renamed  "}), 200).JSON(t, &got)
	if got.DisplayName != "Zoë Renamed" || getMe(t, env, u.Token).DisplayName != "Zoë Renamed" {
		t.Fatalf("renamed to %q", got.DisplayName)
	}
	// The stored live events name the person as HTTP does now.
	var stale, renamed int
	if err := env.DB.Get(&stale, `SELECT count(*) FROM events WHERE people @> ARRAY[$1::bigint] AND data::text LIKE '%' || $2 || '%'`, u.ID, u.Name); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Get(&renamed, `SELECT count(*) FROM events WHERE people @> ARRAY[$1::bigint] AND data::text LIKE '%Zo%Renamed%'`, u.ID); err != nil {
		t.Fatal(err)
	}
	if stale != 0 || renamed == 0 {
		t.Fatalf("events with the old name: %d, with the new: %d", stale, renamed)
	}
	q := testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions", talk.ID), ""), 200)
	if !strings.Contains(string(q.Body), "Zo") || strings.Contains(string(q.Body), u.Name) {
		t.Fatalf("questions still show the old name: %s", q.Body)
	}
	// Unknown fields are refused.
	wantProblem(t, env.Patch("/api/v1/me", u.Token, map[string]string{"nickname": "Zo"}), 422, "validation_failed", "")
	wantProblem(t, env.Patch("/api/v1/me", u.Token, map[string]string{"display_name": "Evil\u202Egnp.exe"}), 422, "validation_failed", "display_name")
}

func TestDisplayNameRules(t *testing.T) {
	t.Parallel()
	family := "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466" // man, woman, girl, boy joined by ZWJ
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"Ada Lovelace", "Ada Lovelace", true},
		{"  Ada  ", "Ada", true},
		{"Jose\u0301", "José", true}, // composed to NFC
		{family + " Family", family + " Family", true},
		{"Heart \u2764\uFE0F", "Heart \u2764\uFE0F", true}, // variation selector
		{strings.Repeat("x", 60), strings.Repeat("x", 60), true},
		{strings.Repeat("x", 61), "", false},
		{"", "", false},
		{"   ", "", false},
		{"Line\rbreak", "", false},
		{"Line\nbreak", "", false},
		{"Tab\there", "", false},
		{"Bell\u0007", "", false},
		{"Del\u007F", "", false},
		{"abc\u202Edef", "", false},
		{"abc\u2066def", "", false},
		{"abc\u202Adef", "", false},
		{"abc\u2069", "", false},
		{"bad\xffutf8", "", false},
	} {
		got, err := accounts.CleanDisplayName(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
		if !c.ok && err == nil {
			t.Errorf("%q: accepted as %q", c.in, got)
		}
	}
	// Signup uses the same rule.
	env := testserver.New(t)
	r := env.Post("/api/v1/auth/signup", "", map[string]string{"email": "cr@example.org", "password": "a long enough password", "display_name": "Mallory\r\nX-Injected: 1"})
	wantProblem(t, r, 422, "validation_failed", "display_name")
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pw string
		ok bool
	}{
		{"1234567890", false},
		{"password123", false},
		{"qwertyuiop", false},
		{"Password1!", false},    // a common word, capitalised, with a digit and a symbol
		{"P@ssw0rd12", false},    // l33t
		{"aaaaaaaaaa", false},    // a repeat
		{"short", false},         // under 10 characters
		{"jane.doe-2031", false}, // holds the email's local part
		{"JANE DOE rules", false},
		{"correct horse battery", true},
		{"my cat is fluffy", true},
		{"Tr0ub4dor&3", true},
		{"x7#kP2!qLm", true},
	} {
		var v domain.Checker
		accounts.CheckPassword(&v, "password", c.pw, "jane.doe@example.org", "Jane Doe")
		if err := v.Err(); (err == nil) != c.ok {
			t.Errorf("%q: error %v, want ok=%v", c.pw, err, c.ok)
		}
	}
	env := testserver.New(t)
	r := env.Post("/api/v1/auth/signup", "", map[string]string{"email": "weak@example.org", "password": "1234567890", "display_name": "Weak"})
	wantProblem(t, r, 422, "validation_failed", "password")
}
