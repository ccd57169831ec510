package server

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Hub is what the server needs of the realtime hub.
type Hub interface {
	live.Hub
	ServeConn(conn *websocket.Conn, p realtime.Principal)
	Admit(p realtime.Principal) error
	Shutdown(ctx context.Context)
	DisconnectUser(userID int64)
}

// mountLive serves GET /api/v1/live. The Origin check happens here, before
// the upgrade, with a 403: contrib/websocket would accept any origin and
// answer refusals with 426.
func (s *Server) mountLive(api fiber.Router) {
	if s.hub == nil {
		return
	}
	origins := s.origins()
	api.Get("/live", func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return httpx.NewProblem(fiber.StatusUpgradeRequired, "upgrade_required", "this address speaks WebSocket only (see live-protocol.md)")
		}
		if origin := c.Get(fiber.HeaderOrigin); origin != "" && !containsFold(origins, origin) {
			return domain.ForbiddenMsg(domain.Say("problem.origin", map[string]any{"Origin": strconv.Quote(origin)}))
		}
		// Browsers authenticate by cookie (already done); other clients by ?token=.
		if httpx.CurrentUser(c) == nil && c.Query("token") != "" {
			u, err := s.accounts.UserForToken(httpx.Ctx(c), c.Query("token"))
			if err != nil {
				return err
			}
			if u == nil {
				return httpx.Unauthorized("the token is invalid or has expired")
			}
			httpx.SetUser(c, u)
		}
		p := realtime.Principal{Addr: c.IP()}
		if u := httpx.CurrentUser(c); u != nil {
			p.UserID, p.Role = u.ID, u.Role
		}
		if err := s.hub.Admit(p); err != nil {
			c.Set(fiber.HeaderRetryAfter, "30")
			return httpx.NewProblem(fiber.StatusTooManyRequests, "too_many_connections",
				"this account or address already holds the most live connections allowed; close another tab or try again later")
		}
		c.Locals("principal", p)
		return c.Next()
	}, websocket.New(func(conn *websocket.Conn) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("live connection panicked", "panic", r, "stack", string(debug.Stack()))
			}
		}()
		p, _ := conn.Locals("principal").(realtime.Principal)
		s.hub.ServeConn(conn, p)
	}, websocket.Config{
		// Origin was checked above; an empty list would mean "*" to the library.
		Origins: []string{"*"},
		// Client frames are small (subscribe, ping); a 16 KiB frame is still
		// read, in pieces. Every idle connection keeps this buffer.
		ReadBufferSize:  512,
		WriteBufferSize: 1024,
		// Idle connections hold no write buffer: it is taken from the pool
		// for each write (most sockets are idle between events).
		WriteBufferPool: &sync.Pool{},
		RecoverHandler:  func(conn *websocket.Conn) {}, // the handler recovers and logs; never echo a panic to the client
	}))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// AuthorizeChannel decides who may follow a channel: talk:{id} is public
// (for talks that are not drafts); talk:{id}:staff is for staff of that talk.
// A refusal wraps realtime.ErrForbidden; any other error means it could not
// be decided now.
func (s *Server) AuthorizeChannel(ctx context.Context, p realtime.Principal, channel string) error {
	id, staff, ok := realtime.ParseChannel(channel)
	if !ok {
		return fmt.Errorf("unknown channel: %w", realtime.ErrForbidden)
	}
	var u *domain.User
	if p.UserID != 0 {
		u = &domain.User{ID: p.UserID, Role: p.Role}
	}
	status, err := s.talkStatuses.status(ctx, s.db, id, realtime.WantsFresh(ctx))
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("no such talk: %w", realtime.ErrForbidden)
	}
	if err != nil {
		return err
	}
	// The cached status decides the public channel of a published talk, and
	// global staff and anonymous callers, without a query per client; whether
	// a signed-in caller speaks at the talk is read when the answer depends on it.
	a := talks.Access{TalkID: id, TalkStatus: status, User: u}
	if u != nil && !a.Staff() && (staff || !a.Visible()) {
		read, err := talks.AccessFor(ctx, s.db, id, u)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		a.Speaker = read.Speaker
	}
	if staff && !a.Staff() {
		return fmt.Errorf("staff channel: %w", realtime.ErrForbidden)
	}
	if !a.Visible() { // a draft is invisible to all but its staff
		return fmt.Errorf("no such talk: %w", realtime.ErrForbidden)
	}
	return nil
}
