package qa_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/qa"
	"github.com/hubtalks/hubtalks/server/testserver"
)

func ask(t *testing.T, env *modtest.Env, talkID int64, token string, body string, anonymous bool) qa.Question {
	t.Helper()
	var q qa.Question
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talkID), token, map[string]any{"body": body, "anonymous": anonymous}), 201).JSON(t, &q)
	return q
}

func list(t *testing.T, env *modtest.Env, talkID int64, token, query string) []qa.Question {
	t.Helper()
	var l struct{ Items []qa.Question }
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions%s", talkID, query), token), 200).JSON(t, &l)
	return l.Items
}

// moderate patches question id as tok with body, expecting status want.
func moderate(t *testing.T, env *modtest.Env, id int64, tok string, body map[string]any, want int) *testserver.Response {
	t.Helper()
	return testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/questions/%d", id), tok, body), want)
}

// vote votes for question id as tok, expecting status want.
func vote(t *testing.T, env *modtest.Env, id int64, tok string, want int) *testserver.Response {
	t.Helper()
	return testserver.Must(t, env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", id), tok, nil), want)
}

// talkWithSpeaker is a fresh server with a talk that speaker speaks at.
func talkWithSpeaker(t *testing.T) (env *modtest.Env, speaker testserver.User, talk int64) {
	t.Helper()
	env = modtest.New(t, nil)
	speaker = env.NewUser("participant")
	return env, speaker, env.MakeTalk(modtest.TalkOpts{Speakers: []int64{speaker.ID}})
}

func ids(qs []qa.Question) []int64 {
	out := []int64{}
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

func TestHundredConcurrentVotes(t *testing.T) {
	env := modtest.New(t, nil)
	asker := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	q := ask(t, env, talk, asker.Token, "What about interoperability?", false)
	voters := make([]testserver.User, 100)
	for i := range voters {
		voters[i] = env.NewUser("participant")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for _, v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", q.ID), v.Token, nil)
			if r.StatusCode != 200 {
				errs <- fmt.Sprintf("vote: %d %s", r.StatusCode, r.Body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	var rows, counter int
	if err := env.DB.Get(&rows, `SELECT count(*) FROM question_votes WHERE question_id = $1`, q.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Get(&counter, `SELECT votes FROM questions WHERE id = $1`, q.ID); err != nil {
		t.Fatal(err)
	}
	if rows != 100 || counter != 100 {
		t.Fatalf("votes: %d rows, counter %d; want 100", rows, counter)
	}
	// Voting again is harmless.
	var vr struct {
		Votes int
		Voted bool
	}
	vote(t, env, q.ID, voters[0].Token, 200).JSON(t, &vr)
	if vr.Votes != 100 || !vr.Voted {
		t.Fatalf("repeat vote: %+v", vr)
	}
	var last struct{ ID, Votes int64 }
	var n int
	testkit.WaitFor(t, "question.voted carrying 100", 5*time.Second, func() bool {
		n = 0
		for _, ev := range env.Events(live.TalkChannel(talk)) {
			if ev.Type == "question.voted" {
				n++
				_ = json.Unmarshal(ev.Data, &last)
			}
		}
		return last.Votes == 100
	})
	if last.ID != q.ID {
		t.Fatalf("voted event for %d, want %d", last.ID, q.ID)
	}
	if n >= 100 {
		t.Fatalf("%d question.voted events for 100 votes: not coalesced", n)
	}
	t.Logf("100 votes → %d question.voted events", n)
}

func TestPendingQuestionStaysOffThePublicUntilApproved(t *testing.T) {
	env := modtest.New(t, nil)
	asker, other, mod := env.NewUser("participant"), env.NewUser("participant"), env.NewUser("moderator")
	talk := env.MakeTalk(modtest.TalkOpts{Moderation: "pre"})
	q := ask(t, env, talk, asker.Token, "Is the data stored in the EU?", false)
	if q.Status != "pending" {
		t.Fatalf("status %q, want pending", q.Status)
	}
	for _, tok := range []string{"", other.Token} {
		if got := list(t, env, talk, tok, ""); len(got) != 0 {
			t.Fatalf("public list holds %v", ids(got))
		}
	}
	// The asker alone sees their own question while it waits.
	if got := list(t, env, talk, asker.Token, ""); len(got) != 1 || got[0].ID != q.ID || got[0].Status != "pending" {
		t.Fatalf("asker's list: %+v", got)
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions?status=pending", talk), other.Token), 403)
	// The asker sees it, so moderating it is refused (403); to others it does not exist (404).
	if p := moderate(t, env, q.ID, asker.Token, map[string]any{"status": "approved"}, 403).Problem(t); p.Code != "forbidden" {
		t.Fatalf("asker moderating their pending question: %+v", p)
	}
	moderate(t, env, q.ID, other.Token, map[string]any{"status": "approved"}, 404)
	for _, ev := range env.Events(live.TalkChannel(talk)) {
		if strings.HasPrefix(ev.Type, "question.") {
			t.Fatalf("public channel got %s %s for a pending question", ev.Type, ev.Data)
		}
	}
	staff := env.Events(live.StaffChannel(talk))
	if len(staff) != 1 || staff[0].Type != "question.created" {
		t.Fatalf("staff channel: %+v", staff)
	}
	if got := list(t, env, talk, mod.Token, "?status=pending"); len(got) != 1 || got[0].ID != q.ID {
		t.Fatalf("staff pending list: %v", ids(got))
	}
	moderate(t, env, q.ID, mod.Token, map[string]any{"status": "approved"}, 200)
	if got := list(t, env, talk, other.Token, ""); len(got) != 1 || got[0].ID != q.ID || got[0].Status != "approved" {
		t.Fatalf("public list after approval: %+v", got)
	}
	pub := env.Events(live.TalkChannel(talk))
	if len(pub) != 1 || pub[0].Type != "question.created" {
		t.Fatalf("public events after approval: %+v", pub)
	}
}

func TestDismissedQuestionLeavesThePublic(t *testing.T) {
	env, speaker, talk := talkWithSpeaker(t)
	asker, other := env.NewUser("participant"), env.NewUser("participant")
	q := ask(t, env, talk, asker.Token, "Off-topic question", false)
	keep := ask(t, env, talk, asker.Token, "On-topic question", false)
	moderate(t, env, q.ID, speaker.Token, map[string]any{"status": "dismissed", "reason": "off topic"}, 200)
	if got := ids(list(t, env, talk, other.Token, "")); len(got) != 1 || got[0] != keep.ID {
		t.Fatalf("public list after dismissal: %v", got)
	}
	vote(t, env, q.ID, other.Token, 404)
	pub := env.Events(live.TalkChannel(talk))
	lastEv := pub[len(pub)-1]
	if lastEv.Type != "question.removed" || string(lastEv.Data) != fmt.Sprintf(`{"id":%d}`, q.ID) {
		t.Fatalf("last public event %s %s, want question.removed", lastEv.Type, lastEv.Data)
	}
	// Staff still see it and can restore it.
	if got := list(t, env, talk, speaker.Token, "?status=dismissed"); len(got) != 1 {
		t.Fatalf("staff dismissed list: %v", ids(got))
	}
	moderate(t, env, q.ID, speaker.Token, map[string]any{"status": "approved"}, 200)
	if got := list(t, env, talk, other.Token, ""); len(got) != 2 {
		t.Fatalf("public list after restore: %v", ids(got))
	}
	var actions []string
	if err := env.DB.Select(&actions, `SELECT action FROM moderation_log WHERE talk_id = $1 ORDER BY id`, talk); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "dismiss,restore" {
		t.Fatalf("log: %v", actions)
	}
}

func TestOnePinnedQuestionUnderConcurrency(t *testing.T) {
	env, speaker, talk := talkWithSpeaker(t)
	asker, mod := env.NewUser("participant"), env.NewUser("moderator")
	a := ask(t, env, talk, asker.Token, "Question A", false)
	b := ask(t, env, talk, asker.Token, "Question B", false)
	for i := 0; i < 25; i++ {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for j, pin := range []struct {
			tok string
			id  int64
		}{{speaker.Token, a.ID}, {mod.Token, b.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[j] = env.Patch(fmt.Sprintf("/api/v1/questions/%d", pin.id), pin.tok, map[string]any{"pinned": true}).StatusCode
			}()
		}
		wg.Wait()
		if codes[0] != 200 || codes[1] != 200 {
			t.Fatalf("round %d: pins answered %v", i, codes)
		}
		var pinned int
		if err := env.DB.Get(&pinned, `SELECT count(*) FROM questions WHERE talk_id = $1 AND pinned`, talk); err != nil {
			t.Fatal(err)
		}
		if pinned != 1 {
			t.Fatalf("round %d: %d pinned questions", i, pinned)
		}
		moderate(t, env, a.ID, mod.Token, map[string]any{"pinned": false}, 200)
		moderate(t, env, b.ID, mod.Token, map[string]any{"pinned": false}, 200)
	}
}

func TestBodyIsStoredAsTyped(t *testing.T) {
	env := modtest.New(t, nil)
	u := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	body := `<script>alert(1)</script> & <img src=x onerror=alert(1)>`
	q := ask(t, env, talk, u.Token, "  "+body+"\n", false)
	if q.Body != body {
		t.Fatalf("body %q", q.Body)
	}
	if got := list(t, env, talk, "", ""); len(got) != 1 || got[0].Body != body {
		t.Fatalf("listed %+v", got)
	}
	pub := env.Events(live.TalkChannel(talk))
	var ev qa.Question
	if err := json.Unmarshal(pub[0].Data, &ev); err != nil || ev.Body != body {
		t.Fatalf("event body %q (%v)", ev.Body, err)
	}
}

func TestBodyLimits(t *testing.T) {
	env := modtest.New(t, nil)
	u := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{AllowAnonymous: modtest.Ptr(false)})
	path := fmt.Sprintf("/api/v1/talks/%d/questions", talk)
	for _, b := range []string{"", "   ", strings.Repeat("é", 501)} {
		p := testserver.Must(t, env.Post(path, u.Token, map[string]any{"body": b}), 422).Problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Field != "body" {
			t.Fatalf("problem %+v", p)
		}
	}
	testserver.Must(t, env.Post(path, u.Token, map[string]any{"body": strings.Repeat("é", 500)}), 201)
	p := testserver.Must(t, env.Post(path, u.Token, map[string]any{"body": "hi", "anonymous": true}), 422).Problem(t)
	if p.Errors[0].Field != "anonymous" {
		t.Fatalf("problem %+v", p)
	}
	p = testserver.Must(t, env.Post(path, u.Token, map[string]any{"body": "hi", "author_id": 1}), 422).Problem(t)
	if p.Errors[0].Field != "author_id" {
		t.Fatalf("problem %+v", p)
	}
}

func TestAnonymousAuthorShownToModeratorsOnly(t *testing.T) {
	env, speaker, talk := talkWithSpeaker(t)
	asker, other, mod, admin := env.NewUser("participant"), env.NewUser("participant"), env.NewUser("moderator"), env.NewUser("admin")
	q := ask(t, env, talk, asker.Token, "A delicate question", true)
	if q.Author != nil {
		t.Fatalf("author shown to the asker in the response: %+v", q.Author)
	}
	for name, tok := range map[string]string{"anonymous": "", "participant": other.Token, "author": asker.Token, "speaker": speaker.Token} {
		if got := list(t, env, talk, tok, ""); got[0].Author != nil {
			t.Errorf("%s sees the author %+v", name, got[0].Author)
		}
	}
	for name, tok := range map[string]string{"moderator": mod.Token, "admin": admin.Token} {
		if got := list(t, env, talk, tok, ""); got[0].Author == nil || got[0].Author.ID != asker.ID {
			t.Errorf("%s does not see the author: %+v", name, got[0].Author)
		}
	}
	for _, ch := range []string{live.TalkChannel(talk), live.StaffChannel(talk)} {
		for _, ev := range env.Events(ch) {
			if strings.Contains(string(ev.Data), asker.Name) || strings.Contains(string(ev.Data), `"author":{`) {
				t.Errorf("%s event %s carries the author: %s", ch, ev.Type, ev.Data)
			}
		}
	}
}

func TestQAClosed(t *testing.T) {
	env := modtest.New(t, nil)
	u, mod := env.NewUser("participant"), env.NewUser("moderator")
	for _, o := range []modtest.TalkOpts{{Status: "ended"}, {Status: "cancelled"}, {Open: modtest.Ptr(false)}} {
		talk := env.MakeTalk(o)
		p := testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk), u.Token, map[string]any{"body": "late?"}), 409).Problem(t)
		if p.Code != "qa_closed" {
			t.Fatalf("code %q", p.Code)
		}
	}
	draft := env.MakeTalk(modtest.TalkOpts{Status: "draft"})
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", draft), u.Token, map[string]any{"body": "draft?"}), 404)
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions", draft), u.Token), 404)
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions", draft), mod.Token), 200)
	sched := env.MakeTalk(modtest.TalkOpts{Status: "scheduled"})
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", sched), u.Token, map[string]any{"body": "before it starts"}), 201)
}

func TestRateLimits(t *testing.T) {
	env := modtest.New(t, func(c *moderation.Config) {
		c.QuestionRate = moderation.Rate{N: 2, Per: time.Minute}
		c.VoteRate = moderation.Rate{N: 3, Per: time.Minute}
	})
	u := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	q := ask(t, env, talk, u.Token, "one", false)
	ask(t, env, talk, u.Token, "two", false)
	r := testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk), u.Token, map[string]any{"body": "three"}), 429)
	if r.Header.Get("Retry-After") == "" || r.Problem(t).Code != "rate_limited" {
		t.Fatalf("429 without Retry-After or code: %v %s", r.Header, r.Body)
	}
	for i := 0; i < 3; i++ {
		vote(t, env, q.ID, u.Token, 200)
	}
	vote(t, env, q.ID, u.Token, 429)
	var n int
	_ = env.DB.Get(&n, `SELECT count(*) FROM questions WHERE talk_id = $1`, talk)
	if n != 2 {
		t.Fatalf("%d questions stored", n)
	}
	// Staff of the talk are not throttled on questions.
	mod := env.NewUser("moderator")
	for i := 0; i < 4; i++ {
		ask(t, env, talk, mod.Token, fmt.Sprintf("read out from the room %d", i), false)
	}
}

