package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"
	"github.com/fasthttp/websocket"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// fuzzRoutes are the writes whose bodies FuzzAPIBodies throws at the server.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/auth/signup"}, {"POST", "/api/v1/auth/login"}, {"PATCH", "/api/v1/users/{user}"},
	{"POST", "/api/v1/talks"}, {"PATCH", "/api/v1/talks/{talk}"}, {"POST", "/api/v1/talks/{talk}/status"},
	{"POST", "/api/v1/talks/{talk}/registrations"}, {"POST", "/api/v1/talks/{talk}/questions"},
	{"PATCH", "/api/v1/questions/{question}"}, {"POST", "/api/v1/questions/{question}/answers"}, {"POST", "/api/v1/questions/{question}/flags"},
	{"POST", "/api/v1/talks/{talk}/threads"}, {"POST", "/api/v1/playlists"}, {"POST", "/api/v1/playlists/{playlist}/items"},
	{"POST", "/api/v1/playlists/{playlist}/import"}, {"PATCH", "/api/v1/moderation/flags/{user}"},
}

// FuzzAPIBodies: no body, on any write route, makes the server answer 5xx
// or anything but problem+json on error.
func FuzzAPIBodies(f *testing.F) {
	env := testserver.New(f)
	admin := env.NewUser("admin")
	start := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(25 * time.Hour).UTC().Format(time.RFC3339)
	talk := testserver.Must(f, env.Post("/api/v1/talks", admin.Token, map[string]any{"title": "Fuzzed talk", "starts_at": start, "ends_at": end, "status": "scheduled"}), 201)
	var t struct{ ID int64 }
	talk.JSON(f, &t)
	q := testserver.Must(f, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", t.ID), admin.Token, map[string]any{"body": "seed question", "anonymous": false}), 201)
	var qq struct{ ID int64 }
	q.JSON(f, &qq)
	pl := testserver.Must(f, env.Post("/api/v1/playlists", admin.Token, map[string]any{"title": "Fuzz"}), 201)
	var p struct{ ID int64 }
	pl.JSON(f, &p)

	for i := range fuzzRoutes {
		for _, body := range []string{`{}`, `{"title":"` + strings.Repeat("é", 300) + `"}`, `{"starts_at":"2026-13-45T99:00:00Z"}`,
			`{"capacity":-1}`, `{"capacity":1e99}`, `{"speakers":[{"id":-1}]}`, `{"status":"live"}`, `{"body":"\u0000"}`,
			`{"video_id":"<script>"}`, `{"qa":{"moderation":null}}`, `{"tags":[""]}`, `{"role":"admin","role":"root"}`, `<feed/>`} {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t2 *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := strings.NewReplacer("{user}", fmt.Sprint(admin.ID), "{talk}", fmt.Sprint(t.ID),
			"{question}", fmt.Sprint(qq.ID), "{playlist}", fmt.Sprint(p.ID)).Replace(r.path)
		resp := env.For(t2).Do(testserver.Req{Method: r.method, Path: path, Token: admin.Token, Body: body})
		if resp.StatusCode >= 500 {
			t2.Fatalf("%s %s with %q: %d %s", r.method, path, body, resp.StatusCode, resp.Body)
		}
		if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t2.Fatalf("%s %s: %d answered as %q", r.method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

// FuzzLiveFrames: any client frame gets well-formed frames back (or a close
// with a documented code), and the connection keeps answering pings.
func FuzzLiveFrames(f *testing.F) {
	env := testserver.New(f, testserver.WithHub(realtime.HubConfig{FrameRate: 1e6, FrameBurst: 1e6}))
	base := env.Listen()
	admin := env.NewUser("admin")
	start := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(25 * time.Hour).UTC().Format(time.RFC3339)
	testserver.Must(f, env.Post("/api/v1/talks", admin.Token, map[string]any{"title": "Fuzzed talk", "starts_at": start, "ends_at": end, "status": "scheduled"}), 201)
	for _, s := range []string{`{"op":"subscribe","channel":"talk:1"}`, `{"op":"subscribe","channel":"talk:1","since":0}`,
		`{"op":"subscribe","channel":"talk:1:staff"}`, `{"op":"unsubscribe","channel":"talk:1"}`, `{"op":"ping"}`, `{"op":"dance"}`,
		`{"op":"subscribe","channel":"talk:99999999999999999999"}`, `{"op":"subscribe","channel":"talk:1","since":-5}`, `[]`, `"op"`, ``, `{"op":"subscribe","channel":"talk:1","since":1e30}`} {
		f.Add([]byte(s))
	}
	url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/live"
	var conn *websocket.Conn
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) > 16<<10 {
			return // over the read limit: a close 1009, tested elsewhere
		}
		if conn == nil {
			c, _, err := websocket.DefaultDialer.Dial(url, nil)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			conn = c
		}
		if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"op":"ping"}`)); err != nil {
			t.Fatalf("write ping: %v", err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); ok && (ce.Code == 1008 || ce.Code == 1013) {
					conn.Close()
					conn = nil
					return // too many subscriptions or frames: documented closes
				}
				t.Fatalf("after frame %q: %v", frame, err)
			}
			var out struct {
				Op string `json:"op"`
			}
			if err := json.Unmarshal(msg, &out); err != nil {
				t.Fatalf("server sent non-JSON %q", msg)
			}
			switch out.Op {
			case "pong":
				return
			case "subscribed", "event", "error":
			default:
				t.Fatalf("server sent op %q: %s", out.Op, msg)
			}
		}
	})
}

// FuzzCalendar: whatever text a talk holds, its .ics parses as RFC 5545 and
// gives the same title, abstract and location back.
func FuzzCalendar(f *testing.F) {
	env := testserver.New(f)
	admin := env.NewUser("admin")
	for _, s := range [][3]string{
		{"Digital health literacy", "Line one\nLine two; with, commas\\ and backslash", "Brussels, Room 1"},
		{"Ünïcødé ✓ talk — 2026", strings.Repeat("long abstract ", 40), ""},
		{"Semi;colon,comma\\back", "CRLF\r\nEND:VEVENT\r\nBEGIN:VEVENT", "Geneva; ITU"},
		{"emoji 🩺📱 in the title", "tab\there", "Online"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	f.Fuzz(func(t *testing.T, title, abstract, location string) {
		e := env.For(t)
		r := e.Post("/api/v1/talks", admin.Token, map[string]any{"title": title, "abstract": abstract, "location": location,
			"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339), "status": "scheduled"})
		if r.StatusCode >= 500 {
			t.Fatalf("create: %d %s", r.StatusCode, r.Body)
		}
		if r.StatusCode != 201 {
			return // refused by validation: fine
		}
		var created struct {
			ID       int64  `json:"id"`
			Title    string `json:"title"`
			Abstract string `json:"abstract"`
			Location string `json:"location"`
		}
		r.JSON(t, &created)
		ics := e.Get(fmt.Sprintf("/api/v1/talks/%d.ics", created.ID), "")
		if ics.StatusCode != 200 {
			t.Fatalf("ics: %d %s", ics.StatusCode, ics.Body)
		}
		if problems := testkit.CalendarLineProblems(ics.Body); len(problems) > 0 {
			t.Fatalf("ics breaks RFC 5545's line rules: %v\n%q", problems, ics.Body)
		}
		cal, err := ical.ParseCalendar(strings.NewReader(string(ics.Body)))
		if err != nil {
			t.Fatalf("ics does not parse: %v\n%s", err, ics.Body)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%d events in a one-talk calendar:\n%s", len(events), ics.Body)
		}
		prop := func(p ical.ComponentProperty) string {
			if v := events[0].GetProperty(p); v != nil {
				return v.Value
			}
			return ""
		}
		// The parser unescapes TEXT values (\\ \, \; \n), so they compare as
		// typed, in the calendar's form of user text: line breaks arrive as
		// "\n", other control characters are left out (a raw CR would end
		// the content line).
		if got := prop(ical.ComponentPropertySummary); got != calendarForm(created.Title) {
			t.Fatalf("SUMMARY %q, title %q", got, created.Title)
		}
		wantAbstract := strings.TrimSpace(calendarForm(strings.TrimSpace(created.Abstract)))
		if wantAbstract != "" && !strings.Contains(strings.ReplaceAll(prop(ical.ComponentPropertyDescription), "\r\n", "\n"), wantAbstract) {
			t.Fatalf("DESCRIPTION %q lacks the abstract %q", prop(ical.ComponentPropertyDescription), created.Abstract)
		}
	})
}

// calendarForm is user text as a calendar's TEXT value shows it.
func calendarForm(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return -1
		}
		return r
	}, s)
}
