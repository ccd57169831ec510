package search_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/qa"
	"github.com/hubtalks/hubtalks/server/search"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
	"github.com/hubtalks/hubtalks/server/threads"
)

// series is a server with a moderator, a speaker and a participant.
type series struct {
	*modtest.Env
	mod, speaker, user testserver.User
}

func newSeries(t *testing.T) *series {
	env := modtest.New(t, nil)
	return &series{Env: env, mod: env.NewUser("moderator"), speaker: env.NewUser("participant"), user: env.NewUser("participant")}
}

// talk creates a talk through the API (the speaker speaks at it).
func (s *series) talk(fields map[string]any) talks.Talk {
	s.T.Helper()
	if _, ok := fields["speakers"]; !ok {
		fields["speakers"] = []map[string]int64{{"id": s.speaker.ID}}
	}
	return testserver.NewTalk(s.T, s.Env.Env, s.mod.Token, fields)
}

func (s *series) ask(talkID int64, body string) qa.Question {
	s.T.Helper()
	var q qa.Question
	testserver.Must(s.T, s.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talkID), s.user.Token, map[string]any{"body": body}), 201).JSON(s.T, &q)
	return q
}

func (s *series) moderate(id int64, change map[string]any) qa.Question {
	s.T.Helper()
	var q qa.Question
	testserver.Must(s.T, s.Patch(fmt.Sprintf("/api/v1/questions/%d", id), s.speaker.Token, change), 200).JSON(s.T, &q)
	return q
}

func (s *series) answer(id int64, body string) {
	s.T.Helper()
	testserver.Must(s.T, s.Post(fmt.Sprintf("/api/v1/questions/%d/answers", id), s.speaker.Token, map[string]any{"body": body}), 201)
}

// answered asks a question and answers it in writing and by marking it.
func (s *series) answered(talkID int64, body, answer string) qa.Question {
	s.T.Helper()
	q := s.ask(talkID, body)
	s.answer(q.ID, answer)
	return s.moderate(q.ID, map[string]any{"status": "answered"})
}

func (s *series) setStatus(talkID int64, status string) {
	s.T.Helper()
	testserver.Must(s.T, s.Post(fmt.Sprintf("/api/v1/talks/%d/status", talkID), s.speaker.Token, map[string]any{"status": status}), 200)
}

// search runs GET /search as token with the query string params.
func (s *series) search(token string, params url.Values) (items []search.Result, next *string) {
	s.T.Helper()
	var page struct {
		Items      []search.Result `json:"items"`
		NextCursor *string         `json:"next_cursor"`
	}
	testserver.Must(s.T, s.Get("/api/v1/search?"+params.Encode(), token), 200).JSON(s.T, &page)
	return page.Items, page.NextCursor
}

func (s *series) find(q string) []search.Result {
	s.T.Helper()
	items, _ := s.search("", url.Values{"q": {q}})
	return items
}

func has(items []search.Result, kind string, id int64) bool {
	for _, it := range items {
		if it.Type == kind && it.ID == id {
			return true
		}
	}
	return false
}

func TestFindsAPhraseInAnAnswer(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	k := s.talk(map[string]any{"title": "Apps as medical devices"})
	hit := s.answered(k.ID, "Do wellness apps need certification?", "Only with a <medical> purpose: then a notified body reviews it.")
	miss := s.answered(k.ID, "Which body decides?", "The manufacturer; no one is notified.")
	items := s.find(`"notified body"`)
	if !has(items, search.KindQuestion, hit.ID) || has(items, search.KindQuestion, miss.ID) {
		t.Fatalf("phrase search: %+v", items)
	}
	r := items[0]
	if r.Talk.ID != k.ID || r.Talk.Slug != k.Slug || r.Title != hit.Body {
		t.Errorf("result %+v", r)
	}
	// The text is escaped, the matches marked.
	if !strings.Contains(r.Snippet, "<mark>notified</mark> <mark>body</mark>") || !strings.Contains(r.Snippet, "&lt;medical&gt;") {
		t.Errorf("snippet %q", r.Snippet)
	}
	// A word written as a tag is a word.
	if items := s.find("medical purpose"); !has(items, search.KindQuestion, hit.ID) {
		t.Errorf("<medical>: %+v", items)
	}
	// -word excludes; the last word matches as a prefix while typed.
	if items := s.find("body -manufacturer"); !has(items, search.KindQuestion, hit.ID) || has(items, search.KindQuestion, miss.ID) {
		t.Errorf("-word: %+v", items)
	}
	if items := s.find("wellness certif"); !has(items, search.KindQuestion, hit.ID) {
		t.Errorf("prefix: %+v", items)
	}
}

