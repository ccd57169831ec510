package httpx

import (
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// SendCSV answers rows (the first is the header) as a CSV attachment
// named filename. Every cell that a spreadsheet would read as a formula
// is escaped (CSVCell).
func SendCSV(c *fiber.Ctx, filename string, rows [][]string) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, row := range rows {
		for i := range row {
			row[i] = CSVCell(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	return c.SendString(b.String())
}

// CSVCell keeps a spreadsheet from reading user text as a formula.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
