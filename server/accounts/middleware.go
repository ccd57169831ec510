package accounts

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// Authenticate finds the caller from `Authorization: Bearer` or the session
// cookie and stores it with httpx.SetUser; anonymous requests pass through.
// A bad or expired bearer token is a 401, so a client learns its token died;
// a dead cookie is simply ignored (and cleared).
func (h *Handlers) Authenticate(c *fiber.Ctx) error {
	token, viaCookie := tokenFrom(c)
	if token == "" {
		return c.Next()
	}
	u, err := h.svc.UserForToken(httpx.Ctx(c), token)
	if err != nil {
		return err
	}
	if u == nil {
		if !viaCookie {
			return httpx.Unauthorized("the token is invalid or has expired")
		}
		h.clearCookie(c)
		return c.Next()
	}
	u.ViaCookie = viaCookie
	httpx.SetUser(c, u)
	return c.Next()
}

// TokenFrom returns the caller's token and whether it came from the cookie.
// Live sockets also accept ?token= (browsers cannot set headers on them).
func tokenFrom(c *fiber.Ctx) (string, bool) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
	}
	if t := c.Cookies(CookieName); t != "" {
		return t, true
	}
	return "", false
}

// CSRFToken is the value a cookie-authenticated client may send as
// X-CSRF-Token: derived from the session token, so nothing more is stored.
func CSRFToken(sessionToken string) string {
	sum := sha256.Sum256([]byte("csrf\x00" + sessionToken))
	return hex.EncodeToString(sum[:16])
}

// CheckCSRF refuses unsafe requests authenticated by the cookie unless the
// browser says they are same-origin (Sec-Fetch-Site or Origin) or they carry
// the session's X-CSRF-Token. Bearer requests cannot be forged cross-site.
func (h *Handlers) CheckCSRF(c *fiber.Ctx) error {
	u := httpx.CurrentUser(c)
	if u == nil || !u.ViaCookie {
		return c.Next()
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if tok := c.Get("X-CSRF-Token"); tok != "" {
		want := CSRFToken(c.Cookies(CookieName))
		if subtle.ConstantTimeCompare([]byte(tok), []byte(want)) == 1 {
			return c.Next()
		}
		return csrfFailed()
	}
	switch c.Get("Sec-Fetch-Site") {
	case "same-origin":
		return c.Next()
	case "cross-site", "same-site":
		return csrfFailed()
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		if h.originAllowed(origin) {
			return c.Next()
		}
		return csrfFailed()
	}
	return csrfFailed()
}

func csrfFailed() error {
	return httpx.NewProblem(fiber.StatusForbidden, "csrf_failed", "cross-site request refused: send X-CSRF-Token or use a bearer token")
}

func (h *Handlers) originAllowed(origin string) bool {
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}
