package moderation

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Mount adds the flag queue and the moderation log to the API, and the
// domain's part of account export and erasure.
func (m *Moderation) Mount(api fiber.Router, acc *accounts.Accounts) {
	api.Get("/moderation/flags", httpx.RequireModerator, m.listFlags)
	api.Patch("/moderation/flags/:id", httpx.RequireModerator, m.patchFlag)
	api.Get("/talks/:id/moderation-log", httpx.RequireUser, m.listLog)
	if acc != nil {
		// Flags stay in the queue, but no longer say who raised them.
		acc.OnErase(func(ctx context.Context, tx *live.Tx, userID int64) error {
			if _, err := tx.ExecContext(ctx, clearReporter, userID); err != nil {
				return fmt.Errorf("clear flag reporter %d: %w", userID, err)
			}
			return nil
		})
		acc.OnExport("flags", func(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
			out := []exportedFlag{}
			if err := db.SelectContext(ctx, &out, selectMyFlags, userID); err != nil {
				return nil, fmt.Errorf("export flags: %w", err)
			}
			return out, nil
		})
	}
}

type flagRequest struct {
	Reason *string `json:"reason"`
}

// FlagHandler answers POST …/flags for a target the caller has been shown
// to see (the qa and threads handlers check that): 201 with a new flag, 200
// with the caller's existing one.
func (m *Moderation) FlagHandler(c *fiber.Ctx, talkID int64, target Target) error {
	u := httpx.CurrentUser(c)
	var req flagRequest
	if len(c.Body()) > 0 {
		if err := httpx.Decode(c, &req); err != nil {
			return err
		}
	}
	var v domain.Checker
	reason := Reason(&v, req.Reason)
	if err := v.Err(); err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	if err := m.Allow(ctx, "flag", u.ID, m.Cfg.FlagRate); err != nil {
		return err
	}
	f, created, err := m.createFlag(ctx, talkID, target, u.ID, reason)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(f)
}

type flagCursor struct {
	After int64 `json:"a"`
}

func (m *Moderation) listFlags(c *fiber.Ctx) error {
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	status := c.Query("status", "open")
	if status != "open" && status != "resolved" && status != "dismissed" {
		return domain.InvalidField("status", "must be open, resolved or dismissed")
	}
	var cur flagCursor
	if page.Cursor != "" {
		if err := httpx.DecodeCursor(page.Cursor, &cur); err != nil {
			return err
		}
	}
	items, err := m.flagPage(httpx.Ctx(c), status, cur.After, page.Limit+1)
	if err != nil {
		return err
	}
	out := httpx.List[Flag]{Items: items}
	if len(items) > page.Limit {
		out.Items = items[:page.Limit]
		next := httpx.EncodeCursor(flagCursor{After: out.Items[page.Limit-1].ID})
		out.NextCursor = &next
	}
	return c.JSON(out)
}

type patchFlagRequest struct {
	Status *string `json:"status"`
	Reason *string `json:"reason"`
}

func (m *Moderation) patchFlag(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	var req patchFlagRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	var v domain.Checker
	v.Check(req.Status != nil && (*req.Status == "resolved" || *req.Status == "dismissed"), "status", "must be resolved or dismissed")
	reason := Reason(&v, req.Reason)
	if err := v.Err(); err != nil {
		return err
	}
	f, err := m.setFlagStatus(httpx.Ctx(c), id, *req.Status, httpx.CurrentUser(c).ID, reason)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

type logCursor struct {
	Before int64 `json:"b"`
}

// listLog shows a talk's moderation log to the staff of that talk.
func (m *Moderation) listLog(c *fiber.Ctx) error {
	talkID, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	u := httpx.CurrentUser(c)
	_, staff, err := m.TalkFor(ctx, talkID, u)
	if err != nil {
		return err
	}
	if !staff {
		return domain.Forbidden("only staff of this talk read its moderation log")
	}
	page, err := httpx.ParsePage(c)
	if err != nil {
		return err
	}
	var cur logCursor
	if page.Cursor != "" {
		if err := httpx.DecodeCursor(page.Cursor, &cur); err != nil {
			return err
		}
	}
	items, err := m.logPage(ctx, talkID, cur.Before, page.Limit+1)
	if err != nil {
		return err
	}
	out := httpx.List[LogEntry]{Items: items}
	if len(items) > page.Limit {
		out.Items = items[:page.Limit]
		next := httpx.EncodeCursor(logCursor{Before: out.Items[page.Limit-1].ID})
		out.NextCursor = &next
	}
	return c.JSON(out)
}

// TalkFor loads a talk for viewer u and says whether u is its staff. Drafts
// are not found for anyone but staff.
func (m *Moderation) TalkFor(ctx context.Context, talkID int64, u *domain.User) (talks.Talk, bool, error) {
	t, err := talks.Load(ctx, m.DB, talkID)
	if err != nil {
		return talks.Talk{}, false, err
	}
	staff, err := talks.IsStaff(ctx, m.DB, talkID, u)
	if err != nil {
		return talks.Talk{}, false, err
	}
	if t.Status == talks.StatusDraft && !staff {
		return talks.Talk{}, false, fmt.Errorf("talk %d: %w", talkID, domain.ErrNotFound)
	}
	return t, staff, nil
}
