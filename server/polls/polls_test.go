package polls_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/polls"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// newEnv is a server whose ballot limit does not get in the way.
func newEnv(t *testing.T) *modtest.Env {
	t.Helper()
	return modtest.New(t, nil, testserver.WithConfig(func(c *server.Config) {
		c.Polls.BallotRate = moderation.Rate{N: 1 << 20, Per: time.Minute}
	}))
}

func create(t *testing.T, env *modtest.Env, talk int64, tok string, body map[string]any) polls.Poll {
	t.Helper()
	var p polls.Poll
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/polls", talk), tok, body), 201).JSON(t, &p)
	return p
}

func setStatus(t *testing.T, env *modtest.Env, id int64, tok, status string, want int) *testserver.Response {
	t.Helper()
	return testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/polls/%d", id), tok, map[string]any{"status": status}), want)
}

func cast(t *testing.T, env *modtest.Env, id int64, tok string, body map[string]any, want int) *testserver.Response {
	t.Helper()
	return testserver.Must(t, env.Put(fmt.Sprintf("/api/v1/polls/%d/ballot", id), tok, body), want)
}

func list(t *testing.T, env *modtest.Env, talk int64, tok string) []polls.Poll {
	t.Helper()
	var l struct{ Items []polls.Poll }
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/polls", talk), tok), 200).JSON(t, &l)
	return l.Items
}

func find(t *testing.T, ps []polls.Poll, id int64) polls.Poll {
	t.Helper()
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("poll %d not in the list", id)
	return polls.Poll{}
}

func choice(options ...string) map[string]any {
	return map[string]any{"question": "Where are you joining from?", "kind": "single", "options": options}
}

// talkWithSpeaker is a fresh server with a live talk that speaker speaks at.
func talkWithSpeaker(t *testing.T) (*modtest.Env, testserver.User, int64) {
	env := newEnv(t)
	speaker := env.NewUser("participant")
	return env, speaker, env.MakeTalk(modtest.TalkOpts{Speakers: []int64{speaker.ID}})
}

func TestPollLifecycle(t *testing.T) {
	t.Parallel()
	env, speaker, talk := talkWithSpeaker(t)
	alice, bob := env.NewUser("participant"), env.NewUser("participant")

	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/polls", talk), alice.Token, choice("Europe", "Africa")), 403)
	p := create(t, env, talk, speaker.Token, choice("Europe", "Africa", "Asia"))
	if p.Status != "draft" || p.Results != "live" || p.MaxChoices != 1 || len(p.Counts) != 3 {
		t.Fatalf("new poll %+v", p)
	}
	if got := list(t, env, talk, alice.Token); len(got) != 0 {
		t.Fatalf("participants see drafts: %+v", got)
	}
	cast(t, env, p.ID, alice.Token, map[string]any{"choices": []int{0}}, 404) // a draft is not there for her
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/polls/%d", p.ID), speaker.Token, map[string]any{"options": []string{"Europe", "Africa", "Asia", "Americas"}}), 200)

	setStatus(t, env, p.ID, alice.Token, "open", 404)     // nor to change
	setStatus(t, env, p.ID, speaker.Token, "closed", 409) // draft → closed skips open
	setStatus(t, env, p.ID, speaker.Token, "open", 200)
	setStatus(t, env, p.ID, speaker.Token, "open", 200) // again: no change
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/polls/%d", p.ID), speaker.Token, map[string]any{"question": "Changed?"}), 409)

	// A second open poll of the talk is refused.
	second := create(t, env, talk, speaker.Token, map[string]any{"question": "How useful was this?", "kind": "rating"})
	if pr := setStatus(t, env, second.ID, speaker.Token, "open", 409).Problem(t); pr.Code != "poll_already_open" {
		t.Fatalf("second open poll: %+v", pr)
	}

	setStatus(t, env, p.ID, alice.Token, "closed", 403)
	cast(t, env, p.ID, alice.Token, map[string]any{"choices": []int{1}}, 200)
	cast(t, env, p.ID, bob.Token, map[string]any{"choices": []int{1}}, 200)
	if got := find(t, list(t, env, talk, alice.Token), p.ID); !slices.Equal(got.Counts, []int{0, 2, 0, 0}) || got.Ballots != 2 ||
		got.MyBallot == nil || !slices.Equal(got.MyBallot.Choices, []int{1}) {
		t.Fatalf("after two ballots: %+v", got)
	}
	// Changing a ballot moves the count.
	var b polls.Ballot
	cast(t, env, p.ID, alice.Token, map[string]any{"choices": []int{3}}, 200).JSON(t, &b)
	if b.PollID != p.ID || !slices.Equal(b.Choices, []int{3}) {
		t.Fatalf("ballot answer %+v", b)
	}
	if got := find(t, list(t, env, talk, bob.Token), p.ID); !slices.Equal(got.Counts, []int{0, 1, 0, 1}) || got.Ballots != 2 {
		t.Fatalf("after a changed ballot: %+v", got)
	}

	var closed polls.Poll
	setStatus(t, env, p.ID, speaker.Token, "closed", 200).JSON(t, &closed)
	if closed.Status != "closed" || closed.ClosedAt == nil || !slices.Equal(closed.Counts, []int{0, 1, 0, 1}) {
		t.Fatalf("closed poll %+v", closed)
	}
	if pr := cast(t, env, p.ID, bob.Token, map[string]any{"choices": []int{0}}, 409).Problem(t); pr.Code != "poll_closed" {
		t.Fatalf("ballot on a closed poll: %+v", pr)
	}
	setStatus(t, env, p.ID, speaker.Token, "open", 409) // closed stays closed
	setStatus(t, env, second.ID, speaker.Token, "open", 200)

	// The public record: opened, results (the last with the final counts), closed.
	var types []string
	testkit.WaitFor(t, "poll.results with the final counts", 5*time.Second, func() bool {
		var last polls.Results
		types = nil
		for _, ev := range env.Events(live.TalkChannel(talk)) {
			types = append(types, ev.Type)
			if ev.Type == "poll.results" {
				_ = json.Unmarshal(ev.Data, &last)
			}
		}
		return slices.Equal(last.Counts, []int{0, 1, 0, 1})
	})
	if types[0] != "poll.opened" || !slices.Contains(types, "poll.closed") {
		t.Fatalf("public events %v", types)
	}
}

