package registrations

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// writeCSV answers the registrants as a CSV file (emails in a column of
// their own when withEmail).
func writeCSV(c *fiber.Ctx, talkID int64, rs []Registrant, withEmail bool) error {
	head := []string{"user_id", "display_name", "email", "status", "waitlist_position", "registered_at", "confirmed_at"}
	if !withEmail {
		head = append(head[:2], head[3:]...)
	}
	rows := [][]string{head}
	for _, r := range rs {
		pos, confirmed := "", ""
		if r.WaitlistPosition != nil {
			pos = strconv.Itoa(*r.WaitlistPosition)
		}
		if r.ConfirmedAt != nil {
			confirmed = r.ConfirmedAt.UTC().Format(time.RFC3339)
		}
		row := []string{strconv.FormatInt(r.UserID, 10), r.DisplayName}
		if withEmail {
			email := ""
			if r.Email != nil {
				email = *r.Email
			}
			row = append(row, email)
		}
		row = append(row, r.Status, pos, r.CreatedAt.UTC().Format(time.RFC3339), confirmed)
		rows = append(rows, row)
	}
	return httpx.SendCSV(c, fmt.Sprintf("talk-%d-registrations.csv", talkID), rows)
}
