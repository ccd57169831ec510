package accounts

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
)

type exportedUser struct {
	User
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

type exportedSession struct {
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
	ExpiresAt  time.Time `json:"expires_at" db:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at" db:"last_used_at"`
}

type export struct {
	ExportedAt time.Time         `json:"exported_at"`
	User       exportedUser      `json:"user"`
	Sessions   []exportedSession `json:"sessions"`
	Data       map[string]any    `json:"data"`
}

// export answers everything stored about the caller, as JSON.
func (a *Accounts) export(c *fiber.Ctx) error {
	ctx := httpx.Ctx(c)
	uid := httpx.CurrentUser(c).ID
	out := export{ExportedAt: time.Now().UTC(), Sessions: []exportedSession{}, Data: map[string]any{}}
	if err := a.db.GetContext(ctx, &out.User, selectUserExport, uid); err != nil {
		return fmt.Errorf("export user %d: %w", uid, err)
	}
	if err := a.db.SelectContext(ctx, &out.Sessions, selectSessionsExport, uid); err != nil {
		return fmt.Errorf("export sessions of user %d: %w", uid, err)
	}
	for key, exp := range a.exporters {
		v, err := exp(ctx, a.db, uid)
		if err != nil {
			return fmt.Errorf("export %s of user %d: %w", key, uid, err)
		}
		out.Data[key] = v
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="hubtalks-export.json"`)
	return c.JSON(out)
}

// erase anonymises the account in one transaction with every domain's part:
// questions and posts stay, under ErasedName, and the live event log names
// the person that way too (a replay shows what HTTP shows).
func (a *Accounts) erase(c *fiber.Ctx) error {
	ctx := httpx.Ctx(c)
	uid := httpx.CurrentUser(c).ID
	err := a.rec.InTx(ctx, func(tx *live.Tx) error {
		for _, e := range a.erasers {
			if err := e(ctx, tx, uid); err != nil {
				return fmt.Errorf("erase user %d: %w", uid, err)
			}
		}
		if _, err := tx.ExecContext(ctx, deleteUserSessions, uid); err != nil {
			return fmt.Errorf("erase sessions of user %d: %w", uid, err)
		}
		if _, err := tx.ExecContext(ctx, eraseUser, uid, ErasedName); err != nil {
			return fmt.Errorf("erase user %d: %w", uid, err)
		}
		return tx.RenamePerson(uid, ErasedName)
	})
	if err != nil {
		return err
	}
	a.store.sessions.evict(0, uid)
	a.clearCookie(c)
	a.disconnect(uid)
	return c.SendStatus(fiber.StatusNoContent)
}

// ErasedName is the display name of an erased account, wherever it appears.
const ErasedName = "Former participant"
