package talks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Access is the one rule of who may see and run a talk, for every domain
// and the live authoriser: the talk's staff are its speakers, moderators
// and admins; a draft is for its staff only (anyone else is told it does
// not exist).
type Access struct {
	TalkID     int64  `db:"talk_id"`
	TalkStatus string `db:"talk_status"`
	Speaker    bool   `db:"speaker"` // the caller speaks at the talk
	User       *domain.User
}

// Staff reports whether the caller is staff of the talk.
func (a Access) Staff() bool { return a.Speaker || a.User.IsModerator() }

// Visible reports whether the caller may see the talk at all.
func (a Access) Visible() bool { return a.TalkStatus != StatusDraft || a.Staff() }

// AccessColumns selects the columns of an Access in a domain's own query:
// the talk is aliased k, and the caller's user id (0 for nobody) is $2.
const AccessColumns = `k.id AS talk_id, k.status AS talk_status,
	EXISTS (SELECT 1 FROM talk_speakers sp WHERE sp.talk_id = k.id AND sp.user_id = $2) AS speaker`

const selectAccess = `SELECT ` + AccessColumns + ` FROM talks k WHERE k.id = $1`

// AccessFor reads the caller's Access to a talk; a talk that does not
// exist is domain.ErrNotFound.
func AccessFor(ctx context.Context, q sqlx.QueryerContext, talkID int64, u *domain.User) (Access, error) {
	a := Access{User: u}
	err := sqlx.GetContext(ctx, q, &a, selectAccess, talkID, domain.IDOf(u))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("talk %d: %w", talkID, domain.NotFound("no such talk"))
	}
	if err != nil {
		return a, fmt.Errorf("load access to talk %d: %w", talkID, err)
	}
	return a, nil
}
