package accounts_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/testserver"
)

type authBody struct {
	User struct {
		ID          int64  `json:"id"`
		Email       string `json:"email"`
		DisplayName string `json:"display_name"`
		Role        string `json:"role"`
	} `json:"user"`
	Token string `json:"token"`
}

func signup(t *testing.T, env *testserver.Env, email, password string) (*testserver.Response, authBody) {
	t.Helper()
	r := env.Post("/api/v1/auth/signup", "", map[string]string{"email": email, "password": password, "display_name": "Ada L."})
	var b authBody
	if r.StatusCode == http.StatusCreated {
		r.JSON(t, &b)
	}
	return r, b
}

func TestSignupLoginMeLogout(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	r, b := signup(t, env, "Ada@Example.org", "a long enough password")
	testserver.Must(t, r, http.StatusCreated)
	if b.Token == "" || len(b.Token) < 43 || b.User.Role != "participant" || b.User.Email != "Ada@Example.org" {
		t.Fatalf("signup answered %+v", b)
	}
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"hub_session=", "HttpOnly", "SameSite=Lax", "path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %q", cookie, want)
		}
	}
	// The token is stored only as a hash.
	var stored int
	if err := env.DB.Get(&stored, `SELECT count(*) FROM sessions WHERE token_hash = convert_to($1, 'UTF8')`, b.Token); err != nil || stored != 0 {
		t.Fatalf("raw token found in sessions (%d, %v)", stored, err)
	}

	// Emails are unique case-insensitively.
	r, _ = signup(t, env, "ada@EXAMPLE.org", "another long password")
	if p := testserver.Must(t, r, http.StatusConflict).Problem(t); p.Code != "email_taken" {
		t.Fatalf("duplicate email: code %q", p.Code)
	}

	r = env.Post("/api/v1/auth/login", "", map[string]string{"email": "ADA@example.ORG", "password": "a long enough password"})
	var login authBody
	testserver.Must(t, r, http.StatusOK).JSON(t, &login)
	if login.Token == b.Token || login.User.ID != b.User.ID {
		t.Fatalf("login gave %+v", login)
	}
	var me struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	}
	testserver.Must(t, env.Get("/api/v1/me", login.Token), 200).JSON(t, &me)
	if me.ID != b.User.ID || me.Email != "Ada@Example.org" {
		t.Fatalf("me = %+v", me)
	}
	testserver.Must(t, env.Post("/api/v1/auth/logout", login.Token, nil), http.StatusNoContent)
	if p := testserver.Must(t, env.Get("/api/v1/me", login.Token), 401).Problem(t); p.Code != "unauthorized" {
		t.Fatalf("revoked token: %+v", p)
	}
	// The other session (from signup) still works.
	testserver.Must(t, env.Get("/api/v1/me", b.Token), 200)
	testserver.Must(t, env.Get("/api/v1/me", ""), 401)
}

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	r, _ := signup(t, env, "short@example.org", "123456789")
	p := testserver.Must(t, r, 422).Problem(t)
	if len(p.Errors) != 1 || p.Errors[0].Field != "password" {
		t.Fatalf("short password: %+v", p)
	}
	long := strings.Repeat("correct horse battery staple ", 30) // 870 bytes
	r, _ = signup(t, env, "long@example.org", long)
	testserver.Must(t, r, 201)
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": "long@example.org", "password": long}), 200)
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": "long@example.org", "password": long[:len(long)-1]}), 401)

	// Unicode: composed and decomposed forms of the same password both work.
	composed := "pässwörd-ünïcødé-🔐"
	decomposed := "pa\u0308sswo\u0308rd-u\u0308ni\u0308cødé-🔐"
	r, _ = signup(t, env, "uni@example.org", composed)
	testserver.Must(t, r, 201)
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": "uni@example.org", "password": decomposed}), 200)
	var hash string
	if err := env.DB.Get(&hash, `SELECT password_hash FROM users WHERE email = 'uni@example.org'`); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with m=19 MiB, t=2", hash)
	}
}

