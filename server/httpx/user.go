package httpx

import (
	"github.com/gofiber/fiber/v2"
)

// Roles a user can hold. Speakers are not a role: they are users linked to a talk.
const (
	RoleParticipant = "participant"
	RoleModerator   = "moderator"
	RoleAdmin       = "admin"
)

// User is the signed-in caller, as the authentication middleware found it.
type User struct {
	ID          int64
	Email       string
	DisplayName string
	Role        string
	SessionID   int64
	ViaCookie   bool // authenticated by the hub_session cookie (so CSRF rules apply)
}

// IsModerator reports moderator-or-admin: the global staff.
func (u *User) IsModerator() bool {
	return u != nil && (u.Role == RoleModerator || u.Role == RoleAdmin)
}

// IsAdmin reports the admin role.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

const userKey = "hubtalks.user"

// SetUser stores the caller for the rest of the request.
func SetUser(c *fiber.Ctx, u *User) { c.Locals(userKey, u) }

// CurrentUser is the signed-in caller, or nil for an anonymous request.
func CurrentUser(c *fiber.Ctx) *User {
	u, _ := c.Locals(userKey).(*User)
	return u
}

// RequireUser refuses anonymous requests with 401.
func RequireUser(c *fiber.Ctx) error {
	if CurrentUser(c) == nil {
		return Unauthorized("sign in first")
	}
	return c.Next()
}

// RequireRole lets through users holding one of roles (401 for anonymous, 403 otherwise).
func RequireRole(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := CurrentUser(c)
		if u == nil {
			return Unauthorized("sign in first")
		}
		for _, r := range roles {
			if u.Role == r {
				return c.Next()
			}
		}
		return Forbidden("your role may not do this")
	}
}

// RequireModerator lets through moderators and admins.
var RequireModerator = RequireRole(RoleModerator, RoleAdmin)

// RequireAdmin lets through admins only.
var RequireAdmin = RequireRole(RoleAdmin)
