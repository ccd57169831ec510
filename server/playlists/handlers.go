package playlists

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
)

const (
	maxPlaylistTitleRunes = 200
	maxPlaylistDescRunes  = 5000
)

func (p *Playlists) list(c *fiber.Ctx) error {
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	var after int64
	if page.Cursor != "" {
		if err := httpx.DecodeCursor(page.Cursor, &after); err != nil {
			return err
		}
	}
	ctx := httpx.Ctx(c)
	var rows []playlistRow
	if err := sqlx.SelectContext(ctx, p.db, &rows, selectPlaylistPage, after, page.Limit+1); err != nil {
		return fmt.Errorf("list playlists: %w", err)
	}
	out := httpx.List[Playlist]{Items: []Playlist{}}
	if len(rows) > page.Limit {
		rows = rows[:page.Limit]
		next := httpx.EncodeCursor(rows[len(rows)-1].ID)
		out.NextCursor = &next
	}
	for _, r := range rows {
		out.Items = append(out.Items, r.playlist())
	}
	if err := attachItems(ctx, p.db, out.Items); err != nil {
		return err
	}
	return c.JSON(out)
}

func (p *Playlists) get(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	pl, err := loadPlaylist(httpx.Ctx(c), p.db, id)
	if err != nil {
		return err
	}
	return c.JSON(pl)
}

type playlistCreate struct {
	Title             string  `json:"title"`
	Description       string  `json:"description"`
	YouTubePlaylistID *string `json:"youtube_playlist_id"`
}

type playlistPatch struct {
	Title             *string         `json:"title"`
	Description       *string         `json:"description"`
	YouTubePlaylistID json.RawMessage `json:"youtube_playlist_id"` // absent, null, or a string
}

func checkPlaylist(v *domain.Checker, title, description string, ytID *string) {
	n := utf8.RuneCountInString(strings.TrimSpace(title))
	v.Check(n >= 1 && utf8.RuneCountInString(title) <= maxPlaylistTitleRunes, "title",
		fmt.Sprintf("must be 1 to %d characters", maxPlaylistTitleRunes))
	v.Check(utf8.RuneCountInString(description) <= maxPlaylistDescRunes, "description",
		fmt.Sprintf("must be at most %d characters", maxPlaylistDescRunes))
	if ytID != nil {
		v.Check(ValidPlaylistID(*ytID), "youtube_playlist_id", "must be a YouTube playlist id such as PL…")
	}
}

// emptyToNil treats "" like an absent playlist id.
func emptyToNil(s *string) *string {
	if s != nil && *s == "" {
		return nil
	}
	return s
}

