package accounts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// Authenticate finds the caller from `Authorization: Bearer` or the session
// cookie and stores it with httpx.SetUser; anonymous requests pass through.
// A bad or expired bearer token is a 401, so a client learns its token died;
// a dead cookie is simply ignored (and cleared).
func (a *Accounts) Authenticate(c *fiber.Ctx) error {
	token, viaCookie := tokenFrom(c)
	if token == "" {
		return c.Next()
	}
	su, err := a.store.sessionUser(httpx.Ctx(c), token)
	if err != nil {
		return err
	}
	if su == nil {
		if !viaCookie {
			return httpx.Unauthorized("the token is invalid or has expired")
		}
		a.clearCookie(c)
		return c.Next()
	}
	httpx.SetUser(c, &domain.User{ID: su.ID, Email: su.Email, DisplayName: su.DisplayName, Role: su.Role, SessionID: su.SessionID, ViaCookie: viaCookie})
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
func (a *Accounts) CheckCSRF(c *fiber.Ctx) error {
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
		if a.originAllowed(origin) {
			return c.Next()
		}
		return csrfFailed()
	}
	return csrfFailed()
}

func csrfFailed() error {
	return httpx.NewProblem(fiber.StatusForbidden, "csrf_failed", "cross-site request refused: send X-CSRF-Token or use a bearer token")
}

func (a *Accounts) originAllowed(origin string) bool {
	for _, o := range a.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// UserForToken finds the user of a raw session token (nil when it is not valid).
func (a *Accounts) UserForToken(ctx context.Context, token string) (*domain.User, error) {
	su, err := a.store.sessionUser(ctx, token)
	if err != nil || su == nil {
		return nil, err
	}
	return &domain.User{ID: su.ID, Email: su.Email, DisplayName: su.DisplayName, Role: su.Role, SessionID: su.SessionID}, nil
}
