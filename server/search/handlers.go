package search

import (
	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// Handlers serve GET /search.
type Handlers struct{ svc *Service }

// New builds the search's routes on db.
func New(db *sqlx.DB) *Handlers { return &Handlers{svc: NewService(db)} }

// Routes mounts GET /search on the /api/v1 group.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/search", httpx.Query(query, h.svc.Search))
}

// query reads ?q=, ?type= and the page.
func query(c *fiber.Ctx) (Query, error) {
	page, err := httpx.ParsePage(c)
	return Query{Q: c.Query("q"), Type: c.Query("type"), Page: page}, err
}
