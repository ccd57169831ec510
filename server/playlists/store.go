package playlists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/dbx"
)

const (
	playlistColumns = `id, title, description, youtube_playlist_id, last_synced_at, last_sync_error`
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

// Store is the playlists' SQL. Its methods run on the database or inside
// a transaction (q).
type Store struct{}

// playlistRow is a playlist as stored (without its items).
type playlistRow struct {
	ID                int64          `db:"id"`
	Title             string         `db:"title"`
	Description       string         `db:"description"`
	YouTubePlaylistID sql.NullString `db:"youtube_playlist_id"`
	LastSyncedAt      sql.NullTime   `db:"last_synced_at"`
	LastSyncError     sql.NullString `db:"last_sync_error"`
}

func (r playlistRow) playlist() Playlist {
	return Playlist{ID: r.ID, Title: r.Title, Description: r.Description, Items: []Item{},
		YouTubePlaylistID: dbx.StringPtr(r.YouTubePlaylistID), LastSyncedAt: dbx.TimePtr(r.LastSyncedAt),
		LastSyncError: dbx.StringPtr(r.LastSyncError)}
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
	return Item{ID: r.ID, Position: r.Position, VideoID: r.VideoID, Title: r.Title, Description: r.Description,
		PublishedAt: dbx.TimePtr(r.PublishedAt), ThumbnailURL: dbx.StringPtr(r.ThumbnailURL), TalkID: dbx.Int64Ptr(r.TalkID)}
}

// playlist reads one playlist row.
func (Store) playlist(ctx context.Context, q sqlx.QueryerContext, id int64) (playlistRow, error) {
	return dbx.GetOne[playlistRow](ctx, q, fmt.Sprintf("playlist %d", id), selectPlaylist, id)
}

// lockPlaylist reads one playlist row and locks it (Service.locked).
func (Store) lockPlaylist(ctx context.Context, q sqlx.QueryerContext, id int64) (playlistRow, error) {
	return dbx.GetOne[playlistRow](ctx, q, fmt.Sprintf("playlist %d", id), lockPlaylist, id)
}

// page reads up to limit playlists after the id after, in id order.
func (Store) page(ctx context.Context, q sqlx.QueryerContext, after int64, limit int) ([]playlistRow, error) {
	var rows []playlistRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectPlaylistPage, after, limit); err != nil {
		return nil, fmt.Errorf("list playlists: %w", err)
	}
	return rows, nil
}

// load reads one playlist with its items in order.
func (s Store) load(ctx context.Context, q sqlx.QueryerContext, id int64) (Playlist, error) {
	r, err := s.playlist(ctx, q, id)
	if err != nil {
		return Playlist{}, err
	}
	ps := []Playlist{r.playlist()}
	if err := s.attachItems(ctx, q, ps); err != nil {
		return Playlist{}, err
	}
	return ps[0], nil
}

// attachItems reads the items of every playlist of ps, in order.
func (Store) attachItems(ctx context.Context, q sqlx.QueryerContext, ps []Playlist) error {
	return dbx.Attach(ctx, q, ps, func(it *Playlist) int64 { return it.ID }, selectItems,
		func(r itemRow) int64 { return r.PlaylistID }, func(it *Playlist, r itemRow) { it.Items = append(it.Items, r.item()) })
}

func (Store) insertPlaylist(ctx context.Context, q sqlx.QueryerContext, p NewPlaylist) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, q, &id, insertPlaylist, p.Title, p.Description, nullString(p.YouTubePlaylistID)); err != nil {
		return 0, fmt.Errorf("create playlist: %w", err)
	}
	return id, nil
}

func (Store) updatePlaylist(ctx context.Context, q sqlx.ExecerContext, p Playlist) error {
	if _, err := q.ExecContext(ctx, updatePlaylist, p.ID, p.Title, p.Description, nullString(p.YouTubePlaylistID)); err != nil {
		return fmt.Errorf("update playlist %d: %w", p.ID, err)
	}
	return nil
}

