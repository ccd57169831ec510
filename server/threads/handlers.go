package threads

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Errors of the threads' rules.
var (
	ErrLocked     = errors.New("this thread is locked")
	ErrEditWindow = errors.New("the time to edit this has passed")
)

// access is what one request knows about a thread and its caller.
type access struct {
	ID         int64     `db:"id"`
	TalkID     int64     `db:"talk_id"`
	AuthorID   int64     `db:"author_id"`
	Hidden     bool      `db:"hidden"`
	Locked     bool      `db:"locked"`
	CreatedAt  time.Time `db:"created_at"`
	TalkStatus string    `db:"talk_status"`
	Speaker    bool      `db:"speaker"`
	user       *domain.User
}

func (a access) staff() bool { return a.Speaker || a.user.IsModerator() }

func callerID(u *domain.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}

// threadAccess loads a thread the caller may see; anything else is a 404.
func (d *Domain) threadAccess(ctx context.Context, id int64, u *domain.User) (access, error) {
	var a access
	err := d.db.GetContext(ctx, &a, selectThreadAccess, id, callerID(u))
	if errors.Is(err, sql.ErrNoRows) {
		return access{}, fmt.Errorf("thread %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return access{}, fmt.Errorf("load thread %d: %w", id, err)
	}
	a.user = u
	if !a.staff() && (a.Hidden || a.TalkStatus == "draft") {
		return access{}, fmt.Errorf("thread %d: %w", id, domain.ErrNotFound)
	}
	return a, nil
}

func loadThread(ctx context.Context, q sqlxGetter, id int64) (Thread, error) {
	var r threadRow
	if err := q.GetContext(ctx, &r, selectThread, id); err != nil {
		return Thread{}, fmt.Errorf("load thread %d: %w", id, err)
	}
	return r.thread(), nil
}

func loadPost(ctx context.Context, q sqlxGetter, id int64) (Post, error) {
	var r postRow
	if err := q.GetContext(ctx, &r, selectPost, id); err != nil {
		return Post{}, fmt.Errorf("load post %d: %w", id, err)
	}
	return r.post(), nil
}

type sqlxGetter interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

type listCursor struct {
	Pinned int       `json:"p"`
	At     time.Time `json:"t"`
	ID     int64     `json:"i"`
}

// list: GET /talks/{id}/threads — pinned first, then by last activity.
func (d *Domain) list(c *fiber.Ctx) error {
	talkID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	var cur listCursor
	if page.Cursor != "" {
		if err := httpx.DecodeCursor(page.Cursor, &cur); err != nil {
			return err
		}
	}
	_, staff, err := d.mod.TalkFor(ctx, talkID, u)
	if err != nil {
		return err
	}
	var rows []threadRow
	if err := d.db.SelectContext(ctx, &rows, listThreads, talkID, staff, page.Cursor != "", cur.Pinned, cur.At, cur.ID, page.Limit+1); err != nil {
		return fmt.Errorf("list threads of talk %d: %w", talkID, err)
	}
	out := httpx.List[Thread]{Items: make([]Thread, 0, len(rows))}
	if len(rows) > page.Limit {
		last := rows[page.Limit-1]
		pinned := 0
		if last.Pinned {
			pinned = 1
		}
		next := httpx.EncodeCursor(listCursor{Pinned: pinned, At: last.LastActivityAt, ID: last.ID})
		out.NextCursor = &next
		rows = rows[:page.Limit]
	}
	for _, r := range rows {
		out.Items = append(out.Items, r.thread())
	}
	return c.JSON(out)
}

type createRequest struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// create: POST /talks/{id}/threads
func (d *Domain) create(c *fiber.Ctx) error {
	talkID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	var req createRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	t, _, err := d.mod.TalkFor(ctx, talkID, u)
	if err != nil {
		return err
	}
	var v domain.Checker
	title := moderation.Text(&v, "title", req.Title, MaxTitle)
	body := moderation.Text(&v, "body", req.Body, MaxBody)
	if err := v.Err(); err != nil {
		return err
	}
	if err := d.mod.Allow(ctx, "post", u.ID, d.mod.Cfg.PostRate); err != nil {
		return err
	}
	hidden := d.mod.Blocked(title, body)
	var out Thread
	err = d.mod.Recorder.InTx(ctx, func(tx *live.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, insertThread, talkID, u.ID, title, body, hidden, d.mod.Now()); err != nil {
			return fmt.Errorf("insert thread: %w", err)
		}
		if hidden {
			if err := d.mod.Record(ctx, tx, moderation.Action{TalkID: talkID, Action: "hide_blocked_words",
				Target: moderation.Target{Type: "thread", ID: id}, Reason: "blocked words: hidden"}); err != nil {
				return err
			}
		}
		out, err = loadThread(ctx, tx, id)
		if err != nil {
			return err
		}
		var pub any
		if !hidden {
			pub = out
		}
		return moderation.Publish(tx, moderation.TalkRef{ID: talkID, Status: t.Status}, "thread.created",
			live.Subject("thread", id), out, pub)
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// postCursor is the position after the last post of a page.
type postCursor struct {
	At time.Time `json:"t"`
	ID int64     `json:"i"`
}

// get: GET /threads/{id} — the thread and one page of its posts in order
// (oldest first); the thread's fields come with every page.
func (d *Domain) get(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	var cur postCursor
	if page.Cursor != "" {
		if err := httpx.DecodeCursor(page.Cursor, &cur); err != nil {
			return err
		}
	}
	a, err := d.threadAccess(ctx, id, u)
	if err != nil {
		return err
	}
	t, err := loadThread(ctx, d.db, id)
	if err != nil {
		return err
	}
	var rows []postRow
	if err := d.db.SelectContext(ctx, &rows, selectPosts, id, a.staff(), page.Cursor != "", cur.At, cur.ID, page.Limit+1); err != nil {
		return fmt.Errorf("load posts of thread %d: %w", id, err)
	}
	out := threadWithPosts{Thread: t}
	if len(rows) > page.Limit {
		last := rows[page.Limit-1]
		next := httpx.EncodeCursor(postCursor{At: last.CreatedAt, ID: last.ID})
		out.NextCursor = &next
		rows = rows[:page.Limit]
	}
	out.Posts = make([]Post, len(rows))
	for i, r := range rows {
		out.Posts[i] = r.post()
	}
	return c.JSON(out)
}

type postRequest struct {
	Body     *string `json:"body"`
	ParentID *int64  `json:"parent_id"`
}

// createPost: POST /threads/{id}/posts
func (d *Domain) createPost(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	a, err := d.threadAccess(ctx, id, u)
	if err != nil {
		return err
	}
	var req postRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	var v domain.Checker
	body := moderation.Text(&v, "body", req.Body, MaxBody)
	if req.ParentID != nil {
		var p struct {
			ThreadID int64         `db:"thread_id"`
			ParentID sql.NullInt64 `db:"parent_id"`
			Hidden   bool          `db:"hidden"`
		}
		err := d.db.GetContext(ctx, &p, selectParent, *req.ParentID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			v.Add("parent_id", "must be a post of this thread")
		case err != nil:
			return fmt.Errorf("load post %d: %w", *req.ParentID, err)
		case p.ThreadID != id || (p.Hidden && !a.staff()):
			v.Add("parent_id", "must be a post of this thread")
		case p.ParentID.Valid:
			v.Add("parent_id", "must be a top-level post: replies are one level deep")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if a.Locked {
		return ErrLocked
	}
	if err := d.mod.Allow(ctx, "post", u.ID, d.mod.Cfg.PostRate); err != nil {
		return err
	}
	hidden := d.mod.Blocked(body)
	// With an Idempotency-Key, a retry replays this response and posts nothing twice.
	return idempotency.Run(c, d.mod.Recorder, func(tx *live.Tx) (idempotency.Result, error) {
		out, err := d.insertPost(ctx, tx, a, u, req.ParentID, body, hidden)
		return idempotency.Result{Status: fiber.StatusCreated, Body: out}, err
	})
}

// insertPost stores a new post with its log entry and events.
func (d *Domain) insertPost(ctx context.Context, tx *live.Tx, a access, u *domain.User, parentID *int64, body string, hidden bool) (Post, error) {
	// The lock check again under the thread's row lock: a lock that commits
	// first wins.
	var th lockedThread
	if err := tx.GetContext(ctx, &th, lockThread, a.ID); err != nil {
		return Post{}, fmt.Errorf("lock thread %d: %w", a.ID, err)
	}
	if th.Locked {
		return Post{}, ErrLocked
	}
	now := d.mod.Now()
	var pid int64
	if err := tx.GetContext(ctx, &pid, insertPost, a.ID, parentID, u.ID, body, hidden, now); err != nil {
		return Post{}, fmt.Errorf("insert post: %w", err)
	}
	if hidden {
		if err := d.mod.Record(ctx, tx, moderation.Action{TalkID: a.TalkID, Action: "hide_blocked_words",
			Target: moderation.Target{Type: "post", ID: pid}, Reason: "blocked words: hidden"}); err != nil {
			return Post{}, err
		}
	} else if _, err := tx.ExecContext(ctx, touchThread, a.ID, now); err != nil {
		return Post{}, fmt.Errorf("touch thread %d: %w", a.ID, err)
	}
	out, err := loadPost(ctx, tx, pid)
	if err != nil {
		return Post{}, err
	}
	var pub any
	if !hidden && !th.Hidden {
		pub = out
	}
	return out, moderation.Publish(tx, moderation.TalkRef{ID: a.TalkID, Status: a.TalkStatus}, "post.created",
		live.Subject("post", pid), out, pub)
}

type lockedThread struct {
	ID        int64     `db:"id"`
	TalkID    int64     `db:"talk_id"`
	AuthorID  int64     `db:"author_id"`
	Title     string    `db:"title"`
	Pinned    bool      `db:"pinned"`
	Locked    bool      `db:"locked"`
	Hidden    bool      `db:"hidden"`
	CreatedAt time.Time `db:"created_at"`
}

type patchThreadRequest struct {
	Pinned *bool   `json:"pinned"`
	Locked *bool   `json:"locked"`
	Hidden *bool   `json:"hidden"`
	Title  *string `json:"title"`
	Reason *string `json:"reason"`
}

// patchThread: PATCH /threads/{id} — moderators curate; the author retitles
// within the edit window.
func (d *Domain) patchThread(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	a, err := d.threadAccess(ctx, id, u)
	if err != nil {
		return err
	}
	var req patchThreadRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	curating := req.Pinned != nil || req.Locked != nil || req.Hidden != nil
	if curating && !u.IsModerator() {
		return domain.Forbidden("only moderators pin, lock and hide threads")
	}
	if req.Title != nil && !u.IsModerator() {
		if a.AuthorID != u.ID {
			return domain.Forbidden("only the author retitles a thread")
		}
		if d.mod.Now().Sub(a.CreatedAt) > d.mod.Cfg.EditWindow {
			return ErrEditWindow
		}
	}
	var v domain.Checker
	v.Check(curating || req.Title != nil, "title", "give title, pinned, locked or hidden")
	var title string
	if req.Title != nil {
		title = moderation.Text(&v, "title", req.Title, MaxTitle)
	}
	reason := moderation.Reason(&v, req.Reason)
	if err := v.Err(); err != nil {
		return err
	}
	var out Thread
	err = d.mod.Recorder.InTx(ctx, func(tx *live.Tx) error {
		var th lockedThread
		if err := tx.GetContext(ctx, &th, lockThread, id); err != nil {
			return fmt.Errorf("lock thread %d: %w", id, err)
		}
		if req.Title != nil && th.Locked && !u.IsModerator() {
			return ErrLocked
		}
		record := func(actor int64, action, why string) error {
			return d.mod.Record(ctx, tx, moderation.Action{TalkID: th.TalkID, ActorID: actor, Action: action,
				Target: moderation.Target{Type: "thread", ID: id}, Reason: why})
		}
		next := th
		flip := func(field *bool, want *bool, on, off string) error {
			if want == nil || *want == *field {
				return nil
			}
			*field = *want
			action := off
			if *want {
				action = on
			}
			return record(u.ID, action, reason)
		}
		if err := flip(&next.Pinned, req.Pinned, "pin", "unpin"); err != nil {
			return err
		}
		if err := flip(&next.Locked, req.Locked, "lock", "unlock"); err != nil {
			return err
		}
		if err := flip(&next.Hidden, req.Hidden, "hide", "unhide"); err != nil {
			return err
		}
		if req.Title != nil && title != th.Title {
			next.Title = title
			if u.ID != th.AuthorID {
				if err := record(u.ID, "edit_title", reason); err != nil {
					return err
				}
			}
			if !next.Hidden && d.mod.Blocked(title) {
				next.Hidden = true
				if err := record(0, "hide_blocked_words", "blocked words: hidden"); err != nil {
					return err
				}
			}
		}
		if next == th {
			out, err = loadThread(ctx, tx, id)
			return err
		}
		if _, err := tx.ExecContext(ctx, updateThread, id, next.Title, next.Pinned, next.Locked, next.Hidden, d.mod.Now()); err != nil {
			return fmt.Errorf("update thread %d: %w", id, err)
		}
		out, err = loadThread(ctx, tx, id)
		if err != nil {
			return err
		}
		talk := moderation.TalkRef{ID: th.TalkID, Status: a.TalkStatus}
		if err := moderation.Publish(tx, talk, "thread.updated", live.Subject("thread", id), out, publicThread(out, th.Hidden)); err != nil {
			return err
		}
		if next.Hidden != th.Hidden || next.Title != th.Title {
			if err := restateThread(tx, out); err != nil {
				return err
			}
		}
		if next.Hidden != th.Hidden {
			return restatePublicPosts(ctx, tx, th.TalkID, id, next.Hidden, nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// publicThread is what the public channel gets for a thread change: the
// thread while visible; when it just became hidden, the thread without its
// text, so clients drop it; nothing while it stays hidden.
func publicThread(t Thread, wasHidden bool) any {
	switch {
	case !t.Hidden:
		return t
	case !wasHidden:
		t.Title, t.Body = "", ""
		return t
	}
	return nil
}

type lockedPost struct {
	ID           int64     `db:"id"`
	ThreadID     int64     `db:"thread_id"`
	AuthorID     int64     `db:"author_id"`
	Body         string    `db:"body"`
	Hidden       bool      `db:"hidden"`
	CreatedAt    time.Time `db:"created_at"`
	TalkID       int64     `db:"talk_id"`
	Locked       bool      `db:"locked"`
	ThreadHidden bool      `db:"thread_hidden"`
}

type postAccess struct {
	ID           int64  `db:"id"`
	ThreadID     int64  `db:"thread_id"`
	AuthorID     int64  `db:"author_id"`
	Hidden       bool   `db:"hidden"`
	TalkID       int64  `db:"talk_id"`
	ThreadHidden bool   `db:"thread_hidden"`
	ParentHidden bool   `db:"parent_hidden"`
	TalkStatus   string `db:"talk_status"`
	Speaker      bool   `db:"speaker"`
}

// postFor loads a post the caller may see; anything else is a 404.
func (d *Domain) postFor(ctx context.Context, id int64, u *domain.User) (postAccess, error) {
	var p postAccess
	err := d.db.GetContext(ctx, &p, selectPostAccess, id, callerID(u))
	if errors.Is(err, sql.ErrNoRows) {
		return postAccess{}, fmt.Errorf("post %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return postAccess{}, fmt.Errorf("load post %d: %w", id, err)
	}
	staff := p.Speaker || u.IsModerator()
	if !staff && (p.Hidden || p.ThreadHidden || p.ParentHidden || p.TalkStatus == "draft") {
		return postAccess{}, fmt.Errorf("post %d: %w", id, domain.ErrNotFound)
	}
	return p, nil
}

type patchPostRequest struct {
	Body   *string `json:"body"`
	Hidden *bool   `json:"hidden"`
	Reason *string `json:"reason"`
}

// patchPost: PATCH /posts/{id} — the author edits the body within the edit
// window; moderators hide and unhide.
func (d *Domain) patchPost(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, u := httpx.Ctx(c), httpx.CurrentUser(c)
	p, err := d.postFor(ctx, id, u)
	if err != nil {
		return err
	}
	var req patchPostRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	if req.Hidden != nil && !u.IsModerator() {
		return domain.Forbidden("only moderators hide posts")
	}
	if req.Body != nil && p.AuthorID != u.ID {
		return domain.Forbidden("only the author edits a post")
	}
	var v domain.Checker
	v.Check(req.Body != nil || req.Hidden != nil, "body", "give body or hidden")
	var body string
	if req.Body != nil {
		body = moderation.Text(&v, "body", req.Body, MaxBody)
	}
	reason := moderation.Reason(&v, req.Reason)
	if err := v.Err(); err != nil {
		return err
	}
	var out Post
	err = d.mod.Recorder.InTx(ctx, func(tx *live.Tx) error {
		var lp lockedPost
		if err := tx.GetContext(ctx, &lp, lockPost, id); err != nil {
			return fmt.Errorf("lock post %d: %w", id, err)
		}
		now := d.mod.Now()
		if req.Body != nil {
			if now.Sub(lp.CreatedAt) > d.mod.Cfg.EditWindow {
				return ErrEditWindow
			}
			if lp.Locked {
				return ErrLocked
			}
		}
		record := func(actor int64, action, why string) error {
			return d.mod.Record(ctx, tx, moderation.Action{TalkID: lp.TalkID, ActorID: actor, Action: action,
				Target: moderation.Target{Type: "post", ID: id}, Reason: why})
		}
		hidden, newBody, edited := lp.Hidden, lp.Body, false
		if req.Hidden != nil && *req.Hidden != lp.Hidden {
			hidden = *req.Hidden
			action := "unhide"
			if hidden {
				action = "hide"
			}
			if err := record(u.ID, action, reason); err != nil {
				return err
			}
		}
		if req.Body != nil && body != lp.Body {
			newBody, edited = body, true
			if !hidden && d.mod.Blocked(body) {
				hidden = true
				if err := record(0, "hide_blocked_words", "blocked words: hidden"); err != nil {
					return err
				}
			}
		}
		if hidden == lp.Hidden && !edited {
			out, err = loadPost(ctx, tx, id)
			return err
		}
		editedAt := sql.NullTime{Time: now, Valid: edited}
		if _, err := tx.ExecContext(ctx, updatePost, id, newBody, hidden, editedAt); err != nil {
			return fmt.Errorf("update post %d: %w", id, err)
		}
		out, err = loadPost(ctx, tx, id)
		if err != nil {
			return err
		}
		var pub any
		switch {
		case lp.ThreadHidden || p.ParentHidden:
		case !out.Hidden:
			pub = out
		case !lp.Hidden:
			pub = postTombstone(out)
		}
		subject := live.Subject("post", id)
		if err := moderation.Publish(tx, moderation.TalkRef{ID: lp.TalkID, Status: p.TalkStatus}, "post.updated", subject, out, pub); err != nil {
			return err
		}
		// Earlier events of the post (and of its replies, whose visibility
		// follows it) now say what each channel shows of them.
		if err := tx.Restate(live.StaffChannel(lp.TalkID), realtime.Restatement{Subject: subject, Data: out}); err != nil {
			return err
		}
		return restatePublicPosts(ctx, tx, lp.TalkID, lp.ThreadID, lp.ThreadHidden, &id)
	})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// flagPost: POST /posts/{id}/flags by anyone signed in who sees the post.
func (d *Domain) flagPost(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	p, err := d.postFor(httpx.Ctx(c), id, httpx.CurrentUser(c))
	if err != nil {
		return err
	}
	return d.mod.FlagHandler(c, p.TalkID, moderation.Target{Type: "post", ID: id})
}
