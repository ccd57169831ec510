package httpx

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
)

const userKey = "hubtalks.user"

// SetUser stores the caller for the rest of the request.
func SetUser(c *fiber.Ctx, u *domain.User) { c.Locals(userKey, u) }

// CurrentUser is the signed-in caller, or nil for an anonymous request.
func CurrentUser(c *fiber.Ctx) *domain.User {
	u, _ := c.Locals(userKey).(*domain.User)
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
		return domain.Forbidden("your role may not do this")
	}
}

// RequireModerator lets through moderators and admins.
var RequireModerator = RequireRole(domain.RoleModerator, domain.RoleAdmin)

// RequireAdmin lets through admins only.
var RequireAdmin = RequireRole(domain.RoleAdmin)
