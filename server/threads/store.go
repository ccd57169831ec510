package threads

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
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
	return dbx.GetNamed[int64](ctx, q, "insert thread", insertThread, r)
}

// Thread reads thread id.
func (Store) Thread(ctx context.Context, q sqlx.QueryerContext, id int64) (Thread, error) {
	r, err := dbx.Get[threadRow](ctx, q, fmt.Sprintf("load thread %d", id), selectThread, id)
	return r.thread(), err
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
	return moderation.GetItem[threadAccess](ctx, q, "thread", id, u, selectThreadAccess)
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
	return dbx.Get[lockedThread](ctx, q, fmt.Sprintf("lock thread %d", id), lockThread, id)
}

// UpdateThread stores th's title, pin, lock, hidden flag and update time.
func (Store) UpdateThread(ctx context.Context, q sqlx.ExtContext, th lockedThread) error {
	return dbx.ExecNamed(ctx, q, fmt.Sprintf("update thread %d", th.ID), updateThread, th)
}

// TouchThread sets a thread's last activity.
func (Store) TouchThread(ctx context.Context, q sqlx.ExecerContext, id int64, at time.Time) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("touch thread %d", id), touchThread, id, at)
}

// threadCursor is the position after the last thread of a page.
type threadCursor struct {
	Pinned int `json:"p" db:"pinned"`
	keyset.Position
}

// threadParams are the parameters of listThreads.
type threadParams struct {
	threadCursor
	keyset.Bound
	TalkID int64 `db:"talk_id"`
	Staff  bool  `db:"staff"`
}

// Threads reads a page of a talk's threads.
func (Store) Threads(ctx context.Context, q sqlx.ExtContext, p threadParams) ([]threadRow, error) {
	return dbx.SelectNamed[threadRow](ctx, q, fmt.Sprintf("list threads of talk %d", p.TalkID), listThreads, p)
}

// InsertPost stores a new post (thread, parent, author, body, hidden and
// time of r) and returns its id.
func (Store) InsertPost(ctx context.Context, q sqlx.ExtContext, r postRow) (int64, error) {
	return dbx.GetNamed[int64](ctx, q, "insert post", insertPost, r)
}

// Post reads post id.
func (Store) Post(ctx context.Context, q sqlx.QueryerContext, id int64) (Post, error) {
	r, err := dbx.Get[postRow](ctx, q, fmt.Sprintf("load post %d", id), selectPost, id)
	return r.post(), err
}

// postParams are the parameters of selectPosts.
type postParams struct {
	keyset.Position
	keyset.Bound
	ThreadID int64 `db:"thread_id"`
	Staff    bool  `db:"staff"`
}

// Posts reads a page of a thread's posts.
func (Store) Posts(ctx context.Context, q sqlx.ExtContext, p postParams) ([]postRow, error) {
	return dbx.SelectNamed[postRow](ctx, q, fmt.Sprintf("load posts of thread %d", p.ThreadID), selectPosts, p)
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
	return dbx.GetOne[parentRow](ctx, q, moderation.Name("post", id), selectParent, id)
}

// LockParent reads a reply's parent and holds it against a concurrent hide
// for the rest of tx.
func (Store) LockParent(ctx context.Context, q sqlx.QueryerContext, id int64) (parentRow, error) {
	return dbx.GetOne[parentRow](ctx, q, moderation.Name("post", id), lockParent, id)
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
	return dbx.Get[lockedPost](ctx, q, fmt.Sprintf("lock post %d", id), lockPost, id)
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
	return moderation.GetItem[postAccess](ctx, q, "post", id, u, selectPostAccess)
}

// UpdatePost stores a post's body and hidden flag, and editedAt when it is
// valid (an edit).
func (Store) UpdatePost(ctx context.Context, q sqlx.ExecerContext, id int64, body string, hidden bool, editedAt sql.NullTime) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("update post %d", id), updatePost, id, body, hidden, editedAt)
}

// underRow is a post under a change of visibility.
type underRow struct {
	postRow
	ParentHidden bool `db:"parent_hidden"`
}

// PostsUnder reads every post of a thread, or, when only is not nil, post
// only and its replies.
func (Store) PostsUnder(ctx context.Context, q sqlx.QueryerContext, threadID int64, only *int64) ([]underRow, error) {
	return dbx.Select[underRow](ctx, q, fmt.Sprintf("load posts of thread %d", threadID), selectPostsUnder, threadID, only)
}

// Export reads the threads and posts userID wrote.
func (Store) Export(ctx context.Context, q sqlx.QueryerContext, userID int64) (json.RawMessage, error) {
	return moderation.ExportLists(ctx, q, userID, moderation.ExportList{Key: "threads", Query: exportThreads},
		moderation.ExportList{Key: "posts", Query: exportPosts})
}