func (p *Playlists) create(c *fiber.Ctx) error {
	var req playlistCreate
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	req.YouTubePlaylistID = emptyToNil(req.YouTubePlaylistID)
	var v domain.Checker
	checkPlaylist(&v, req.Title, req.Description, req.YouTubePlaylistID)
	if err := v.Err(); err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	var out Playlist
	err := p.rec.InTx(ctx, func(tx *live.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, insertPlaylist, req.Title, req.Description, nullString(req.YouTubePlaylistID)); err != nil {
			return fmt.Errorf("create playlist: %w", err)
		}
		var err error
		out, err = loadPlaylist(ctx, tx, id)
		return err
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (p *Playlists) patch(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	var req playlistPatch
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	ytSet, ytID, err := optionalString(req.YouTubePlaylistID, "youtube_playlist_id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	var out Playlist
	err = p.rec.InTx(ctx, func(tx *live.Tx) error {
		r, err := getPlaylistRow(ctx, tx, lockPlaylist, id)
		if err != nil {
			return err
		}
		cur := r.playlist()
		if req.Title != nil {
			cur.Title = *req.Title
		}
		if req.Description != nil {
			cur.Description = *req.Description
		}
		if ytSet {
			cur.YouTubePlaylistID = emptyToNil(ytID)
		}
		var v domain.Checker
		checkPlaylist(&v, cur.Title, cur.Description, cur.YouTubePlaylistID)
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updatePlaylist, id, cur.Title, cur.Description, nullString(cur.YouTubePlaylistID)); err != nil {
			return fmt.Errorf("update playlist %d: %w", id, err)
		}
		out, err = loadPlaylist(ctx, tx, id)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// delete removes a playlist with its items; talks whose recording came from
// one of them lose it (or fall back to another linked item).
func (p *Playlists) delete(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	err = p.rec.InTx(ctx, func(tx *live.Tx) error {
		if _, err := getPlaylistRow(ctx, tx, lockPlaylist, id); err != nil {
			return err
		}
		var talkIDs []int64
		if err := tx.SelectContext(ctx, &talkIDs, selectLinkedTalks, id); err != nil {
			return fmt.Errorf("linked talks of playlist %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, deletePlaylist, id); err != nil {
			return fmt.Errorf("delete playlist %d: %w", id, err)
		}
		return syncTalks(ctx, tx, talkIDs...)
	})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type itemCreate struct {
	VideoID      string  `json:"video_id"`
	Title        string  `json:"title"`
	Description  string  `json:"description"`
	PublishedAt  *string `json:"published_at"`
	ThumbnailURL *string `json:"thumbnail_url"`
	TalkID       *int64  `json:"talk_id"`
	Position     *int    `json:"position"`
}

type itemPatch struct {
	VideoID      *string         `json:"video_id"`
	Title        *string         `json:"title"`
	Description  *string         `json:"description"`
	PublishedAt  json.RawMessage `json:"published_at"`  // absent, null or RFC 3339
	ThumbnailURL json.RawMessage `json:"thumbnail_url"` // absent, null or URL
	TalkID       json.RawMessage `json:"talk_id"`       // absent, null (unlink) or a talk id
	Position     *int            `json:"position"`
}

// checkItem validates an item's fields as they will be stored.
func checkItem(v *domain.Checker, r itemRow) {
	v.Check(ValidVideoID(r.VideoID), "video_id", "must be a YouTube video id: 11 characters of A-Z, a-z, 0-9, _ and -")
	n := utf8.RuneCountInString(strings.TrimSpace(r.Title))
	v.Check(n >= 1 && utf8.RuneCountInString(r.Title) <= maxTitleRunes, "title", fmt.Sprintf("must be 1 to %d characters", maxTitleRunes))
	v.Check(utf8.RuneCountInString(r.Description) <= maxDescRunes, "description", fmt.Sprintf("must be at most %d characters", maxDescRunes))
	if r.ThumbnailURL.Valid {
		v.Check(ValidHTTPURL(r.ThumbnailURL.String), "thumbnail_url", "must be an http(s) URL")
	}
}

func parseTime(field string, s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return nil, domain.InvalidField(field, "must be an RFC 3339 time such as 2026-11-27T10:00:00Z")
	}
	t = t.UTC()
	return &t, nil
}

func (p *Playlists) createItem(c *fiber.Ctx) error {
	playlistID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	var req itemCreate
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	published, err := parseTime("published_at", req.PublishedAt)
	if err != nil {
		return err
	}
	r := itemRow{PlaylistID: playlistID, VideoID: req.VideoID, Title: req.Title, Description: req.Description,
		PublishedAt: nullTime(published), ThumbnailURL: nullString(req.ThumbnailURL), TalkID: nullInt(req.TalkID)}
	var v domain.Checker
	checkItem(&v, r)
	if err := v.Err(); err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	var out Item
	err = p.rec.InTx(ctx, func(tx *live.Tx) error {
		if _, err := getPlaylistRow(ctx, tx, lockPlaylist, playlistID); err != nil {
			return err
		}
		n, err := countOf(ctx, tx, playlistID)
		if err != nil {
			return err
		}
		r.Position = n + 1
		if req.Position != nil {
			if *req.Position < 1 || *req.Position > n+1 {
				return domain.InvalidField("position", fmt.Sprintf("must be from 1 to %d", n+1))
			}
			r.Position = *req.Position
		}
		if err := p.checkRefs(ctx, tx, r, 0); err != nil {
			return err
		}
		if r.TalkID.Valid {
			r.LinkedAt = linkedNow()
		}
		if err := shift(ctx, tx, playlistID, r.Position, n, +1); err != nil {
			return err
		}
		if err := insertItemRow(ctx, tx, &r); err != nil {
			if isUniqueViolation(err, "playlist_items_video_key") {
				return duplicateVideo(r.VideoID)
			}
			return err
		}
		if err := syncTalks(ctx, tx, r.TalkID.Int64); err != nil {
			return err
		}
		got, err := getItem(ctx, tx, playlistID, r.ID)
		out = got.item()
		return err
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// checkRefs checks what needs the database: the video is not yet in the
// playlist (409) and the linked talk exists (422).
func (p *Playlists) checkRefs(ctx context.Context, tx *live.Tx, r itemRow, self int64) error {
	taken, err := videoInUse(ctx, tx, r.PlaylistID, r.VideoID, self)
	if err != nil {
		return err
	}
	if taken {
		return duplicateVideo(r.VideoID)
	}
	if r.TalkID.Valid {
		ok, err := talkFound(ctx, tx, r.TalkID.Int64)
		if err != nil {
			return err
		}
		if !ok {
			return domain.InvalidField("talk_id", "no such talk")
		}
	}
	return nil
}

func duplicateVideo(videoID string) error {
	return domain.Because(ErrDuplicateVideo, fmt.Sprintf("video %s is already in this playlist", videoID))
}

func (p *Playlists) patchItem(c *fiber.Ctx) error {
	playlistID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	itemID, err := httpx.ID(c, "item_id")
	if err != nil {
		return err
	}
	var req itemPatch
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	pubSet, pubStr, err := optionalString(req.PublishedAt, "published_at")
	if err != nil {
		return err
	}
	published, err := parseTime("published_at", pubStr)
	if err != nil {
		return err
	}
	thumbSet, thumb, err := optionalString(req.ThumbnailURL, "thumbnail_url")
	if err != nil {
		return err
	}
	talkSet, talkID, err := optionalID(req.TalkID, "talk_id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	var out Item
	err = p.rec.InTx(ctx, func(tx *live.Tx) error {
		if _, err := getPlaylistRow(ctx, tx, lockPlaylist, playlistID); err != nil {
			return err
		}
		old, err := getItem(ctx, tx, playlistID, itemID)
		if err != nil {
			return err
		}
		r := old
		if req.VideoID != nil {
			r.VideoID = *req.VideoID
		}
		if req.Title != nil {
			r.Title = *req.Title
		}
		if req.Description != nil {
			r.Description = *req.Description
		}
		if pubSet {
			r.PublishedAt = nullTime(published)
		}
		if thumbSet {
			r.ThumbnailURL = nullString(thumb)
		}
		if talkSet {
			r.TalkID = nullInt(talkID)
			if r.TalkID.Valid && r.TalkID != old.TalkID {
				r.LinkedAt = linkedNow()
			}
		}
		var v domain.Checker
		checkItem(&v, r)
		n, err := countOf(ctx, tx, playlistID)
		if err != nil {
			return err
		}
		if req.Position != nil {
			v.Check(*req.Position >= 1 && *req.Position <= n, "position", fmt.Sprintf("must be from 1 to %d", n))
			r.Position = *req.Position
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := p.checkRefs(ctx, tx, r, r.ID); err != nil {
			return err
		}
		// Move the others out of the way: the item leaves old.Position and
		// takes r.Position, so the sequence stays 1..n without gaps.
		switch {
		case r.Position < old.Position:
			err = shift(ctx, tx, playlistID, r.Position, old.Position-1, +1)
		case r.Position > old.Position:
			err = shift(ctx, tx, playlistID, old.Position+1, r.Position, -1)
		}
		if err != nil {
			return err
		}
		if err := updateItemRow(ctx, tx, r); err != nil {
			if isUniqueViolation(err, "playlist_items_video_key") {
				return duplicateVideo(r.VideoID)
			}
			return err
		}
		if err := syncTalks(ctx, tx, old.TalkID.Int64, r.TalkID.Int64); err != nil {
			return err
		}
		got, err := getItem(ctx, tx, playlistID, r.ID)
		out = got.item()
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (p *Playlists) deleteItem(c *fiber.Ctx) error {
	playlistID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	itemID, err := httpx.ID(c, "item_id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	err = p.rec.InTx(ctx, func(tx *live.Tx) error {
		if _, err := getPlaylistRow(ctx, tx, lockPlaylist, playlistID); err != nil {
			return err
		}
		old, err := getItem(ctx, tx, playlistID, itemID)
		if err != nil {
			return err
		}
		n, err := countOf(ctx, tx, playlistID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteItem, old.ID); err != nil {
			return fmt.Errorf("delete item %d: %w", old.ID, err)
		}
		if err := shift(ctx, tx, playlistID, old.Position+1, n, -1); err != nil {
			return err
		}
		return syncTalks(ctx, tx, old.TalkID.Int64)
	})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// feedTypes are the content types an import accepts.
var feedTypes = []string{"application/atom+xml", "application/xml", "text/xml"}

func (p *Playlists) importFeed(c *fiber.Ctx) error {
	playlistID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	accepted := false
	for _, t := range feedTypes {
		accepted = accepted || ct == t
	}
	if !accepted {
		return httpx.NewProblem(fiber.StatusUnsupportedMediaType, "unsupported_media_type",
			"send the YouTube playlist feed as application/atom+xml")
	}
	feed, err := ParseFeed(c.Body())
	if err != nil {
		return feedProblem(err)
	}
	res, err := p.Import(httpx.Ctx(c), playlistID, feed)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// feedProblem is the 422 for a feed that ParseFeed refused.
func feedProblem(err error) error {
	fe, ok := err.(*FeedError)
	if !ok {
		return err
	}
	return domain.Because(ErrInvalidFeed, fe.Error(), domain.FieldError{Field: fe.Field, Message: fe.Message})
}

// optionalString reads a nullable string field that may be absent.
func optionalString(raw json.RawMessage, field string) (set bool, val *string, err error) {
	if raw == nil {
		return false, nil, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return true, nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, nil, domain.InvalidField(field, "must be a string or null")
	}
	return true, &s, nil
}

// optionalID reads a nullable id field that may be absent.
func optionalID(raw json.RawMessage, field string) (set bool, val *int64, err error) {
	if raw == nil {
		return false, nil, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return true, nil, nil
	}
	var id int64
	if err := json.Unmarshal(raw, &id); err != nil || id <= 0 {
		return false, nil, domain.InvalidField(field, "must be a positive integer or null")
	}
	return true, &id, nil
}

// linkedNow stamps a new link; the most recent link of a talk is its recording.
func linkedNow() sql.NullTime { return sql.NullTime{Time: time.Now().UTC(), Valid: true} }
