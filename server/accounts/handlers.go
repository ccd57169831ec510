package accounts

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
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
	api.Post("/auth/signup", h.signup)
	api.Post("/auth/login", h.login)
	api.Post("/auth/logout", httpx.RequireUser, h.logout)
	api.Get("/me", httpx.RequireUser, h.me)
	api.Get("/me/export", httpx.RequireUser, h.export)
	api.Delete("/me", httpx.RequireUser, h.erase)
	api.Patch("/me", httpx.RequireUser, httpx.Query(httpx.Body[ProfileChange], h.svc.UpdateProfile))
	api.Post("/me/password", httpx.RequireUser, act(fiber.StatusNoContent, h.svc.ChangePassword))
	api.Post("/auth/verify", act(fiber.StatusNoContent, anyone(h.svc.Verify)))
	api.Post("/auth/verify/resend", httpx.RequireUser, h.resendVerification)
	api.Post("/auth/password-reset", h.requestPasswordReset)
	api.Post("/auth/password-reset/confirm", act(fiber.StatusNoContent, anyone(h.svc.ConfirmPasswordReset)))
	// Moderators list users too (to pick speakers), without their emails.
	api.Get("/users", httpx.RequireModerator, httpx.Query(userSearch, h.svc.Users))
	api.Patch("/users/:id", httpx.RequireAdmin, httpx.Change(fiber.StatusOK, h.svc.SetRole))
}

func (h *Handlers) signup(c *fiber.Ctx) error {
	var req Signup
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	req.From = c.IP()
	s, err := h.svc.Signup(httpx.Ctx(c), req)
	if err != nil {
		return err
	}
	return h.signedIn(c, s, fiber.StatusCreated)
}

func (h *Handlers) login(c *fiber.Ctx) error {
	var req Login
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	req.From = c.IP()
	s, err := h.svc.Login(httpx.Ctx(c), httpx.CurrentUser(c), req)
	if err != nil {
		return err
	}
	return h.signedIn(c, s, fiber.StatusOK)
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

// act is a route that reads a body B, calls call with the caller and
// answers status with no body.
func act[B any](status int, call func(ctx context.Context, u *domain.User, body B) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body B
		if err := httpx.Decode(c, &body); err != nil {
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

func (h *Handlers) requestPasswordReset(c *fiber.Ctx) error {
	var req PasswordReset
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	req.From = c.IP()
	if err := h.svc.RequestPasswordReset(httpx.Ctx(c), req); err != nil {
		return err
	}
	return accepted(c)
}

// accepted answers 202 with no body: the message is on its way.
func accepted(c *fiber.Ctx) error {
	c.Status(fiber.StatusAccepted)
	return nil
}