func TestFindsSpeakersTagsAndSpanishWithoutAccents(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	if _, err := s.DB.Exec(`UPDATE users SET display_name = 'Zoë Quintanilla' WHERE id = $1`, s.speaker.ID); err != nil {
		t.Fatal(err)
	}
	en := s.talk(map[string]any{"title": "Interoperability in practice", "tags": []string{"fhir"}})
	es := s.talk(map[string]any{"title": "Salud digital en América Latina", "language": "es",
		"abstract": "La regulación de las aplicaciones móviles de salud."})
	for _, q := range []string{"quintanilla", "zoe", "fhir"} {
		if items := s.find(q); !has(items, search.KindTalk, en.ID) {
			t.Errorf("%q: %+v", q, items)
		}
	}
	items := s.find("regulacion movil")
	if !has(items, search.KindTalk, es.ID) {
		t.Fatalf("accent-insensitive Spanish: %+v", items)
	}
	if !strings.Contains(items[0].Snippet, "<mark>regulación</mark>") {
		t.Errorf("snippet %q: the word as written is marked", items[0].Snippet)
	}
	// The schedule's own filter is the same search.
	var list struct{ Items []talks.Talk }
	testserver.Must(t, s.Get("/api/v1/talks?q=quintanilla", ""), 200).JSON(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("schedule filter by speaker: %d talks", len(list.Items))
	}
	testserver.Must(t, s.Get("/api/v1/talks?q=regulacion", ""), 200).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != es.ID {
		t.Errorf("schedule filter, Spanish: %+v", list.Items)
	}
}

func TestNeverLeaks(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	draft := s.talk(map[string]any{"title": "Zanzibar draft", "status": "draft"})
	k := s.talk(map[string]any{"title": "Public talk", "qa": map[string]any{"moderation": "pre"}})
	pending := s.ask(k.ID, "Zanzibar pending?")
	dismissed := s.ask(k.ID, "Zanzibar dismissed?")
	s.moderate(dismissed.ID, map[string]any{"status": "dismissed"})
	approved := s.ask(k.ID, "Zanzibar approved, not answered?")
	s.moderate(approved.ID, map[string]any{"status": "approved"})
	answered := s.ask(k.ID, "Zanzibar answered?")
	s.moderate(answered.ID, map[string]any{"status": "answered"})

	var th threads.Thread
	testserver.Must(t, s.Post(fmt.Sprintf("/api/v1/talks/%d/threads", k.ID), s.user.Token, map[string]any{"title": "Slides", "body": "Where?"}), 201).JSON(t, &th)
	var shown, hidden threads.Post
	testserver.Must(t, s.Post(fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), s.user.Token, map[string]any{"body": "Zanzibar shown"}), 201).JSON(t, &shown)
	testserver.Must(t, s.Post(fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), s.user.Token, map[string]any{"body": "Zanzibar hidden"}), 201).JSON(t, &hidden)
	testserver.Must(t, s.Patch(fmt.Sprintf("/api/v1/posts/%d", hidden.ID), s.mod.Token, map[string]any{"hidden": true}), 200)

	for _, who := range []string{"", s.user.Token, s.speaker.Token} {
		items, _ := s.search(who, url.Values{"q": {"zanzibar"}})
		got := map[string]bool{}
		for _, it := range items {
			got[fmt.Sprintf("%s %d", it.Type, it.ID)] = true
		}
		want := map[string]bool{fmt.Sprintf("question %d", answered.ID): true, fmt.Sprintf("post %d", shown.ID): true}
		if who == s.speaker.Token {
			want[fmt.Sprintf("talk %d", draft.ID)] = true // its own speaker sees the draft
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("viewer %q found %v, want %v", who, got, want)
		}
	}
	_ = pending

	// An erased speaker's name finds nothing, and shows nowhere.
	var before talks.Talk
	testserver.Must(t, s.Get(fmt.Sprintf("/api/v1/talks/%d", k.ID), ""), 200).JSON(t, &before)
	name := strings.Fields(s.speaker.Name)
	if items := s.find(s.speaker.Name); !has(items, search.KindTalk, k.ID) {
		t.Fatalf("speaker's name before erasure: %+v", items)
	}
	testserver.Must(t, s.Delete("/api/v1/me", s.speaker.Token), 204)
	r := testserver.Must(t, s.Get("/api/v1/search?q="+url.QueryEscape(`"`+s.speaker.Name+`"`), ""), 200)
	if strings.Contains(string(r.Body), name[len(name)-1]) || strings.Contains(string(r.Body), fmt.Sprintf(`"id":%d`, k.ID)) {
		t.Errorf("erased speaker still found: %s", r.Body)
	}
}

