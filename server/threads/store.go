package threads

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/talks"
)

const (
	threadColumns = `t.id, t.talk_id, t.title, t.body, t.author_id, u.display_name AS author_name, t.pinned, t.locked,
		t.hidden, (SELECT count(*) FROM posts p WHERE p.thread_id = t.id AND NOT p.hidden) AS post_count,
		t.last_activity_at, t.created_at, t.updated_at`

	insertThread = `INSERT INTO threads (talk_id, author_id, title, body, hidden, last_activity_at, created_at, updated_at)
		VALUES (:talk_id, :author_id, :title, :body, :hidden, :created_at, :created_at, :created_at) RETURNING id`
	selectThread       = `SELECT ` + threadColumns + ` FROM threads t JOIN users u ON u.id = t.author_id WHERE t.id = $1`
	selectThreadAccess = `SELECT t.id, t.author_id, t.hidden, t.locked, t.created_at, ` + talks.AccessColumns + `
		FROM threads t JOIN talks k ON k.id = t.talk_id WHERE t.id = $1`
	lockThread = `SELECT id, talk_id, author_id, title, pinned, locked, hidden, created_at, updated_at
		FROM threads WHERE id = $1 FOR UPDATE`
	updateThread = `UPDATE threads SET title = :title, pinned = :pinned, locked = :locked, hidden = :hidden, updated_at = :updated_at
		WHERE id = :id`
	touchThread = `UPDATE threads SET last_activity_at = $2 WHERE id = $1`
	// A page of a talk's threads, pinned first, then by last activity;
	// hidden ones for staff only.
	listThreads = `SELECT ` + threadColumns + ` FROM threads t JOIN users u ON u.id = t.author_id
		WHERE t.talk_id = :talk_id AND (:staff OR NOT t.hidden)
		  AND (NOT :after OR (CAST(t.pinned AS int), t.last_activity_at, t.id) < (:pinned, :at, :id))
		ORDER BY t.pinned DESC, t.last_activity_at DESC, t.id DESC LIMIT :limit`

	postColumns = `p.id, p.thread_id, p.parent_id, p.body, p.author_id, u.display_name AS author_name, p.hidden,
		p.created_at, p.edited_at`
	insertPost = `INSERT INTO posts (thread_id, parent_id, author_id, body, hidden, created_at)
		VALUES (:thread_id, :parent_id, :author_id, :body, :hidden, :created_at) RETURNING id`
	selectPost = `SELECT ` + postColumns + ` FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1`
	// A page of a thread's posts, oldest first. A non-staff reader sees
	// neither hidden posts nor replies to them.
	selectPosts = `SELECT ` + postColumns + ` FROM posts p JOIN users u ON u.id = p.author_id
			LEFT JOIN posts pp ON pp.id = p.parent_id
		WHERE p.thread_id = :thread_id AND (:staff OR (NOT p.hidden AND NOT coalesce(pp.hidden, false)))
		  AND (NOT :after OR (p.created_at, p.id) > (:at, :id))
		ORDER BY p.created_at, p.id LIMIT :limit`
	selectParent = `SELECT thread_id, parent_id, hidden FROM posts WHERE id = $1`
	// lockParent holds a reply's parent against a concurrent hide until the
	// reply's events are written.
	lockParent = selectParent + ` FOR SHARE`
	lockPost   = `SELECT p.id, p.thread_id, p.author_id, p.body, p.hidden, p.created_at, t.talk_id, t.locked,
			t.hidden AS thread_hidden, coalesce(pp.hidden, false) AS parent_hidden
		FROM posts p JOIN threads t ON t.id = p.thread_id LEFT JOIN posts pp ON pp.id = p.parent_id
		WHERE p.id = $1 FOR UPDATE OF p`
	selectPostAccess = `SELECT p.id, p.thread_id, p.author_id, p.hidden, t.hidden AS thread_hidden,
			coalesce(pp.hidden, false) AS parent_hidden, ` + talks.AccessColumns + `
		FROM posts p JOIN threads t ON t.id = p.thread_id JOIN talks k ON k.id = t.talk_id
			LEFT JOIN posts pp ON pp.id = p.parent_id
		WHERE p.id = $1`
	// edited_at $4 is null for a change that is not an edit (hide, unhide).
	updatePost = `UPDATE posts SET body = $2, hidden = $3, edited_at = coalesce($4, edited_at) WHERE id = $1`
	// selectPostsUnder reads the posts a change of visibility touches: every
	// post of thread $1, or, when $2 is not null, post $2 and its replies.
	selectPostsUnder = `SELECT ` + postColumns + `, coalesce(pp.hidden, false) AS parent_hidden
		FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN posts pp ON pp.id = p.parent_id
		WHERE p.thread_id = $1 AND ($2::bigint IS NULL OR p.id = $2 OR p.parent_id = $2)`

	exportThreads = `SELECT id, talk_id, title, body, created_at FROM threads WHERE author_id = $1 ORDER BY id`
	exportPosts   = `SELECT id, thread_id, parent_id, body, created_at, edited_at FROM posts WHERE author_id = $1 ORDER BY id`
)