func TestBlockedWordsHoldQuestions(t *testing.T) {
	env := modtest.New(t, func(c *moderation.Config) { c.BlockedWords = []string{"Spam", "buy now"} })
	u := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	if q := ask(t, env, talk, u.Token, "Is spamming allowed? Spammer here.", false); q.Status != "approved" {
		t.Fatalf("a word containing a blocked word was held: %s", q.Status)
	}
	held := ask(t, env, talk, u.Token, "Great talk, BUY NOW at example.com", false)
	if held.Status != "pending" {
		t.Fatalf("status %q, want pending", held.Status)
	}
	if got := list(t, env, talk, "", ""); len(got) != 1 {
		t.Fatalf("public list: %v", ids(got))
	}
	var entry struct {
		Action  string
		ActorID *int64 `db:"actor_id"`
	}
	if err := env.DB.Get(&entry, `SELECT action, actor_id FROM moderation_log WHERE target_type = 'question' AND target_id = $1`, held.ID); err != nil {
		t.Fatal(err)
	}
	if entry.ActorID != nil || entry.Action != "hold_blocked_words" {
		t.Fatalf("log entry %+v", entry)
	}
}

func TestListSortAndCursor(t *testing.T) {
	env := modtest.New(t, nil)
	u := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	var qs []qa.Question
	for i := 0; i < 5; i++ {
		qs = append(qs, ask(t, env, talk, u.Token, fmt.Sprintf("q%d", i), false))
	}
	for i, n := range []int{0, 2, 2, 1, 0} {
		for j := 0; j < n; j++ {
			v := env.NewUser("participant")
			vote(t, env, qs[i].ID, v.Token, 200)
		}
	}
	want := []int64{qs[1].ID, qs[2].ID, qs[3].ID, qs[0].ID, qs[4].ID}
	var got []int64
	cursor := ""
	for page := 0; page < 5; page++ {
		var l struct {
			Items      []qa.Question
			NextCursor *string `json:"next_cursor"`
		}
		testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions?sort=top&limit=2&cursor=%s", talk, cursor), ""), 200).JSON(t, &l)
		got = append(got, ids(l.Items)...)
		if l.NextCursor == nil {
			break
		}
		cursor = *l.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("top order %v, want %v", got, want)
	}
	recent := ids(list(t, env, talk, "", "?sort=recent"))
	if fmt.Sprint(recent) != fmt.Sprint([]int64{qs[4].ID, qs[3].ID, qs[2].ID, qs[1].ID, qs[0].ID}) {
		t.Fatalf("recent order %v", recent)
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions?sort=best", talk), ""), 422)
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/questions?cursor=zz", talk), ""), 422)
	_ = http.StatusOK
}

// TestFlagQueueShowsTheTarget: a moderator's flag queue carries what was
// flagged as they see it (talk, text, author even when anonymous, status),
// also after the flag is settled; the reporter's answer does not.
func TestFlagQueueShowsTheTarget(t *testing.T) {
	env := modtest.New(t, nil)
	asker, reporter, mod := env.NewUser("participant"), env.NewUser("participant"), env.NewUser("moderator")
	talk := env.MakeTalk(modtest.TalkOpts{})
	q := ask(t, env, talk, asker.Token, "Buy cheap watches at example.com", true)
	var mine moderation.Flag
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/questions/%d/flags", q.ID), reporter.Token, map[string]any{"reason": "spam"}), 201).JSON(t, &mine)
	if mine.Target.Author != nil || mine.Target.Body != nil {
		t.Fatalf("the reporter sees the target as %+v", mine.Target)
	}
	var page struct{ Items []moderation.Flag }
	testserver.Must(t, env.Get("/api/v1/moderation/flags", mod.Token), 200).JSON(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("queue: %+v", page.Items)
	}
	tg := page.Items[0].Target
	if tg.Type != "question" || tg.ID != q.ID || tg.TalkID != talk || tg.TalkTitle == "" || tg.Body == nil || *tg.Body != q.Body ||
		tg.Author == nil || tg.Author.ID != asker.ID || tg.Status != "approved" {
		t.Fatalf("queue target: %+v", tg)
	}
	moderate(t, env, q.ID, mod.Token, map[string]any{"status": "dismissed"}, 200)
	var settled moderation.Flag
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/moderation/flags/%d", mine.ID), mod.Token, map[string]any{"status": "resolved"}), 200).JSON(t, &settled)
	if settled.Status != "resolved" || settled.Target.Status != "dismissed" || settled.Target.Body == nil {
		t.Fatalf("settled flag: %+v", settled)
	}
}

// TestAuthorEditsAndWithdraws: the author edits their question's text
// (everyone sees the new text live) and withdraws it (it leaves the room,
// staff still see it, the log says withdraw); others cannot; an answered
// question and one past the edit window are no longer the author's to
// change.
func TestAuthorEditsAndWithdraws(t *testing.T) {
	env, speaker, talk := talkWithSpeaker(t)
	asker, other := env.NewUser("participant"), env.NewUser("participant")
	q := ask(t, env, talk, asker.Token, "Is the data stored in the EU?", false)
	var edited qa.Question
	moderate(t, env, q.ID, asker.Token, map[string]any{"body": "  Is the data stored in the EU, and where?  "}, 200).JSON(t, &edited)
	if edited.Body != "Is the data stored in the EU, and where?" || edited.Status != "approved" {
		t.Fatalf("edited: %+v", edited)
	}
	if got := list(t, env, talk, other.Token, ""); len(got) != 1 || got[0].Body != edited.Body {
		t.Fatalf("others see %+v", got)
	}
	pub := env.Events(live.TalkChannel(talk))
	if last := pub[len(pub)-1]; last.Type != "question.updated" || !strings.Contains(string(last.Data), "and where?") {
		t.Fatalf("public event: %s %s", last.Type, last.Data)
	}
	moderate(t, env, q.ID, other.Token, map[string]any{"body": "hijacked"}, 403)
	moderate(t, env, q.ID, speaker.Token, map[string]any{"body": "hijacked"}, 403)
	moderate(t, env, q.ID, asker.Token, map[string]any{"body": "x", "pinned": true}, 422)
	moderate(t, env, q.ID, asker.Token, map[string]any{"body": " "}, 422)
	testserver.Must(t, env.Delete(fmt.Sprintf("/api/v1/questions/%d", q.ID), other.Token), 403)

	testserver.Must(t, env.Delete(fmt.Sprintf("/api/v1/questions/%d", q.ID), asker.Token), 204)
	if got := list(t, env, talk, other.Token, ""); len(got) != 0 {
		t.Fatalf("withdrawn question still public: %+v", got)
	}
	if got := list(t, env, talk, speaker.Token, "?status=dismissed"); len(got) != 1 || got[0].ID != q.ID {
		t.Fatalf("staff's dismissed list: %v", ids(got))
	}
	var action string
	if err := env.DB.Get(&action, `SELECT action FROM moderation_log WHERE target_type = 'question' AND target_id = $1 ORDER BY id DESC LIMIT 1`, q.ID); err != nil || action != "withdraw" {
		t.Fatalf("log: %q %v", action, err)
	}
	testserver.Must(t, env.Delete(fmt.Sprintf("/api/v1/questions/%d", q.ID), asker.Token), 409)

	answered := ask(t, env, talk, asker.Token, "Who pays for the servers?", false)
	moderate(t, env, answered.ID, speaker.Token, map[string]any{"status": "answered"}, 200)
	moderate(t, env, answered.ID, asker.Token, map[string]any{"body": "changed after the answer"}, 409)

	old := ask(t, env, talk, asker.Token, "An old question", false)
	if _, err := env.DB.Exec(`UPDATE questions SET created_at = created_at - interval '1 hour' WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	if p := moderate(t, env, old.ID, asker.Token, map[string]any{"body": "too late"}, 403).Problem(t); p.Code != "edit_window_closed" {
		t.Fatalf("late edit: %+v", p)
	}
}

// TestAskAnswersAndEmitsWhatAReadShows: a question is made in Go and
// written with its events in one statement; the answer and the stored
// events must be exactly what a later read shows (times at the database's
// precision, the author hidden where anonymity hides it), and a
// pre-moderated question reaches the staff channel only.
func TestAskAnswersAndEmitsWhatAReadShows(t *testing.T) {
	env := modtest.New(t, nil)
	asker, mod := env.NewUser("participant"), env.NewUser("moderator")
	open := env.MakeTalk(modtest.TalkOpts{})
	held := env.MakeTalk(modtest.TalkOpts{Moderation: "pre"})
	asJSON := func(v any) map[string]any {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	stored := func(channel string, id int64) []map[string]any {
		t.Helper()
		var raws []string
		if err := env.DB.Select(&raws, `SELECT data::text FROM events WHERE channel = $1 AND subject = $2 ORDER BY seq`,
			channel, fmt.Sprintf("question:%d", id)); err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for _, r := range raws {
			var m map[string]any
			if err := json.Unmarshal([]byte(r), &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
	for _, c := range []struct {
		who       testserver.User
		anonymous bool
	}{{asker, false}, {asker, true}, {mod, true}} {
		got := ask(t, env, open, c.who.Token, fmt.Sprintf("asked by %d, anonymous %v", c.who.ID, c.anonymous), c.anonymous)
		var mine, public qa.Question
		for _, q := range list(t, env, open, c.who.Token, "?sort=recent") {
			if q.ID == got.ID {
				mine = q
			}
		}
		for _, q := range list(t, env, open, "", "?sort=recent") {
			if q.ID == got.ID {
				public = q
			}
		}
		if !reflect.DeepEqual(asJSON(got), asJSON(mine)) {
			t.Fatalf("answer %+v, read %+v", asJSON(got), asJSON(mine))
		}
		want := asJSON(public)
		for _, ch := range []string{fmt.Sprintf("talk:%d", open), fmt.Sprintf("talk:%d:staff", open)} {
			evs := stored(ch, got.ID)
			if len(evs) != 1 || !reflect.DeepEqual(evs[0], want) {
				t.Fatalf("%s stores %v, a public read shows %v", ch, evs, want)
			}
		}
	}
	pending := ask(t, env, held, asker.Token, "for the moderators first", false)
	if pending.Status != "pending" {
		t.Fatalf("status %q", pending.Status)
	}
	if evs := stored(fmt.Sprintf("talk:%d", held), pending.ID); len(evs) != 0 {
		t.Fatalf("a pending question reached the public channel: %v", evs)
	}
	if evs := stored(fmt.Sprintf("talk:%d:staff", held), pending.ID); len(evs) != 1 || evs[0]["status"] != "pending" {
		t.Fatalf("staff channel: %v", evs)
	}
}

// TestIdempotentAskAtOnce: requests with one key sent together ask once;
// every one of them, and a later retry, answers the same question, and its
// events are stored once; the key with another body is refused.
func TestIdempotentAskAtOnce(t *testing.T) {
	env := modtest.New(t, nil)
	u := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	req := testserver.Req{Method: "POST", Path: fmt.Sprintf("/api/v1/talks/%d/questions", talk), Token: u.Token,
		Body: map[string]any{"body": "only once"}, Header: map[string]string{"Idempotency-Key": "at-once"}}
	const n = 8
	bodies, replayed := make([]string, n), make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := env.Do(req)
			if res.StatusCode != 201 {
				t.Errorf("request %d: %d %s", i, res.StatusCode, res.Body)
				return
			}
			bodies[i], replayed[i] = string(res.Body), res.Header.Get("Idempotent-Replayed") == "true"
		})
	}
	wg.Wait()
	firsts := 0
	for i := range n {
		if bodies[i] != bodies[0] {
			t.Fatalf("answers differ:\n%s\n%s", bodies[0], bodies[i])
		}
		if !replayed[i] {
			firsts++
		}
	}
	var questions, events int
	_ = env.DB.Get(&questions, `SELECT count(*) FROM questions WHERE talk_id = $1`, talk)
	_ = env.DB.Get(&events, `SELECT count(*) FROM events WHERE channel IN ($1, $2)`, fmt.Sprintf("talk:%d", talk), fmt.Sprintf("talk:%d:staff", talk))
	if firsts != 1 || questions != 1 || events != 2 {
		t.Fatalf("%d first answers, %d questions, %d events; want 1, 1, 2", firsts, questions, events)
	}
	again := testserver.Must(t, env.Do(req), 201)
	if string(again.Body) != bodies[0] || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a later retry answers %s (replayed %q)", again.Body, again.Header.Get("Idempotent-Replayed"))
	}
	req.Body = map[string]any{"body": "another"}
	if p := testserver.Must(t, env.Do(req), 422).Problem(t); p.Code != "idempotency_key_reused" {
		t.Fatalf("problem %+v", p)
	}
}
