package playlists

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
)

// minSlugMatch is the shortest talk slug that may match inside an entry
// title: shorter ones ("apps", "ai") would match by accident.
const minSlugMatch = 8

// Import applies a parsed feed to a playlist in one transaction: entries are
// matched to items by video id; a known video gets the feed's title,
// description, date and thumbnail (only when they differ, so importing the
// same feed twice changes nothing); a new one is appended in feed order.
// Items the feed no longer lists stay (the feed shows only the first 15).
// An entry whose item has never been linked is linked to the talk whose
// exact title it carries, or whose slug it contains, when that talk has no
// recording yet — unambiguous matches only. The command line uses it too.
func (p *Playlists) Import(ctx context.Context, playlistID int64, feed Feed) (ImportResult, error) {
	var res ImportResult
	err := p.rec.InTx(ctx, func(tx *live.Tx) error {
		pr, err := getPlaylistRow(ctx, tx, lockPlaylist, playlistID)
		if err != nil {
			return err
		}
		if feed.PlaylistID != "" {
			switch {
			case !pr.YouTubePlaylistID.Valid:
				if _, err := tx.ExecContext(ctx, updatePlaylist, pr.ID, pr.Title, pr.Description, feed.PlaylistID); err != nil {
					return fmt.Errorf("set youtube playlist of %d: %w", pr.ID, err)
				}
			case pr.YouTubePlaylistID.String != feed.PlaylistID:
				return domain.Because(ErrPlaylistMismatch,
					fmt.Sprintf("the feed is YouTube playlist %s, but this playlist is linked to %s", feed.PlaylistID, pr.YouTubePlaylistID.String),
					domain.FieldError{Field: "feed.yt:playlistId", Message: "belongs to another playlist"})
			}
		}
		byVideo := map[string]itemRow{}
		var rows []itemRow
		if err := tx.SelectContext(ctx, &rows, selectItems, pq.Array([]int64{playlistID})); err != nil {
			return fmt.Errorf("load items of playlist %d: %w", playlistID, err)
		}
		for _, r := range rows {
			byVideo[r.VideoID] = r
		}
		n := len(rows)
		candidates, err := loadMatchTalks(ctx, tx)
		if err != nil {
			return err
		}
		var linkedTalks []int64
		for _, e := range feed.Entries {
			r, exists := byVideo[e.VideoID]
			next := r
			next.Title, next.Description = e.Title, e.Description
			next.PublishedAt, next.ThumbnailURL = nullTime(e.PublishedAt), nullString(e.ThumbnailURL)
			if !r.LinkedAt.Valid && !r.TalkID.Valid {
				if t := matchEntry(e.Title, candidates); t != nil {
					next.TalkID.Int64, next.TalkID.Valid = t.ID, true
					next.LinkedAt = linkedNow()
					t.HasRecording = true
					linkedTalks = append(linkedTalks, t.ID)
					res.Import.Linked++
				}
			}
			if !exists {
				n++
				next.PlaylistID, next.VideoID, next.Position = playlistID, e.VideoID, n
				if err := insertItemRow(ctx, tx, &next); err != nil {
					return err
				}
				res.Import.Created++
				continue
			}
			if sameItem(r, next) {
				continue
			}
			if err := updateItemRow(ctx, tx, next); err != nil {
				return err
			}
			if !sameContent(r, next) {
				res.Import.Updated++
			}
		}
		if err := syncTalks(ctx, tx, linkedTalks...); err != nil {
			return err
		}
		res.Playlist, err = loadPlaylist(ctx, tx, playlistID)
		return err
	})
	return res, err
}

// sameContent reports whether the feed's fields of an item are unchanged.
func sameContent(a, b itemRow) bool {
	return a.Title == b.Title && a.Description == b.Description &&
		a.PublishedAt.Valid == b.PublishedAt.Valid && (!a.PublishedAt.Valid || a.PublishedAt.Time.Equal(b.PublishedAt.Time)) &&
		a.ThumbnailURL == b.ThumbnailURL
}

func sameItem(a, b itemRow) bool { return sameContent(a, b) && a.TalkID == b.TalkID }

// matchEntry finds the one talk an entry title names: first by exact title
// (case-insensitive), else by the longest slug contained in the title.
// Talks that already have a recording are not candidates; ties match nothing.
func matchEntry(title string, talks []matchTalk) *matchTalk {
	lt := strings.ToLower(strings.TrimSpace(title))
	var exact []*matchTalk
	var best *matchTalk
	tie := false
	for i := range talks {
		t := &talks[i]
		if t.HasRecording {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(t.Title), strings.TrimSpace(title)) {
			exact = append(exact, t)
			continue
		}
		slug := strings.ToLower(t.Slug)
		if len(slug) < minSlugMatch || !containsWord(lt, slug) {
			continue
		}
		switch {
		case best == nil || len(slug) > len(best.Slug):
			best, tie = t, false
		case len(slug) == len(best.Slug):
			tie = true
		}
	}
	if len(exact) == 1 {
		return exact[0]
	}
	if len(exact) > 1 || tie {
		return nil
	}
	return best
}

// containsWord reports whether sub occurs in s between non-alphanumeric
// characters (or the ends), so "ai-triage" does not match "ai-triage-2".
func containsWord(s, sub string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], sub)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(sub)
		if (i == 0 || !isAlnum(s[i-1])) && (end == len(s) || !isAlnum(s[end])) {
			return true
		}
		from = i + 1
	}
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}