// deletePlaylist deletes a playlist with its items, and answers the talks
// its items were linked to.
func (Store) deletePlaylist(ctx context.Context, q sqlx.ExtContext, id int64) (talkIDs []int64, err error) {
	if err := sqlx.SelectContext(ctx, q, &talkIDs, selectLinkedTalks, id); err != nil {
		return nil, fmt.Errorf("linked talks of playlist %d: %w", id, err)
	}
	if _, err := q.ExecContext(ctx, deletePlaylist, id); err != nil {
		return nil, fmt.Errorf("delete playlist %d: %w", id, err)
	}
	return talkIDs, nil
}

// items reads the items of one playlist, in order.
func (Store) items(ctx context.Context, q sqlx.QueryerContext, playlistID int64) ([]itemRow, error) {
	var rows []itemRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectItems, pq.Array([]int64{playlistID})); err != nil {
		return nil, fmt.Errorf("load items of playlist %d: %w", playlistID, err)
	}
	return rows, nil
}

func (Store) item(ctx context.Context, q sqlx.QueryerContext, playlistID, itemID int64) (itemRow, error) {
	return dbx.GetOne[itemRow](ctx, q, fmt.Sprintf("item %d of playlist %d", itemID, playlistID), selectItem, playlistID, itemID)
}

func (Store) countItems(ctx context.Context, q sqlx.QueryerContext, playlistID int64) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, countItems, playlistID); err != nil {
		return 0, fmt.Errorf("count items of playlist %d: %w", playlistID, err)
	}
	return n, nil
}

// shift moves the positions from..to (inclusive) of a playlist by delta.
func (Store) shift(ctx context.Context, q sqlx.ExecerContext, playlistID int64, from, to, delta int) error {
	if from > to {
		return nil
	}
	if _, err := q.ExecContext(ctx, shiftRange, playlistID, from, to, delta); err != nil {
		return fmt.Errorf("move items of playlist %d: %w", playlistID, err)
	}
	return nil
}

// insertItem stores a new item and sets its id; a video already in the
// playlist is ErrDuplicateVideo.
func (Store) insertItem(ctx context.Context, q sqlx.ExtContext, r *itemRow) error {
	return videoTakenAs(r.VideoID, insertItemRow(ctx, q, r))
}

func insertItemRow(ctx context.Context, q sqlx.ExtContext, r *itemRow) error {
	rows, err := sqlx.NamedQueryContext(ctx, q, insertItem, r)
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

// updateItem stores an item's fields; a video already in the playlist is
// ErrDuplicateVideo.
func (Store) updateItem(ctx context.Context, q sqlx.ExtContext, r itemRow) error {
	if _, err := sqlx.NamedExecContext(ctx, q, updateItem, r); err != nil {
		return videoTakenAs(r.VideoID, fmt.Errorf("update item %d: %w", r.ID, err))
	}
	return nil
}

// videoTakenAs answers the unique violation of a video twice in one
// playlist (a race past videoInUse) as ErrDuplicateVideo.
func videoTakenAs(videoID string, err error) error {
	if isUniqueViolation(err, "playlist_items_video_key") {
		return duplicateVideo(videoID)
	}
	return err
}

func (Store) deleteItem(ctx context.Context, q sqlx.ExecerContext, id int64) error {
	if _, err := q.ExecContext(ctx, deleteItem, id); err != nil {
		return fmt.Errorf("delete item %d: %w", id, err)
	}
	return nil
}

// videoInUse reports whether another item than exceptItem of the playlist
// holds the video.
func (Store) videoInUse(ctx context.Context, q sqlx.QueryerContext, playlistID int64, videoID string, exceptItem int64) (bool, error) {
	var taken bool
	if err := sqlx.GetContext(ctx, q, &taken, videoTaken, playlistID, videoID, exceptItem); err != nil {
		return false, fmt.Errorf("check video %s in playlist %d: %w", videoID, playlistID, err)
	}
	return taken, nil
}

func (Store) talkExists(ctx context.Context, q sqlx.QueryerContext, talkID int64) (bool, error) {
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, talkExists, talkID); err != nil {
		return false, fmt.Errorf("check talk %d: %w", talkID, err)
	}
	return ok, nil
}

