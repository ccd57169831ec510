package server_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestVerifyingSendsTheRegistrationStateOnce: a new account that registers
// before it verifies its address gets nothing but the verification; using
// the link sends the registration's confirmation, once.
func TestVerifyingSendsTheRegistrationStateOnce(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	mb := testserver.NewMailbox(t, env, testserver.AppComposer(env.Config.BaseURL))
	deliver := func() []string { // the messages that arrived since the last call
		t.Helper()
		var out []string
		for _, m := range mb.Deliver(t) {
			out = append(out, m.Subject+"\n"+m.Text)
		}
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