// Store is the threads' SQL.
type Store struct{}

// threadRow is a thread as stored: its API fields and its author.
type threadRow struct {
	Thread
	moderation.Authored
}

func (r threadRow) thread() Thread {
	t := r.Thread
	t.Author = r.Person()
	t.LastActivityAt, t.CreatedAt, t.UpdatedAt = t.LastActivityAt.UTC(), t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t
}

// postRow is a post as stored: its API fields and its author.
type postRow struct {
	Post
	moderation.Authored
}

func (r postRow) post() Post {
	p := r.Post
	p.Author, p.CreatedAt = r.Person(), p.CreatedAt.UTC()
	if p.EditedAt != nil {
		at := p.EditedAt.UTC()
		p.EditedAt = &at
	}
	return p
}

// InsertThread stores a new thread (talk, author, title, body, hidden and
// time of r) and returns its id.
func (Store) InsertThread(ctx context.Context, q sqlx.ExtContext, r threadRow) (int64, error) {
	var id int64
	if err := moderation.GetNamed(ctx, q, &id, insertThread, r); err != nil {
		return 0, fmt.Errorf("insert thread: %w", err)
	}
	return id, nil
}

// Thread reads thread id.
func (Store) Thread(ctx context.Context, q sqlx.QueryerContext, id int64) (Thread, error) {
	var r threadRow
	if err := sqlx.GetContext(ctx, q, &r, selectThread, id); err != nil {
		return Thread{}, fmt.Errorf("load thread %d: %w", id, err)
	}
	return r.thread(), nil
}

// threadAccess is what one request knows about a thread and its caller.
type threadAccess struct {
	talks.Access
	ID        int64     `db:"id"`
	AuthorID  int64     `db:"author_id"`
	Hidden    bool      `db:"hidden"`
	Locked    bool      `db:"locked"`
	CreatedAt time.Time `db:"created_at"`
}

// ThreadAccess reads thread id and u's access to its talk; a thread that
// does not exist is not found.
func (Store) ThreadAccess(ctx context.Context, q sqlx.QueryerContext, id int64, u *domain.User) (threadAccess, error) {
	a := threadAccess{Access: talks.Access{User: u}}
	err := moderation.GetItem(ctx, q, &a, "thread", id, u, selectThreadAccess)
	return a, err
}

