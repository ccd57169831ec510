package accounts

import (
	"time"

	"github.com/gofiber/fiber/v2"

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
	api.Post("/auth/guest", h.guest)
	api.Post("/me/upgrade", httpx.RequireUser, h.upgrade)
	api.Post("/auth/logout", httpx.RequireUser, h.logout)
	api.Get("/me", httpx.RequireUser, h.me)
	api.Get("/me/export", httpx.RequireUser, h.export)
	api.Delete("/me", httpx.RequireUser, h.erase)
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

func (h *Handlers) guest(c *fiber.Ctx) error {
	var req GuestJoin
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	req.From = c.IP()
	s, err := h.svc.Guest(httpx.Ctx(c), httpx.CurrentUser(c), req)
	if err != nil {
		return err
	}
	return h.signedIn(c, s, fiber.StatusCreated)
}

func (h *Handlers) upgrade(c *fiber.Ctx) error {
	var req Upgrade
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	req.From = c.IP()
	u, err := h.svc.Upgrade(httpx.Ctx(c), httpx.CurrentUser(c), req)
	if err != nil {
		return err
	}
	return c.JSON(u)
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
