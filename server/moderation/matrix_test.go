package moderation_test

import (
	"fmt"
	"testing"

	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// roles of the matrix, in column order.
var roles = []string{"anonymous", "participant", "author", "speaker", "other_speaker", "moderator", "admin"}

type fixture struct {
	talk, question, pending, thread, post, flag int64
}

type action struct {
	name   string
	method string
	path   func(f fixture) string
	body   any
	want   [7]int // by role, in the order of roles
	logged string // the moderation log action an allowed staff caller leaves
}

// TestAuthorizationMatrix runs every Q&A, thread and moderation action as
// every role on fresh fixtures, checking the status, that a refused request
// changed nothing of the talk (questions, votes, answers, threads, posts,
// flags, log, events), and that allowed staff actions are in the log.
func TestAuthorizationMatrix(t *testing.T) {
	env := modtest.New(t, nil)
	author := env.NewUser("participant")
	speaker := env.NewUser("participant")
	other := env.NewUser("participant")
	users := map[string]testserver.User{
		"participant": env.NewUser("participant"), "author": author, "speaker": speaker, "other_speaker": other,
		"moderator": env.NewUser("moderator"), "admin": env.NewUser("admin"),
	}
	env.MakeTalk(modtest.TalkOpts{Speakers: []int64{other.ID}}) // other_speaker's own talk

	setup := func() fixture {
		var f fixture
		f.talk = env.MakeTalk(modtest.TalkOpts{Speakers: []int64{speaker.ID}})
		mustID := func(r *testserver.Response, want int) int64 {
			var v struct{ ID int64 }
			testserver.Must(t, r, want).JSON(t, &v)
			return v.ID
		}
		f.question = mustID(env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", f.talk), author.Token, map[string]any{"body": "approved question"}), 201)
		f.pending = mustID(env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", f.talk), author.Token, map[string]any{"body": "pending question"}), 201)
		if _, err := env.DB.Exec(`UPDATE questions SET status = 'pending' WHERE id = $1`, f.pending); err != nil {
			t.Fatal(err)
		}
		f.thread = mustID(env.Post(fmt.Sprintf("/api/v1/talks/%d/threads", f.talk), author.Token, map[string]any{"title": "A thread", "body": "Let us discuss"}), 201)
		f.post = mustID(env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", f.thread), author.Token, map[string]any{"body": "A post"}), 201)
		f.flag = mustID(env.Post(fmt.Sprintf("/api/v1/posts/%d/flags", f.post), author.Token, map[string]any{"reason": "spam"}), 201)
		return f
	}
	//                                        anon participant author speaker other mod admin
	all := func(ok int) [7]int { return [7]int{401, ok, ok, ok, ok, ok, ok} }
	staffOnly := func(ok, participant int) [7]int {
		return [7]int{401, participant, participant, ok, participant, ok, ok}
	}
	modOnly := func(ok int) [7]int { return [7]int{401, 403, 403, 403, 403, ok, ok} }
	actions := []action{
		{name: "ask", method: "POST", path: func(f fixture) string { return fmt.Sprintf("/api/v1/talks/%d/questions", f.talk) },
			body: map[string]any{"body": "new question"}, want: all(201)},
		{name: "vote", method: "PUT", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d/vote", f.question) }, want: all(200)},
		{name: "unvote", method: "DELETE", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d/vote", f.question) }, want: all(200)},
		{name: "vote on pending", method: "PUT", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d/vote", f.pending) },
			want: staffOnly(409, 404)},
		{name: "flag question", method: "POST", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d/flags", f.question) },
			body: map[string]any{"reason": "rude"}, want: all(201)},
		{name: "list pending", method: "GET", path: func(f fixture) string { return fmt.Sprintf("/api/v1/talks/%d/questions?status=pending", f.talk) },
			want: [7]int{403, 403, 403, 200, 403, 200, 200}},
		{name: "approve", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d", f.pending) },
			// The author sees their pending question, so they are refused, not told it is not there.
			body: map[string]any{"status": "approved"}, want: [7]int{401, 404, 403, 200, 404, 200, 200}, logged: "approve"},
		{name: "dismiss", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d", f.question) },
			body: map[string]any{"status": "dismissed", "reason": "duplicate"}, want: staffOnly(200, 403), logged: "dismiss"},
		{name: "mark answered", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d", f.question) },
			body: map[string]any{"status": "answered"}, want: staffOnly(200, 403), logged: "mark_answered"},
		{name: "pin", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d", f.question) },
			body: map[string]any{"pinned": true}, want: staffOnly(200, 403), logged: "pin"},
		{name: "answer", method: "POST", path: func(f fixture) string { return fmt.Sprintf("/api/v1/questions/%d/answers", f.question) },
			body: map[string]any{"body": "Here is the answer"}, want: staffOnly(201, 403), logged: "answer"},
		{name: "create thread", method: "POST", path: func(f fixture) string { return fmt.Sprintf("/api/v1/talks/%d/threads", f.talk) },
			body: map[string]any{"title": "t", "body": "b"}, want: all(201)},
		{name: "post", method: "POST", path: func(f fixture) string { return fmt.Sprintf("/api/v1/threads/%d/posts", f.thread) },
			body: map[string]any{"body": "reply"}, want: all(201)},
		{name: "reply", method: "POST", path: func(f fixture) string { return fmt.Sprintf("/api/v1/threads/%d/posts", f.thread) },
			body: nil, want: all(201)}, // body filled in below (needs the post id)
		{name: "pin thread", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/threads/%d", f.thread) },
			body: map[string]any{"pinned": true}, want: modOnly(200), logged: "pin"},
		{name: "lock thread", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/threads/%d", f.thread) },
			body: map[string]any{"locked": true}, want: modOnly(200), logged: "lock"},
		{name: "hide thread", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/threads/%d", f.thread) },
			body: map[string]any{"hidden": true}, want: modOnly(200), logged: "hide"},
		{name: "retitle thread", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/threads/%d", f.thread) },
			body: map[string]any{"title": "Better title"}, want: [7]int{401, 403, 200, 403, 403, 200, 200}},
		{name: "edit post", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/posts/%d", f.post) },
			body: map[string]any{"body": "edited"}, want: [7]int{401, 403, 200, 403, 403, 403, 403}},
		{name: "hide post", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/posts/%d", f.post) },
			body: map[string]any{"hidden": true}, want: modOnly(200), logged: "hide"},
		{name: "flag post (again for author)", method: "POST", path: func(f fixture) string { return fmt.Sprintf("/api/v1/posts/%d/flags", f.post) },
			body: map[string]any{"reason": "spam"}, want: [7]int{401, 201, 200, 201, 201, 201, 201}},
		{name: "flag queue", method: "GET", path: func(f fixture) string { return "/api/v1/moderation/flags" }, want: modOnly(200)},
		{name: "resolve flag", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/moderation/flags/%d", f.flag) },
			body: map[string]any{"status": "resolved"}, want: modOnly(200), logged: "resolve_flag"},
		{name: "dismiss flag", method: "PATCH", path: func(f fixture) string { return fmt.Sprintf("/api/v1/moderation/flags/%d", f.flag) },
			body: map[string]any{"status": "dismissed"}, want: modOnly(200), logged: "dismiss_flag"},
		{name: "moderation log", method: "GET", path: func(f fixture) string { return fmt.Sprintf("/api/v1/talks/%d/moderation-log", f.talk) },
			want: [7]int{401, 403, 403, 200, 403, 200, 200}},
	}
	for _, a := range actions {
		for i, role := range roles {
			t.Run(a.name+"/"+role, func(t *testing.T) {
				f := setup()
				body := a.body
				if a.name == "reply" {
					body = map[string]any{"body": "a reply", "parent_id": f.post}
				}
				u := users[role]
				before := env.Snapshot(f.talk)
				r := env.Do(testserver.Req{Method: a.method, Path: a.path(f), Token: u.Token, Body: body})
				if r.StatusCode != a.want[i] {
					t.Fatalf("%s %s as %s: %d, want %d; %s", a.method, a.path(f), role, r.StatusCode, a.want[i], r.Body)
				}
				if r.StatusCode >= 400 {
					if after := env.Snapshot(f.talk); after != before {
						t.Fatalf("refused with %d but the talk's data changed:\nbefore %s\nafter  %s", r.StatusCode, before, after)
					}
					return
				}
				if a.logged != "" {
					var n int
					if err := env.DB.Get(&n, `SELECT count(*) FROM moderation_log WHERE talk_id = $1 AND action = $2 AND actor_id = $3`,
						f.talk, a.logged, u.ID); err != nil {
						t.Fatal(err)
					}
					if n != 1 {
						t.Fatalf("%d log entries %q by %s", n, a.logged, role)
					}
				}
			})
		}
	}
}
