package schedule

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/talks"
)

const (
	// selectPublished are the talks of the public schedule: not drafts, not cancelled.
	selectPublished = `SELECT ` + talks.Columns + ` FROM talks k
		WHERE k.status IN ('scheduled', 'live', 'ended') ORDER BY k.starts_at, k.id`
	// selectSpeakerTalks are the talks a user speaks at, cancelled ones included
	// (calendars must learn of the cancellation), drafts not.
	selectSpeakerTalks = `SELECT ` + talks.Columns + ` FROM talks k
		JOIN talk_speakers ts ON ts.talk_id = k.id
		WHERE ts.user_id = $1 AND k.status <> 'draft' ORDER BY k.starts_at, k.id`
	selectUserName = `SELECT display_name FROM users WHERE id = $1`
	// selectVersion is when the published schedule last changed.
	selectVersion = `SELECT max(updated_at) FROM talks WHERE status <> 'draft'`
)

// Store is the exports' SQL; talks are read as the talks domain reads them.
type Store struct {
	talks talks.Store
}

// published are the talks of the public schedule, in order.
func (s Store) published(ctx context.Context, q sqlx.QueryerContext) ([]talks.Talk, error) {
	return s.talks.Talks(ctx, q, selectPublished)
}

// spokenBy are the talks userID speaks at that a calendar shows, in order.
func (s Store) spokenBy(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]talks.Talk, error) {
	return s.talks.Talks(ctx, q, selectSpeakerTalks, userID)
}

// version is when the published schedule last changed (NULL: never).
func (Store) version(ctx context.Context, q sqlx.QueryerContext) (sql.NullTime, error) {
	var latest sql.NullTime
	if err := sqlx.GetContext(ctx, q, &latest, selectVersion); err != nil {
		return latest, fmt.Errorf("schedule version: %w", err)
	}
	return latest, nil
}

// userName is a user's display name; an unknown user is domain.ErrNotFound.
func (Store) userName(ctx context.Context, q sqlx.QueryerContext, id int64) (string, error) {
	var name string
	err := sqlx.GetContext(ctx, q, &name, selectUserName, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("speaker %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("load speaker %d: %w", id, err)
	}
	return name, nil
}
