package playlists

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Service is the playlists' rules: valid fields, a gap-free order 1..n,
// one item per video in a playlist, and a talk's recording kept in line
// with the items linked to it (with talk.updated when it changes). The
// command line uses it too (Get, Import).
type Service struct {
	db    *sqlx.DB
	rec   *live.Recorder
	store Store
}

// NewService builds the rules; rec records the talk.updated events of links.
func NewService(db *sqlx.DB, rec *live.Recorder) *Service {
	return &Service{db: db, rec: rec}
}

const (
	maxPlaylistTitleRunes = 200
	maxPlaylistDescRunes  = 5000
)

func checkPlaylist(v *domain.Checker, title, description string, ytID *string) {
	n := utf8.RuneCountInString(strings.TrimSpace(title))
	v.CheckMsg(n >= 1 && utf8.RuneCountInString(title) <= maxPlaylistTitleRunes, "title",
		domain.Count("problem.chars_between", maxPlaylistTitleRunes, map[string]any{"Min": 1}))
	v.CheckMsg(utf8.RuneCountInString(description) <= maxPlaylistDescRunes, "description",
		domain.Count("problem.chars_max", maxPlaylistDescRunes, nil))
	if ytID != nil {
		v.Check(ValidPlaylistID(*ytID), "youtube_playlist_id", "must be a YouTube playlist id such as PL…")
	}
}

// checkItem validates an item's fields as they will be stored.
func checkItem(v *domain.Checker, r itemRow) {
	v.Check(ValidVideoID(r.VideoID), "video_id", "must be a YouTube video id: 11 characters of A-Z, a-z, 0-9, _ and -")
	n := utf8.RuneCountInString(strings.TrimSpace(r.Title))
	v.CheckMsg(n >= 1 && utf8.RuneCountInString(r.Title) <= maxTitleRunes, "title", domain.Count("problem.chars_between", maxTitleRunes, map[string]any{"Min": 1}))
	v.CheckMsg(utf8.RuneCountInString(r.Description) <= maxDescRunes, "description", domain.Count("problem.chars_max", maxDescRunes, nil))
	if r.ThumbnailURL.Valid {
		v.Check(ValidHTTPURL(r.ThumbnailURL.String), "thumbnail_url", "must be an http(s) URL")
	}
}

// emptyToNil treats "" like an absent playlist id.
func emptyToNil(s *string) *string {
	if s != nil && *s == "" {
		return nil
	}
	return s
}

// linkedNow stamps a new link; the most recent link of a talk is its recording.
func linkedNow() sql.NullTime { return sql.NullTime{Time: time.Now().UTC(), Valid: true} }

// List pages through the playlists by id, each with its items.
func (s *Service) List(ctx context.Context, _ *domain.User, page keyset.Page) (keyset.List[Playlist], error) {
	out, err := keyset.ByID(page, func(after int64, limit int) ([]playlistRow, error) {
		return s.store.page(ctx, s.db, after, limit)
	}, playlistRow.playlist, func(r playlistRow) int64 { return r.ID })
	if err != nil {
		return keyset.List[Playlist]{}, err
	}
	if err := s.store.attachItems(ctx, s.db, out.Items); err != nil {
		return keyset.List[Playlist]{}, err
	}
	return out, nil
}

// Get reads one playlist with its items in order; anyone may.
func (s *Service) Get(ctx context.Context, _ *domain.User, id int64) (Playlist, error) {
	return s.store.load(ctx, s.db, id)
}

// Create makes an empty playlist.
func (s *Service) Create(ctx context.Context, actor *domain.User, p NewPlaylist) (Playlist, error) {
	if !actor.IsModerator() {
		return Playlist{}, domain.ErrForbidden
	}
	p.YouTubePlaylistID = emptyToNil(p.YouTubePlaylistID)
	var v domain.Checker
	checkPlaylist(&v, p.Title, p.Description, p.YouTubePlaylistID)
	if err := v.Err(); err != nil {
		return Playlist{}, err
	}
	var out Playlist
	err := s.rec.InTx(ctx, func(tx *live.Tx) error {
		id, err := s.store.insertPlaylist(ctx, tx, p)
		if err != nil {
			return err
		}
		out, err = s.store.load(ctx, tx, id)
		return err
	})
	return out, err
}

