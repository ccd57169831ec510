// Package playlists owns the playlists of recorded talks: their items (one
// YouTube video each, in a gap-free order 1..n), the import of YouTube's
// playlist Atom feed, and the link from an item to the talk it records —
// which the talk then shows as its `recording` (talks.recording_video_id).
package playlists

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
)

// Errors of the playlists' rules.
var (
	ErrDuplicateVideo   = errors.New("the video is already in this playlist")
	ErrInvalidFeed      = errors.New("the feed is not a YouTube playlist feed")
	ErrPlaylistMismatch = errors.New("the feed belongs to another playlist")
)

// Playlist is a playlist as the API shows it.
type Playlist struct {
	ID                int64   `json:"id"`
	Title             string  `json:"title"`
	Description       string  `json:"description"`
	YouTubePlaylistID *string `json:"youtube_playlist_id"`
	Items             []Item  `json:"items"`
}

// Item is one video of a playlist.
type Item struct {
	ID           int64      `json:"id"`
	Position     int        `json:"position"`
	VideoID      string     `json:"video_id"`
	Title        string     `json:"title"`
	Description  string     `json:"description"`
	PublishedAt  *time.Time `json:"published_at"`
	ThumbnailURL *string    `json:"thumbnail_url"`
	TalkID       *int64     `json:"talk_id"`
}

// ImportResult is the answer to an import: the playlist with all its items,
// and what the import did.
type ImportResult struct {
	Playlist
	Import ImportCounts `json:"import"`
}

// ImportCounts counts the items an import created, changed, and linked to a talk.
type ImportCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Linked  int `json:"linked"`
}

// Playlists is the playlists domain.
type Playlists struct {
	db  *sqlx.DB
	rec *live.Recorder
}

// New builds the domain; rec records the talk.updated events of links.
func New(db *sqlx.DB, rec *live.Recorder) *Playlists {
	return &Playlists{db: db, rec: rec}
}

// Routes mounts the playlist endpoints on the /api/v1 group: reading is
// public, every change is for moderators and admins.
func (p *Playlists) Routes(api fiber.Router) {
	api.Get("/playlists", p.list)
	api.Get("/playlists/:id", p.get)
	api.Post("/playlists", httpx.RequireModerator, p.create)
	api.Patch("/playlists/:id", httpx.RequireModerator, p.patch)
	api.Delete("/playlists/:id", httpx.RequireModerator, p.delete)
	api.Post("/playlists/:id/items", httpx.RequireModerator, p.createItem)
	api.Patch("/playlists/:id/items/:item_id", httpx.RequireModerator, p.patchItem)
	api.Delete("/playlists/:id/items/:item_id", httpx.RequireModerator, p.deleteItem)
	api.Post("/playlists/:id/import", httpx.RequireModerator, p.importFeed)
}

// Get reads one playlist with its items in order (the command line uses it).
func (p *Playlists) Get(ctx context.Context, id int64) (Playlist, error) {
	return loadPlaylist(ctx, p.db, id)
}
