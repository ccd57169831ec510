package httpx

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
)

// ID parses the integer route parameter name, answering 404 for anything
// that is not a positive id (a malformed id names no resource).
func ID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.NotFoundMsg(domain.Say("problem.no_such_param", map[string]any{"Param": name}))
	}
	return id, nil
}

// ParsePage reads ?limit= (default 50, max 200) and ?cursor=.
func ParsePage(c *fiber.Ctx) (keyset.Page, error) {
	p := keyset.Page{Limit: 50, Cursor: c.Query("cursor")}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return p, Invalid(domain.FieldError{Field: "limit", Message: "must be an integer from 1 to 200"})
		}
		p.Limit = n
	}
	return p, nil
}

// DBTimeout bounds every database call made for one request: fasthttp does
// not cancel a handler's context when the client goes away.
const DBTimeout = 5 * time.Second

// Ctx is the request's context with its database deadline.
func Ctx(c *fiber.Ctx) context.Context { return c.UserContext() }

// WithDeadline is the middleware that gives every request its deadline.
func WithDeadline(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}