// set overwrites *dst with *v when a patch gives v.
func set[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// apply is the playlist cur with the patch's fields.
func (p PlaylistPatch) apply(cur Playlist) Playlist {
	set(&cur.Title, p.Title)
	set(&cur.Description, p.Description)
	if p.YouTubePlaylistID.Set {
		cur.YouTubePlaylistID = emptyToNil(p.YouTubePlaylistID.Value)
	}
	return cur
}

// Patch changes a playlist's own fields.
func (s *Service) Patch(ctx context.Context, actor *domain.User, id int64, p PlaylistPatch) (Playlist, error) {
	var out Playlist
	err := s.locked(ctx, actor, id, func(tx *live.Tx, r playlistRow) error {
		cur := p.apply(r.playlist())
		var v domain.Checker
		checkPlaylist(&v, cur.Title, cur.Description, cur.YouTubePlaylistID)
		if err := v.Err(); err != nil {
			return err
		}
		if err := s.store.updatePlaylist(ctx, tx, cur); err != nil {
			return err
		}
		var err error
		out, err = s.store.load(ctx, tx, id)
		return err
	})
	return out, err
}

// Delete removes a playlist with its items; talks whose recording came from
// one of them lose it (or fall back to another linked item).
func (s *Service) Delete(ctx context.Context, actor *domain.User, id int64) error {
	return s.locked(ctx, actor, id, func(tx *live.Tx, _ playlistRow) error {
		talkIDs, err := s.store.deletePlaylist(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.syncTalks(ctx, tx, talkIDs...)
	})
}

// AddItem adds a video to a playlist; the items from its position on move
// down one.
func (s *Service) AddItem(ctx context.Context, actor *domain.User, playlistID int64, it NewItem) (Item, error) {
	r := itemRow{PlaylistID: playlistID, VideoID: it.VideoID, Title: it.Title, Description: it.Description,
		PublishedAt: nullTime(it.PublishedAt), ThumbnailURL: nullString(it.ThumbnailURL), TalkID: nullInt(it.TalkID)}
	var v domain.Checker
	checkItem(&v, r)
	if err := v.Err(); err != nil {
		return Item{}, err
	}
	var out Item
	err := s.locked(ctx, actor, playlistID, func(tx *live.Tx, _ playlistRow) error {
		n, err := s.store.countItems(ctx, tx, playlistID)
		if err != nil {
			return err
		}
		if r.Position, err = newPosition(it.Position, n); err != nil {
			return err
		}
		if err := s.checkRefs(ctx, tx, r, 0); err != nil {
			return err
		}
		if r.TalkID.Valid {
			r.LinkedAt = linkedNow()
		}
		if err := s.store.shift(ctx, tx, playlistID, r.Position, n, +1); err != nil {
			return err
		}
		if err := s.store.insertItem(ctx, tx, &r); err != nil {
			return err
		}
		out, err = s.saved(ctx, tx, r, r.TalkID.Int64)
		return err
	})
	return out, err
}

// newPosition is where a new item goes in a playlist of n: given, 1..n+1,
// or last.
func newPosition(given *int, n int) (int, error) {
	if given == nil {
		return n + 1, nil
	}
	if *given < 1 || *given > n+1 {
		return 0, domain.InvalidMsg("position", domain.Say("problem.from_one_to", map[string]any{"Max": n + 1}))
	}
	return *given, nil
}

// apply is the item old with the patch's fields; a new link is stamped now.
func (p ItemPatch) apply(old itemRow) itemRow {
	r := old
	set(&r.VideoID, p.VideoID)
	set(&r.Title, p.Title)
	set(&r.Description, p.Description)
	if p.PublishedAt.Set {
		r.PublishedAt = nullTime(p.PublishedAt.Value)
	}
	if p.ThumbnailURL.Set {
		r.ThumbnailURL = nullString(p.ThumbnailURL.Value)
	}
	if p.TalkID.Set {
		r.TalkID = nullInt(p.TalkID.Value)
		// A link is stamped; so is an unlink of a video never linked (a
		// moderator dismissing its candidates): either way a person has
		// decided, and no import links it by itself again.
		if (r.TalkID.Valid && r.TalkID != old.TalkID) || !r.LinkedAt.Valid {
			r.LinkedAt = linkedNow()
		}
	}
	return r
}

// PatchItem changes an item: its fields, its link to a talk, its position.
func (s *Service) PatchItem(ctx context.Context, actor *domain.User, playlistID, itemID int64, p ItemPatch) (Item, error) {
	var out Item
	err := s.locked(ctx, actor, playlistID, func(tx *live.Tx, _ playlistRow) error {
		old, n, err := s.itemOf(ctx, tx, playlistID, itemID)
		if err != nil {
			return err
		}
		r := p.apply(old)
		var v domain.Checker
		checkItem(&v, r)
		if p.Position != nil {
			v.CheckMsg(*p.Position >= 1 && *p.Position <= n, "position", domain.Say("problem.from_one_to", map[string]any{"Max": n}))
			r.Position = *p.Position
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := s.checkRefs(ctx, tx, r, r.ID); err != nil {
			return err
		}
		if err := s.move(ctx, tx, playlistID, old.Position, r.Position); err != nil {
			return err
		}
		if err := s.store.updateItem(ctx, tx, r); err != nil {
			return err
		}
		if p.TalkID.Set {
			if err := s.store.clearCandidates(ctx, tx, r.ID); err != nil {
				return err
			}
		}
		out, err = s.saved(ctx, tx, r, old.TalkID.Int64, r.TalkID.Int64)
		return err
	})
	return out, err
}

// DeleteItem removes an item; the items after it move up one.
func (s *Service) DeleteItem(ctx context.Context, actor *domain.User, playlistID, itemID int64) error {
	return s.locked(ctx, actor, playlistID, func(tx *live.Tx, _ playlistRow) error {
		old, n, err := s.itemOf(ctx, tx, playlistID, itemID)
		if err != nil {
			return err
		}
		if err := s.store.deleteItem(ctx, tx, old.ID); err != nil {
			return err
		}
		if err := s.store.shift(ctx, tx, playlistID, old.Position+1, n, -1); err != nil {
			return err
		}
		return s.syncTalks(ctx, tx, old.TalkID.Int64)
	})
}

// locked runs fn for actor (a moderator or admin) in a transaction that
// holds the playlist's row lock: every change of a playlist or its items
// does, so positions move one change at a time.
func (s *Service) locked(ctx context.Context, actor *domain.User, playlistID int64, fn func(tx *live.Tx, p playlistRow) error) error {
	if !actor.IsModerator() {
		return domain.ErrForbidden
	}
	return s.rec.InTx(ctx, func(tx *live.Tx) error {
		p, err := s.store.lockPlaylist(ctx, tx, playlistID)
		if err != nil {
			return err
		}
		return fn(tx, p)
	})
}

// itemOf reads one item of a playlist and counts all its items.
func (s *Service) itemOf(ctx context.Context, tx *live.Tx, playlistID, itemID int64) (itemRow, int, error) {
	r, err := s.store.item(ctx, tx, playlistID, itemID)
	if err != nil {
		return itemRow{}, 0, err
	}
	n, err := s.store.countItems(ctx, tx, playlistID)
	return r, n, err
}

// move makes room for an item going from position from to position to:
// the items between move by one, so the sequence stays 1..n without gaps.
func (s *Service) move(ctx context.Context, tx *live.Tx, playlistID int64, from, to int) error {
	switch {
	case to < from:
		return s.store.shift(ctx, tx, playlistID, to, from-1, +1)
	case to > from:
		return s.store.shift(ctx, tx, playlistID, from+1, to, -1)
	}
	return nil
}

// checkRefs checks what needs the database: the video is not yet in the
// playlist (409) and the linked talk exists (422).
func (s *Service) checkRefs(ctx context.Context, tx *live.Tx, r itemRow, self int64) error {
	taken, err := s.store.videoInUse(ctx, tx, r.PlaylistID, r.VideoID, self)
	if err != nil {
		return err
	}
	if taken {
		return duplicateVideo(r.VideoID)
	}
	if r.TalkID.Valid {
		ok, err := s.store.talkExists(ctx, tx, r.TalkID.Int64)
		if err != nil {
			return err
		}
		if !ok {
			return domain.InvalidField("talk_id", "no such talk")
		}
	}
	return nil
}

// saved brings the recordings of talkIDs in line after an item was
// written, and answers the item as stored.
func (s *Service) saved(ctx context.Context, tx *live.Tx, r itemRow, talkIDs ...int64) (Item, error) {
	if err := s.syncTalks(ctx, tx, talkIDs...); err != nil {
		return Item{}, err
	}
	got, err := s.store.item(ctx, tx, r.PlaylistID, r.ID)
	return got.item(), err
}

// syncTalks brings each talk's recording in line with the items linked to
// it — every way of linking a video to a talk (adding or changing an item,
// deleting one, an import, a sync) ends here — and, for every talk whose recording changed, emits talk.updated with
// the talk on its public channel (without stream_url: events are public).
// Every way of linking a recording ends here, so here the registrants are
// told the first time a talk has one (registrations.RecordingLinked).
func (s *Service) syncTalks(ctx context.Context, tx *live.Tx, talkIDs ...int64) error {
	done := map[int64]bool{}
	for _, id := range talkIDs {
		if id == 0 || done[id] {
			continue
		}
		done[id] = true
		changed, err := s.store.syncRecording(ctx, tx, id)
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		t, err := talks.Load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := talks.EmitUpdated(tx, t); err != nil {
			return err
		}
		if t.Recording != nil {
			if err := registrations.RecordingLinked(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	return nil
}
