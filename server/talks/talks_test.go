package talks_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
)

func TestCreateGetPatchAndSlugs(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	speaker := env.NewUser("participant")
	a := testserver.NewTalk(t, env, mod.Token, map[string]any{
		"title": "AI in Diagnostics: Promise & Pitfalls", "tags": []string{"ai", "diagnostics"}, "capacity": 30,
		"speakers": []map[string]any{{"id": speaker.ID}}, "qa": map[string]any{"moderation": "pre"},
		"stream_url": "https://stream.example.org/live/1", "language": "pt-BR", "format": "hybrid",
	})
	if a.Slug != "ai-in-diagnostics-promise-pitfalls" || a.Status != "scheduled" || *a.Capacity != 30 ||
		len(a.Speakers) != 1 || a.Speakers[0].ID != speaker.ID || a.QA.Moderation != "pre" || !a.QA.AllowAnonymous {
		t.Fatalf("created %+v", a)
	}
	b := testserver.NewTalk(t, env, mod.Token, map[string]any{"title": "AI in diagnostics — promise pitfalls"})
	c := testserver.NewTalk(t, env, mod.Token, map[string]any{"title": "AI in diagnostics: promise, pitfalls!"})
	if b.Slug != a.Slug+"-2" || c.Slug != a.Slug+"-3" {
		t.Fatalf("slugs %q %q", b.Slug, c.Slug)
	}

	// PATCH: any subset; 200 with the whole talk; the slug stays.
	var p talks.Talk
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/talks/%d", a.ID), mod.Token, map[string]any{
		"title": "AI in diagnostics", "capacity": nil, "qa": map[string]any{"open": false},
	}), 200).JSON(t, &p)
	if p.Title != "AI in diagnostics" || p.Capacity != nil || p.QA.Open || p.QA.Moderation != "pre" || p.Slug != a.Slug ||
		len(p.Tags) != 2 || p.StreamURL == nil {
		t.Fatalf("patched %+v", p)
	}
	var dbTitle string
	if err := env.DB.Get(&dbTitle, `SELECT title FROM talks WHERE id = $1`, a.ID); err != nil || dbTitle != "AI in diagnostics" {
		t.Fatalf("db title %q %v", dbTitle, err)
	}
	// Events go to everyone: talk.updated without stream_url.
	var data string
	if err := env.DB.Get(&data, `SELECT data::text FROM events WHERE channel = $1 AND type = 'talk.updated' ORDER BY seq DESC LIMIT 1`,
		fmt.Sprintf("talk:%d", a.ID)); err != nil {
		t.Fatalf("talk.updated not recorded: %v", err)
	}
	if strings.Contains(data, "stream.example.org") || !strings.Contains(data, `"stream_url": null`) && !strings.Contains(data, `"stream_url":null`) {
		t.Fatalf("event leaks or lacks stream_url: %s", data)
	}

	// Participants may not write.
	participant := env.NewUser("participant")
	if r := env.Post("/api/v1/talks", participant.Token, map[string]any{"title": "x"}); r.StatusCode != 403 {
		t.Fatalf("participant create: %d", r.StatusCode)
	}
	if r := env.Get("/api/v1/talks/abc", ""); r.StatusCode != 404 || r.Problem(t).Code != "not_found" {
		t.Fatalf("/talks/abc: %d %s", r.StatusCode, r.Body)
	}
	if r := env.Get("/api/v1/talks/999999", ""); r.StatusCode != 404 {
		t.Fatalf("missing talk: %d", r.StatusCode)
	}
}

