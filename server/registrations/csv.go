package registrations

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// utf8BOM starts the file: without it Excel on Windows reads the file in
// the system's code page, and "Zoë" comes out as "ZoÃ«".
const utf8BOM = "\ufeff"

// writeCSV answers the registrants as a CSV file (emails in a column of
// their own when withEmail): RFC 4180 (CRLF line ends), UTF-8 with a BOM,
// formulas guarded (cell).
func writeCSV(c *fiber.Ctx, talkID int64, rs []Registrant, withEmail bool) error {
	var b strings.Builder
	b.WriteString(utf8BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	head := []string{"user_id", "display_name", "email", "status", "waitlist_position", "registered_at", "confirmed_at"}
	if !withEmail {
		head = append(head[:2], head[3:]...)
	}
	_ = w.Write(head)
	for _, r := range rs {
		pos, confirmed := "", ""
		if r.WaitlistPosition != nil {
			pos = strconv.Itoa(*r.WaitlistPosition)
		}
		if r.ConfirmedAt != nil {
			confirmed = r.ConfirmedAt.UTC().Format(time.RFC3339)
		}
		row := []string{strconv.FormatInt(r.UserID, 10), cell(r.DisplayName)}
		if withEmail {
			email := ""
			if r.Email != nil {
				email = cell(*r.Email)
			}
			row = append(row, email)
		}
		row = append(row, r.Status, pos, r.CreatedAt.UTC().Format(time.RFC3339), confirmed)
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="talk-%d-registrations.csv"`, talkID))
	return c.SendString(b.String())
}

// cell keeps a spreadsheet from reading user text as a formula.
func cell(s string) string { return httpx.Cell(s) }
