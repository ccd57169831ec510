package testserver

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Mailbox sends env's outbox as the worker of `hubtalks serve` does, over
// SMTP to a real server on loopback (Sink) that keeps what it receives.
type Mailbox struct {
	Sink   *testkit.MailSink
	worker *outbox.Worker
	seen   int
}

// Delivered is a received message: its To and Subject headers as sent,
// and its text part.
type Delivered struct{ To, Subject, Text string }

// AppComposer is the app's composer (server.Composer), its links to
// baseURL and its calendars from talks@hubtalks.test.
func AppComposer(baseURL string) outbox.Composer {
	return server.Composer(talks.CalendarConfig{BaseURL: baseURL, Organizer: "talks@hubtalks.test"})
}

// NewMailbox delivers env's outbox with composer, from
// talks@hubtalks.test.
func NewMailbox(t testing.TB, env *Env, composer outbox.Composer) *Mailbox {
	t.Helper()
	sink := testkit.StartMailSink(t, "127.0.0.1:0")
	m, err := outbox.NewSMTPMailer(&url.URL{Scheme: "smtp", Host: sink.Addr, RawQuery: "from=talks@hubtalks.test"}, "")
	if err != nil {
		t.Fatal(err)
	}
	return &Mailbox{Sink: sink, worker: outbox.NewWorker(env.DB, composer, m, slog.New(slog.NewTextHandler(io.Discard, nil)))}
}

// EnqueueReminders runs the worker's reminder pass once, as its ticker
// would: the reminders now due go into the outbox.
func (mb *Mailbox) EnqueueReminders(t testing.TB) {
	t.Helper()
	if _, err := mb.worker.EnqueueReminders(context.Background()); err != nil {
		t.Fatalf("enqueue reminders: %v", err)
	}
}

// Send sends every message that is due.
func (mb *Mailbox) Send(t testing.TB) {
	t.Helper()
	if _, err := mb.worker.ProcessOnce(context.Background()); err != nil {
		t.Fatalf("send the outbox: %v", err)
	}
}

// Deliver sends what is due and returns the messages that arrived since
// the last call.
func (mb *Mailbox) Deliver(t testing.TB) []Delivered {
	t.Helper()
	mb.Send(t)
	raw := mb.Sink.Received()
	var out []Delivered
	for _, r := range raw[mb.seen:] {
		msg, _, body, err := testkit.MailPart(r, "text/plain")
		if err != nil || body == nil {
			t.Fatalf("message without text (%v): %s", err, r)
		}
		out = append(out, Delivered{To: msg.Header.Get("To"), Subject: msg.Header.Get("Subject"), Text: string(body)})
	}
	mb.seen = len(raw)
	return out
}
