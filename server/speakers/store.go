package speakers

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
)

var selectProfile = `SELECT id, display_name, bio, affiliation, links, ` + domain.PhotoURL("users.id") + `
	FROM users WHERE id = $1 AND deleted_at IS NULL AND role <> 'guest'`

const (
	upsertPhoto = `INSERT INTO user_photos (user_id, hash, jpeg) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, jpeg = excluded.jpeg, updated_at = now()`
	deletePhoto = `DELETE FROM user_photos WHERE user_id = $1`
	selectPhoto = `SELECT jpeg FROM user_photos WHERE user_id = $1 AND hash = $2`
)

// Store is the speakers' SQL.
type Store struct{}

func (Store) profile(ctx context.Context, q sqlx.QueryerContext, id int64) (Profile, error) {
	return dbx.GetOne[Profile](ctx, q, fmt.Sprintf("user %d", id), selectProfile, id)
}

func (Store) setPhoto(ctx context.Context, q sqlx.ExecerContext, userID int64, hash string, jpeg []byte) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("store photo of user %d", userID), upsertPhoto, userID, hash, jpeg)
}

func (Store) removePhoto(ctx context.Context, q sqlx.ExecerContext, userID int64) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("remove photo of user %d", userID), deletePhoto, userID)
}

func (Store) photo(ctx context.Context, q sqlx.QueryerContext, userID int64, hash string) (Photo, error) {
	return dbx.GetOne[Photo](ctx, q, fmt.Sprintf("photo of user %d", userID), selectPhoto, userID, hash)
}