func TestPagingIsStable(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	k := s.talk(map[string]any{"title": "Telemedicine ethics", "abstract": "telemedicine telemedicine"})
	for i := range 6 {
		s.answered(k.ID, fmt.Sprintf("Telemedicine question %d%s", i, strings.Repeat(" telemedicine", i%3)), "Yes.")
	}
	all, next := s.search("", url.Values{"q": {"telemedicine"}})
	if len(all) != 7 || next != nil {
		t.Fatalf("one page: %d results, next %v", len(all), next)
	}
	var paged []search.Result
	cursor := ""
	for range 10 {
		items, next := s.search("", url.Values{"q": {"telemedicine"}, "limit": {"3"}, "cursor": {cursor}})
		paged = append(paged, items...)
		if next == nil {
			break
		}
		cursor = *next
	}
	if fmt.Sprint(ids(paged)) != fmt.Sprint(ids(all)) {
		t.Errorf("pages %v, whole %v", ids(paged), ids(all))
	}
	// Only a -word: nothing, rather than every row.
	if items := s.find("-telemedicine"); len(items) != 0 {
		t.Errorf("-word alone: %+v", items)
	}
	// type= narrows to one kind.
	items, _ := s.search("", url.Values{"q": {"telemedicine"}, "type": {"talk"}})
	if len(items) != 1 || items[0].Type != search.KindTalk {
		t.Errorf("type=talk: %+v", items)
	}
	for _, bad := range []url.Values{{"q": {"  "}}, {"q": {"x"}, "type": {"user"}}, {"q": {"x"}, "cursor": {"nope"}}} {
		testserver.Must(t, s.Get("/api/v1/search?"+bad.Encode(), ""), 422)
	}
}

func ids(items []search.Result) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, fmt.Sprintf("%s:%d", it.Type, it.ID))
	}
	return out
}

// recordingAt reads question id's recording_at as the public sees it.
func (s *series) recordingAt(talkID, id int64) *int {
	s.T.Helper()
	var l struct{ Items []qa.Question }
	testserver.Must(s.T, s.Get(fmt.Sprintf("/api/v1/talks/%d/questions?status=answered", talkID), ""), 200).JSON(s.T, &l)
	for _, q := range l.Items {
		if q.ID == id {
			return q.RecordingAt
		}
	}
	s.T.Fatalf("question %d not listed", id)
	return nil
}

