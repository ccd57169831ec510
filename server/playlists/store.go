package playlists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/talks"
)

const (
	playlistColumns = `id, title, description, youtube_playlist_id`
	itemColumns     = `id, playlist_id, position, video_id, title, description, published_at, thumbnail_url, talk_id, linked_at`

	selectPlaylist     = `SELECT ` + playlistColumns + ` FROM playlists WHERE id = $1`
	lockPlaylist       = selectPlaylist + ` FOR UPDATE`
	selectPlaylistPage = `SELECT ` + playlistColumns + ` FROM playlists WHERE id > $1 ORDER BY id LIMIT $2`
	insertPlaylist     = `INSERT INTO playlists (title, description, youtube_playlist_id) VALUES ($1, $2, $3) RETURNING id`
	updatePlaylist     = `UPDATE playlists SET title = $2, description = $3, youtube_playlist_id = $4, updated_at = now() WHERE id = $1`
	deletePlaylist     = `DELETE FROM playlists WHERE id = $1`

	selectItems       = `SELECT ` + itemColumns + ` FROM playlist_items WHERE playlist_id = ANY($1) ORDER BY playlist_id, position`
	selectItem        = `SELECT ` + itemColumns + ` FROM playlist_items WHERE playlist_id = $1 AND id = $2`
	countItems        = `SELECT count(*) FROM playlist_items WHERE playlist_id = $1`
	selectLinkedTalks = `SELECT DISTINCT talk_id FROM playlist_items WHERE playlist_id = $1 AND talk_id IS NOT NULL ORDER BY talk_id`
	videoTaken        = `SELECT EXISTS (SELECT 1 FROM playlist_items WHERE playlist_id = $1 AND video_id = $2 AND id <> $3)`
	talkExists        = `SELECT EXISTS (SELECT 1 FROM talks WHERE id = $1)`

	// Positions are moved as ranges; the unique (playlist_id, position)
	// constraint is deferred to commit, so a range may pass over itself.
	shiftRange = `UPDATE playlist_items SET position = position + $4
		WHERE playlist_id = $1 AND position >= $2 AND position <= $3`
	insertItem = `INSERT INTO playlist_items
		(playlist_id, position, video_id, title, description, published_at, thumbnail_url, talk_id, linked_at)
		VALUES (:playlist_id, :position, :video_id, :title, :description, :published_at, :thumbnail_url, :talk_id, :linked_at)
		RETURNING id`
	updateItem = `UPDATE playlist_items SET position = :position, video_id = :video_id, title = :title,
		description = :description, published_at = :published_at, thumbnail_url = :thumbnail_url,
		talk_id = :talk_id, linked_at = :linked_at, updated_at = now()
		WHERE id = :id`
	deleteItem = `DELETE FROM playlist_items WHERE id = $1`

	// syncRecording makes talks.recording_video_id the video of the talk's
	// most recently linked item (or NULL), and says whether it changed.
	syncRecording = `WITH latest AS (
			SELECT (SELECT video_id FROM playlist_items WHERE talk_id = $1
			        ORDER BY linked_at DESC NULLS LAST, id DESC LIMIT 1) AS video_id)
		UPDATE talks t SET recording_video_id = latest.video_id, updated_at = now()
		FROM latest WHERE t.id = $1 AND t.recording_video_id IS DISTINCT FROM latest.video_id`

	// selectMatchTalks are the talks an imported entry may be linked to automatically.
	selectMatchTalks = `SELECT id, slug, title, recording_video_id IS NOT NULL AS has_recording
		FROM talks WHERE status <> 'draft' ORDER BY id`
)

// queryer is a database or a transaction.
type queryer interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

type playlistRow struct {
	ID                int64          `db:"id"`
	Title             string         `db:"title"`
	Description       string         `db:"description"`
	YouTubePlaylistID sql.NullString `db:"youtube_playlist_id"`
}

func (r playlistRow) playlist() Playlist {
	p := Playlist{ID: r.ID, Title: r.Title, Description: r.Description, Items: []Item{}}
	if r.YouTubePlaylistID.Valid {
		s := r.YouTubePlaylistID.String
		p.YouTubePlaylistID = &s
	}
	return p
}

// itemRow is an item as stored.
type itemRow struct {
	ID           int64          `db:"id"`
	PlaylistID   int64          `db:"playlist_id"`
	Position     int            `db:"position"`
	VideoID      string         `db:"video_id"`
	Title        string         `db:"title"`
	Description  string         `db:"description"`
	PublishedAt  sql.NullTime   `db:"published_at"`
	ThumbnailURL sql.NullString `db:"thumbnail_url"`
	TalkID       sql.NullInt64  `db:"talk_id"`
	LinkedAt     sql.NullTime   `db:"linked_at"`
}

func (r itemRow) item() Item {
	it := Item{ID: r.ID, Position: r.Position, VideoID: r.VideoID, Title: r.Title, Description: r.Description}
	if r.PublishedAt.Valid {
		t := r.PublishedAt.Time.UTC()
		it.PublishedAt = &t
	}
	if r.ThumbnailURL.Valid {
		s := r.ThumbnailURL.String
		it.ThumbnailURL = &s
	}
	if r.TalkID.Valid {
		id := r.TalkID.Int64
		it.TalkID = &id
	}
	return it
}