// syncRecording makes a talk's recording the video of its most recently
// linked item (or none), and reports whether that changed it.
func (Store) syncRecording(ctx context.Context, q sqlx.ExecerContext, talkID int64) (bool, error) {
	res, err := q.ExecContext(ctx, syncRecording, talkID)
	if err != nil {
		return false, fmt.Errorf("set recording of talk %d: %w", talkID, err)
	}
	n, err := res.RowsAffected()
	return err == nil && n > 0, nil // unknown counts as unchanged (as does a talk gone)
}

func (Store) matchTalks(ctx context.Context, q sqlx.QueryerContext) ([]matchTalk, error) {
	var ts []matchTalk
	if err := sqlx.SelectContext(ctx, q, &ts, selectMatchTalks); err != nil {
		return nil, fmt.Errorf("load talks to match: %w", err)
	}
	return ts, nil
}

// getOne reads one row; no row is domain.ErrNotFound about what.

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

// The sync's claims and results, and the candidates of ambiguous matches.
const (
	// claimPlaylist marks a playlist as being synced now (Sync now), so the
	// periodic sync of any instance leaves it for an interval.
	claimPlaylist = `UPDATE playlists SET sync_claimed_at = now() WHERE id = $1 RETURNING ` + playlistColumns
	// claimDue takes the playlists due for a sync: rows another instance is
	// claiming are skipped, and a claimed row is not due again for an interval.
	claimDue = `UPDATE playlists SET sync_claimed_at = now()
		WHERE id IN (SELECT id FROM playlists
			WHERE youtube_playlist_id IS NOT NULL
			  AND (sync_claimed_at IS NULL OR sync_claimed_at <= now() - make_interval(secs => $1))
			ORDER BY id FOR UPDATE SKIP LOCKED)
		RETURNING ` + playlistColumns
	selectLinked   = `SELECT id FROM playlists WHERE youtube_playlist_id IS NOT NULL ORDER BY id`
	markSynced     = `UPDATE playlists SET last_synced_at = now(), last_sync_error = NULL WHERE id = $1`
	markSyncFailed = `UPDATE playlists SET last_sync_error = $2 WHERE id = $1`

	// keepCandidates and addCandidates make an item's candidates exactly $2.
	keepCandidates  = `DELETE FROM playlist_item_candidates WHERE item_id = $1 AND NOT (talk_id = ANY($2))`
	addCandidates   = `INSERT INTO playlist_item_candidates (item_id, talk_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`
	clearCandidates = `DELETE FROM playlist_item_candidates WHERE item_id = $1`
	// selectCandidates lists the open ambiguities: items no one has decided,
	// with the talks (still without a recording) their title names.
	selectCandidates = `SELECT c.item_id, p.id AS playlist_id, p.title AS playlist_title,
			t.id, t.slug, t.title, t.starts_at
		FROM playlist_item_candidates c
		JOIN playlist_items i ON i.id = c.item_id
		JOIN playlists p ON p.id = i.playlist_id
		JOIN talks t ON t.id = c.talk_id
		WHERE i.talk_id IS NULL AND i.linked_at IS NULL AND t.recording_video_id IS NULL AND t.status <> 'draft'
		ORDER BY p.id, i.position, t.starts_at DESC, t.id`
	selectItemsByID = `SELECT ` + itemColumns + ` FROM playlist_items WHERE id = ANY($1)`

	// selectRecordings is every talk with a recording, newest first, with
	// the playlist item it comes from (none for a recording set otherwise).
	selectRecordings = `SELECT t.id, t.slug, t.title, t.starts_at, t.recording_video_id,
			i.playlist_id, p.title AS playlist_title, i.thumbnail_url
		FROM talks t
		LEFT JOIN LATERAL (SELECT playlist_id, thumbnail_url FROM playlist_items
			WHERE talk_id = t.id AND video_id = t.recording_video_id
			ORDER BY linked_at DESC NULLS LAST, id DESC LIMIT 1) i ON true
		LEFT JOIN playlists p ON p.id = i.playlist_id
		WHERE t.recording_video_id IS NOT NULL AND t.status <> 'draft'
		ORDER BY t.starts_at DESC, t.id DESC`
)