// 500 people vote at once: the counts are exact, and poll.results is
// coalesced (far fewer events than ballots).
func TestFiveHundredConcurrentBallots(t *testing.T) {
	t.Parallel()
	const voters = 500
	env, speaker, talk := talkWithSpeaker(t)
	p := create(t, env, talk, speaker.Token, choice("A", "B", "C", "D"))
	setStatus(t, env, p.ID, speaker.Token, "open", 200)
	users := make([]testserver.User, voters)
	for i := range users {
		users[i] = env.NewUser("participant")
	}
	var failed atomic.Int64
	testkit.AtOnce(voters, func(i int) {
		r := env.Put(fmt.Sprintf("/api/v1/polls/%d/ballot", p.ID), users[i].Token, map[string]any{"choices": []int{i % 4}})
		if r.StatusCode != 200 {
			failed.Add(1)
			t.Errorf("ballot %d: %d %s", i, r.StatusCode, r.Body)
		}
	})
	if failed.Load() > 0 {
		t.FailNow()
	}
	want := []int{voters / 4, voters / 4, voters / 4, voters / 4}
	if got := find(t, list(t, env, talk, ""), p.ID); !slices.Equal(got.Counts, want) || got.Ballots != voters {
		t.Fatalf("counts %v, %d ballots; want %v, %d", got.Counts, got.Ballots, want, voters)
	}
	type stored struct {
		At   time.Time `db:"created_at"`
		Data string    `db:"data"`
	}
	var evs []stored
	testkit.WaitFor(t, "poll.results with 500 ballots", 10*time.Second, func() bool {
		evs = nil
		if err := env.DB.Select(&evs, `SELECT created_at, data::text AS data FROM events WHERE channel = $1 AND type = 'poll.results' ORDER BY seq`, live.TalkChannel(talk)); err != nil {
			t.Fatal(err)
		}
		var r polls.Results
		return len(evs) > 0 && json.Unmarshal([]byte(evs[len(evs)-1].Data), &r) == nil && r.Ballots == voters && slices.Equal(r.Counts, want)
	})
	// Coalescing: a flush covers every ballot of its window, so 500 ballots
	// make far fewer events than ballots (one each without it). Counted, not
	// timed: on a busy machine the windows' timestamps bunch up.
	if len(evs) > voters/5 {
		t.Fatalf("%d ballots → %d poll.results events: not coalesced", voters, len(evs))
	}
	t.Logf("%d ballots → %d poll.results events", voters, len(evs))
}

