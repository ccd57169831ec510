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
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Limits on user text, in characters after trimming.
const (
	MaxTitle = 200
	MaxBody  = 10000
)

// Domain is the threads domain.
type Domain struct {
	mod *moderation.Moderation
	db  *sqlx.DB
}

// New builds the threads domain on the shared moderation domain.
func New(mod *moderation.Moderation) *Domain { return &Domain{mod: mod, db: mod.DB} }

// Mount adds the thread routes and the domain's part of account export.
// Erasure needs nothing here: threads and posts stay under the anonymised
// author.
func (d *Domain) Mount(api fiber.Router, acc *accounts.Accounts) {
	api.Get("/talks/:id/threads", d.list)
	api.Post("/talks/:id/threads", httpx.RequireUser, d.create)
	api.Get("/threads/:id", d.get)
	api.Patch("/threads/:id", httpx.RequireUser, d.patchThread)
	api.Post("/threads/:id/posts", httpx.RequireUser, d.createPost)
	api.Patch("/posts/:id", httpx.RequireUser, d.patchPost)
	api.Post("/posts/:id/flags", httpx.RequireUser, d.flagPost)
	if acc != nil {
		acc.OnExport("threads", d.export)
	}
}

type export struct {
	Threads []exportedThread `json:"threads"`
	Posts   []exportedPost   `json:"posts"`
}

func (d *Domain) export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	out := export{Threads: []exportedThread{}, Posts: []exportedPost{}}
	if err := db.SelectContext(ctx, &out.Threads, exportThreads, userID); err != nil {
		return nil, fmt.Errorf("export threads: %w", err)
	}
	if err := db.SelectContext(ctx, &out.Posts, exportPosts, userID); err != nil {
		return nil, fmt.Errorf("export posts: %w", err)
	}
	return out, nil
}
