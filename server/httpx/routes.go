package httpx

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
)

// The route shapes the domains share: each binds the route's :id (and its
// JSON body or page), calls one service method with the caller, and renders
// what it returns. A handler with more to bind is written out.

// Call is a service method on item id for the caller u.
type Call[T any] func(ctx context.Context, u *domain.User, id int64) (T, error)

// BindID reads the route's id and its JSON body; an optional body may be
// empty (the zero B).
func BindID[B any](c *fiber.Ctx, optional bool) (id int64, body B, err error) {
	if id, err = ID(c, "id"); err != nil || (optional && len(c.Body()) == 0) {
		return id, body, err
	}
	return id, body, Decode(c, &body)
}

// WithID is a route that calls call on item :id and answers its result.
func WithID[T any](call Call[T]) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := ID(c, "id")
		if err != nil {
			return err
		}
		out, err := call(Ctx(c), CurrentUser(c), id)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// Delete is a route that removes item :id: 204.
func Delete(remove func(ctx context.Context, u *domain.User, id int64) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := ID(c, "id")
		if err != nil {
			return err
		}
		if err := remove(Ctx(c), CurrentUser(c), id); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// Change is a route that changes or adds to item :id with a body of type B
// (a typed change), answering status with call's result.
func Change[B, T any](status int, call func(ctx context.Context, u *domain.User, id int64, change B) (T, error)) fiber.Handler {
	return Bind(status, Body[B], call)
}

// Bind is a route that reads item :id and an argument A of the request
// (parse), then answers status with call's result.
func Bind[A, T any](status int, parse func(c *fiber.Ctx) (A, error), call func(ctx context.Context, u *domain.User, id int64, arg A) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := ID(c, "id")
		if err != nil {
			return err
		}
		arg, err := parse(c)
		if err != nil {
			return err
		}
		out, err := call(Ctx(c), CurrentUser(c), id, arg)
		if err != nil {
			return err
		}
		return c.Status(status).JSON(out)
	}
}

// Body reads the request's JSON body as a B.
func Body[B any](c *fiber.Ctx) (B, error) {
	var b B
	return b, Decode(c, &b)
}

// Query is a route that reads an argument A of the request (parse: its
// query string, say) and answers call's result.
func Query[A, T any](parse func(c *fiber.Ctx) (A, error), call func(ctx context.Context, u *domain.User, arg A) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		arg, err := parse(c)
		if err != nil {
			return err
		}
		out, err := call(Ctx(c), CurrentUser(c), arg)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// Create is a route that creates an item from a body of type B: 201.
func Create[B, T any](call func(ctx context.Context, u *domain.User, b B) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body B
		if err := Decode(c, &body); err != nil {
			return err
		}
		out, err := call(Ctx(c), CurrentUser(c), body)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

// Paged is a route that lists one page (?limit=, ?cursor=) of what item
// :id holds.
func Paged[T any](call func(ctx context.Context, u *domain.User, id int64, page Page) (T, error)) fiber.Handler {
	return Bind(fiber.StatusOK, ParsePage, call)
}
