package moderation

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
)

// The handler shapes the routes of qa, threads and moderation share: each
// binds the route's :id (and its JSON body or page), calls one service
// method with the caller, and renders what it returns.

// bind reads the route's id and its JSON body; an optional body may be
// empty (the zero B).
func bind[B any](c *fiber.Ctx, optional bool) (id int64, body B, err error) {
	if id, err = httpx.ID(c, "id"); err != nil || (optional && len(c.Body()) == 0) {
		return id, body, err
	}
	return id, body, httpx.Decode(c, &body)
}

// Change is a route that changes or adds to item :id with a body of type B
// (a typed change), answering status with call's result.
func Change[B, T any](status int, call func(ctx context.Context, u *domain.User, id int64, change B) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, body, err := bind[B](c, false)
		if err != nil {
			return err
		}
		out, err := call(httpx.Ctx(c), httpx.CurrentUser(c), id, body)
		if err != nil {
			return err
		}
		return c.Status(status).JSON(out)
	}
}

// Paged is a route that lists one page (?limit=, ?cursor=) of what item
// :id holds.
func Paged[T any](call func(ctx context.Context, u *domain.User, id int64, page httpx.Page) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpx.ID(c, "id")
		if err != nil {
			return err
		}
		page, err := httpx.ParsePage(c)
		if err != nil {
			return err
		}
		out, err := call(httpx.Ctx(c), httpx.CurrentUser(c), id, page)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// IdempotentCreate is a route that adds to item :id with a body of type B
// in the Txn of the request: with an Idempotency-Key, a retry replays the
// first response (201) and adds nothing twice.
func IdempotentCreate[B, T any](rec *live.Recorder, call func(ctx context.Context, u *domain.User, id int64, change B, txn Txn[T]) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, body, err := bind[B](c, false)
		if err != nil {
			return err
		}
		_, err = call(httpx.Ctx(c), httpx.CurrentUser(c), id, body, idempotent[T](c, rec, fiber.StatusCreated))
		return err
	}
}

// idempotent is the Txn of a request: it runs fn under the request's
// Idempotency-Key and answers status with the value. A replay does not call
// fn and returns a zero value; the response is written either way.
func idempotent[T any](c *fiber.Ctx, rec *live.Recorder, status int) Txn[T] {
	return func(fn func(tx *live.Tx) (T, error)) (T, error) {
		var out T
		err := idempotency.Run(c, rec, func(tx *live.Tx) (idempotency.Result, error) {
			var err error
			out, err = fn(tx)
			return idempotency.Result{Status: status, Body: out}, err
		})
		return out, err
	}
}

// FlagRoute is POST …/{id}/flags of a content domain: flag files the
// caller's report (its body, a reason, is optional) on the item once the
// caller is known to see it; 201 with a new flag, 200 with the caller's
// existing one.
func FlagRoute(flag func(ctx context.Context, u *domain.User, id int64, r Report) (Flag, bool, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, r, err := bind[Report](c, true)
		if err != nil {
			return err
		}
		f, created, err := flag(httpx.Ctx(c), httpx.CurrentUser(c), id, r)
		if err != nil {
			return err
		}
		if created {
			return c.Status(fiber.StatusCreated).JSON(f)
		}
		return c.JSON(f)
	}
}