func TestLoginSameAnswerForUnknownEmailAndWrongPassword(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	u := env.NewUser("participant")
	wrong := env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": "not the password"})
	unknown := env.Post("/api/v1/auth/login", "", map[string]string{"email": "nobody@example.org", "password": "not the password"})
	pw, pu := testserver.Must(t, wrong, 401).Problem(t), testserver.Must(t, unknown, 401).Problem(t)
	pw.Instance, pu.Instance = "", ""
	if pw.Code != "invalid_credentials" || pw.Detail != pu.Detail || pw.Title != pu.Title || pw.Code != pu.Code {
		t.Fatalf("answers differ: %+v vs %+v", pw, pu)
	}
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithRedis(), loginLimits(3, 8))
	victim := env.NewUser("participant")
	for i := 0; i < 3; i++ {
		testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": victim.Email, "password": "guess guess " + string(rune('a'+i))}), 401)
	}
	// The account is now throttled, even with the right password…
	r := env.Post("/api/v1/auth/login", "", map[string]string{"email": victim.Email, "password": testserver.TestPassword})
	if p := testserver.Must(t, r, 429).Problem(t); p.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("throttled login: %+v, Retry-After %q", p, r.Header.Get("Retry-After"))
	}
	if ra := r.Header.Get("Retry-After"); ra > "60" && len(ra) >= 2 {
		t.Fatalf("Retry-After %s: the owner must not be locked out for long", ra)
	}
	// …while another account still signs in.
	other := env.NewUser("participant")
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": other.Email, "password": testserver.TestPassword}), 200)
	// The address is throttled after 8 attempts, whatever the account.
	var last *testserver.Response
	for i := 0; i < 6; i++ {
		last = env.Post("/api/v1/auth/login", "", map[string]string{"email": "spray" + string(rune('a'+i)) + "@example.org", "password": "whatever123"})
	}
	testserver.Must(t, last, 429)
}

