package talks_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// calendarOf fetches path and checks it line by line (RFC 5545) and with
// golang-ical's parser.
func calendarOf(t *testing.T, env *testserver.Env, path string, header map[string]string) (*testserver.Response, *ics.Calendar) {
	t.Helper()
	r := testserver.Must(t, env.Do(testserver.Req{Method: "GET", Path: path, Header: header}), 200)
	return r, testkit.CheckCalendar(t, path, r.Body)
}

func brussels(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The series feed and a talk's calendar are valid RFC 5545 whatever the
// talks hold (a CR in an abstract, long Unicode lines, no talks at all),
// name the series' address as ORGANIZER, and are the same bytes until a
// talk changes: DTSTAMP is the talk's updated_at, the ETag a hash of the
// body, Last-Modified the last change, and a subscriber asking again gets
// 304 Not Modified.
func TestCalendarsValidAndCacheable(t *testing.T) {
	env := testserver.New(t, testserver.WithConfig(func(c *server.Config) {
		c.SeriesTimezone = brussels(t)
		c.SeriesEmail = "series@talks.example.org"
	}))
	// No talks yet: still a calendar with a component (RFC 5545 §3.6).
	_, empty := calendarOf(t, env, "/api/v1/talks.ics", nil)
	if tzs := empty.Timezones(); len(empty.Events()) != 0 || len(tzs) != 1 || tzs[0].GetProperty(ics.ComponentPropertyTzid).Value != "Europe/Brussels" {
		t.Errorf("empty feed: %d events, %d time zones", len(empty.Events()), len(tzs))
	}

	mod := env.NewUser("moderator")
	tk := testserver.NewTalk(t, env, mod.Token, map[string]any{
		"title":    "Ünïcödé " + strings.Repeat("très long titre ", 8),
		"abstract": "First line\rsecond line\r\nthird; with, commas\\",
		"location": "Room K.3.401",
	})
	feed1, cal := calendarOf(t, env, "/api/v1/talks.ics", nil)
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	if got := prop(ev, ics.ComponentPropertyDescription); !strings.Contains(got, "First line\nsecond line\nthird; with, commas\\") {
		t.Errorf("DESCRIPTION %q", got)
	}
	if org := ev.GetProperty(ics.ComponentPropertyOrganizer); org == nil || org.Value != "mailto:series@talks.example.org" {
		t.Errorf("ORGANIZER %v", org)
	}
	var updated time.Time
	if err := env.DB.Get(&updated, `SELECT updated_at FROM talks WHERE id = $1`, tk.ID); err != nil {
		t.Fatal(err)
	}
	if stamp, err := ev.GetDtStampTime(); err != nil || !stamp.Equal(updated.UTC().Truncate(time.Second)) {
		t.Errorf("DTSTAMP %v (%v), want the talk's updated_at %v", stamp, err, updated)
	}

	// The same bytes a second later; 304 with either validator.
	time.Sleep(1100 * time.Millisecond)
	feed2, _ := calendarOf(t, env, "/api/v1/talks.ics", nil)
	etag, modified := feed1.Header.Get("ETag"), feed1.Header.Get("Last-Modified")
	if string(feed2.Body) != string(feed1.Body) || etag == "" || feed2.Header.Get("ETag") != etag || modified == "" || feed2.Header.Get("Last-Modified") != modified {
		t.Fatalf("the feed changed without a change: ETag %q → %q, Last-Modified %q → %q", etag, feed2.Header.Get("ETag"), modified, feed2.Header.Get("Last-Modified"))
	}
	if lm, err := http.ParseTime(modified); err != nil || !lm.Equal(updated.UTC().Truncate(time.Second)) {
		t.Errorf("Last-Modified %q, want %v", modified, updated)
	}
	talkPath := fmt.Sprintf("/api/v1/talks/%d.ics", tk.ID)
	one, _ := calendarOf(t, env, talkPath, nil)
	for _, path := range []string{"/api/v1/talks.ics", talkPath} {
		tag := etag
		if path == talkPath {
			tag = one.Header.Get("ETag")
		}
		for _, h := range []map[string]string{{"If-None-Match": tag}, {"If-None-Match": `"other", W/` + tag}, {"If-Modified-Since": modified}} {
			r := env.Do(testserver.Req{Method: "GET", Path: path, Header: h})
			if r.StatusCode != 304 || len(r.Body) != 0 || r.Header.Get("ETag") != tag {
				t.Errorf("%s %v: %d (ETag %q) %q, want 304", path, h, r.StatusCode, r.Header.Get("ETag"), r.Body)
			}
		}
		// A stale ETag wins over a fresh date (RFC 9110 §13.2.2).
		if r := env.Do(testserver.Req{Method: "GET", Path: path, Header: map[string]string{"If-None-Match": `"stale"`, "If-Modified-Since": modified}}); r.StatusCode != 200 {
			t.Errorf("%s: stale ETag answered %d", path, r.StatusCode)
		}
	}

	// A change: new bytes, new validators, 200 to the old ones.
	time.Sleep(1100 * time.Millisecond)
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"location": "Room K.2"}), 200)
	r := env.Do(testserver.Req{Method: "GET", Path: "/api/v1/talks.ics", Header: map[string]string{"If-None-Match": etag}})
	if r.StatusCode != 200 || r.Header.Get("ETag") == etag || r.Header.Get("Last-Modified") == modified {
		t.Fatalf("after a change: %d, ETag %q, Last-Modified %q", r.StatusCode, r.Header.Get("ETag"), r.Header.Get("Last-Modified"))
	}
	if r := env.Do(testserver.Req{Method: "GET", Path: "/api/v1/talks.ics", Header: map[string]string{"If-Modified-Since": modified}}); r.StatusCode != 200 {
		t.Fatalf("after a change, If-Modified-Since the old date: %d", r.StatusCode)
	}
	testkit.CheckCalendar(t, "feed after the change", r.Body)
	// A talk leaving the feed (back to draft) changes it too.
	etag, modified = r.Header.Get("ETag"), r.Header.Get("Last-Modified")
	time.Sleep(1100 * time.Millisecond)
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"status": "draft"}), 200)
	r = env.Do(testserver.Req{Method: "GET", Path: "/api/v1/talks.ics", Header: map[string]string{"If-Modified-Since": modified}})
	if r.StatusCode != 200 || r.Header.Get("ETag") == etag {
		t.Fatalf("after the talk left the feed: %d, ETag %q", r.StatusCode, r.Header.Get("ETag"))
	}
	if cal := testkit.CheckCalendar(t, "feed without talks", r.Body); len(cal.Events()) != 0 {
		t.Fatalf("the draft is still in the feed")
	}
}
