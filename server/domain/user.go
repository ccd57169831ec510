// Package domain is the vocabulary every domain package of Hub Talks
// shares, free of HTTP: the acting user and the roles, and the errors a
// domain rule returns (server/errors.go turns them into problem+json in one
// table).
package domain

// Roles a user can hold. Speakers are not a role: they are users linked to
// a talk.
const (
	// RoleGuest joined with a display name only: no email, no password. It
	// takes part in live rooms that allow guests and nothing that needs an
	// email.
	RoleGuest       = "guest"
	RoleParticipant = "participant"
	RoleModerator   = "moderator"
	RoleAdmin       = "admin"
)

// User is the acting user, as authentication found them.
type User struct {
	ID          int64
	Email       string
	DisplayName string
	Role        string
	SessionID   int64
	ViaCookie   bool   // authenticated by the hub_session cookie (so CSRF rules apply)
	Locale      string // the language the account chose ("" : follow the browser)
}

// IsModerator reports moderator-or-admin: the global staff.
func (u *User) IsModerator() bool {
	return u != nil && (u.Role == RoleModerator || u.Role == RoleAdmin)
}

// IsGuest reports a guest (joined with a name only).
func (u *User) IsGuest() bool { return u != nil && u.Role == RoleGuest }

// IsAdmin reports the admin role.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// ID of u, or 0 for nobody (an anonymous caller).
func IDOf(u *User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}
