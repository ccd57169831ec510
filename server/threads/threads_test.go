package threads_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/testserver"
	"github.com/hubtalks/hubtalks/server/threads"
)

func newThread(t *testing.T, env *modtest.Env, talk int64, tok string) threads.Thread {
	t.Helper()
	var th threads.Thread
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/threads", talk), tok, map[string]any{"title": "Slides?", "body": "Where are the slides?"}), 201).JSON(t, &th)
	return th
}

// postIn posts body (a JSON object) in thread as tok, expecting status want.
func postIn(t *testing.T, env *modtest.Env, thread int64, tok string, body map[string]any, want int) *testserver.Response {
	t.Helper()
	return testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", thread), tok, body), want)
}

// newPost posts body in thread as tok and returns the post.
func newPost(t *testing.T, env *modtest.Env, thread int64, tok string, body map[string]any) threads.Post {
	t.Helper()
	var p threads.Post
	postIn(t, env, thread, tok, body, 201).JSON(t, &p)
	return p
}

// oneThread is a test server with a participant's thread in a live talk.
func oneThread(t *testing.T) (*modtest.Env, testserver.User, threads.Thread) {
	t.Helper()
	env := modtest.New(t, nil)
	u := env.NewUser("participant")
	return env, u, newThread(t, env, env.MakeTalk(modtest.TalkOpts{}), u.Token)
}

func TestLockedThreadRefusesPosts(t *testing.T) {
	env := modtest.New(t, nil)
	u, mod := env.NewUser("participant"), env.NewUser("moderator")
	talk := env.MakeTalk(modtest.TalkOpts{})
	th := newThread(t, env, talk, u.Token)
	p := newPost(t, env, th.ID, u.Token, map[string]any{"body": "first"})
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/threads/%d", th.ID), mod.Token, map[string]any{"locked": true, "reason": "heated"}), 200)
	for _, tok := range []string{u.Token, mod.Token} {
		pr := postIn(t, env, th.ID, tok, map[string]any{"body": "more"}, 423).Problem(t)
		if pr.Code != "thread_locked" {
			t.Fatalf("code %q", pr.Code)
		}
	}
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/posts/%d", p.ID), u.Token, map[string]any{"body": "edit"}), 423)
	var n int
	_ = env.DB.Get(&n, `SELECT count(*) FROM posts WHERE thread_id = $1`, th.ID)
	if n != 1 {
		t.Fatalf("%d posts", n)
	}
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/threads/%d", th.ID), mod.Token, map[string]any{"locked": false}), 200)
	postIn(t, env, th.ID, u.Token, map[string]any{"body": "again"}, 201)
	var reason string
	_ = env.DB.Get(&reason, `SELECT reason FROM moderation_log WHERE action = 'lock' AND target_id = $1`, th.ID)
	if reason != "heated" {
		t.Fatalf("lock reason %q", reason)
	}
}

func TestEditsWithinTheWindowOnly(t *testing.T) {
	env, u, th := oneThread(t)
	p := newPost(t, env, th.ID, u.Token, map[string]any{"body": "frist"})
	env.Clock.Advance(14 * time.Minute)
	var edited threads.Post
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/posts/%d", p.ID), u.Token, map[string]any{"body": "first"}), 200).JSON(t, &edited)
	if edited.Body != "first" || edited.EditedAt == nil {
		t.Fatalf("edited %+v", edited)
	}
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/threads/%d", th.ID), u.Token, map[string]any{"title": "Slides, please"}), 200)
	env.Clock.Advance(2 * time.Minute)
	pr := testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/posts/%d", p.ID), u.Token, map[string]any{"body": "late"}), 403).Problem(t)
	if pr.Code != "edit_window_closed" {
		t.Fatalf("code %q", pr.Code)
	}
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/threads/%d", th.ID), u.Token, map[string]any{"title": "late"}), 403)
	var body, title string
	_ = env.DB.Get(&body, `SELECT body FROM posts WHERE id = $1`, p.ID)
	_ = env.DB.Get(&title, `SELECT title FROM threads WHERE id = $1`, th.ID)
	if body != "first" || title != "Slides, please" {
		t.Fatalf("stored %q / %q", body, title)
	}
}

