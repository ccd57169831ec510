package outbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/migrations/testdb"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
)

func mailer(t *testing.T, addr string) *outbox.SMTPMailer {
	t.Helper()
	u, _ := url.Parse("smtp://" + addr + "?from=talks@hubtalks.test")
	m, err := outbox.NewSMTPMailer(u, "")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// drain runs w until no message is left to send.
func drain(t *testing.T, w *outbox.Worker) {
	t.Helper()
	for {
		n, err := w.ProcessOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func worker(env *testserver.Env, m outbox.Mailer) *outbox.Worker {
	cal := talks.CalendarConfig{BaseURL: "http://hubtalks.test", Timezone: mustZone("Europe/Brussels"), Organizer: "talks@hubtalks.test"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return outbox.NewWorker(env.DB, registrations.Composer{Cal: cal}, m, log)
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// mailTalk is a server, a mail sink and a talk (see setup) with no
// registrations yet.
func mailTalk(t *testing.T) (*testserver.Env, *testkit.MailSink, talks.Talk) {
	t.Helper()
	env := testserver.New(t)
	sink := testkit.StartMailSink(t, "127.0.0.1:0")
	tk, _ := setup(t, env, 0)
	return env, sink, tk
}

func setup(t *testing.T, env *testserver.Env, n int) (talks.Talk, []testserver.User) {
	t.Helper()
	mod := env.NewUser("moderator")
	var tk talks.Talk
	testserver.Must(t, env.Post("/api/v1/talks", mod.Token, map[string]any{
		"title": "Health data interoperability", "starts_at": testserver.At(72 * time.Hour), "ends_at": testserver.At(73 * time.Hour), "capacity": 1000,
	}), 201).JSON(t, &tk)
	var us []testserver.User
	for i := 0; i < n; i++ {
		u := env.NewUser("participant")
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, nil), 201)
		us = append(us, u)
	}
	return tk, us
}

// calendarPart finds the text/calendar attachment of a MIME message.
func calendarPart(t *testing.T, raw []byte) (*mail.Message, string, []byte) {
	t.Helper()
	msg, ct, body, err := testkit.MailPart(raw, "text/calendar")
	if err != nil {
		t.Fatal(err)
	}
	return msg, ct, body
}

func TestConfirmationOverSMTPWithCalendar(t *testing.T) {
	env := testserver.New(t)
	sink := testkit.StartMailSink(t, "127.0.0.1:0")
	tk, us := setup(t, env, 1)
	n, err := worker(env, mailer(t, sink.Addr)).ProcessOnce(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("processed %d: %v", n, err)
	}
	got := sink.Received()
	if len(got) != 1 {
		t.Fatalf("%d mails received", len(got))
	}
	msg, ct, body := calendarPart(t, got[0])
	if !strings.Contains(msg.Header.Get("To"), us[0].Email) || !strings.Contains(msg.Header.Get("Subject"), "registered") {
		t.Fatalf("headers %v", msg.Header)
	}
	if body == nil || !strings.Contains(ct, "method=REQUEST") {
		t.Fatalf("no calendar attachment (%q) in\n%s", ct, got[0])
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("attachment does not parse: %v\n%s", err, body)
	}
	if m := cal.CalendarProperties; len(m) == 0 || !strings.Contains(string(body), "METHOD:REQUEST") {
		t.Fatalf("no METHOD:REQUEST in %s", body)
	}
	evs := cal.Events()
	if len(evs) != 1 || evs[0].Id() != fmt.Sprintf("talk-%d@hubtalks.test", tk.ID) {
		t.Fatalf("events %d", len(evs))
	}
	var sent *time.Time
	_ = env.DB.Get(&sent, `SELECT sent_at FROM outbox WHERE talk_id = $1`, tk.ID)
	if sent == nil {
		t.Fatal("message not marked sent")
	}
	// Nothing more to send: a second pass sends nothing again.
	if n, _ := worker(env, mailer(t, sink.Addr)).ProcessOnce(context.Background()); n != 0 || len(sink.Received()) != 1 {
		t.Fatalf("second pass claimed %d", n)
	}
}

func TestSMTPDownKeepsMessageUntilBack(t *testing.T) {
	env := testserver.New(t)
	addr := testdb.UnreachableAddr(t)
	tk, _ := setup(t, env, 1)
	w := worker(env, mailer(t, addr))
	if n, err := w.ProcessOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("processed %d: %v", n, err)
	}
	var row struct {
		Attempts int        `db:"attempts"`
		LastErr  *string    `db:"last_error"`
		SentAt   *time.Time `db:"sent_at"`
		Due      bool       `db:"due"`
	}
	q := `SELECT attempts, last_error, sent_at, next_attempt_at <= now() AS due FROM outbox WHERE talk_id = $1`
	if err := env.DB.Get(&row, q, tk.ID); err != nil {
		t.Fatal(err)
	}
	if row.Attempts != 1 || row.LastErr == nil || row.SentAt != nil || row.Due {
		t.Fatalf("after a failed send: %+v", row)
	}
	// Not due yet: the worker leaves it alone.
	if n, _ := w.ProcessOnce(context.Background()); n != 0 {
		t.Fatalf("retried before its backoff: %d", n)
	}
	// The server comes back, and the backoff has passed.
	sink := testkit.StartMailSink(t, addr)
	if _, err := env.DB.Exec(`UPDATE outbox SET next_attempt_at = now() WHERE talk_id = $1`, tk.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := w.ProcessOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("processed %d: %v", n, err)
	}
	if err := env.DB.Get(&row, q, tk.ID); err != nil {
		t.Fatal(err)
	}
	if len(sink.Received()) != 1 || row.SentAt == nil || row.Attempts != 2 {
		t.Fatalf("after recovery: %d mails, %+v", len(sink.Received()), row)
	}
}

func TestTwoWorkersNeverSendTheSameMessage(t *testing.T) {
	env := testserver.New(t)
	sink := testkit.StartMailSink(t, "127.0.0.1:0")
	const n = 40
	setup(t, env, n)
	var wg sync.WaitGroup
	claimed := make([]int, 2)
	for i := 0; i < 2; i++ {
		w := worker(env, mailer(t, sink.Addr))
		w.Batch = 3
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := w.ProcessOnce(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if got == 0 {
					return
				}
				claimed[i] += got
			}
		}()
	}
	wg.Wait()
	ids := map[string]int{}
	for _, raw := range sink.Received() {
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		ids[msg.Header.Get("Message-Id")]++
	}
	for id, c := range ids {
		if c != 1 {
			t.Fatalf("%s sent %d times", id, c)
		}
	}
	var unsent int
	_ = env.DB.Get(&unsent, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`)
	if len(ids) != n || unsent != 0 || claimed[0]+claimed[1] != n {
		t.Fatalf("%d distinct mails, %d unsent, claimed %v", len(ids), unsent, claimed)
	}
	t.Logf("worker claims: %v", claimed)
}

func TestRemindersOncePerWindow(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	var soon, tomorrow talks.Talk
	testserver.Must(t, env.Post("/api/v1/talks", mod.Token, map[string]any{"title": "Starting soon", "starts_at": testserver.At(30 * time.Minute), "ends_at": testserver.At(90 * time.Minute)}), 201).JSON(t, &soon)
	testserver.Must(t, env.Post("/api/v1/talks", mod.Token, map[string]any{"title": "Tomorrow's talk", "starts_at": testserver.At(20 * time.Hour), "ends_at": testserver.At(21 * time.Hour)}), 201).JSON(t, &tomorrow)
	u, late := env.NewUser("participant"), env.NewUser("participant")
	for _, id := range []int64{soon.ID, tomorrow.ID} {
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", id), u.Token, nil), 201)
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", id), late.Token, nil), 201)
	}
	// u registered two days ago; late just now (a fresh confirmation is enough).
	if _, err := env.DB.Exec(`UPDATE registrations SET confirmed_at = now() - interval '2 days' WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	w := worker(env, outbox.LogMailer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for i := 0; i < 2; i++ {
		n, err := w.EnqueueReminders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int]int64{0: 2, 1: 0}[i]; n != want {
			t.Fatalf("pass %d enqueued %d reminders, want %d", i, n, want)
		}
	}
	var kinds []string
	_ = env.DB.Select(&kinds, `SELECT kind || ':' || talk_id FROM outbox WHERE kind LIKE 'reminder%' AND user_id = $1 ORDER BY kind`, u.ID)
	want := []string{fmt.Sprintf("reminder.1h:%d", soon.ID), fmt.Sprintf("reminder.24h:%d", tomorrow.ID)}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("reminders %v, want %v", kinds, want)
	}
	// All messages compose and "send" to the log.
	drain(t, w)
	var unsent int
	_ = env.DB.Get(&unsent, `SELECT count(*) FROM outbox WHERE sent_at IS NULL OR last_error IS NOT NULL`)
	if unsent != 0 {
		t.Fatalf("%d messages unsent or failed", unsent)
	}
}