// claim marks playlist id as being synced now and reads it.
func (Store) claim(ctx context.Context, q sqlx.QueryerContext, id int64) (playlistRow, error) {
	return dbx.GetOne[playlistRow](ctx, q, fmt.Sprintf("playlist %d", id), claimPlaylist, id)
}

// claimDue claims the playlists whose last claim is older than interval.
func (Store) claimDue(ctx context.Context, q sqlx.QueryerContext, interval time.Duration) ([]playlistRow, error) {
	return dbx.Select[playlistRow](ctx, q, "claim playlists due for sync", claimDue, interval.Seconds())
}

// linked lists the playlists that have a YouTube playlist id.
func (Store) linked(ctx context.Context, q sqlx.QueryerContext) ([]int64, error) {
	return dbx.Select[int64](ctx, q, "list playlists with a YouTube id", selectLinked)
}

// synced stamps a successful sync.
func (Store) synced(ctx context.Context, q sqlx.ExecerContext, id int64) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("mark playlist %d synced", id), markSynced, id)
}

// syncFailed records why the last sync failed.
func (Store) syncFailed(ctx context.Context, q sqlx.ExecerContext, id int64, reason string) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("record the sync error of playlist %d", id), markSyncFailed, id, reason)
}

// setCandidates makes the talks an item might record exactly talkIDs.
func (Store) setCandidates(ctx context.Context, q sqlx.ExecerContext, itemID int64, talkIDs []int64) error {
	if talkIDs == nil {
		talkIDs = []int64{}
	}
	what := fmt.Sprintf("candidates of item %d", itemID)
	if err := dbx.Exec(ctx, q, what, keepCandidates, itemID, pq.Array(talkIDs)); err != nil || len(talkIDs) == 0 {
		return err
	}
	return dbx.Exec(ctx, q, what, addCandidates, itemID, pq.Array(talkIDs))
}

// clearCandidates forgets an item's candidates (its link was decided by hand).
func (Store) clearCandidates(ctx context.Context, q sqlx.ExecerContext, itemID int64) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("clear candidates of item %d", itemID), clearCandidates, itemID)
}

// candidateRow is one talk an undecided item might record.
type candidateRow struct {
	ItemID        int64     `db:"item_id"`
	PlaylistID    int64     `db:"playlist_id"`
	PlaylistTitle string    `db:"playlist_title"`
	ID            int64     `db:"id"`
	Slug          string    `db:"slug"`
	Title         string    `db:"title"`
	StartsAt      time.Time `db:"starts_at"`
}

func (Store) candidates(ctx context.Context, q sqlx.QueryerContext) ([]candidateRow, error) {
	return dbx.Select[candidateRow](ctx, q, "list match candidates", selectCandidates)
}

func (Store) itemsByID(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64]itemRow, error) {
	rows, err := dbx.Select[itemRow](ctx, q, "load items", selectItemsByID, pq.Array(ids))
	out := make(map[int64]itemRow, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, err
}

// recordingRow is a talk with its recording and where it comes from.
type recordingRow struct {
	ID            int64          `db:"id"`
	Slug          string         `db:"slug"`
	Title         string         `db:"title"`
	StartsAt      time.Time      `db:"starts_at"`
	VideoID       string         `db:"recording_video_id"`
	PlaylistID    sql.NullInt64  `db:"playlist_id"`
	PlaylistTitle sql.NullString `db:"playlist_title"`
	ThumbnailURL  sql.NullString `db:"thumbnail_url"`
}

func (Store) recordings(ctx context.Context, q sqlx.QueryerContext) ([]recordingRow, error) {
	return dbx.Select[recordingRow](ctx, q, "list recordings", selectRecordings)
}
