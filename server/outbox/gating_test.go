package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/testserver"
)

func processAll(t *testing.T, env *testserver.Env, sink *testkit.MailSink) {
	t.Helper()
	if _, err := worker(env, mailer(t, sink.Addr)).ProcessOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Nothing but verification goes to an unverified address. Once it is
// verified, the current state of each registration is sent once: not the
// backlog of what happened before.
func TestNoRegistrationMailUntilVerifiedThenTheCurrentStateOnce(t *testing.T) {
	env, sink, tk := mailTalk(t)
	other, _ := setup(t, env, 0)
	early, late := env.NewUser("participant"), env.NewUser("participant")
	if _, err := env.DB.Exec(`UPDATE users SET email_verified_at = NULL WHERE id IN ($1, $2)`, early.ID, late.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []testserver.User{early, late} {
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, nil), 201)
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", other.ID), u.Token, nil), 201)
		testserver.Must(t, env.Delete(fmt.Sprintf("/api/v1/talks/%d/registrations/me", other.ID), u.Token), 204)
	}
	processAll(t, env, sink) // early's messages meet an unverified address
	if got := sink.Received(); len(got) != 0 {
		t.Fatalf("%d messages to unverified addresses:\n%s", len(got), got[0])
	}

	regs := registrations.NewService(env.DB, live.NewRecorder(env.DB, nil))
	for _, u := range []testserver.User{early, late} {
		tx := env.DB.MustBegin()
		if _, err := tx.Exec(`UPDATE users SET email_verified_at = now() WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := regs.SendCurrentState(context.Background(), tx, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	processAll(t, env, sink)
	processAll(t, env, sink)
	got := sink.Received()
	if len(got) != 2 {
		t.Fatalf("%d messages after verification, want one each for early and late", len(got))
	}
	for i, u := range []testserver.User{early, late} {
		n := 0
		for _, m := range got {
			if strings.Contains(string(m), u.Email) {
				n++
				if !strings.Contains(string(m), "registered") || !strings.Contains(string(m), tk.Title) {
					t.Fatalf("user %d: not a confirmation of %q:\n%s", i, tk.Title, m)
				}
			}
		}
		if n != 1 {
			t.Fatalf("user %d got %d messages, want 1", i, n)
		}
	}
}

// Registering and cancelling over and over mails at most one message per
// (user, talk), telling the final state, and the changes are limited.
func TestRegisterCancelCyclesAreCoalescedAndLimited(t *testing.T) {
	env, sink, tk := mailTalk(t)
	u := env.NewUser("participant")
	path := fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID)
	for range 10 {
		testserver.Must(t, env.Post(path, u.Token, nil), 201)
		testserver.Must(t, env.Delete(path+"/me", u.Token), 204)
	}
	var queued int
	if err := env.DB.Get(&queued, `SELECT count(*) FROM outbox WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	// One registration message, and one unregistration (a METHOD:CANCEL in
	// case the confirmation was being sent as the user cancelled; dropped
	// when composed, as nothing was).
	if queued > 2 {
		t.Fatalf("10 register/cancel cycles queued %d messages", queued)
	}
	processAll(t, env, sink)
	if got := sink.Received(); len(got) != 0 {
		t.Fatalf("the final state is no registration, yet %d messages went out", len(got))
	}
	// The 21st change within ten minutes is refused.
	r := testserver.Must(t, env.Post(path, u.Token, nil), 429)
	if p := r.Problem(t); p.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("limited change: %+v", p)
	}

	// A confirmation already sent is not sent again for the same state.
	v := env.NewUser("participant")
	testserver.Must(t, env.Post(path, v.Token, nil), 201)
	processAll(t, env, sink)
	testserver.Must(t, env.Delete(path+"/me", v.Token), 204)
	testserver.Must(t, env.Post(path, v.Token, nil), 201)
	processAll(t, env, sink)
	if got := sink.Received(); len(got) != 1 {
		t.Fatalf("register, cancel, register: %d messages, want 1", len(got))
	}
}
