package server_test

import (
	"fmt"
	"mime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// problemIn sends r with the given Accept-Language and hubtalks_locale
// cookie (either may be "") and decodes the problem it answers.
func problemIn(t *testing.T, env *testserver.Env, r testserver.Req, acceptLanguage, cookie string, status int) (string, string, string) {
	t.Helper()
	r.Header = map[string]string{}
	if acceptLanguage != "" {
		r.Header["Accept-Language"] = acceptLanguage
	}
	if cookie != "" {
		r.Header["Cookie"] = "hubtalks_locale=" + cookie
	}
	resp := testserver.Must(t, env.Do(r), status)
	p := resp.Problem(t)
	return p.Title, p.Detail, resp.Header.Get("Content-Language")
}

// A problem's title and detail are in the request's language: the
// account's choice, else the hubtalks_locale cookie, else Accept-Language,
// else English. Its code stays.
func TestProblemDetailsSpeakTheRequestLanguage(t *testing.T) {
	env := testserver.New(t)
	me := testserver.Req{Method: "GET", Path: "/api/v1/me"}
	cases := []struct{ accept, cookie, title, detail, lang string }{
		{"", "", "Unauthorized", "sign in first", "en"},
		{"de-DE,de;q=0.9,en;q=0.5", "", "Nicht angemeldet", "bitte melden Sie sich zuerst an", "de"},
		{"es-ES", "", "No autenticado", "inicie sesión primero", "es"},
		{"de-DE", "fr", "Non authentifié", "connectez-vous d'abord", "fr"}, // the cookie wins
		{"nl-NL", "", "Unauthorized", "sign in first", "en"},
		{"pt-BR", "xx", "Sessão não iniciada", "inicie sessão primeiro", "pt"}, // an unknown cookie is ignored
	}
	for _, c := range cases {
		title, detail, lang := problemIn(t, env, me, c.accept, c.cookie, 401)
		if title != c.title || detail != c.detail || lang != c.lang {
			t.Errorf("Accept-Language %q, cookie %q: %q / %q (%s), want %q / %q (%s)", c.accept, c.cookie, title, detail, lang, c.title, c.detail, c.lang)
		}
	}

	// Field messages too, each of them.
	signup := testserver.Req{Method: "POST", Path: "/api/v1/auth/signup", Body: map[string]string{"email": "nope", "password": "", "display_name": "Ana"},
		Header: map[string]string{"Accept-Language": "de"}}
	p := testserver.Must(t, env.Do(signup), 422).Problem(t)
	var msgs []string
	for _, e := range p.Errors {
		msgs = append(msgs, e.Field+": "+e.Message)
	}
	if p.Code != "validation_failed" || p.Detail != "die Anfrage enthält ungültige Felder" || !slices.Contains(msgs, "email: muss eine E-Mail-Adresse sein") {
		t.Errorf("sign-up in German: %s %q %v", p.Code, p.Detail, msgs)
	}

	// The account's language wins over the cookie and the browser, for
	// field messages too; null gives the choice back to them.
	u := env.NewUser("participant")
	var user accounts.User
	testserver.Must(t, env.Patch("/api/v1/me", u.Token, map[string]any{"locale": "it"}), 200).JSON(t, &user)
	if user.Locale == nil || *user.Locale != "it" {
		t.Fatalf("PATCH /me {locale: it}: %v", user.Locale)
	}
	bad := testserver.Req{Method: "PATCH", Path: "/api/v1/me", Token: u.Token, Body: map[string]any{"locale": "xx"}}
	title, detail, lang := problemIn(t, env, bad, "de", "fr", 422)
	if title != "Dati non validi" || detail != "locale: deve essere en, es, fr, de, it, pt o null" || lang != "it" {
		t.Errorf("account in Italian: %q / %q (%s)", title, detail, lang)
	}
	testserver.Must(t, env.Patch("/api/v1/me", u.Token, map[string]any{"display_name": "Ada"}), 200).JSON(t, &user)
	if user.Locale == nil || *user.Locale != "it" {
		t.Errorf("a PATCH without locale changed it: %v", user.Locale)
	}
	testserver.Must(t, env.Patch("/api/v1/me", u.Token, map[string]any{"locale": nil}), 200).JSON(t, &user)
	if user.Locale != nil {
		t.Fatalf("PATCH /me {locale: null}: %v", *user.Locale)
	}
	if _, detail, lang := problemIn(t, env, bad, "de", "fr", 422); lang != "fr" || !strings.HasPrefix(detail, "locale: doit valoir") {
		t.Errorf("locale cleared, cookie fr: %q (%s)", detail, lang)
	}
	if _, detail, lang := problemIn(t, env, bad, "de", "", 422); lang != "de" || detail != "locale: muss en, es, fr, de, it, pt oder null sein" {
		t.Errorf("locale cleared, Accept-Language de: %q (%s)", detail, lang)
	}

	// Messages with values: the values in the request's sentence.
	long := testserver.Req{Method: "PATCH", Path: "/api/v1/me", Token: u.Token,
		Body: map[string]any{"display_name": strings.Repeat("a", accounts.MaxDisplayName+1)}}
	for accept, want := range map[string]string{
		"en": "display_name: must be 1 to 60 characters",
		"es": "display_name: debe tener entre 1 y 60 caracteres",
		"fr": "display_name: doit compter de 1 à 60\u00a0caractères",
		"de": "display_name: muss 1 bis 60 Zeichen lang sein",
	} {
		if _, detail, _ := problemIn(t, env, long, accept, "", 422); detail != want {
			t.Errorf("display name too long, %s: %q, want %q", accept, detail, want)
		}
	}
	noSuch := testserver.Req{Method: "GET", Path: "/api/v1/talks/x"}
	if _, detail, _ := problemIn(t, env, noSuch, "pt-PT", "", 404); detail != "não existe nada com este valor de id" {
		t.Errorf("a talk id that is no id, in Portuguese: %q", detail)
	}
}

// A new account keeps the language of the request that made it (sign-up
// and guest join): its messages speak it until the person chooses one.
func TestNewAccountsKeepTheLanguageOfTheirRequest(t *testing.T) {
	env := testserver.New(t)
	testserver.Must(t, env.Do(testserver.Req{Method: "POST", Path: "/api/v1/auth/signup",
		Body:   map[string]string{"email": "lucia@example.test", "password": "una contraseña larga", "display_name": "Lucía"},
		Header: map[string]string{"Accept-Language": "es-ES,es;q=0.9"}}), 201)
	testserver.Must(t, env.Do(testserver.Req{Method: "POST", Path: "/api/v1/auth/guest",
		Body: map[string]string{"display_name": "João"}, Header: map[string]string{"Accept-Language": "pt-PT"}}), 201)
	rows, err := env.DB.Query(`SELECT display_name, locale IS NULL, signup_locale FROM users WHERE display_name IN ('Lucía', 'João') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name, signup string
		var unset bool
		if err := rows.Scan(&name, &unset, &signup); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s:%v:%s", name, unset, signup))
	}
	if strings.Join(got, " ") != "Lucía:true:es João:true:pt" {
		t.Errorf("accounts: %v", got)
	}

	// The verification message goes out in Spanish, over SMTP with its
	// Content-Language.
	mb := testserver.NewMailbox(t, env, accounts.Composer{BaseURL: "http://hubtalks.test"})
	mb.Send(t)
	got2 := mb.Sink.Received()
	if len(got2) != 1 {
		t.Fatalf("%d messages, want the verification", len(got2))
	}
	msg, _, body, err := testkit.MailPart(got2[0], "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if lang := msg.Header.Get("Content-Language"); lang != "es" || subject != "Confirme su dirección de correo electrónico en Hub Talks" {
		t.Errorf("verification: Content-Language %q, subject %q", lang, subject)
	}
	for _, want := range []string{"Hola, Lucía:", "en el plazo de 48 horas", "/account/verify?token="} {
		if !strings.Contains(string(body), want) {
			t.Errorf("verification lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "Please confirm") {
		t.Errorf("English in the Spanish verification:\n%s", body)
	}
}

// Calendar feeds are one address for everyone: English unless ?lang= asks
// for another language; the browser's language does not change them.
func TestCalendarFeedsSpeakTheirLangParameter(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	sp1, sp2 := env.NewUser("participant"), env.NewUser("participant")
	var tk struct {
		ID int64 `json:"id"`
	}
	testserver.Must(t, env.Post("/api/v1/talks", mod.Token, map[string]any{
		"title": "Salud digital", "starts_at": testserver.At(48 * time.Hour), "ends_at": testserver.At(49 * time.Hour),
		"format": "online", "status": "scheduled", "speakers": []map[string]int64{{"id": sp1.ID}, {"id": sp2.ID}},
	}), 201).JSON(t, &tk)
	feed := func(path, accept string) string {
		r := testserver.Req{Method: "GET", Path: path, Header: map[string]string{"Accept-Language": accept}}
		resp := testserver.Must(t, env.Do(r), 200)
		return strings.ReplaceAll(string(resp.Body), "\r\n ", "") // unfold
	}
	talk := fmt.Sprintf("/api/v1/talks/%d.ics", tk.ID)
	speaker := fmt.Sprintf("/api/v1/speakers/%d/talks.ics", sp1.ID)
	for _, path := range []string{"/api/v1/talks.ics", talk, speaker} {
		en := feed(path, "es-ES")
		if !strings.Contains(en, "LOCATION:Online") || !strings.Contains(en, "Speakers: ") {
			t.Errorf("%s with Accept-Language es: not the English feed:\n%s", path, en)
		}
		es := feed(path+"?lang=es", "")
		if !strings.Contains(es, "LOCATION:En línea") || !strings.Contains(es, "Ponentes: ") || strings.Contains(es, "Speakers: ") {
			t.Errorf("%s?lang=es:\n%s", path, es)
		}
		testserver.Must(t, env.Get(path+"?lang=xx", ""), 422)
	}
}