func TestRecordingAt(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	k := s.talk(map[string]any{"title": "Hospital at home", "starts_at": testserver.At(0), "ends_at": testserver.At(3600e9)})
	s.setStatus(k.ID, "live")
	pinned := s.ask(k.ID, "Pinned live, then answered in writing?")
	s.moderate(pinned.ID, map[string]any{"pinned": true})
	s.Clock.Advance(90e9)
	marked := s.ask(k.ID, "Marked answered live?")
	s.moderate(marked.ID, map[string]any{"status": "answered"})
	s.setStatus(k.ID, "ended")
	later := s.ask2(k.ID)
	s.answer(pinned.ID, "As said in the talk.")
	s.answer(later, "Answered in writing after the talk.")
	s.moderate(pinned.ID, map[string]any{"status": "answered"})
	s.moderate(later, map[string]any{"status": "answered"})

	// Place the live start 12:34 before the pin, so seconds are exact.
	if _, err := s.DB.Exec(`UPDATE talks SET live_started_at = (SELECT taken_at FROM questions WHERE id = $2) - interval '754 seconds'
		WHERE id = $1`, k.ID, pinned.ID); err != nil {
		t.Fatal(err)
	}
	if at := s.recordingAt(k.ID, pinned.ID); at != nil {
		t.Fatalf("recording_at %d before the talk has a recording", *at)
	}
	var pl struct{ ID int64 }
	testserver.Must(t, s.Post("/api/v1/playlists", s.mod.Token, map[string]any{"title": "Hub Talks"}), 201).JSON(t, &pl)
	testserver.Must(t, s.Post(fmt.Sprintf("/api/v1/playlists/%d/items", pl.ID), s.mod.Token,
		map[string]any{"video_id": "dQw4w9WgXcQ", "title": "Hospital at home", "talk_id": k.ID}), 201)

	check := func(id int64, want *int) {
		t.Helper()
		got := s.recordingAt(k.ID, id)
		if fmt.Sprint(deref(got)) != fmt.Sprint(deref(want)) {
			t.Errorf("question %d: recording_at %v, want %v", id, deref(got), deref(want))
		}
	}
	sec := func(n int) *int { return &n }
	check(pinned.ID, sec(754))
	check(marked.ID, sec(754+90))
	check(later, nil)

	// The offset moves every moment; the search shows the same second.
	var patched talks.Talk
	testserver.Must(t, s.Patch(fmt.Sprintf("/api/v1/talks/%d", k.ID), s.mod.Token, map[string]any{"recording": map[string]any{"offset_seconds": 30}}), 200).JSON(t, &patched)
	if patched.Recording == nil || patched.Recording.OffsetSeconds != 30 || patched.LiveStartedAt == nil || patched.LiveEndedAt == nil {
		t.Fatalf("talk after the offset: %+v", patched)
	}
	check(pinned.ID, sec(784))
	items, _ := s.search("", url.Values{"q": {"pinned live"}, "type": {"question"}})
	if len(items) != 1 || items[0].RecordingAt == nil || *items[0].RecordingAt != 784 {
		t.Errorf("search result: %+v", items)
	}
	testserver.Must(t, s.Patch(fmt.Sprintf("/api/v1/talks/%d", k.ID), s.mod.Token, map[string]any{"recording": map[string]any{"offset_seconds": 90000}}), 422)
}

