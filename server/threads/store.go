package threads

import (
	"database/sql"
	"time"

	"github.com/hubtalks/hubtalks/server/moderation"
)

const (
	threadColumns = `t.id, t.talk_id, t.title, t.body, t.author_id, u.display_name AS author_name, t.pinned, t.locked,
		t.hidden, (SELECT count(*) FROM posts p WHERE p.thread_id = t.id AND NOT p.hidden) AS post_count,
		t.last_activity_at, t.created_at, t.updated_at`

	insertThread = `INSERT INTO threads (talk_id, author_id, title, body, hidden, last_activity_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING id`
	selectThread = `SELECT ` + threadColumns + ` FROM threads t JOIN users u ON u.id = t.author_id WHERE t.id = $1`
	// selectThreadAccess also says whether the caller speaks at the talk
	// (staff = speakers + moderators + admins, as talks.IsStaff).
	selectThreadAccess = `SELECT t.id, t.talk_id, t.author_id, t.hidden, t.locked, t.created_at, k.status AS talk_status,
			EXISTS (SELECT 1 FROM talk_speakers s WHERE s.talk_id = t.talk_id AND s.user_id = $2) AS speaker
		FROM threads t JOIN talks k ON k.id = t.talk_id WHERE t.id = $1`
	lockThread   = `SELECT id, talk_id, author_id, title, pinned, locked, hidden, created_at FROM threads WHERE id = $1 FOR UPDATE`
	updateThread = `UPDATE threads SET title = $2, pinned = $3, locked = $4, hidden = $5, updated_at = $6 WHERE id = $1`
	touchThread  = `UPDATE threads SET last_activity_at = $2 WHERE id = $1`
	listThreads  = `SELECT ` + threadColumns + ` FROM threads t JOIN users u ON u.id = t.author_id
		WHERE t.talk_id = $1 AND ($2 OR NOT t.hidden)
		  AND (NOT $3 OR (t.pinned::int, t.last_activity_at, t.id) < ($4, $5, $6))
		ORDER BY t.pinned DESC, t.last_activity_at DESC, t.id DESC LIMIT $7`

	postColumns = `p.id, p.thread_id, p.parent_id, p.body, p.author_id, u.display_name AS author_name, p.hidden,
		p.created_at, p.edited_at`
	insertPost = `INSERT INTO posts (thread_id, parent_id, author_id, body, hidden, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	selectPost = `SELECT ` + postColumns + ` FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1`
	// A non-staff reader sees neither hidden posts nor replies to them. A page
	// starts after the cursor's (created_at, id) when $3; $6 is limit+1.
	selectPosts = `SELECT ` + postColumns + ` FROM posts p JOIN users u ON u.id = p.author_id
			LEFT JOIN posts pp ON pp.id = p.parent_id
		WHERE p.thread_id = $1 AND ($2 OR (NOT p.hidden AND NOT coalesce(pp.hidden, false)))
		  AND (NOT $3 OR (p.created_at, p.id) > ($4, $5))
		ORDER BY p.created_at, p.id LIMIT $6`
	selectParent = `SELECT thread_id, parent_id, hidden FROM posts WHERE id = $1`
	lockPost     = `SELECT p.id, p.thread_id, p.author_id, p.body, p.hidden, p.created_at, t.talk_id, t.locked,
			t.hidden AS thread_hidden
		FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = $1 FOR UPDATE OF p`
	selectPostAccess = `SELECT p.id, p.thread_id, p.author_id, p.hidden, t.talk_id, t.hidden AS thread_hidden,
			coalesce(pp.hidden, false) AS parent_hidden, k.status AS talk_status,
			EXISTS (SELECT 1 FROM talk_speakers s WHERE s.talk_id = t.talk_id AND s.user_id = $2) AS speaker
		FROM posts p JOIN threads t ON t.id = p.thread_id JOIN talks k ON k.id = t.talk_id
			LEFT JOIN posts pp ON pp.id = p.parent_id
		WHERE p.id = $1`
	// edited_at $4 is null for a change that is not an edit (hide, unhide).
	updatePost = `UPDATE posts SET body = $2, hidden = $3, edited_at = coalesce($4, edited_at) WHERE id = $1`

	exportThreads = `SELECT id, talk_id, title, body, created_at FROM threads WHERE author_id = $1 ORDER BY id`
	exportPosts   = `SELECT id, thread_id, parent_id, body, created_at, edited_at FROM posts WHERE author_id = $1 ORDER BY id`
)

// Thread is a discussion thread as the API shows it. post_count counts the
// posts everyone sees.
type Thread struct {
	ID             int64             `json:"id"`
	TalkID         int64             `json:"talk_id"`
	Title          string            `json:"title"`
	Body           string            `json:"body"`
	Author         moderation.Person `json:"author"`
	Pinned         bool              `json:"pinned"`
	Locked         bool              `json:"locked"`
	Hidden         bool              `json:"hidden"`
	PostCount      int               `json:"post_count"`
	LastActivityAt time.Time         `json:"last_activity_at"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// threadWithPosts is GET /threads/{id}: the thread and one page of its posts.
type threadWithPosts struct {
	Thread
	Posts      []Post  `json:"posts"`
	NextCursor *string `json:"next_cursor"`
}

// Post is a post in a thread; parent_id names the top-level post it replies to.
type Post struct {
	ID        int64             `json:"id"`
	ThreadID  int64             `json:"thread_id"`
	ParentID  *int64            `json:"parent_id"`
	Body      string            `json:"body"`
	Author    moderation.Person `json:"author"`
	Hidden    bool              `json:"hidden"`
	CreatedAt time.Time         `json:"created_at"`
	EditedAt  *time.Time        `json:"edited_at"`
}

type threadRow struct {
	ID             int64     `db:"id"`
	TalkID         int64     `db:"talk_id"`
	Title          string    `db:"title"`
	Body           string    `db:"body"`
	AuthorID       int64     `db:"author_id"`
	AuthorName     string    `db:"author_name"`
	Pinned         bool      `db:"pinned"`
	Locked         bool      `db:"locked"`
	Hidden         bool      `db:"hidden"`
	PostCount      int       `db:"post_count"`
	LastActivityAt time.Time `db:"last_activity_at"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

func (r threadRow) thread() Thread {
	return Thread{ID: r.ID, TalkID: r.TalkID, Title: r.Title, Body: r.Body, Author: moderation.Person{ID: r.AuthorID, DisplayName: r.AuthorName},
		Pinned: r.Pinned, Locked: r.Locked, Hidden: r.Hidden, PostCount: r.PostCount, LastActivityAt: r.LastActivityAt.UTC(),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type postRow struct {
	ID         int64         `db:"id"`
	ThreadID   int64         `db:"thread_id"`
	ParentID   sql.NullInt64 `db:"parent_id"`
	Body       string        `db:"body"`
	AuthorID   int64         `db:"author_id"`
	AuthorName string        `db:"author_name"`
	Hidden     bool          `db:"hidden"`
	CreatedAt  time.Time     `db:"created_at"`
	EditedAt   sql.NullTime  `db:"edited_at"`
}

func (r postRow) post() Post {
	p := Post{ID: r.ID, ThreadID: r.ThreadID, Body: r.Body, Author: moderation.Person{ID: r.AuthorID, DisplayName: r.AuthorName},
		Hidden: r.Hidden, CreatedAt: r.CreatedAt.UTC()}
	if r.ParentID.Valid {
		p.ParentID = &r.ParentID.Int64
	}
	if r.EditedAt.Valid {
		at := r.EditedAt.Time.UTC()
		p.EditedAt = &at
	}
	return p
}

type exportedThread struct {
	ID        int64     `json:"id" db:"id"`
	TalkID    int64     `json:"talk_id" db:"talk_id"`
	Title     string    `json:"title" db:"title"`
	Body      string    `json:"body" db:"body"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

type exportedPost struct {
	ID        int64      `json:"id" db:"id"`
	ThreadID  int64      `json:"thread_id" db:"thread_id"`
	ParentID  *int64     `json:"parent_id" db:"parent_id"`
	Body      string     `json:"body" db:"body"`
	CreatedAt time.Time  `json:"created_at" db:"created_at"`
	EditedAt  *time.Time `json:"edited_at" db:"edited_at"`
}

// selectPostsUnder reads the posts a change of visibility touches: every
// post of thread $1, or, when $2 is not null, post $2 and its replies.
const selectPostsUnder = `SELECT ` + postColumns + `, coalesce(pp.hidden, false) AS parent_hidden
	FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN posts pp ON pp.id = p.parent_id
	WHERE p.thread_id = $1 AND ($2::bigint IS NULL OR p.id = $2 OR p.parent_id = $2)`
