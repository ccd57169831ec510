// Package threads is the discussion of a talk: threads, their posts and
// replies (one level deep), authors' edits within the edit window, flags on
// posts, and moderators' curation (pin, lock, hide).
//
// Who may do what (api.md "Roles"): anyone reads the visible threads and
// posts of a visible talk; signed-in users start threads, post, reply and
// flag; authors change their post body or thread title within the edit
// window (403 edit_window_closed after it); moderators and admins pin, lock,
// hide and unhide, and may retitle any thread. Staff of the talk (its
// speakers too) see hidden threads and posts; speakers have no curation
// power. A locked thread takes no new posts and no edits (423
// thread_locked). Events follow the channel rule of package moderation.
package threads

import (
	"errors"
	"time"

	"github.com/hubtalks/hubtalks/server/moderation"
)

// Limits on user text, in characters after trimming.
const (
	MaxTitle = 200
	MaxBody  = 10000
)

// Errors of the threads' rules.
var (
	ErrLocked     = errors.New("this thread is locked")
	ErrEditWindow = errors.New("the time to edit this has passed")
)

// Thread is a discussion thread as the API shows it. post_count counts the
// posts everyone sees.
type Thread struct {
	ID             int64             `json:"id" db:"id"`
	TalkID         int64             `json:"talk_id" db:"talk_id"`
	Title          string            `json:"title" db:"title"`
	Body           string            `json:"body" db:"body"`
	Author         moderation.Person `json:"author" db:"-"`
	Pinned         bool              `json:"pinned" db:"pinned"`
	Locked         bool              `json:"locked" db:"locked"`
	Hidden         bool              `json:"hidden" db:"hidden"`
	PostCount      int               `json:"post_count" db:"post_count"`
	LastActivityAt time.Time         `json:"last_activity_at" db:"last_activity_at"`
	CreatedAt      time.Time         `json:"created_at" db:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at" db:"updated_at"`
}

// ThreadPage is GET /threads/{id}: the thread and one page of its posts.
type ThreadPage struct {
	Thread
	Posts      []Post  `json:"posts"`
	NextCursor *string `json:"next_cursor"`
}

// Post is a post in a thread; parent_id names the top-level post it replies to.
type Post struct {
	ID        int64             `json:"id" db:"id"`
	ThreadID  int64             `json:"thread_id" db:"thread_id"`
	ParentID  *int64            `json:"parent_id" db:"parent_id"`
	Body      string            `json:"body" db:"body"`
	Author    moderation.Person `json:"author" db:"-"`
	Hidden    bool              `json:"hidden" db:"hidden"`
	CreatedAt time.Time         `json:"created_at" db:"created_at"`
	EditedAt  *time.Time        `json:"edited_at" db:"edited_at"`
}

// NewThread starts a thread.
type NewThread struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// NewPost is a post in a thread, or a reply to its post ParentID.
type NewPost struct {
	Body     *string `json:"body"`
	ParentID *int64  `json:"parent_id"`
}

// ThreadChange is moderators' curation of a thread (pin, lock, hide) or a
// new title (by the author within the edit window, or a moderator).
type ThreadChange struct {
	Pinned *bool   `json:"pinned"`
	Locked *bool   `json:"locked"`
	Hidden *bool   `json:"hidden"`
	Title  *string `json:"title"`
	Reason *string `json:"reason"`
}

// PostChange is the author's edit of a post's body (within the edit
// window) or a moderator hiding or unhiding it.
type PostChange struct {
	Body   *string `json:"body"`
	Hidden *bool   `json:"hidden"`
	Reason *string `json:"reason"`
}