// ask2 asks a question the way a participant would after the talk: the
// talk has ended, so it is written straight into the database.
func (s *series) ask2(talkID int64) int64 {
	s.T.Helper()
	var id int64
	if err := s.DB.Get(&id, `INSERT INTO questions (talk_id, author_id, body, status) VALUES ($1, $2, 'Asked by mail', 'approved') RETURNING id`,
		talkID, s.user.ID); err != nil {
		s.T.Fatal(err)
	}
	return id
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestTerms(t *testing.T) {
	t.Parallel()
	for q, want := range map[string][2]string{
		"ce mark":            {"ce ", "mark"},
		"regul":              {"", "regul"},
		"ce ma":              {"ce ma", ""},
		"ce mark ":           {"ce mark ", ""},
		`"ce mark`:           {`"ce mark`, ""},
		`"ce mark" regl`:     {`"ce mark" `, "regl"},
		"ce -mark":           {"ce -mark", ""},
		"e-health":           {"e-health", ""},
		"salud móvil":        {"salud ", "móvil"},
		"apps or":            {"apps or", ""},
		"data Data data":     {"data", ""},
		"data apps DATA app": {"data apps ", "app"},
		"data apps data":     {"data apps", ""},
		"data or data":       {"data or ", "data"},
		`"data data" data`:   {`"data data" `, "data"},
		"-data data data":    {"-data data", ""},
	} {
		if w, p := dbx.SearchTerms(q); w != want[0] || p != want[1] {
			t.Errorf("SearchTerms(%q) = %q, %q; want %q, %q", q, w, p, want[0], want[1])
		}
	}
}

// TestFindsThreadsByTitle: a thread is found by its title and opening
// message, as a result of its own (a post repeats neither); a hidden
// thread, its posts and a reply to a hidden post are never found.
func TestFindsThreadsByTitle(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	k := s.talk(map[string]any{"title": "Public talk"})
	thread := func(title, body string) threads.Thread {
		var th threads.Thread
		testserver.Must(t, s.Post(fmt.Sprintf("/api/v1/talks/%d/threads", k.ID), s.user.Token, map[string]any{"title": title, "body": body}), 201).JSON(t, &th)
		return th
	}
	post := func(th int64, body string, parent *int64) threads.Post {
		var p threads.Post
		testserver.Must(t, s.Post(fmt.Sprintf("/api/v1/threads/%d/posts", th), s.user.Token, map[string]any{"body": body, "parent_id": parent}), 201).JSON(t, &p)
		return p
	}
	shown := thread("Quokka slides", "Where are the <slides>?")
	reply := post(shown.ID, "On the talk's page.", nil)
	hidden := thread("Quokka spam", "Buy quokkas")
	post(hidden.ID, "Quokka reply in a hidden thread", nil)
	testserver.Must(t, s.Patch(fmt.Sprintf("/api/v1/threads/%d", hidden.ID), s.mod.Token, map[string]any{"hidden": true}), 200)
	parent := post(shown.ID, "Quokka rant", nil)
	child := post(shown.ID, "Quokka answer to the rant", &parent.ID)
	testserver.Must(t, s.Patch(fmt.Sprintf("/api/v1/posts/%d", parent.ID), s.mod.Token, map[string]any{"hidden": true}), 200)

	items := s.find("quokka")
	if fmt.Sprint(ids(items)) != fmt.Sprint([]string{fmt.Sprintf("thread:%d", shown.ID)}) {
		t.Fatalf("quokka: %v, want only thread %d (not hidden thread %d, nor reply %d to a hidden post)", ids(items), shown.ID, hidden.ID, child.ID)
	}
	r := items[0]
	if r.Title != "Quokka slides" || r.Talk.ID != k.ID || !strings.Contains(r.Snippet, "<mark>Quokka</mark>") || r.RecordingAt != nil {
		t.Errorf("thread result %+v", r)
	}
	// The opening message, escaped; ?type=thread narrows to threads.
	items, _ = s.search("", url.Values{"q": {"slides where"}, "type": {"thread"}})
	if len(items) != 1 || items[0].ID != shown.ID || !strings.Contains(items[0].Snippet, "&lt;<mark>slides</mark>&gt;") {
		t.Errorf("opening message: %+v", items)
	}
	// A post is found by its own words, not by its thread's title.
	if items := s.find("talk's page"); !has(items, search.KindPost, reply.ID) {
		t.Errorf("post: %+v", items)
	}
	if items, _ := s.search("", url.Values{"q": {"slides"}, "type": {"post"}}); len(items) != 0 {
		t.Errorf("posts by the thread's title: %+v", items)
	}
	// A new title is searched at once; the thread unhidden is found again.
	testserver.Must(t, s.Patch(fmt.Sprintf("/api/v1/threads/%d", hidden.ID), s.mod.Token, map[string]any{"hidden": false, "title": "Wombat offer"}), 200)
	if items := s.find("wombat"); !has(items, search.KindThread, hidden.ID) {
		t.Errorf("retitled, unhidden: %+v", items)
	}
}

// TestTheWordBeingTyped: the last word is a prefix while typed, but a word
// in many questions is taken as finished (searched whole), and after a
// rare whole word the prefix is checked on what that word finds; both
// only change how the index is used, never what a search may find
// beyond the prefix rule. The planner's statistics decide what is
// frequent: the questions are analyzed before the first search.
func TestTheWordBeingTyped(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	k := s.talk(map[string]any{"title": "Remote care"})
	// 600 answered questions: "telemedicine" in half, "zyxwvut" in two
	// (0.3 %, rare), "telemedicinebus" and "zzqq" in one.
	var ids struct{ Rare, RareAlone, Longer int64 }
	err := s.DB.QueryRowx(`WITH added AS (
			INSERT INTO questions (talk_id, author_id, body, status, answered_at)
			SELECT $1, $2, 'filler question ' || i || CASE WHEN i <= 300 THEN ' telemedicine' ELSE '' END
				|| CASE i WHEN 401 THEN ' zyxwvut patients' WHEN 402 THEN ' zyxwvut' WHEN 599 THEN ' zzqq telemedicinebus' ELSE '' END,
				'answered', now()
			FROM generate_series(1, 600) AS i
			RETURNING id, body)
		SELECT (SELECT id FROM added WHERE body LIKE '%zyxwvut patients') AS rare,
			(SELECT id FROM added WHERE body LIKE '% zyxwvut') AS rarealone,
			(SELECT id FROM added WHERE body LIKE '%telemedicinebus') AS longer`, k.ID, s.user.ID).StructScan(&ids)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(`ANALYZE questions`); err != nil {
		t.Fatal(err)
	}
	found := func(q string) []search.Result {
		items, _ := s.search("", url.Values{"q": {q}, "type": {"question"}, "limit": {"100"}})
		return items
	}
	// "telemedicine" is frequent, so finished: not a prefix of "telemedicinebus".
	if items := found("zzqq telemedicine"); has(items, search.KindQuestion, ids.Longer) {
		t.Errorf("a frequent last word matched as a prefix: %+v", items)
	}
	// A rare start stays a prefix (checked after the rare "zzqq").
	if items := found("zzqq telemedicineb"); !has(items, search.KindQuestion, ids.Longer) {
		t.Errorf("an unfinished word lost its prefix: %+v", items)
	}
	// After the rare "zyxwvut", the prefix still has to match.
	if items := found("zyxwvut pati"); !has(items, search.KindQuestion, ids.Rare) || has(items, search.KindQuestion, ids.RareAlone) {
		t.Errorf("zyxwvut pati: %+v", items)
	}
	// -words and phrases around a rare word keep their meaning.
	if items := found("zyxwvut -patients fill"); has(items, search.KindQuestion, ids.Rare) || !has(items, search.KindQuestion, ids.RareAlone) {
		t.Errorf("zyxwvut -patients fill: %+v", items)
	}
	if items := found(`"zyxwvut patients" fill`); !has(items, search.KindQuestion, ids.Rare) || has(items, search.KindQuestion, ids.RareAlone) {
		t.Errorf("phrase: %+v", items)
	}
	// With "or" the rare word no longer bounds the search; the prefix still
	// applies to every alternative.
	if items := found("zyxwvut or zzqq telemedicineb"); !has(items, search.KindQuestion, ids.Longer) || has(items, search.KindQuestion, ids.Rare) {
		t.Errorf("or: %+v", items)
	}
}

// TestWalkBudget: common words are looked for among each kind's newest
// rows only (the walk budget), so a phrase of common words costs no more
// than a common word; a word that the statistics count as rare is looked
// up in the whole series.
func TestWalkBudget(t *testing.T) {
	t.Parallel()
	s := newSeries(t)
	k := s.talk(map[string]any{"title": "Remote care"})
	// 200 answered questions, oldest first, all with "remote" and
	// "telehealth", side by side only in the 5th and the 195th; the 5th
	// also has the rare "zebrafish".
	var old, recent int64
	err := s.DB.QueryRowx(`WITH added AS (
			INSERT INTO questions (talk_id, author_id, body, status, answered_at)
			SELECT $1, $2, CASE WHEN i IN (5, 195) THEN 'remote telehealth question ' ELSE 'remote question about telehealth ' END
				|| i || CASE i WHEN 5 THEN ' zebrafish' ELSE '' END, 'answered', now()
			FROM generate_series(1, 200) AS i ORDER BY i
			RETURNING id, body)
		SELECT (SELECT id FROM added WHERE body LIKE '% 5 zebrafish'), (SELECT id FROM added WHERE body LIKE '% 195')`,
		k.ID, s.user.ID).Scan(&old, &recent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(`ANALYZE questions`); err != nil {
		t.Fatal(err)
	}
	find := func(svc *search.Service, q string) []search.Result {
		t.Helper()
		page, err := svc.Search(t.Context(), nil, search.Query{Q: q, Type: search.KindQuestion, Page: keyset.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	small := search.NewService(s.DB)
	small.WalkBudget, small.IndexRows = 50, 10
	if items := find(small, `"remote telehealth"`); !has(items, search.KindQuestion, recent) || has(items, search.KindQuestion, old) {
		t.Errorf("walk of the newest 50: %v, want %d and not %d", ids(items), recent, old)
	}
	if items := find(small, "zebrafish telehealth"); !has(items, search.KindQuestion, old) {
		t.Errorf("rare word: %v, want %d from the index", ids(items), old)
	}
	if items := find(search.NewService(s.DB), `"remote telehealth"`); !has(items, search.KindQuestion, recent) || !has(items, search.KindQuestion, old) {
		t.Errorf("within the default budget: %v, want %d and %d", ids(items), recent, old)
	}
}
