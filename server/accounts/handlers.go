package accounts

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// Routes mounts the accounts endpoints on the /api/v1 group.
func (a *Accounts) Routes(api fiber.Router) {
	api.Post("/auth/signup", a.signup)
	api.Post("/auth/login", a.login)
	api.Post("/auth/logout", httpx.RequireUser, a.logout)
	api.Get("/me", httpx.RequireUser, a.me)
	api.Get("/me/export", httpx.RequireUser, a.export)
	api.Delete("/me", httpx.RequireUser, a.erase)
	// Moderators list users too (to pick speakers), without their emails.
	api.Get("/users", httpx.RequireModerator, a.listUsers)
	api.Patch("/users/:id", httpx.RequireAdmin, a.patchUser)
}

type signupRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

type authResponse struct {
	User  User   `json:"user"`
	Token string `json:"token"`
}

const (
	minPasswordLen = 10
	maxPasswordLen = 1024 // bytes; longer is a denial-of-service vector, not a password
)

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && len(s) <= 254
}

// ValidPassword checks the only rules we have: length, counted in characters.
func ValidPassword(v *domain.Checker, pw string) {
	n := utf8.RuneCountInString(pw)
	v.Check(n >= minPasswordLen, "password", fmt.Sprintf("must be at least %d characters", minPasswordLen))
	v.Check(len(pw) <= maxPasswordLen, "password", fmt.Sprintf("must be at most %d bytes", maxPasswordLen))
	v.Check(utf8.ValidString(pw), "password", "must be valid UTF-8")
}

// ValidDisplayName checks a name shown next to questions and posts.
func ValidDisplayName(v *domain.Checker, name string) {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	v.Check(n >= 1 && n <= 80, "display_name", "must be 1 to 80 characters")
}

func (a *Accounts) signup(c *fiber.Ctx) error {
	var req signupRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	req.Email = strings.TrimSpace(req.Email)
	var v domain.Checker
	v.Check(ValidEmail(req.Email), "email", "must be an email address")
	ValidPassword(&v, req.Password)
	ValidDisplayName(&v, req.DisplayName)
	if err := v.Err(); err != nil {
		return err
	}
	if ok, retry := a.limiter.Allow(httpx.Ctx(c), "signup:ip:"+c.IP(), a.cfg.SignupsPerIP, a.cfg.SignupWindow); !ok {
		return domain.TooMany("too many sign-ups from your address; try again later", retry)
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return err
	}
	u, err := a.store.CreateUser(httpx.Ctx(c), req.Email, strings.TrimSpace(req.DisplayName), hash, domain.RoleParticipant)
	if errors.Is(err, ErrEmailTaken) {
		return ErrEmailTaken
	}
	if err != nil {
		return err
	}
	return a.startSession(c, u, fiber.StatusCreated)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *Accounts) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	var v domain.Checker
	v.Check(req.Email != "", "email", "is required")
	v.Check(req.Password != "", "password", "is required")
	v.Check(len(req.Password) <= maxPasswordLen, "password", "is too long")
	if err := v.Err(); err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if ok, retry := a.limiter.Allow(ctx, "login:ip:"+c.IP(), a.cfg.LoginAttemptsPerIP, a.cfg.LoginWindow); !ok {
		return domain.TooMany("too many sign-in attempts from your address; wait and try again", retry)
	}
	accountKey := "login:account:" + email
	if over, retry := a.limiter.Peek(ctx, accountKey, a.cfg.LoginFailuresPerAccount); over {
		return domain.TooMany("too many failed sign-ins for this account; wait and try again", retry)
	}
	u, err := a.store.userByEmail(ctx, email)
	found := err == nil
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	hash := u.PasswordHash
	if !found || hash == "" {
		hash = dummyHash()
	}
	if !checkPassword(req.Password, hash) || !found {
		a.limiter.Allow(ctx, accountKey, a.cfg.LoginFailuresPerAccount, a.cfg.LoginWindow)
		return ErrInvalidCredentials
	}
	a.limiter.Reset(ctx, accountKey)
	// A new session on every login: a session id planted before login
	// (fixation) is never promoted; the old cookie's session ends.
	if old := httpx.CurrentUser(c); old != nil && old.ViaCookie {
		if err := a.store.deleteSession(ctx, old.SessionID); err != nil {
			return err
		}
	}
	return a.startSession(c, u.User, fiber.StatusOK)
}

func (a *Accounts) startSession(c *fiber.Ctx, u User, status int) error {
	token, _, err := a.store.CreateSession(httpx.Ctx(c), u.ID, a.cfg.SessionTTL)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: CookieName, Value: token, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: a.cfg.SecureCookie, Expires: time.Now().Add(a.cfg.SessionTTL),
	})
	c.Set("X-CSRF-Token", CSRFToken(token))
	return c.Status(status).JSON(authResponse{User: u, Token: token})
}

func (a *Accounts) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: CookieName, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: a.cfg.SecureCookie, Expires: time.Unix(0, 0), MaxAge: -1})
}

func (a *Accounts) logout(c *fiber.Ctx) error {
	u := httpx.CurrentUser(c)
	if err := a.store.deleteSession(httpx.Ctx(c), u.SessionID); err != nil {
		return err
	}
	a.clearCookie(c)
	a.disconnect(u.ID)
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *Accounts) me(c *fiber.Ctx) error {
	cu := httpx.CurrentUser(c)
	u, err := a.store.UserByID(httpx.Ctx(c), cu.ID)
	if err != nil {
		return err
	}
	if cu.ViaCookie {
		c.Set("X-CSRF-Token", CSRFToken(c.Cookies(CookieName)))
	}
	return c.JSON(u)
}

func (a *Accounts) listUsers(c *fiber.Ctx) error {
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	var after int64
	if page.Cursor != "" {
		if err := httpx.DecodeCursor(page.Cursor, &after); err != nil {
			return err
		}
	}
	users, err := a.store.ListUsers(httpx.Ctx(c), strings.TrimSpace(c.Query("q")), after, page.Limit+1)
	if err != nil {
		return err
	}
	if !httpx.CurrentUser(c).IsAdmin() {
		for i := range users {
			users[i].Email = ""
		}
	}
	out := httpx.List[User]{Items: users}
	if len(users) > page.Limit {
		out.Items = users[:page.Limit]
		next := httpx.EncodeCursor(out.Items[page.Limit-1].ID)
		out.NextCursor = &next
	}
	return c.JSON(out)
}

type patchUserRequest struct {
	Role *string `json:"role"`
}

func (a *Accounts) patchUser(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	var req patchUserRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	var v domain.Checker
	v.Check(req.Role != nil, "role", "is required")
	if req.Role != nil {
		v.Check(ValidRole(*req.Role), "role", "must be participant, moderator or admin")
	}
	if err := v.Err(); err != nil {
		return err
	}
	u, err := a.store.SetRole(httpx.Ctx(c), id, *req.Role)
	if err != nil {
		return err
	}
	a.disconnect(id)
	return c.JSON(u)
}

// ValidRole reports a known global role.
func ValidRole(r string) bool {
	return r == domain.RoleParticipant || r == domain.RoleModerator || r == domain.RoleAdmin
}