func TestCSRFOnCookieRequests(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	r, b := signup(t, env, "csrf@example.org", "a long enough password")
	testserver.Must(t, r, 201)
	csrf := r.Header.Get("X-CSRF-Token")
	cookie := map[string]string{"Cookie": "hub_session=" + b.Token}
	with := func(h map[string]string) map[string]string {
		out := map[string]string{"Cookie": cookie["Cookie"]}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	logout := func(h map[string]string) int {
		return env.Do(testserver.Req{Method: "POST", Path: "/api/v1/auth/logout", Header: h}).StatusCode
	}
	// Reads with the cookie work without any CSRF proof.
	testserver.Must(t, env.Do(testserver.Req{Method: "GET", Path: "/api/v1/me", Header: cookie}), 200)
	for name, h := range map[string]map[string]string{
		"no proof":          with(nil),
		"cross-site":        with(map[string]string{"Sec-Fetch-Site": "cross-site"}),
		"foreign origin":    with(map[string]string{"Origin": "https://evil.example"}),
		"look-alike origin": with(map[string]string{"Origin": "http://hubtalks.test.evil.io"}),
		"wrong token":       with(map[string]string{"X-CSRF-Token": "00" + csrf[2:]}),
	} {
		if got := logout(h); got != 403 {
			t.Errorf("%s: status %d, want 403", name, got)
		}
	}
	var n int
	if err := env.DB.Get(&n, `SELECT count(*) FROM sessions`); err != nil || n != 1 {
		t.Fatalf("a refused request ended the session (%d sessions, %v)", n, err)
	}
	if got := logout(with(map[string]string{"X-CSRF-Token": csrf})); got != 204 {
		t.Fatalf("with X-CSRF-Token: %d", got)
	}
	// Same-origin browser requests pass; bearer requests are exempt.
	_, b2 := signup(t, env, "csrf2@example.org", "a long enough password")
	if got := env.Do(testserver.Req{Method: "POST", Path: "/api/v1/auth/logout", Header: map[string]string{"Cookie": "hub_session=" + b2.Token, "Origin": "http://hubtalks.test"}}).StatusCode; got != 204 {
		t.Fatalf("same origin: %d", got)
	}
	_, b3 := signup(t, env, "csrf3@example.org", "a long enough password")
	testserver.Must(t, env.Post("/api/v1/auth/logout", b3.Token, nil), 204)
}

func TestAdminUsersAndRoles(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	admin := env.NewUser("admin")
	alice := env.NewUser("participant")
	mod := env.NewUser("moderator")
	testserver.Must(t, env.Get("/api/v1/users", alice.Token), 403)
	var modList struct {
		Items []map[string]any `json:"items"`
	}
	testserver.Must(t, env.Get("/api/v1/users?q=Test", mod.Token), 200).JSON(t, &modList)
	if len(modList.Items) == 0 {
		t.Fatal("moderator's user search found nobody")
	}
	for _, it := range modList.Items {
		if _, ok := it["email"]; ok {
			t.Fatalf("moderators see emails: %v", it)
		}
	}
	testserver.Must(t, env.Get("/api/v1/users", ""), 401)
	testserver.Must(t, env.Patch("/api/v1/users/1", alice.Token, map[string]string{"role": "admin"}), 403)
	var role string
	_ = env.DB.Get(&role, `SELECT role FROM users WHERE id = $1`, alice.ID)
	if role != "participant" {
		t.Fatalf("refused PATCH changed the role to %s", role)
	}
	var list struct {
		Items []struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	testserver.Must(t, env.Get("/api/v1/users?limit=2", admin.Token), 200).JSON(t, &list)
	if len(list.Items) != 2 || list.NextCursor == nil {
		t.Fatalf("first page: %+v", list)
	}
	testserver.Must(t, env.Get("/api/v1/users?limit=2&cursor="+*list.NextCursor, admin.Token), 200).JSON(t, &list)
	if len(list.Items) != 1 || list.NextCursor != nil {
		t.Fatalf("last page: %+v", list)
	}
	testserver.Must(t, env.Patch("/api/v1/users/"+itoa(alice.ID), admin.Token, map[string]string{"role": "wizard"}), 422)
	testserver.Must(t, env.Patch("/api/v1/users/99999", admin.Token, map[string]string{"role": "moderator"}), 404)
	testserver.Must(t, env.Patch("/api/v1/users/"+itoa(alice.ID), admin.Token, map[string]string{"role": "moderator"}), 200)
	// A role change ends the user's sessions: the new role comes with a new session.
	testserver.Must(t, env.Get("/api/v1/me", alice.Token), 401)
}

func TestEraseAndExport(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	u := env.NewUser("participant")
	var export struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
		Sessions []map[string]any `json:"sessions"`
	}
	testserver.Must(t, env.Get("/api/v1/me/export", u.Token), 200).JSON(t, &export)
	if export.User.Email != u.Email || len(export.Sessions) != 1 {
		t.Fatalf("export: %+v", export)
	}
	testserver.Must(t, env.Delete("/api/v1/me", u.Token), 204)
	testserver.Must(t, env.Get("/api/v1/me", u.Token), 401)
	var row struct {
		Email string `db:"email"`
		Name  string `db:"display_name"`
		Hash  string `db:"password_hash"`
	}
	if err := env.DB.Get(&row, `SELECT email, display_name, password_hash FROM users WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row.Email, u.Email) || row.Name == u.Name || row.Hash != "" {
		t.Fatalf("erased user still holds personal data: %+v", row)
	}
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testserver.TestPassword}), 401)
	// The email is free again.
	r, _ := signup(t, env, u.Email, "a long enough password")
	testserver.Must(t, r, 201)
}

func TestConcurrentSignupsSameEmail(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, _ := signup(t, env, "race@example.org", "a long enough password")
			codes[i] = r.StatusCode
		}(i)
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		switch c {
		case 201:
			created++
		case 409:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if created != 1 {
		t.Fatalf("%d accounts created for one email", created)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Many first requests at once share session queries (see sessionLoader):
// each must still be answered as its own user, and a bad token among them
// as nobody.
func TestConcurrentSessionLookupsKeepIdentities(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	const users, rounds = 60, 3
	us := make([]testserver.User, users)
	for i := range us {
		us[i] = env.NewUser("participant")
	}
	var wg sync.WaitGroup
	errs := make(chan string, users*rounds+rounds*20)
	for round := 0; round < rounds; round++ {
		for i := range us {
			wg.Add(1)
			go func(u testserver.User) {
				defer wg.Done()
				r := env.Get("/api/v1/me", u.Token)
				var me struct {
					ID int64 `json:"id"`
				}
				if r.StatusCode != http.StatusOK {
					errs <- "status " + strconv.Itoa(r.StatusCode)
					return
				}
				r.JSON(t, &me)
				if me.ID != u.ID {
					errs <- "user " + strconv.FormatInt(u.ID, 10) + " answered as " + strconv.FormatInt(me.ID, 10)
				}
			}(us[i])
		}
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if r := env.Get("/api/v1/me", strings.Repeat("x", 40)+strconv.Itoa(i)); r.StatusCode != http.StatusUnauthorized {
					errs <- "bad token: status " + strconv.Itoa(r.StatusCode)
				}
			}(i)
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// A session ends when unused for the idle time or past its expiry; using it
// slides its last use (at most once a minute).
func TestSessionIdleExpiryAndSliding(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	sliding, idle, expired := env.NewUser("participant"), env.NewUser("participant"), env.NewUser("participant")
	env.DB.MustExec(`UPDATE sessions SET last_used_at = now() - interval '10 minutes' WHERE user_id = $1`, sliding.ID)
	env.DB.MustExec(`UPDATE sessions SET last_used_at = now() - interval '15 days' WHERE user_id = $1`, idle.ID)
	env.DB.MustExec(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, expired.ID)
	testserver.Must(t, env.Get("/api/v1/me", sliding.Token), http.StatusOK)
	var secs float64
	if err := env.DB.Get(&secs, `SELECT extract(epoch FROM now() - last_used_at) FROM sessions WHERE user_id = $1`, sliding.ID); err != nil {
		t.Fatal(err)
	}
	if age := time.Duration(secs * float64(time.Second)); age > time.Minute {
		t.Fatalf("last use is %v old after a request: not slid", age)
	}
	for _, u := range []testserver.User{idle, expired} {
		testserver.Must(t, env.Get("/api/v1/me", u.Token), http.StatusUnauthorized)
	}
}