func TestValidationNamesFields(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": "ab", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour)}, "title"},
		{map[string]any{"title": strings.Repeat("x", 201), "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour)}, "title"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(2 * time.Hour), "ends_at": testserver.At(time.Hour)}, "ends_at"},
		{map[string]any{"title": "Valid title", "starts_at": "tomorrow", "ends_at": testserver.At(time.Hour)}, "starts_at"},
		{map[string]any{"title": "Valid title", "ends_at": testserver.At(time.Hour)}, "starts_at"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "capacity": -1}, "capacity"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "speakers": []map[string]any{{"id": 987654}}}, "speakers"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "stream_url": "javascript:alert(1)"}, "stream_url"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "language": "English"}, "language"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "format": "radio"}, "format"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "qa": map[string]any{"moderation": "none"}}, "qa.moderation"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "tags": []string{""}}, "tags"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "tags": strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")}, "tags"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "registration_closes_at": testserver.At(3 * time.Hour)}, "registration_closes_at"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "status": "live"}, "status"},
		{map[string]any{"title": "Valid title", "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour), "colour": "red"}, "colour"},
		{map[string]any{"title": 42, "starts_at": testserver.At(time.Hour), "ends_at": testserver.At(2 * time.Hour)}, "title"},
	}
	for _, c := range cases {
		r := env.Post("/api/v1/talks", mod.Token, c.body)
		if r.StatusCode != 422 {
			t.Errorf("%v: status %d, want 422; %s", c.body, r.StatusCode, r.Body)
			continue
		}
		p := r.Problem(t)
		found := false
		for _, e := range p.Errors {
			found = found || e.Field == c.field
		}
		if !found {
			t.Errorf("%v: errors %+v do not name %q", c.body, p.Errors, c.field)
		}
	}
	var n int
	if err := env.DB.Get(&n, `SELECT count(*) FROM talks`); err != nil || n != 0 {
		t.Fatalf("invalid requests wrote %d talks (%v)", n, err)
	}
	// PATCH: ends_at before the stored starts_at names ends_at; null title is refused.
	tk := testserver.NewTalk(t, env, mod.Token, nil)
	r := env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"ends_at": tk.StartsAt.Add(-time.Minute)})
	if r.StatusCode != 422 || r.Problem(t).Errors[0].Field != "ends_at" {
		t.Fatalf("patch ends_at: %d %s", r.StatusCode, r.Body)
	}
	r = env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"title": nil})
	if r.StatusCode != 422 || r.Problem(t).Errors[0].Field != "title" {
		t.Fatalf("patch null title: %d %s", r.StatusCode, r.Body)
	}
}

func TestDraftsAndStreamURLVisibility(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	speaker := env.NewUser("participant")
	alice := env.NewUser("participant")
	bob := env.NewUser("participant")
	draft := testserver.NewTalk(t, env, mod.Token, map[string]any{"title": "Draft on telemedicine", "status": "draft",
		"speakers": []map[string]any{{"id": speaker.ID}}})
	pub := testserver.NewTalk(t, env, mod.Token, map[string]any{"title": "Interoperability with FHIR", "stream_url": "https://live.example.org/x"})

	list := func(token string) []talks.Talk {
		var l struct{ Items []talks.Talk }
		testserver.Must(t, env.Get("/api/v1/talks", token), 200).JSON(t, &l)
		return l.Items
	}
	if got := list(alice.Token); len(got) != 1 || got[0].ID != pub.ID {
		t.Fatalf("participant sees %+v", got)
	}
	if got := list(""); len(got) != 1 {
		t.Fatalf("anonymous sees %d talks", len(got))
	}
	if got := list(speaker.Token); len(got) != 2 {
		t.Fatalf("the draft's speaker sees %d talks", len(got))
	}
	if got := list(mod.Token); len(got) != 2 {
		t.Fatalf("moderator sees %d talks", len(got))
	}
	if r := env.Get(fmt.Sprintf("/api/v1/talks/%d", draft.ID), alice.Token); r.StatusCode != 404 {
		t.Fatalf("participant GET draft: %d", r.StatusCode)
	}
	if r := env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", draft.ID), alice.Token, nil); r.StatusCode != 404 {
		t.Fatalf("participant registers for a draft: %d", r.StatusCode)
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d", draft.ID), speaker.Token), 200)

	get := func(token string) talks.Talk {
		var tk talks.Talk
		testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d", pub.ID), token), 200).JSON(t, &tk)
		return tk
	}
	if get("").StreamURL != nil || get(alice.Token).StreamURL != nil {
		t.Fatal("stream_url shown to someone not registered")
	}
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", pub.ID), alice.Token, nil), 201)
	if u := get(alice.Token).StreamURL; u == nil || *u != "https://live.example.org/x" {
		t.Fatalf("registered user does not see stream_url: %v", u)
	}
	if get(bob.Token).StreamURL != nil {
		t.Fatal("stream_url shown to another participant")
	}
	if get(mod.Token).StreamURL == nil {
		t.Fatal("moderator does not see stream_url")
	}
	for _, tk := range list(alice.Token) {
		if tk.StreamURL != nil {
			t.Fatal("list shows stream_url to a participant")
		}
	}
	// The draft is not in the feed.
	cal := feed(t, env, "/api/v1/talks.ics")
	for _, ev := range cal.Events() {
		if ev.Id() == uid(env, draft.ID) {
			t.Fatal("draft in the calendar feed")
		}
	}
}

