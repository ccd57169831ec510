package httpx

import (
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// CSV is a route that answers call's rows for item :id as the attachment
// named by filename (a format with the id's %d), through SendCSV.
func CSV(filename string, call Call[[][]string]) fiber.Handler {
	return route(idParam, call, func(c *fiber.Ctx, id int64, rows [][]string) error {
		return SendCSV(c, fmt.Sprintf(filename, id), rows)
	})
}

// SendCSV answers rows (the first is the header) as a CSV attachment named
// filename: UTF-8 with a byte order mark (without it Excel on Windows reads
// the file in the system's code page, and "Zoë" comes out as "ZoÃ«"), CRLF
// line ends (RFC 4180), and every cell guarded against formulas (Cell).
func SendCSV(c *fiber.Ctx, filename string, rows [][]string) error {
	var b strings.Builder
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	for _, row := range rows {
		for i := range row {
			row[i] = cell(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, filename))
	return c.SendString(b.String())
}

// cell keeps a spreadsheet from reading user text as a formula: text that
// starts with = + - @ or a tab or carriage return gets a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