func getPlaylistRow(ctx context.Context, q queryer, query string, id int64) (playlistRow, error) {
	var r playlistRow
	err := sqlx.GetContext(ctx, q, &r, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("playlist %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("load playlist %d: %w", id, err)
	}
	return r, nil
}

// loadPlaylist reads one playlist with its items in order.
func loadPlaylist(ctx context.Context, q queryer, id int64) (Playlist, error) {
	r, err := getPlaylistRow(ctx, q, selectPlaylist, id)
	if err != nil {
		return Playlist{}, err
	}
	ps := []Playlist{r.playlist()}
	if err := attachItems(ctx, q, ps); err != nil {
		return Playlist{}, err
	}
	return ps[0], nil
}

func attachItems(ctx context.Context, q queryer, ps []Playlist) error {
	if len(ps) == 0 {
		return nil
	}
	ids, byID := httpx.IndexByID(ps, func(it *Playlist) int64 { return it.ID })
	var rows []itemRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectItems, pq.Array(ids)); err != nil {
		return fmt.Errorf("load playlist items: %w", err)
	}
	for _, r := range rows {
		p := byID[r.PlaylistID]
		p.Items = append(p.Items, r.item())
	}
	return nil
}

func getItem(ctx context.Context, q queryer, playlistID, itemID int64) (itemRow, error) {
	var r itemRow
	err := sqlx.GetContext(ctx, q, &r, selectItem, playlistID, itemID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("item %d of playlist %d: %w", itemID, playlistID, domain.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("load item %d of playlist %d: %w", itemID, playlistID, err)
	}
	return r, nil
}

func countOf(ctx context.Context, q queryer, playlistID int64) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, countItems, playlistID); err != nil {
		return 0, fmt.Errorf("count items of playlist %d: %w", playlistID, err)
	}
	return n, nil
}

// shift moves the positions from..to (inclusive) of a playlist by delta.
func shift(ctx context.Context, q queryer, playlistID int64, from, to, delta int) error {
	if from > to {
		return nil
	}
	if _, err := q.ExecContext(ctx, shiftRange, playlistID, from, to, delta); err != nil {
		return fmt.Errorf("move items of playlist %d: %w", playlistID, err)
	}
	return nil
}

func insertItemRow(ctx context.Context, tx *live.Tx, r *itemRow) error {
	rows, err := sqlx.NamedQueryContext(ctx, tx, insertItem, r)
	if err != nil {
		return fmt.Errorf("insert item into playlist %d: %w", r.PlaylistID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return fmt.Errorf("insert item into playlist %d: no id returned", r.PlaylistID)
	}
	if err := rows.Scan(&r.ID); err != nil {
		return fmt.Errorf("insert item into playlist %d: %w", r.PlaylistID, err)
	}
	return rows.Close()
}

func updateItemRow(ctx context.Context, tx *live.Tx, r itemRow) error {
	if _, err := sqlx.NamedExecContext(ctx, tx, updateItem, r); err != nil {
		return fmt.Errorf("update item %d: %w", r.ID, err)
	}
	return nil
}

func videoInUse(ctx context.Context, q queryer, playlistID int64, videoID string, exceptItem int64) (bool, error) {
	var taken bool
	if err := sqlx.GetContext(ctx, q, &taken, videoTaken, playlistID, videoID, exceptItem); err != nil {
		return false, fmt.Errorf("check video %s in playlist %d: %w", videoID, playlistID, err)
	}
	return taken, nil
}

func talkFound(ctx context.Context, q queryer, talkID int64) (bool, error) {
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, talkExists, talkID); err != nil {
		return false, fmt.Errorf("check talk %d: %w", talkID, err)
	}
	return ok, nil
}

// syncTalks brings each talk's recording in line with the items linked to
// it and, for every talk whose recording changed, emits talk.updated with
// the talk on its public channel (without stream_url: events are public).
func syncTalks(ctx context.Context, tx *live.Tx, talkIDs ...int64) error {
	done := map[int64]bool{}
	for _, id := range talkIDs {
		if id == 0 || done[id] {
			continue
		}
		done[id] = true
		res, err := tx.ExecContext(ctx, syncRecording, id)
		if err != nil {
			return fmt.Errorf("set recording of talk %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // unchanged (or the talk is gone)
		}
		t, err := talks.Load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := talks.EmitUpdated(tx, t); err != nil {
			return err
		}
	}
	return nil
}

// matchTalk is a talk an imported entry may be linked to.
type matchTalk struct {
	ID           int64  `db:"id"`
	Slug         string `db:"slug"`
	Title        string `db:"title"`
	HasRecording bool   `db:"has_recording"`
}

func loadMatchTalks(ctx context.Context, q queryer) ([]matchTalk, error) {
	var ts []matchTalk
	if err := sqlx.SelectContext(ctx, q, &ts, selectMatchTalks); err != nil {
		return nil, fmt.Errorf("load talks to match: %w", err)
	}
	return ts, nil
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

func nullInt(id *int64) sql.NullInt64 {
	if id == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *id, Valid: true}
}

// isUniqueViolation reports a unique-constraint error on constraint.
func isUniqueViolation(err error, constraint string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == constraint
}
