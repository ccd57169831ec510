package playlists

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
)

// Handlers is the HTTP side of playlists and recordings.
type Handlers struct {
	svc  *Service
	sync *Syncer
}

// NewHandlers builds the playlists' handlers on their rules and sync.
func NewHandlers(svc *Service, sync *Syncer) *Handlers { return &Handlers{svc: svc, sync: sync} }

// New builds the rules and their handlers with the sync of cfg; rec records
// the talk.updated events of links, reg gets the sync's metric.
func New(db *sqlx.DB, rec *live.Recorder, cfg SyncConfig, log *slog.Logger, reg prometheus.Registerer) (*Handlers, error) {
	svc := NewService(db, rec)
	sync, err := NewSyncer(svc, cfg, log, reg)
	if err != nil {
		return nil, err
	}
	return NewHandlers(svc, sync), nil
}

// Syncer is the playlists' sync (the server runs it periodically).
func (h *Handlers) Syncer() *Syncer { return h.sync }

// Routes mounts the playlist endpoints on the /api/v1 group: reading is
// public, every change is for moderators and admins.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/playlists", httpx.Query(httpx.ParsePage, h.svc.List))
	api.Get("/playlists/:id", httpx.WithID(h.svc.Get))
	api.Post("/playlists", httpx.RequireModerator, httpx.Create(h.svc.Create))
	api.Patch("/playlists/:id", httpx.RequireModerator, change[PlaylistPatch, playlistPatchRequest](fiber.StatusOK, h.svc.Patch))
	api.Delete("/playlists/:id", httpx.RequireModerator, httpx.Delete(h.svc.Delete))
	api.Post("/playlists/:id/items", httpx.RequireModerator, change[NewItem, itemCreateRequest](fiber.StatusCreated, h.svc.AddItem))
	api.Patch("/playlists/:id/items/:item_id", httpx.RequireModerator, h.patchItem)
	api.Delete("/playlists/:id/items/:item_id", httpx.RequireModerator, h.deleteItem)
	api.Post("/playlists/:id/import", httpx.RequireModerator, httpx.Bind(fiber.StatusOK, feedBody, h.svc.Import))
	api.Post("/playlists/:id/sync", httpx.RequireModerator, httpx.WithID(h.sync.Sync))
	api.Get("/recordings", func(c *fiber.Ctx) error { return answer(c, h.svc.Recordings) })
	api.Get("/recordings/matches", httpx.RequireModerator, func(c *fiber.Ctx) error { return answer(c, h.svc.Matches) })
}

// answer renders call's result for the caller.
func answer[T any](c *fiber.Ctx, call func(context.Context, *domain.User) (T, error)) error {
	out, err := call(httpx.Ctx(c), httpx.CurrentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *Handlers) patchItem(c *fiber.Ctx) error {
	playlistID, itemID, err := itemIDs(c)
	if err != nil {
		return err
	}
	change, err := bind[ItemPatch, itemPatchRequest](c)
	if err != nil {
		return err
	}
	it, err := h.svc.PatchItem(httpx.Ctx(c), httpx.CurrentUser(c), playlistID, itemID, change)
	if err != nil {
		return err
	}
	return c.JSON(it)
}

func (h *Handlers) deleteItem(c *fiber.Ctx) error {
	playlistID, itemID, err := itemIDs(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteItem(httpx.Ctx(c), httpx.CurrentUser(c), playlistID, itemID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// itemIDs reads the playlist and item ids of an item's address.
func itemIDs(c *fiber.Ctx) (playlistID, itemID int64, err error) {
	if playlistID, err = httpx.ID(c, "id"); err != nil {
		return 0, 0, err
	}
	itemID, err = httpx.ID(c, "item_id")
	return playlistID, itemID, err
}