// lockedThread is the curated state of a thread, read under its row lock.
type lockedThread struct {
	ID        int64     `db:"id"`
	TalkID    int64     `db:"talk_id"`
	AuthorID  int64     `db:"author_id"`
	Title     string    `db:"title"`
	Pinned    bool      `db:"pinned"`
	Locked    bool      `db:"locked"`
	Hidden    bool      `db:"hidden"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// LockThread reads thread id under its row lock.
func (Store) LockThread(ctx context.Context, q sqlx.QueryerContext, id int64) (lockedThread, error) {
	var th lockedThread
	if err := sqlx.GetContext(ctx, q, &th, lockThread, id); err != nil {
		return th, fmt.Errorf("lock thread %d: %w", id, err)
	}
	return th, nil
}

// UpdateThread stores th's title, pin, lock, hidden flag and update time.
func (Store) UpdateThread(ctx context.Context, q sqlx.ExtContext, th lockedThread) error {
	if _, err := sqlx.NamedExecContext(ctx, q, updateThread, th); err != nil {
		return fmt.Errorf("update thread %d: %w", th.ID, err)
	}
	return nil
}

// TouchThread sets a thread's last activity.
func (Store) TouchThread(ctx context.Context, q sqlx.ExecerContext, id int64, at time.Time) error {
	if _, err := q.ExecContext(ctx, touchThread, id, at); err != nil {
		return fmt.Errorf("touch thread %d: %w", id, err)
	}
	return nil
}

// threadCursor is the position after the last thread of a page.
type threadCursor struct {
	Pinned int `json:"p" db:"pinned"`
	moderation.Position
}

// threadParams are the parameters of listThreads.
type threadParams struct {
	threadCursor
	moderation.Keyset
	TalkID int64 `db:"talk_id"`
	Staff  bool  `db:"staff"`
}

// Threads reads a page of a talk's threads.
func (Store) Threads(ctx context.Context, q sqlx.ExtContext, p threadParams) ([]threadRow, error) {
	var rows []threadRow
	if err := moderation.SelectNamed(ctx, q, &rows, listThreads, p); err != nil {
		return nil, fmt.Errorf("list threads of talk %d: %w", p.TalkID, err)
	}
	return rows, nil
}

// InsertPost stores a new post (thread, parent, author, body, hidden and
// time of r) and returns its id.
func (Store) InsertPost(ctx context.Context, q sqlx.ExtContext, r postRow) (int64, error) {
	var id int64
	if err := moderation.GetNamed(ctx, q, &id, insertPost, r); err != nil {
		return 0, fmt.Errorf("insert post: %w", err)
	}
	return id, nil
}

// Post reads post id.
func (Store) Post(ctx context.Context, q sqlx.QueryerContext, id int64) (Post, error) {
	var r postRow
	if err := sqlx.GetContext(ctx, q, &r, selectPost, id); err != nil {
		return Post{}, fmt.Errorf("load post %d: %w", id, err)
	}
	return r.post(), nil
}

// postParams are the parameters of selectPosts.
type postParams struct {
	moderation.Position
	moderation.Keyset
	ThreadID int64 `db:"thread_id"`
	Staff    bool  `db:"staff"`
}

// Posts reads a page of a thread's posts.
func (Store) Posts(ctx context.Context, q sqlx.ExtContext, p postParams) ([]postRow, error) {
	var rows []postRow
	if err := moderation.SelectNamed(ctx, q, &rows, selectPosts, p); err != nil {
		return nil, fmt.Errorf("load posts of thread %d: %w", p.ThreadID, err)
	}
	return rows, nil
}

// parentRow is what a reply needs to know of the post it replies to.
type parentRow struct {
	ThreadID int64         `db:"thread_id"`
	ParentID sql.NullInt64 `db:"parent_id"`
	Hidden   bool          `db:"hidden"`
}

// Parent reads post id as the parent of a reply; a post that does not
// exist is not found.
func (Store) Parent(ctx context.Context, q sqlx.QueryerContext, id int64) (parentRow, error) {
	var p parentRow
	err := moderation.Get(ctx, q, &p, "post", id, selectParent, id)
	return p, err
}

// LockParent reads a reply's parent and holds it against a concurrent hide
// for the rest of tx.
func (Store) LockParent(ctx context.Context, q sqlx.QueryerContext, id int64) (parentRow, error) {
	var p parentRow
	err := moderation.Get(ctx, q, &p, "post", id, lockParent, id)
	return p, err
}

// lockedPost is a post and its thread, read under the post's row lock.
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
	ParentHidden bool      `db:"parent_hidden"`
}

// LockPost reads post id under its row lock.
func (Store) LockPost(ctx context.Context, q sqlx.QueryerContext, id int64) (lockedPost, error) {
	var lp lockedPost
	if err := sqlx.GetContext(ctx, q, &lp, lockPost, id); err != nil {
		return lp, fmt.Errorf("lock post %d: %w", id, err)
	}
	return lp, nil
}

// postAccess is what one request knows about a post and its caller.
type postAccess struct {
	talks.Access
	ID           int64 `db:"id"`
	ThreadID     int64 `db:"thread_id"`
	AuthorID     int64 `db:"author_id"`
	Hidden       bool  `db:"hidden"`
	ThreadHidden bool  `db:"thread_hidden"`
	ParentHidden bool  `db:"parent_hidden"`
}

// PostAccess reads post id and u's access to its talk; a post that does
// not exist is not found.
func (Store) PostAccess(ctx context.Context, q sqlx.QueryerContext, id int64, u *domain.User) (postAccess, error) {
	a := postAccess{Access: talks.Access{User: u}}
	err := moderation.GetItem(ctx, q, &a, "post", id, u, selectPostAccess)
	return a, err
}

// UpdatePost stores a post's body and hidden flag, and editedAt when it is
// valid (an edit).
func (Store) UpdatePost(ctx context.Context, q sqlx.ExecerContext, id int64, body string, hidden bool, editedAt sql.NullTime) error {
	if _, err := q.ExecContext(ctx, updatePost, id, body, hidden, editedAt); err != nil {
		return fmt.Errorf("update post %d: %w", id, err)
	}
	return nil
}

// underRow is a post under a change of visibility.
type underRow struct {
	postRow
	ParentHidden bool `db:"parent_hidden"`
}

// PostsUnder reads every post of a thread, or, when only is not nil, post
// only and its replies.
func (Store) PostsUnder(ctx context.Context, q sqlx.QueryerContext, threadID int64, only *int64) ([]underRow, error) {
	var rows []underRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectPostsUnder, threadID, only); err != nil {
		return nil, fmt.Errorf("load posts of thread %d: %w", threadID, err)
	}
	return rows, nil
}

// Export reads the threads and posts userID wrote.
func (Store) Export(ctx context.Context, q sqlx.QueryerContext, userID int64) (json.RawMessage, error) {
	return moderation.ExportLists(ctx, q, userID, moderation.ExportList{Key: "threads", Query: exportThreads},
		moderation.ExportList{Key: "posts", Query: exportPosts})
}
