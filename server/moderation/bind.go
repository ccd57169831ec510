package moderation

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// The route shapes of qa, threads and moderation that need more than
// httpx's: a create under an Idempotency-Key, and a flag.

// FlagRoute is POST …/{id}/flags of a content domain: flag files the
// caller's report (its body, a reason, is optional) on the item once the
// caller is known to see it; 201 with a new flag, 200 with the caller's
// existing one.
func FlagRoute(flag func(ctx context.Context, u *domain.User, id int64, r Report) (Flag, bool, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, r, err := httpx.BindID[Report](c, true)
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