func TestListFiltersAndCursor(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	for i := 0; i < 7; i++ {
		testserver.NewTalk(t, env, mod.Token, map[string]any{
			"title": fmt.Sprintf("Talk %d on mobile health", i), "starts_at": testserver.At(time.Duration(10-i) * time.Hour), "ends_at": testserver.At(time.Duration(11-i) * time.Hour),
			"tags": []string{map[bool]string{true: "even", false: "odd"}[i%2 == 0]},
		})
	}
	testserver.NewTalk(t, env, mod.Token, map[string]any{"title": "100% literacy_rate", "abstract": "Patients and apps"})
	var all []talks.Talk
	cursor := ""
	pages := 0
	for {
		path := "/api/v1/talks?limit=3"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var l struct {
			Items      []talks.Talk
			NextCursor *string `json:"next_cursor"`
		}
		testserver.Must(t, env.Get(path, ""), 200).JSON(t, &l)
		all = append(all, l.Items...)
		pages++
		if l.NextCursor == nil {
			break
		}
		cursor = *l.NextCursor
	}
	if len(all) != 8 || pages != 3 {
		t.Fatalf("%d talks in %d pages", len(all), pages)
	}
	for i := 1; i < len(all); i++ {
		if all[i].StartsAt.Before(all[i-1].StartsAt) {
			t.Fatalf("not ordered by starts_at at %d", i)
		}
	}
	count := func(q string) int {
		var l struct{ Items []talks.Talk }
		testserver.Must(t, env.Get("/api/v1/talks?"+q, ""), 200).JSON(t, &l)
		return len(l.Items)
	}
	if n := count("tag=even"); n != 4 {
		t.Errorf("tag=even: %d", n)
	}
	if n := count("q=MOBILE"); n != 7 {
		t.Errorf("q=MOBILE: %d", n)
	}
	if n := count("q=" + url.QueryEscape("100%")); n != 1 {
		t.Errorf("q=100%%: %d", n)
	}
	if n := count("q=patients"); n != 1 {
		t.Errorf("q=patients (abstract): %d", n)
	}
	if n := count("to=" + url.QueryEscape(testserver.At(6*time.Hour+30*time.Minute))); n != 3 {
		t.Errorf("to: %d", n)
	}
	if n := count("status=cancelled"); n != 0 {
		t.Errorf("status=cancelled: %d", n)
	}
	for _, q := range []string{"from=yesterday", "status=done", "cursor=zzz", "limit=0"} {
		if r := env.Get("/api/v1/talks?"+q, ""); r.StatusCode != 422 {
			t.Errorf("%s: %d", q, r.StatusCode)
		}
	}
}

func uid(env *testserver.Env, id int64) string {
	return fmt.Sprintf("talk-%d@hubtalks.test", id)
}

func feed(t *testing.T, env *testserver.Env, path string) *ics.Calendar {
	t.Helper()
	r := testserver.Must(t, env.Get(path, ""), 200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Fatalf("content type %q", ct)
	}
	if !strings.Contains(string(r.Body), "\r\n") {
		t.Fatal("calendar lines do not end in CRLF")
	}
	cal, err := ics.ParseCalendar(strings.NewReader(string(r.Body)))
	if err != nil {
		t.Fatalf("parse %s: %v\n%s", path, err, r.Body)
	}
	return cal
}

