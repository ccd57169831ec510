package attendance

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/i18n"
)

// Handlers are the attendance endpoints.
type Handlers struct{ svc *Service }

// NewHandlers serves svc.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Routes mounts the attendance and certificate routes.
func (h *Handlers) Routes(api fiber.Router) {
	api.Get("/talks/:id/attendance.csv", httpx.RequireUser, httpx.CSV("talk-%d-attendance.csv", h.csv))
	api.Get("/talks/:id/attendance/me", httpx.RequireUser, httpx.WithID(h.svc.Mine))
	api.Get("/me/certificates/:id.pdf", httpx.RequireUser, h.certificate)
	api.Get("/certificates/:code", h.verify)
}

// csv is a talk's attendance, for its staff.
func (h *Handlers) csv(ctx context.Context, u *domain.User, id int64) ([][]string, error) {
	sheet, err := h.svc.Sheet(ctx, u, id)
	if err != nil {
		return nil, err
	}
	head := []string{"user_id", "display_name", "email", "registered", "minutes_present", "first_seen", "last_seen"}
	if !sheet.WithEmail {
		head = append(head[:2], head[3:]...)
	}
	rows := [][]string{head}
	for _, r := range sheet.Records {
		row := []string{strconv.FormatInt(r.UserID, 10), r.DisplayName}
		if sheet.WithEmail {
			email := ""
			if r.Email != nil {
				email = *r.Email
			}
			row = append(row, email)
		}
		row = append(row, strconv.FormatBool(r.Registered), strconv.Itoa(r.Minutes),
			r.FirstSeen.UTC().Format(time.RFC3339), r.LastSeen.UTC().Format(time.RFC3339))
		rows = append(rows, row)
	}
	return rows, nil
}

// certificate answers the caller's certificate of talk :id as a PDF.
func (h *Handlers) certificate(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	lang := i18n.Request(c)
	pdf, cert, err := h.svc.Issue(httpx.Ctx(c), httpx.CurrentUser(c), lang, id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentLanguage, lang)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="certificate-talk-%d-%s.pdf"`, id, cert.Code))
	return c.Send(pdf)
}

// verify answers a certificate's public verification.
func (h *Handlers) verify(c *fiber.Ctx) error {
	cert, err := h.svc.Verify(httpx.Ctx(c), c.Params("code"))
	if err != nil {
		return err
	}
	return c.JSON(cert)
}
