package httpx

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
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

// route is the one shape under every route here: bind the request, call
// the service with the caller, render what it returns.
func route[A, T any](bind func(c *fiber.Ctx) (A, error), call func(ctx context.Context, u *domain.User, arg A) (T, error),
	render func(c *fiber.Ctx, arg A, out T) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		arg, err := bind(c)
		if err != nil {
			return err
		}
		out, err := call(Ctx(c), CurrentUser(c), arg)
		if err != nil {
			return err
		}
		return render(c, arg, out)
	}
}

// idParam binds the route's :id.
func idParam(c *fiber.Ctx) (int64, error) { return ID(c, "id") }

// answer renders out as JSON with status code.
func answer[A, T any](code int) func(c *fiber.Ctx, _ A, out T) error {
	return func(c *fiber.Ctx, _ A, out T) error { return c.Status(code).JSON(out) }
}

// WithID is a route that calls call on item :id and answers its result.
func WithID[T any](call Call[T]) fiber.Handler {
	return route(idParam, call, answer[int64, T](fiber.StatusOK))
}

// Delete is a route that removes item :id: 204.
func Delete(remove func(ctx context.Context, u *domain.User, id int64) error) fiber.Handler {
	call := func(ctx context.Context, u *domain.User, id int64) (struct{}, error) {
		return struct{}{}, remove(ctx, u, id)
	}
	return route(idParam, call, func(c *fiber.Ctx, _ int64, _ struct{}) error { return c.SendStatus(fiber.StatusNoContent) })
}

// Change is a route that changes or adds to item :id with a body of type B
// (a typed change), answering status with call's result.
func Change[B, T any](status int, call func(ctx context.Context, u *domain.User, id int64, change B) (T, error)) fiber.Handler {
	return Bind(status, Body[B], call)
}

// withArg is a route's item id and the argument read from its request.
type withArg[A any] struct {
	id  int64
	arg A
}

// Bind is a route that reads item :id and an argument A of the request
// (parse), then answers code with call's result.
func Bind[A, T any](code int, parse func(c *fiber.Ctx) (A, error), call func(ctx context.Context, u *domain.User, id int64, arg A) (T, error)) fiber.Handler {
	bind := func(c *fiber.Ctx) (w withArg[A], err error) {
		if w.id, err = idParam(c); err != nil {
			return w, err
		}
		w.arg, err = parse(c)
		return w, err
	}
	each := func(ctx context.Context, u *domain.User, w withArg[A]) (T, error) { return call(ctx, u, w.id, w.arg) }
	return route(bind, each, answer[withArg[A], T](code))
}

// Body reads the request's JSON body as a B.
func Body[B any](c *fiber.Ctx) (B, error) {
	var b B
	return b, Decode(c, &b)
}

// Query is a route that reads an argument A of the request (parse: its
// query string, say) and answers call's result.
func Query[A, T any](parse func(c *fiber.Ctx) (A, error), call func(ctx context.Context, u *domain.User, arg A) (T, error)) fiber.Handler {
	return route(parse, call, answer[A, T](fiber.StatusOK))
}

// Create is a route that creates an item from a body of type B: 201.
func Create[B, T any](call func(ctx context.Context, u *domain.User, b B) (T, error)) fiber.Handler {
	return route(Body[B], call, answer[B, T](fiber.StatusCreated))
}

// Paged is a route that lists one page (?limit=, ?cursor=) of what item
// :id holds.
func Paged[T any](call func(ctx context.Context, u *domain.User, id int64, page keyset.Page) (T, error)) fiber.Handler {
	return Bind(fiber.StatusOK, ParsePage, call)
}