func prop(ev *ics.VEvent, p ics.ComponentProperty) string {
	if v := ev.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func TestCalendarFeeds(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	var ids []int64
	for i := 0; i < 5; i++ {
		ids = append(ids, testserver.NewTalk(t, env, mod.Token, map[string]any{"title": fmt.Sprintf("Telemedicine session %d", i),
			"starts_at": testserver.At(time.Duration(24+i) * time.Hour), "ends_at": testserver.At(time.Duration(25+i) * time.Hour)}).ID)
	}
	cal := feed(t, env, "/api/v1/talks.ics")
	byUID := map[string]*ics.VEvent{}
	for _, ev := range cal.Events() {
		byUID[ev.Id()] = ev
	}
	for _, id := range ids {
		ev := byUID[uid(env, id)]
		if ev == nil {
			t.Fatalf("talk %d missing from the feed", id)
		}
		if prop(ev, ics.ComponentPropertySequence) != "0" || prop(ev, ics.ComponentPropertyStatus) != "CONFIRMED" {
			t.Fatalf("talk %d: sequence %q status %q", id, prop(ev, ics.ComponentPropertySequence), prop(ev, ics.ComponentPropertyStatus))
		}
		start, err := ev.GetStartAt()
		var want time.Time
		_ = env.DB.Get(&want, `SELECT starts_at FROM talks WHERE id = $1`, id)
		if err != nil || !start.Equal(want) {
			t.Fatalf("DTSTART %v (%v), want %v", start, err, want)
		}
	}
	// Reschedule: SEQUENCE grows; cancel: STATUS:CANCELLED and it grows again.
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/talks/%d", ids[0]), mod.Token, map[string]any{
		"starts_at": testserver.At(30 * time.Hour), "ends_at": testserver.At(31 * time.Hour)}), 200)
	one := feed(t, env, fmt.Sprintf("/api/v1/talks/%d.ics", ids[0]))
	if len(one.Events()) != 1 || prop(one.Events()[0], ics.ComponentPropertySequence) != "1" || one.Events()[0].Id() != uid(env, ids[0]) {
		t.Fatalf("rescheduled talk: %s", one.Serialize())
	}
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/cancel", ids[0]), mod.Token, nil), 200)
	one = feed(t, env, fmt.Sprintf("/api/v1/talks/%d.ics", ids[0]))
	ev := one.Events()[0]
	if prop(ev, ics.ComponentPropertySequence) != "2" || prop(ev, ics.ComponentPropertyStatus) != "CANCELLED" {
		t.Fatalf("cancelled talk: %s", one.Serialize())
	}
	if r := env.Get("/api/v1/talks/abc.ics", ""); r.StatusCode != 404 {
		t.Fatalf("abc.ics: %d", r.StatusCode)
	}
}

func TestStatusTransitions(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	speaker := env.NewUser("participant")
	other := env.NewUser("participant")
	tk := testserver.NewTalk(t, env, mod.Token, map[string]any{"speakers": []map[string]any{{"id": speaker.ID}}})
	path := fmt.Sprintf("/api/v1/talks/%d/status", tk.ID)
	if r := env.Post(path, other.Token, map[string]any{"status": "live"}); r.StatusCode != 403 {
		t.Fatalf("non-staff: %d", r.StatusCode)
	}
	if r := env.Post(path, speaker.Token, map[string]any{"status": "paused"}); r.StatusCode != 422 {
		t.Fatalf("bad status: %d", r.StatusCode)
	}
	var out talks.Talk
	testserver.Must(t, env.Post(path, speaker.Token, map[string]any{"status": "live"}), 200).JSON(t, &out)
	if out.Status != "live" {
		t.Fatalf("status %q", out.Status)
	}
	testserver.Must(t, env.Post(path, speaker.Token, map[string]any{"status": "ended"}), 200)
	if r := env.Post(path, speaker.Token, map[string]any{"status": "live"}); r.StatusCode != 409 {
		t.Fatalf("ended → live: %d", r.StatusCode)
	}
	var n int
	_ = env.DB.Get(&n, `SELECT count(*) FROM events WHERE channel = $1 AND type = 'talk.updated'`, fmt.Sprintf("talk:%d", tk.ID))
	if n != 2 {
		t.Fatalf("%d talk.updated events, want 2", n)
	}
	if r := env.Post(fmt.Sprintf("/api/v1/talks/%d/cancel", tk.ID), mod.Token, nil); r.StatusCode != 409 {
		t.Fatalf("cancel ended: %d", r.StatusCode)
	}
}
