package accounts

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/i18n"
)

// Handlers is the HTTP side of accounts: the endpoints, the session cookie,
// and the middleware that authenticates every request (middleware.go).
type Handlers struct {
	cfg Config
	svc *Service
}

// NewHandlers serves svc over HTTP.
func NewHandlers(svc *Service) *Handlers { return &Handlers{cfg: svc.cfg, svc: svc} }

// Routes mounts the accounts endpoints on the /api/v1 group.
func (h *Handlers) Routes(api fiber.Router) {
	api.Post("/auth/signup", sessionRoute(h, fiber.StatusCreated, h.svc.Signup))
	api.Post("/auth/login", sessionRoute(h, fiber.StatusOK, h.svc.Login))
	api.Post("/auth/guest", sessionRoute(h, fiber.StatusCreated, h.svc.Guest))
	api.Post("/me/upgrade", httpx.RequireUser, httpx.Query(fromClient[Upgrade], h.svc.Upgrade))
	api.Post("/auth/logout", httpx.RequireUser, h.logout)
	api.Get("/me", httpx.RequireUser, h.me)
	api.Get("/me/export", httpx.RequireUser, h.export)
	api.Delete("/me", httpx.RequireUser, h.erase)
	api.Patch("/me", httpx.RequireUser, httpx.Query(httpx.Body[ProfileChange], h.svc.UpdateProfile))
	api.Post("/me/password", httpx.RequireUser, act(fiber.StatusNoContent, httpx.Body[PasswordChange], h.svc.ChangePassword))
	api.Post("/auth/verify", act(fiber.StatusNoContent, httpx.Body[Verify], anyone(h.svc.Verify)))
	api.Post("/auth/verify/resend", httpx.RequireUser, h.resendVerification)
	api.Post("/auth/password-reset", h.requestPasswordReset)
	api.Post("/auth/password-reset/confirm", act(fiber.StatusNoContent, fromClient[PasswordResetConfirm], anyone(h.svc.ConfirmPasswordReset)))
	// Moderators list users too (to pick speakers), without their emails.
	api.Get("/users", httpx.RequireModerator, httpx.Query(userSearch, h.svc.Users))
	api.Patch("/users/:id", httpx.RequireAdmin, httpx.Change(fiber.StatusOK, h.svc.SetRole))
}

// fromClient decodes a request body R and stamps it with the client's
// address, which its limits are counted by.
func fromClient[R any, PR interface {
	*R
	setFrom(addr, locale string)
}](c *fiber.Ctx) (R, error) {
	var req R
	if err := httpx.Decode(c, &req); err != nil {
		return req, err
	}
	PR(&req).setFrom(c.IP(), i18n.Request(c))
	return req, nil
}

// sessionRoute is a route that opens a session (sign-up, sign-in, guest)
// from a body R, answered as signedIn does.
func sessionRoute[R any, PR interface {
	*R
	setFrom(addr, locale string)
}](h *Handlers, status int, open func(ctx context.Context, caller *domain.User, req R) (Session, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req, err := fromClient[R, PR](c)
		if err != nil {
			return err
		}
		s, err := open(httpx.Ctx(c), httpx.CurrentUser(c), req)
		if err != nil {
			return err
		}
		return h.signedIn(c, s, status)
	}
}

// requestPasswordReset answers 202 whatever happened: nothing tells which
// addresses have accounts.
func (h *Handlers) requestPasswordReset(c *fiber.Ctx) error {
	req, err := fromClient[PasswordReset](c)
	if err != nil {
		return err
	}
	if err := h.svc.RequestPasswordReset(httpx.Ctx(c), req); err != nil {
		return err
	}
	return accepted(c)
}

// signedIn answers a new session: its token as the cookie, the bearer
// token and the CSRF token.
func (h *Handlers) signedIn(c *fiber.Ctx, s Session, status int) error {
	c.Cookie(&fiber.Cookie{
		Name: CookieName, Value: s.Token, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: h.cfg.SecureCookie, Expires: time.Now().Add(h.cfg.SessionTTL),
	})
	c.Set("X-CSRF-Token", CSRFToken(s.Token))
	return c.Status(status).JSON(s)
}

func (h *Handlers) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: CookieName, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: h.cfg.SecureCookie, Expires: time.Unix(0, 0), MaxAge: -1})
}

func (h *Handlers) logout(c *fiber.Ctx) error {
	if err := h.svc.Logout(httpx.Ctx(c), httpx.CurrentUser(c)); err != nil {
		return err
	}
	h.clearCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) me(c *fiber.Ctx) error {
	cu := httpx.CurrentUser(c)
	u, err := h.svc.Me(httpx.Ctx(c), cu)
	if err != nil {
		return err
	}
	if cu.ViaCookie {
		c.Set("X-CSRF-Token", CSRFToken(c.Cookies(CookieName)))
	}
	return c.JSON(u)
}

// export answers everything stored about the caller, as a JSON download.
func (h *Handlers) export(c *fiber.Ctx) error {
	out, err := h.svc.Export(httpx.Ctx(c), httpx.CurrentUser(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="hubtalks-export.json"`)
	return c.JSON(out)
}

func (h *Handlers) erase(c *fiber.Ctx) error {
	if err := h.svc.Erase(httpx.Ctx(c), httpx.CurrentUser(c)); err != nil {
		return err
	}
	h.clearCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// userSearch reads ?q= and the page of a user listing.
func userSearch(c *fiber.Ctx) (UserSearch, error) {
	page, err := httpx.ParsePage(c)
	return UserSearch{Text: c.Query("q"), Page: page}, err
}

// act is a route that reads an argument B (parse), calls call with the caller and
// answers status with no body.
func act[B any](status int, parse func(*fiber.Ctx) (B, error), call func(ctx context.Context, u *domain.User, body B) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body, err := parse(c)
		if err != nil {
			return err
		}
		if err := call(httpx.Ctx(c), httpx.CurrentUser(c), body); err != nil {
			return err
		}
		return c.SendStatus(status)
	}
}

// anyone adapts a call that does not depend on the caller.
func anyone[B any](call func(ctx context.Context, body B) error) func(context.Context, *domain.User, B) error {
	return func(ctx context.Context, _ *domain.User, body B) error { return call(ctx, body) }
}

func (h *Handlers) resendVerification(c *fiber.Ctx) error {
	if err := h.svc.ResendVerification(httpx.Ctx(c), httpx.CurrentUser(c)); err != nil {
		return err
	}
	return accepted(c)
}

// accepted answers 202 with no body: the message is on its way.
func accepted(c *fiber.Ctx) error {
	c.Status(fiber.StatusAccepted)
	return nil
}
