package playlists

import (
	"context"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
)

// Import applies a parsed feed to a playlist in one transaction: entries are
// matched to items by video id; a known video gets the feed's title,
// description, date and thumbnail (only when they differ, so importing the
// same feed twice changes nothing); a new one is appended in feed order.
// Items the feed no longer lists stay (the feed shows only the first 15).
// An entry whose item no one has linked or unlinked yet is linked to the
// talk its title names (matchEntry); when it names several, they are kept
// as the item's candidates for a moderator to confirm. Sync and the command
// line use it too.
func (s *Service) Import(ctx context.Context, actor *domain.User, playlistID int64, feed Feed) (ImportResult, error) {
	return s.importFeed(ctx, actor, playlistID, feed, nil)
}

// importFeed is Import; then, in the same transaction, runs after (a sync
// stamps the playlist with it).
func (s *Service) importFeed(ctx context.Context, actor *domain.User, playlistID int64, feed Feed,
	after func(tx *live.Tx) error) (ImportResult, error) {
	var res ImportResult
	err := s.locked(ctx, actor, playlistID, func(tx *live.Tx, pr playlistRow) error {
		if err := s.adoptFeed(ctx, tx, pr.playlist(), feed.PlaylistID); err != nil {
			return err
		}
		rows, err := s.store.items(ctx, tx, playlistID)
		if err != nil {
			return err
		}
		candidates, err := s.store.matchTalks(ctx, tx)
		if err != nil {
			return err
		}
		imp := newFeedImport(playlistID, rows, candidates)
		for _, e := range feed.Entries {
			if err := s.importEntry(ctx, tx, imp, e); err != nil {
				return err
			}
		}
		if err := s.syncTalks(ctx, tx, imp.linked...); err != nil {
			return err
		}
		if after != nil {
			if err := after(tx); err != nil {
				return err
			}
		}
		res.Import = imp.counts
		res.Playlist, err = s.store.load(ctx, tx, playlistID)
		return err
	})
	return res, err
}

// adoptFeed links a playlist that has no YouTube playlist to the feed's; a
// feed of another YouTube playlist than the one linked is refused.
func (s *Service) adoptFeed(ctx context.Context, tx *live.Tx, p Playlist, feedPlaylistID string) error {
	switch {
	case feedPlaylistID == "":
		return nil
	case p.YouTubePlaylistID == nil:
		p.YouTubePlaylistID = &feedPlaylistID
		return s.store.updatePlaylist(ctx, tx, p)
	case *p.YouTubePlaylistID != feedPlaylistID:
		return domain.BecauseMsg(ErrPlaylistMismatch,
			domain.Say("problem.playlist_linked", map[string]any{"Feed": feedPlaylistID, "Linked": *p.YouTubePlaylistID}),
			domain.FieldError{Field: "feed.yt:playlistId", Message: "belongs to another playlist"})
	}
	return nil
}

// feedImport is what one import knows while it applies a feed's entries.
type feedImport struct {
	playlistID int64
	byVideo    map[string]itemRow
	n          int          // items in the playlist
	candidates []matchTalk  // talks an entry may be linked to
	linked     []int64      // talks linked so far
	counts     ImportCounts // what it did
}

func newFeedImport(playlistID int64, rows []itemRow, candidates []matchTalk) *feedImport {
	imp := &feedImport{playlistID: playlistID, byVideo: make(map[string]itemRow, len(rows)), n: len(rows), candidates: candidates}
	for _, r := range rows {
		imp.byVideo[r.VideoID] = r
	}
	return imp
}

// importEntry creates or updates the item of one entry, linking it to the
// talk it names when no one has decided its link yet.
func (s *Service) importEntry(ctx context.Context, tx *live.Tx, imp *feedImport, e Entry) error {
	r, exists := imp.byVideo[e.VideoID]
	next := r
	next.Title, next.Description = e.Title, e.Description
	next.PublishedAt, next.ThumbnailURL = nullTime(e.PublishedAt), nullString(e.ThumbnailURL)
	var ambiguous []int64
	undecided := !r.LinkedAt.Valid && !r.TalkID.Valid
	if undecided {
		m := matchEntry(e.Title, imp.candidates)
		if t := m.talk; t != nil {
			next.TalkID.Int64, next.TalkID.Valid = t.ID, true
			next.LinkedAt = linkedNow()
			t.HasRecording = true
			imp.linked = append(imp.linked, t.ID)
			imp.counts.Linked++
		}
		for _, t := range m.candidates {
			ambiguous = append(ambiguous, t.ID)
		}
		if len(ambiguous) > 0 {
			imp.counts.Ambiguous++
		}
	}
	switch {
	case !exists:
		imp.n++
		next.PlaylistID, next.VideoID, next.Position = imp.playlistID, e.VideoID, imp.n
		if err := s.store.insertItem(ctx, tx, &next); err != nil {
			return err
		}
		imp.counts.Created++
	case !sameItem(r, next):
		if err := s.store.updateItem(ctx, tx, next); err != nil {
			return err
		}
		if !sameContent(r, next) {
			imp.counts.Updated++
		}
	}
	if undecided && (len(ambiguous) > 0 || exists) {
		return s.store.setCandidates(ctx, tx, next.ID, ambiguous)
	}
	return nil
}

// sameContent reports whether the feed's fields of an item are unchanged.
func sameContent(a, b itemRow) bool {
	return a.Title == b.Title && a.Description == b.Description &&
		a.PublishedAt.Valid == b.PublishedAt.Valid && (!a.PublishedAt.Valid || a.PublishedAt.Time.Equal(b.PublishedAt.Time)) &&
		a.ThumbnailURL == b.ThumbnailURL
}

func sameItem(a, b itemRow) bool { return sameContent(a, b) && a.TalkID == b.TalkID }
