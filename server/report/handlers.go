package report

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// Handlers serve the report.
type Handlers struct{ svc *Service }

// NewHandlers serves svc.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts GET /talks/:id/report (JSON) and /talks/:id/report.csv.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/talks/:id/report.csv", httpx.RequireUser, httpx.CSV("talk-%d-report.csv", h.csv))
	api.Get("/talks/:id/report", httpx.RequireUser, httpx.WithID(h.svc.Get))
}

// csv is the report as metric,value rows.
func (h *Handlers) csv(ctx context.Context, u *domain.User, id int64) ([][]string, error) {
	r, err := h.svc.Get(ctx, u, id)
	return r.rows(), err
}
