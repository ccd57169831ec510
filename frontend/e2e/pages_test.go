package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestDiscussionAndStaffPages: the rest of the app against the real server.
// A participant starts a discussion thread and another person sees it live
// and replies; a moderator locks it and the participant's reply form goes;
// a thread longer than a page loads the rest with "Load more posts" (a
// post arriving live meanwhile shows once); the moderator edits the talk in the editor; recordings, "my talks", the
// account page (export, erasure) and login work.
func TestDiscussionAndStaffPages(t *testing.T) {
	app := startApp(t)
	mod, talk := app.talkBy("Health data spaces in practice", "post")
	pia := app.Env.NewUser("participant")
	app.register(talk, pia)

	b := newBrowser(t, app)
	part := b.Tab("participant", &pia)
	moritz := b.Tab("moderator", &mod)

	// Discussion: thread, live to the other person, reply, lock.
	moritz.Open(talk.Path("/live?tab=discussion"), tid("new-thread"))
	part.Open(talk.Path("/live?tab=discussion"))
	part.Click(tid("new-thread"))
	title, body := "Secondary use of data", "Who decides which researchers get access?"
	part.Type(tid("thread-title"), title)
	part.Type(tid("thread-body"), body)
	part.Click(tid("thread-submit"))
	part.Until("the thread to open", `document.querySelector(`+js(tid("thread"))+`)?.textContent.includes(`+js(body)+`)`)
	var threadID int64
	if err := app.Env.DB.Get(&threadID, `SELECT id FROM threads WHERE talk_id = $1 AND title = $2`, talk.ID, title); err != nil {
		t.Fatalf("thread in the database: %v", err)
	}
	moritz.Until("the new thread, live", `[...document.querySelectorAll(`+js(tid("thread-item"))+`)].some(t => t.textContent.includes(`+js(title)+`))`)
	moritz.Click(tid("thread-item") + " a")
	moritz.Type(tid("post-body"), "A data access body, under the EHDS.")
	moritz.Click(tid("post-submit"))
	part.Until("the moderator's post, live", `document.querySelector(`+js(tid("post"))+`)?.textContent.includes('data access body')`)
	part.Click(tid("post") + " button")
	part.Type(tid("reply-body"), "Thanks!")
	part.Click(tid("reply-submit"))
	moritz.Until("the reply, live", `[...document.querySelectorAll(`+js(tid("post"))+`)].some(p => p.textContent.includes('Thanks!'))`)
	moritz.Click(tid("lock-thread"))
	part.Until("the thread to lock for the participant", `!document.querySelector(`+js(tid("post-body"))+`) && document.querySelector(`+js(tid("thread"))+`).textContent.includes('locked')`)
	var locked bool
	var posts int
	if err := app.Env.DB.QueryRowx(`SELECT locked, (SELECT count(*) FROM posts WHERE thread_id = $1) FROM threads WHERE id = $1`, threadID).Scan(&locked, &posts); err != nil || !locked || posts != 2 {
		t.Fatalf("thread in the database: locked %v, %d posts, %v", locked, posts, err)
	}

	// A thread of more than one page (the app asks for 50 posts a page).
	longTitle := "Reading list"
	longID := seedThread(t, app, talk.ID, longTitle, 55)
	moritz.Open(talk.Path("/live?tab=discussion"))
	moritz.Until("the long thread in the list", `[...document.querySelectorAll(`+js(tid("thread-item"))+`)].some(t => t.textContent.includes(`+js(longTitle)+`))`)
	eval[bool](moritz, `[...document.querySelectorAll(`+js(tid("thread-item"))+`)].find(t => t.textContent.includes(`+js(longTitle)+`)).querySelector('a').click() ?? true`)
	moritz.Until("the first page of posts", `document.querySelectorAll(`+js(tid("post"))+`).length === 50 && document.querySelector(`+js(tid("load-more-posts"))+`)`)
	// A post made now belongs to a page not loaded yet: it must show once, in its place.
	late := app.Env.NewUser("participant")
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", longID), late.Token, map[string]any{"body": "A late addition"}), 201)
	// The button works from the keyboard.
	moritz.do("press Enter on Load more posts", chromedp.Focus(chromedp.CSS(tid("load-more-posts"))), chromedp.KeyEvent(kb.Enter))
	moritz.Until("every post, each once and in order", `(() => {
		const ids = [...document.querySelectorAll(`+js(tid("post"))+`)].map(p => Number(p.dataset.postId));
		return ids.length === 56 && ids.every((id, i) => i === 0 || id > ids[i - 1]) && !document.querySelector(`+js(tid("load-more-posts"))+`) &&
			[...document.querySelectorAll(`+js(tid("post"))+`)].filter(p => p.textContent.includes('A late addition')).length === 1;
	})()`)

	// The editor changes the talk.
	moritz.Open(talk.Path("/edit"), tid("talk-title-input"))
	moritz.do("clear the title", clearField(tid("talk-title-input")))
	moritz.Type(tid("talk-title-input"), "Health data spaces, in practice")
	moritz.do("clear the capacity", clearField(tid("talk-capacity")))
	moritz.Type(tid("talk-capacity"), "500")
	moritz.Click(tid("talk-save"))
	moritz.Until("saved", `[...document.querySelectorAll('form [role="status"]')].some(s => s.textContent === 'Saved.')`)
	var newTitle string
	var capacity int
	if err := app.Env.DB.QueryRowx(`SELECT title, capacity FROM talks WHERE id = $1`, talk.ID).Scan(&newTitle, &capacity); err != nil || newTitle != "Health data spaces, in practice" || capacity != 500 {
		t.Fatalf("talk in the database: %q, capacity %d, %v", newTitle, capacity, err)
	}

	part.Open(talk.Path(""))
	part.Until("the new title on the talk page", `document.querySelector(`+js(tid("talk-title"))+`)?.textContent === 'Health data spaces, in practice'`)

	// Recordings linked to a talk.
	pl := testserver.Must(t, app.Env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "Hub Talks 2026", "description": "All recordings"}), 201)
	var playlist struct{ ID int64 }
	pl.JSON(t, &playlist)
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/playlists/%d/items", playlist.ID), mod.Token,
		map[string]any{"video_id": "dQw4w9WgXcQ", "title": "Health data spaces (recording)", "talk_id": talk.ID}), 201)
	part.Open("/recordings")
	part.Click(tid("recording") + " h3 a")
	part.Until("the recording's talk", `location.pathname === `+js(talk.Path(""))+` && document.querySelector(`+js(tid("talk-title"))+`)`)

	// My talks and the account page.
	part.Open("/me/talks")
	part.Until("the registered talk", `document.querySelector(`+js(tid("my-talks"))+`)?.textContent.includes('Health data spaces, in practice')`)
	part.Open("/account", tid("export"))
	part.Visible(tid("delete-account"))

	// Logging out and in again.
	part.Click(tid("logout"))
	part.Visible(tid("login-link"))
	part.Open("/login")
	part.Type(tid("login-email"), pia.Email)
	part.Type(tid("login-password"), testserver.TestPassword)
	part.Click(tid("login-submit"))
	part.Visible(tid("logout"))

	// Data export, then erasure.
	part.Open("/account")
	part.Click(tid("export"))
	part.Until("the export to finish", `!document.querySelector(`+js(tid("export"))+`).disabled`)
	if eval[bool](part, `!!document.querySelector('main [role="alert"]')`) {
		part.fail("the export failed")
	}
	part.Click(tid("delete-account"))
	part.Type(tid("delete-confirm-input"), "delete")
	part.Click(tid("delete-confirm"))
	part.Until("signed out on the schedule", `location.pathname === '/' && document.querySelector(`+js(tid("login-link"))+`)`)
	var left int
	if err := app.Env.DB.Get(&left, `SELECT count(*) FROM users WHERE lower(email) = lower($1)`, pia.Email); err != nil || left != 0 {
		t.Fatalf("after erasure, %d users with the email (%v)", left, err)
	}

	for _, tab := range []*Tab{part, moritz} {
		noCSPViolations(tab)
	}
}

// seedThread starts a thread on the talk and writes n posts to it through
// the API, spread over participants (each may post 10 times a minute);
// it returns the thread's id.
func seedThread(t *testing.T, app *App, talkID int64, title string, n int) int64 {
	t.Helper()
	author := app.Env.NewUser("participant")
	var th struct {
		ID int64 `json:"id"`
	}
	testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/talks/%d/threads", talkID), author.Token,
		map[string]any{"title": title, "body": "Post what you are reading."}), 201).JSON(t, &th)
	var u testserver.User
	for i := range n {
		if i%9 == 0 {
			u = app.Env.NewUser("participant")
		}
		testserver.Must(t, app.Env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), u.Token,
			map[string]any{"body": fmt.Sprintf("Reading list, item %d", i+1)}), 201)
	}
	return th.ID
}
