// Package playlists owns the playlists of recorded talks: their items (one
// YouTube video each, in a gap-free order 1..n), the import of YouTube's
// playlist Atom feed, and the link from an item to the talk it records —
// which the talk then shows as its `recording` (talks.recording_video_id).
//
// Store holds the SQL, Service the rules (positions, links, imports) and
// Handlers the HTTP side; feed.go parses YouTube's feed and import.go
// applies it.
package playlists

import (
	"errors"
	"time"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Errors of the playlists' rules.
var (
	ErrDuplicateVideo   = errors.New("the video is already in this playlist")
	ErrInvalidFeed      = errors.New("the feed is not a YouTube playlist feed")
	ErrPlaylistMismatch = errors.New("the feed belongs to another playlist")
	// ErrFeedUnavailable: the server could not fetch or read a playlist's
	// YouTube feed (unreachable, an error status, too large, not a feed).
	ErrFeedUnavailable = errors.New("the YouTube feed of the playlist is unavailable")
	// ErrNoYouTubePlaylist: a sync of a playlist that has no youtube_playlist_id.
	ErrNoYouTubePlaylist = errors.New("the playlist has no YouTube playlist id")
)

// duplicateVideo is ErrDuplicateVideo naming the video.
func duplicateVideo(videoID string) error {
	return domain.BecauseMsg(ErrDuplicateVideo, domain.Say("problem.video_in_playlist", map[string]any{"Video": videoID}))
}

// Playlist is a playlist as the API shows it.
type Playlist struct {
	ID                int64   `json:"id"`
	Title             string  `json:"title"`
	Description       string  `json:"description"`
	YouTubePlaylistID *string `json:"youtube_playlist_id"`
	// LastSyncedAt is the last time the server fetched the YouTube feed and
	// applied it; LastSyncError says why the last attempt failed (null
	// once one succeeds).
	LastSyncedAt  *time.Time `json:"last_synced_at"`
	LastSyncError *string    `json:"last_sync_error"`
	Items         []Item     `json:"items"`
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
	// Ambiguous counts the videos whose title names several talks: none is
	// linked, the talks are listed for a moderator (GET /recordings/matches).
	Ambiguous int `json:"ambiguous"`
}

// NewPlaylist is a playlist to create.
type NewPlaylist struct {
	Title             string  `json:"title"`
	Description       string  `json:"description"`
	YouTubePlaylistID *string `json:"youtube_playlist_id"` // "" is none
}

// PlaylistPatch changes the fields it holds; the others stay.
type PlaylistPatch struct {
	Title             *string
	Description       *string
	YouTubePlaylistID Optional[string] // null or "" unlinks the YouTube playlist
}

// NewItem is a video to add to a playlist, at Position (1..n+1; default: last).
type NewItem struct {
	VideoID      string
	Title        string
	Description  string
	PublishedAt  *time.Time
	ThumbnailURL *string
	TalkID       *int64 // the talk it records
	Position     *int
}

// ItemPatch changes the fields of an item it holds; the others stay.
type ItemPatch struct {
	VideoID      *string
	Title        *string
	Description  *string
	PublishedAt  Optional[time.Time]
	ThumbnailURL Optional[string]
	TalkID       Optional[int64] // null unlinks the talk
	Position     *int            // 1..n; the others move to keep 1..n gap-free
}

// Optional is a nullable field of a patch: left out (Set false), cleared
// (Value nil), or given.
type Optional[T any] struct {
	Set   bool
	Value *T
}