func TestRepliesOneLevelDeep(t *testing.T) {
	env := modtest.New(t, nil)
	u := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	th, other := newThread(t, env, talk, u.Token), newThread(t, env, talk, u.Token)
	var top, reply, elsewhere threads.Post
	postIn(t, env, th.ID, u.Token, map[string]any{"body": "top"}, 201).JSON(t, &top)
	postIn(t, env, th.ID, u.Token, map[string]any{"body": "reply", "parent_id": top.ID}, 201).JSON(t, &reply)
	postIn(t, env, other.ID, u.Token, map[string]any{"body": "x"}, 201).JSON(t, &elsewhere)
	for _, parent := range []int64{reply.ID, elsewhere.ID, 999999} {
		pr := postIn(t, env, th.ID, u.Token, map[string]any{"body": "deep", "parent_id": parent}, 422).Problem(t)
		if pr.Errors[0].Field != "parent_id" {
			t.Fatalf("problem %+v", pr)
		}
	}
	var got struct {
		threads.Thread
		Posts []threads.Post
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/threads/%d", th.ID), ""), 200).JSON(t, &got)
	if len(got.Posts) != 2 || got.Posts[1].ParentID == nil || *got.Posts[1].ParentID != top.ID || got.PostCount != 2 {
		t.Fatalf("thread %+v", got)
	}
}

func TestHiddenItemsAreStaffOnly(t *testing.T) {
	env := modtest.New(t, nil)
	u, other, speaker, mod := env.NewUser("participant"), env.NewUser("participant"), env.NewUser("participant"), env.NewUser("moderator")
	talk := env.MakeTalk(modtest.TalkOpts{Speakers: []int64{speaker.ID}})
	th := newThread(t, env, talk, u.Token)
	p := newPost(t, env, th.ID, u.Token, map[string]any{"body": "<script>alert(1)</script> secret"})
	if p.Body != "<script>alert(1)</script> secret" {
		t.Fatalf("body %q", p.Body)
	}
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/posts/%d", p.ID), mod.Token, map[string]any{"hidden": true}), 200)
	var got struct{ Posts []threads.Post }
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/threads/%d", th.ID), other.Token), 200).JSON(t, &got)
	if len(got.Posts) != 0 {
		t.Fatalf("participant sees hidden post")
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/threads/%d", th.ID), speaker.Token), 200).JSON(t, &got)
	if len(got.Posts) != 1 {
		t.Fatalf("speaker does not see hidden post")
	}
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/threads/%d", th.ID), mod.Token, map[string]any{"hidden": true}), 200)
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/threads/%d", th.ID), other.Token), 404)
	var l struct{ Items []threads.Thread }
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/threads", talk), other.Token), 200).JSON(t, &l)
	if len(l.Items) != 0 {
		t.Fatalf("participant lists hidden thread")
	}
	for _, ev := range env.Events(live.TalkChannel(talk)) {
		if ev.Type == "post.updated" && strings.Contains(string(ev.Data), "secret") {
			t.Fatalf("public channel carries the hidden post's text: %s", ev.Data)
		}
	}
}

func TestBlockedWordsHidePosts(t *testing.T) {
	env, u, th := oneThread(t) // default blocked words
	p := newPost(t, env, th.ID, u.Token, map[string]any{"body": "Best CASINO BONUS here"})
	if !p.Hidden {
		t.Fatalf("post not hidden")
	}
	for _, ev := range env.Events(live.TalkChannel(th.TalkID)) {
		if ev.Type == "post.created" {
			t.Fatalf("hidden post on the public channel")
		}
	}
	var n int
	_ = env.DB.Get(&n, `SELECT count(*) FROM moderation_log WHERE action = 'hide_blocked_words' AND actor_id IS NULL AND target_id = $1`, p.ID)
	if n != 1 {
		t.Fatalf("%d system log entries", n)
	}
}

// threadPage is GET /threads/{id}: the thread's fields, a page of posts and
// the next page's cursor.
type threadPage struct {
	threads.Thread
	Posts      []threads.Post `json:"posts"`
	NextCursor *string        `json:"next_cursor"`
}

// readAllPosts pages through a thread's posts as tok and returns every
// page's post ids, checking the thread's fields come with each page.
func readAllPosts(t *testing.T, env *modtest.Env, thread int64, tok string, limit int) [][]int64 {
	t.Helper()
	var pages [][]int64
	cursor := ""
	for {
		path := fmt.Sprintf("/api/v1/threads/%d?limit=%d", thread, limit)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var p threadPage
		testserver.Must(t, env.Get(path, tok), 200).JSON(t, &p)
		if p.ID != thread || p.Title == "" {
			t.Fatalf("page %d: thread fields %+v", len(pages)+1, p.Thread)
		}
		ids := make([]int64, len(p.Posts))
		for i, post := range p.Posts {
			ids[i] = post.ID
		}
		pages = append(pages, ids)
		if p.NextCursor == nil {
			return pages
		}
		if len(p.Posts) != limit {
			t.Fatalf("page %d has %d posts and a next page", len(pages), len(p.Posts))
		}
		if len(pages) > 20 {
			t.Fatalf("no end to the pages: %v", pages)
		}
		cursor = *p.NextCursor
	}
}

func TestThreadPostsArePaged(t *testing.T) {
	env, u, th := oneThread(t)
	var want []int64
	for i := range 7 {
		p := newPost(t, env, th.ID, u.Token, map[string]any{"body": fmt.Sprintf("post %d", i)})
		want = append(want, p.ID)
	}
	// Two posts at the same instant: the id orders them, and a page boundary
	// between them neither repeats nor skips one.
	if _, err := env.DB.Exec(`UPDATE posts SET created_at = (SELECT created_at FROM posts WHERE id = $1) WHERE id = $2`, want[2], want[3]); err != nil {
		t.Fatal(err)
	}
	pages := readAllPosts(t, env, th.ID, u.Token, 3)
	if len(pages) != 3 || len(pages[0]) != 3 || len(pages[1]) != 3 || len(pages[2]) != 1 {
		t.Fatalf("pages %v", pages)
	}
	if got := slices.Concat(pages...); !slices.Equal(got, want) {
		t.Fatalf("posts %v, want %v", got, want)
	}
	// Without a limit: one page of 50, as before.
	var all threadPage
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/threads/%d", th.ID), ""), 200).JSON(t, &all)
	if len(all.Posts) != 7 || all.NextCursor != nil {
		t.Fatalf("default page: %d posts, next %v", len(all.Posts), all.NextCursor)
	}
	// A limit that fills the page exactly: no further (empty) page is promised.
	if pages := readAllPosts(t, env, th.ID, u.Token, 7); len(pages) != 1 || len(pages[0]) != 7 {
		t.Fatalf("limit 7: pages %v", pages)
	}
}

func TestThreadPostsPageParameters(t *testing.T) {
	env, u, th := oneThread(t)
	for _, tc := range []struct{ query, field string }{
		{"cursor=zzz", "cursor"},
		{"cursor=" + url.QueryEscape("eyJ0IjoxfQ"), "cursor"}, // {"t":1}: JSON, but not a position
		{"limit=0", "limit"},
		{"limit=500", "limit"},
		{"limit=x", "limit"},
	} {
		pr := testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/threads/%d?%s", th.ID, tc.query), u.Token), 422).Problem(t)
		if pr.Code != "validation_failed" || len(pr.Errors) != 1 || pr.Errors[0].Field != tc.field {
			t.Fatalf("%s: problem %+v", tc.query, pr)
		}
	}
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/threads/%d?limit=200", th.ID), u.Token), 200)
}

func TestHiddenPostsStayHiddenAcrossPages(t *testing.T) {
	env := modtest.New(t, nil)
	u, other, mod := env.NewUser("participant"), env.NewUser("participant"), env.NewUser("moderator")
	talk := env.MakeTalk(modtest.TalkOpts{})
	th := newThread(t, env, talk, u.Token)
	// Posts 1 and 3 get hidden; post 5 replies to 3, so it goes with it.
	var all, visible []int64
	for i := range 8 {
		body := map[string]any{"body": fmt.Sprintf("post %d", i)}
		if i == 5 {
			body["parent_id"] = all[3]
		}
		p := newPost(t, env, th.ID, u.Token, body)
		all = append(all, p.ID)
		if i != 1 && i != 3 && i != 5 {
			visible = append(visible, p.ID)
		}
	}
	for _, i := range []int{1, 3} {
		testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/posts/%d", all[i]), mod.Token, map[string]any{"hidden": true}), 200)
	}
	got := slices.Concat(readAllPosts(t, env, th.ID, other.Token, 2)...)
	if !slices.Equal(got, visible) {
		t.Fatalf("participant sees %v, want %v", got, visible)
	}
	if got := slices.Concat(readAllPosts(t, env, th.ID, "", 3)...); !slices.Equal(got, visible) {
		t.Fatalf("anonymous reader sees %v, want %v", got, visible)
	}
	if got := slices.Concat(readAllPosts(t, env, th.ID, mod.Token, 2)...); !slices.Equal(got, all) {
		t.Fatalf("moderator sees %v, want %v", got, all)
	}
}