// Results "staff" never reach the public channel; "closed" reach it only
// with the close.
func TestResultsModes(t *testing.T) {
	t.Parallel()
	env, speaker, talk := talkWithSpeaker(t)
	alice := env.NewUser("participant")
	run := func(results string) polls.Poll {
		p := create(t, env, talk, speaker.Token, map[string]any{"question": "Rate it", "kind": "rating", "results": results})
		setStatus(t, env, p.ID, speaker.Token, "open", 200)
		cast(t, env, p.ID, alice.Token, map[string]any{"rating": 4}, 200)
		cast(t, env, p.ID, speaker.Token, map[string]any{"rating": 5}, 200)
		// Staff see results at once; the public does not.
		if got := find(t, list(t, env, talk, speaker.Token), p.ID); got.Average == nil || *got.Average != 4.5 || !slices.Equal(got.Counts, []int{0, 0, 0, 1, 1}) {
			t.Fatalf("%s: staff see %+v", results, got)
		}
		if got := find(t, list(t, env, talk, alice.Token), p.ID); got.Counts != nil || got.Average != nil || got.MyBallot == nil || *got.MyBallot.Rating != 4 {
			t.Fatalf("%s: the public sees %+v before close", results, got)
		}
		testkit.WaitFor(t, "staff poll.results", 5*time.Second, func() bool {
			for _, ev := range env.Events(live.StaffChannel(talk)) {
				if ev.Type == "poll.results" && strings.Contains(string(ev.Data), fmt.Sprintf(`"id":%d,"ballots":2`, p.ID)) {
					return true
				}
			}
			return false
		})
		setStatus(t, env, p.ID, speaker.Token, "closed", 200)
		return p
	}
	staff := run("staff")
	for _, ev := range env.Events(live.TalkChannel(talk)) {
		if ev.Type == "poll.results" {
			t.Fatalf("staff results on the public channel: %s", ev.Data)
		}
		var p polls.Poll
		_ = json.Unmarshal(ev.Data, &p)
		if p.Counts != nil || p.Average != nil {
			t.Fatalf("public %s carries results: %s", ev.Type, ev.Data)
		}
	}
	if got := find(t, list(t, env, talk, alice.Token), staff.ID); got.Counts != nil {
		t.Fatalf("the public sees staff results after close: %+v", got)
	}

	closed := run("closed")
	if got := find(t, list(t, env, talk, alice.Token), closed.ID); got.Average == nil || *got.Average != 4.5 {
		t.Fatalf("closed results after close: %+v", got)
	}
	var sawClosed bool
	for _, ev := range env.Events(live.TalkChannel(talk)) {
		var p polls.Poll
		_ = json.Unmarshal(ev.Data, &p)
		if p.ID != closed.ID {
			continue
		}
		switch ev.Type {
		case "poll.results":
			t.Fatalf("closed-results poll.results on the public channel before close: %s", ev.Data)
		case "poll.closed":
			sawClosed = p.Average != nil && *p.Average == 4.5
		}
	}
	if !sawClosed {
		t.Fatal("public poll.closed without the results")
	}
}

func TestWordCloud(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	speaker := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{Speakers: []int64{speaker.ID}})
	if _, err := env.DB.Exec(`UPDATE talks SET language = 'es' WHERE id = $1`, talk); err != nil {
		t.Fatal(err)
	}
	p := create(t, env, talk, speaker.Token, map[string]any{"question": "¿Qué esperas?", "kind": "words"})
	setStatus(t, env, p.ID, speaker.Token, "open", 200)
	for _, words := range [][]string{{"Información", "la confianza"}, {"informacion", "Datos"}, {"datos", "de"}} {
		cast(t, env, p.ID, env.NewUser("participant").Token, map[string]any{"words": words}, 200)
	}
	got := find(t, list(t, env, talk, ""), p.ID)
	want := []polls.WordCount{{"datos", 2}, {"informacion", 2}, {"confianza", 1}}
	if !slices.Equal(got.Words, want) || got.Ballots != 3 || got.Counts != nil {
		t.Fatalf("cloud %+v, want %+v", got.Words, want)
	}
	// As typed in the caller's ballot.
	u := env.NewUser("participant")
	cast(t, env, p.ID, u.Token, map[string]any{"words": []string{"  Salud Digital "}}, 200)
	if mine := find(t, list(t, env, talk, u.Token), p.ID).MyBallot; mine == nil || !slices.Equal(mine.Words, []string{"Salud Digital"}) {
		t.Fatalf("my ballot %+v", mine)
	}
}

