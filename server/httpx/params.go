package httpx

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
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

// Page is a list request: limit and an opaque cursor.
type Page struct {
	Limit  int
	Cursor string
}

// ParsePage reads ?limit= (default 50, max 200) and ?cursor=.
func ParsePage(c *fiber.Ctx) (Page, error) {
	p := Page{Limit: 50, Cursor: c.Query("cursor")}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return p, Invalid(domain.FieldError{Field: "limit", Message: "must be an integer from 1 to 200"})
		}
		p.Limit = n
	}
	return p, nil
}

// EncodeCursor makes an opaque cursor of any JSON-able position.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor; a forged one is a 422.
func DecodeCursor(cursor string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return domain.InvalidField("cursor", "is not a cursor this server issued")
	}
	return nil
}

// List is the envelope of every list response.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
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

// Keyset pages: a store reads limit+1 rows after the cursor's position;
// PageOf keeps limit of them and makes the next cursor from the last one
// kept (nil on the last page). Every list of the API pages this way.

// PageOf trims rows read with LIMIT limit+1 to one page of items (rendered
// by item) and the cursor of the next page, made by position from the last
// row kept.
func PageOf[R, T any](rows []R, limit int, item func(R) T, position func(R) any) List[T] {
	out := List[T]{Items: make([]T, 0, min(len(rows), limit))}
	if len(rows) > limit {
		next := EncodeCursor(position(rows[limit-1]))
		out.NextCursor = &next
		rows = rows[:limit]
	}
	for _, r := range rows {
		out.Items = append(out.Items, item(r))
	}
	return out
}

// PageByID is one page of rows kept in id order: read gets the id of the
// previous page's last row (0 on the first page) and how many rows to read
// (limit+1), and returns them with their ids.
func PageByID[R, T any](page Page, read func(from int64, limit int) ([]R, error), item func(R) T, id func(R) int64) (List[T], error) {
	var from int64
	if page.Cursor != "" {
		if err := DecodeCursor(page.Cursor, &from); err != nil {
			return List[T]{}, err
		}
	}
	rows, err := read(from, page.Limit+1)
	if err != nil {
		return List[T]{}, err
	}
	return PageOf(rows, page.Limit, item, func(r R) any { return id(r) }), nil
}
