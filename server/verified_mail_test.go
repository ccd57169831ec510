package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestVerifyingSendsTheRegistrationStateOnce: a new account that registers
// before it verifies its address gets nothing but the verification; using
// the link sends the registration's confirmation, once.
func TestVerifyingSendsTheRegistrationStateOnce(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	sink := testkit.StartMailSink(t, "127.0.0.1:0")
	smtpURL, _ := url.Parse("smtp://" + sink.Addr + "?from=talks@hubtalks.test")
	mailer, err := outbox.NewSMTPMailer(smtpURL, "")
	if err != nil {
		t.Fatal(err)
	}
	composer := outbox.ByKind{Default: registrations.Composer{Cal: talks.CalendarConfig{BaseURL: env.Config.BaseURL}},
		Kinds: accounts.Composer{BaseURL: env.Config.BaseURL}.Kinds()}
	worker := outbox.NewWorker(env.DB, composer, mailer, slog.New(slog.NewTextHandler(io.Discard, nil)))
	seen := 0
	deliver := func() []string { // the messages that arrived since the last call
		t.Helper()
		if _, err := worker.ProcessOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := sink.Received()
		var out []string
		for _, raw := range got[seen:] {
			msg, _, body, err := testkit.MailPart(raw, "text/plain")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, msg.Header.Get("Subject")+"\n"+string(body))
		}
		seen = len(got)
		return out
	}

	mod := env.NewUser("moderator")
	talk := testserver.NewTalk(t, env, mod.Token, map[string]any{"status": "scheduled", "title": "Telemedicine at scale"})
	var signed struct {
		Token string `json:"token"`
	}
	testserver.Must(t, env.Post("/api/v1/auth/signup", "", map[string]string{
		"email": "nina@example.org", "password": "a long enough password", "display_name": "Nina"}), 201).JSON(t, &signed)
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", talk.ID), signed.Token, nil), 201)

	first := deliver()
	if len(first) != 1 || !strings.Contains(first[0], "/account/verify?token=") {
		t.Fatalf("before verification: %q, want only the verification", first)
	}
	token := regexp.MustCompile(`verify\?token=([A-Za-z0-9_%\-]+)`).FindStringSubmatch(first[0])[1]
	token, _ = url.QueryUnescape(token)
	testserver.Must(t, env.Post("/api/v1/auth/verify", "", map[string]string{"token": token}), 204)

	after := deliver()
	if len(after) != 1 || !strings.HasPrefix(after[0], "You're registered: Telemedicine at scale") {
		t.Fatalf("after verification: %q, want the confirmation once", after)
	}
	if again := deliver(); len(again) != 0 {
		t.Fatalf("then %q, want nothing more", again)
	}
}
