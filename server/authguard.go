package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// guardAuth protects /auth/*, where the caller may not have a session yet
// (so the cookie's CSRF check does not apply): a body must be JSON, which a
// cross-site HTML form cannot send without a preflight, and a browser that
// says the request comes from another site is refused. Without the guard
// a form on any site could sign the browser into the attacker's account.
func (s *Server) guardAuth(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store") // answers carry session tokens
	if c.Method() != fiber.MethodPost {
		return c.Next()
	}
	ct := strings.ToLower(strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0]))
	if (ct != "" || len(c.Body()) > 0) && ct != fiber.MIMEApplicationJSON {
		return httpx.NewProblem(fiber.StatusUnsupportedMediaType, "unsupported_media_type",
			"send the request body as application/json")
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		if !containsFold(s.cfg.Accounts.AllowedOrigins, origin) { // "null" (a sandboxed or file page) is never allowed
			return crossSiteRefused()
		}
		return c.Next()
	}
	switch c.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return crossSiteRefused()
	}
	return c.Next()
}

func crossSiteRefused() error {
	return httpx.NewProblem(fiber.StatusForbidden, "cross_site_refused", "sign-in requests from another site are refused")
}

// noStoreWhenSignedIn keeps answers to authenticated requests out of every
// cache (a shared proxy, the browser's back button on a shared computer):
// they are one person's.
func noStoreWhenSignedIn(c *fiber.Ctx) error {
	err := c.Next()
	// A content-addressed answer (a photo under its hash) is the same for
	// everyone: it keeps its own caching.
	if httpx.CurrentUser(c) != nil && !strings.Contains(string(c.Response().Header.Peek(fiber.HeaderCacheControl)), "immutable") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return err
}
