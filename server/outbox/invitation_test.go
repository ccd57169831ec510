package outbox_test

import (
	"fmt"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// invitation is the calendar attached to mail number i of the sink,
// checked line by line (RFC 5545) and parsed; its METHOD in the MIME type.
func invitation(t *testing.T, sink *testkit.MailSink, i int) (method string, ev *ics.VEvent) {
	t.Helper()
	got := sink.Received()
	if len(got) <= i {
		t.Fatalf("%d mails, want mail %d", len(got), i+1)
	}
	_, ct, body := calendarPart(t, got[i])
	if body == nil {
		t.Fatalf("mail %d has no calendar:\n%s", i+1, got[i])
	}
	cal := testkit.CheckCalendar(t, fmt.Sprintf("calendar of mail %d", i+1), body)
	if len(cal.Events()) != 1 {
		t.Fatalf("mail %d: %d events", i+1, len(cal.Events()))
	}
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ics.PropertyMethod) {
			method = p.Value
		}
	}
	if !strings.Contains(ct, "method="+method) {
		t.Errorf("mail %d: METHOD:%s but Content-Type %q", i+1, method, ct)
	}
	return method, cal.Events()[0]
}

// attendee is the one ATTENDEE of ev, as "mailto:…/PARTSTAT/CN".
func attendee(t *testing.T, ev *ics.VEvent) string {
	t.Helper()
	as := ev.Attendees()
	if len(as) != 1 {
		t.Fatalf("%d attendees, want the registrant alone", len(as))
	}
	return fmt.Sprintf("%s/%s/%s", as[0].Value, as[0].ParticipationStatus(), as[0].ICalParameters["CN"])
}

// Invitations name the registrant as ATTENDEE and the series as ORGANIZER
// (RFC 5546 requires both in REQUEST and CANCEL). Someone who unregisters
// gets a METHOD:CANCEL that takes the talk out of their calendar (the talk
// goes on: no STATUS:CANCELLED); registering again invites them again; a
// cancelled talk sends CANCEL with STATUS:CANCELLED.
func TestInvitationsNameTheAttendeeAndCancelOnUnregister(t *testing.T) {
	env, sink, tk := mailTalk(t)
	u := env.NewUser("participant")
	if _, err := env.DB.Exec(`UPDATE users SET display_name = 'Zoë O''Brien, PhD: "MD"' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID)
	me := "mailto:" + u.Email

	testserver.Must(t, env.Post(path, u.Token, nil), 201)
	processAll(t, env, sink)
	method, ev := invitation(t, sink, 0)
	if a := attendee(t, ev); method != "REQUEST" || a != me+"/ACCEPTED/[Zoë O’Brien PhD ”MD”]" {
		t.Errorf("confirmation: METHOD:%s ATTENDEE %s", method, a)
	}
	if org := ev.GetProperty(ics.ComponentPropertyOrganizer); org == nil || org.Value != "mailto:talks@hubtalks.test" {
		t.Errorf("ORGANIZER %v", org)
	}
	if s := ev.GetProperty(ics.ComponentPropertyStatus); s == nil || s.Value != "CONFIRMED" {
		t.Errorf("STATUS %v", s)
	}

	testserver.Must(t, env.Delete(path+"/me", u.Token), 204)
	processAll(t, env, sink)
	method, ev = invitation(t, sink, 1)
	if a := attendee(t, ev); method != "CANCEL" || !strings.HasPrefix(a, me+"/DECLINED/") || ev.Id() != fmt.Sprintf("talk-%d@hubtalks.test", tk.ID) {
		t.Errorf("unregistration: METHOD:%s ATTENDEE %s UID %s", method, a, ev.Id())
	}
	if s := ev.GetProperty(ics.ComponentPropertyStatus); s != nil {
		t.Errorf("uninviting one attendee has STATUS:%s (RFC 5546 §3.2.5: none)", s.Value)
	}
	if msg, _, _ := calendarPart(t, sink.Received()[1]); !strings.Contains(msg.Header.Get("Subject"), "No longer registered") {
		t.Errorf("subject %q", msg.Header.Get("Subject"))
	}

	testserver.Must(t, env.Post(path, u.Token, nil), 201)
	processAll(t, env, sink)
	if method, ev = invitation(t, sink, 2); method != "REQUEST" || !strings.HasPrefix(attendee(t, ev), me+"/ACCEPTED/") {
		t.Errorf("registered again: METHOD:%s", method)
	}

	mod := env.NewUser("moderator")
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/cancel", tk.ID), mod.Token, nil), 200)
	processAll(t, env, sink)
	method, ev = invitation(t, sink, 3)
	if s := ev.GetProperty(ics.ComponentPropertyStatus); method != "CANCEL" || s == nil || s.Value != "CANCELLED" || !strings.HasPrefix(attendee(t, ev), me+"/") {
		t.Errorf("talk cancelled: METHOD:%s STATUS %v", method, s)
	}
	if n := len(sink.Received()); n != 4 {
		t.Errorf("%d mails, want 4", n)
	}
}

// Registering and unregistering before anything was sent sends nothing: no
// invitation went out, so there is nothing to cancel.
func TestUnregisterBeforeAnyMailSendsNothing(t *testing.T) {
	env, sink, tk := mailTalk(t)
	u := env.NewUser("participant")
	path := fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID)
	testserver.Must(t, env.Post(path, u.Token, nil), 201)
	testserver.Must(t, env.Delete(path+"/me", u.Token), 204)
	processAll(t, env, sink)
	if got := sink.Received(); len(got) != 0 {
		t.Fatalf("%d mails for a registration that ended before any was sent", len(got))
	}
}