func TestBallotValidation(t *testing.T) {
	t.Parallel()
	env, speaker, talk := talkWithSpeaker(t)
	u := env.NewUser("participant")
	multi := create(t, env, talk, speaker.Token, map[string]any{"question": "Which?", "kind": "multiple", "options": []string{"a", "b", "c"}, "max_choices": 2})
	setStatus(t, env, multi.ID, speaker.Token, "open", 200)
	for _, body := range []map[string]any{
		{"choices": []int{}},
		{"choices": []int{0, 1, 2}},
		{"choices": []int{3}},
		{"choices": []int{-1}},
		{"choices": []int{1, 1}},
		{"rating": 3},
		{"choices": []int{0}, "words": []string{"x"}},
		{"choice": []int{0}},
	} {
		if r := cast(t, env, multi.ID, u.Token, body, 422); !strings.Contains(string(r.Body), "field") {
			t.Fatalf("%v: %s", body, r.Body)
		}
	}
	cast(t, env, multi.ID, u.Token, map[string]any{"choices": []int{2, 0}}, 200)
	cast(t, env, multi.ID, "", map[string]any{"choices": []int{0}}, 401)

	for _, body := range []map[string]any{
		{"question": "", "kind": "single", "options": []string{"a", "b"}},
		{"question": "Q", "kind": "single", "options": []string{"a"}},
		{"question": "Q", "kind": "single", "options": []string{"a", "A"}},
		{"question": "Q", "kind": "poll", "options": []string{"a", "b"}},
		{"question": "Q", "kind": "words", "options": []string{"a", "b"}},
		{"question": "Q", "kind": "single", "options": []string{"a", "b"}, "max_choices": 2},
		{"question": "Q", "kind": "rating", "results": "never"},
	} {
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/polls", talk), speaker.Token, body), 422)
	}

	// The database holds the rules too, whatever the service checks.
	for _, stmt := range []string{
		`INSERT INTO poll_ballots (poll_id, user_id, choices) VALUES ($1, $2, '{5}')`,
		`INSERT INTO poll_ballots (poll_id, user_id, choices) VALUES ($1, $2, '{0,0}')`,
		`INSERT INTO poll_ballots (poll_id, user_id, choices) VALUES ($1, $2, '{0,1,2}')`,
		`INSERT INTO poll_ballots (poll_id, user_id, rating) VALUES ($1, $2, 3)`,
		`INSERT INTO poll_ballots (poll_id, user_id, choices) VALUES ($1, $2, '{1}')`, // a second ballot of u
	} {
		if _, err := env.DB.Exec(stmt, multi.ID, u.ID); err == nil {
			t.Fatalf("the database took %s", stmt)
		}
	}
	other := create(t, env, talk, speaker.Token, choice("x", "y"))
	if _, err := env.DB.Exec(`UPDATE polls SET status = 'open', opened_at = now() WHERE id = $1`, other.ID); err == nil {
		t.Fatal("the database took a second open poll")
	}
	setStatus(t, env, multi.ID, speaker.Token, "closed", 200)
	if _, err := env.DB.Exec(`INSERT INTO poll_ballots (poll_id, user_id, choices) VALUES ($1, $2, '{1}')`, multi.ID, speaker.ID); err == nil {
		t.Fatal("the database took a ballot on a closed poll")
	}
}

