package talks

import (
	"context"
	"errors"

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
	// AllowGuests: guests may take part in the talk's live room (qa.allow_guests).
	AllowGuests bool `db:"allow_guests"`
	User        *domain.User
}

// SetUser makes u the caller the access is about (after a read that filled
// the rest).
func (a *Access) SetUser(u *domain.User) { a.User = u }

// Staff reports whether the caller is staff of the talk.
func (a Access) Staff() bool { return a.Speaker || a.User.IsModerator() }

// TakingPart refuses a guest's question, vote, flag or post in a talk
// that does not allow guests; anyone else may (as far as this rule goes).
func (a Access) TakingPart() error {
	if a.User.IsGuest() && !a.AllowGuests {
		return ErrGuestsNotAllowed
	}
	return nil
}

// Visible reports whether the caller may see the talk at all.
func (a Access) Visible() bool { return a.TalkStatus != StatusDraft || a.Staff() }

// speaksAt is whether the caller ($2) speaks at the talk aliased k.
const speaksAt = `EXISTS (SELECT 1 FROM talk_speakers sp WHERE sp.talk_id = k.id AND sp.user_id = $2)`

// AccessColumns selects the columns of an Access in a domain's own query:
// the talk is aliased k, and the caller's user id (0 for nobody) is $2.
const AccessColumns = `k.id AS talk_id, k.status AS talk_status, ` + speaksAt + ` AS speaker, k.qa_allow_guests AS allow_guests`

// AccessVisible is Access.Visible as a condition, for a list that pages in
// the database: the talk is aliased k, the caller's user id (0 for nobody)
// is $2 and $3 says whether the caller is global staff (User.IsModerator).
const AccessVisible = `(k.status <> 'draft' OR $3 OR ` + speaksAt + `)`

// AccessFor reads the caller's Access to a talk; a talk that does not
// exist is domain.ErrNotFound.
func AccessFor(ctx context.Context, q sqlx.QueryerContext, talkID int64, u *domain.User) (Access, error) {
	return Store{}.Access(ctx, q, talkID, u)
}

// IsStaff reports whether u is staff of the talk: a moderator, an admin, or
// one of its speakers. Of a talk that does not exist, only global staff are.
func IsStaff(ctx context.Context, q Queryer, talkID int64, u *domain.User) (bool, error) {
	a, err := AccessFor(ctx, q, talkID, u)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return false, err
	}
	return a.Staff(), nil
}

// ForViewer loads a talk as viewer may see it, in q (a domain's own
// transaction): see Service.Get.
func ForViewer(ctx context.Context, q Queryer, id int64, viewer *domain.User) (Talk, error) {
	return new(Service).view(ctx, q, viewer, id)
}