func TestCSVExportAndGuests(t *testing.T) {
	t.Parallel()
	env, speaker, talk := talkWithSpeaker(t)
	u := env.NewUser("participant")
	p := create(t, env, talk, speaker.Token, choice("=SUM(A1)", "Plain"))
	setStatus(t, env, p.ID, speaker.Token, "open", 200)
	cast(t, env, p.ID, u.Token, map[string]any{"choices": []int{0}}, 200)

	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/polls/%d/results.csv", p.ID), u.Token), 403)
	r := testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/polls/%d/results.csv", p.ID), speaker.Token), 200)
	if got, want := string(r.Body), "\uFEFFoption,count\r\n'=SUM(A1),1\r\nPlain,0\r\n"; got != want || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv %q (%s), want %q", got, r.Header.Get("Content-Type"), want)
	}

	var export struct{ Data map[string]json.RawMessage }
	testserver.Must(t, env.Get("/api/v1/me/export", u.Token), 200).JSON(t, &export)
	if b := string(export.Data["ballots"]); !strings.Contains(b, fmt.Sprintf(`"poll_id":%d`, p.ID)) || !strings.Contains(b, `"choices":[0]`) {
		t.Fatalf("export ballots %s", b)
	}

	// Guests vote where the talk allows guests, not elsewhere.
	if _, err := env.DB.Exec(`UPDATE talks SET qa_allow_guests = false WHERE id = $1`, talk); err != nil {
		t.Fatal(err)
	}
	var guest struct{ Token string }
	testserver.Must(t, env.Post("/api/v1/auth/guest", "", map[string]string{"display_name": "Visitor"}), 201).JSON(t, &guest)
	if pr := cast(t, env, p.ID, guest.Token, map[string]any{"choices": []int{1}}, 403).Problem(t); pr.Code != "guests_not_allowed" {
		t.Fatalf("guest in a talk without guests: %+v", pr)
	}
	if _, err := env.DB.Exec(`UPDATE talks SET qa_allow_guests = true WHERE id = $1`, talk); err != nil {
		t.Fatal(err)
	}
	cast(t, env, p.ID, guest.Token, map[string]any{"choices": []int{1}}, 200)
}

func TestReactionsAreCheckedAndNeverStored(t *testing.T) {
	t.Parallel()
	env, _, talk := talkWithSpeaker(t)
	u := env.NewUser("participant")
	react := func(tok string, emoji any, want int) *testserver.Response {
		return testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/reactions", talk), tok, map[string]any{"emoji": emoji}), want)
	}
	react(u.Token, "👏", 202)
	react(u.Token, "💩", 422)
	react(u.Token, nil, 422)
	react("", "👏", 401)
	for range 10 {
		react(u.Token, "💡", 202) // over the limit: taken, and dropped
	}
	testserver.Must(t, env.Post("/api/v1/talks/999999/reactions", u.Token, map[string]any{"emoji": "👏"}), 404)
	if evs := env.Events(live.TalkChannel(talk)); len(evs) != 0 {
		t.Fatalf("reactions stored: %+v", evs)
	}
}

// TestPollsInTheTalkReport: the staff's report of a talk lists the polls
// that were opened, oldest first, with their results, in JSON and in CSV;
// drafts stay out.
func TestPollsInTheTalkReport(t *testing.T) {
	t.Parallel()
	env, speaker, talk := talkWithSpeaker(t)
	alice, bob := env.NewUser("participant"), env.NewUser("participant")
	where := create(t, env, talk, speaker.Token, choice("Europe", "Africa"))
	setStatus(t, env, where.ID, speaker.Token, "open", 200)
	cast(t, env, where.ID, alice.Token, map[string]any{"choices": []int{1}}, 200)
	cast(t, env, where.ID, bob.Token, map[string]any{"choices": []int{1}}, 200)
	setStatus(t, env, where.ID, speaker.Token, "closed", 200)
	rating := create(t, env, talk, speaker.Token, map[string]any{"question": "How useful was this?", "kind": "rating", "results": "staff"})
	setStatus(t, env, rating.ID, speaker.Token, "open", 200)
	cast(t, env, rating.ID, alice.Token, map[string]any{"rating": 4}, 200)
	create(t, env, talk, speaker.Token, choice("Draft", "Only")) // never opened

	var r struct {
		Sections struct{ Polls []polls.Poll } `json:"sections"`
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/report", talk), speaker.Token), 200).JSON(t, &r)
	got := r.Sections.Polls
	if len(got) != 2 || got[0].ID != where.ID || !slices.Equal(got[0].Counts, []int{0, 2}) || got[1].ID != rating.ID ||
		got[1].Average == nil || *got[1].Average != 4 {
		t.Fatalf("report polls: %+v", got)
	}
	csv := testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/report.csv", talk), speaker.Token), 200).Body
	for _, want := range []string{"polls.1.question,Where are you joining from?", "polls.1.option_2,Africa: 2", "polls.2.average,4.00"} {
		if !strings.Contains(string(csv), want) {
			t.Errorf("report CSV lacks %q:\n%s", want, csv)
		}
	}
}
