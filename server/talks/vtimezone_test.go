package talks_test

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/talks"
)

// An empty calendar is valid in any series time zone: its VTIMEZONE has
// the zone's observances, with the weekday rules of its changes.
func TestEmptyCalendarTimeZones(t *testing.T) {
	for zone, want := range map[string][]string{
		"UTC":              {"BEGIN:STANDARD", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0000"},
		"Asia/Tokyo":       {"BEGIN:STANDARD", "TZOFFSETTO:+0900"},
		"Asia/Kolkata":     {"TZOFFSETTO:+0530"},
		"Europe/Brussels":  {"DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"},
		"America/New_York": {"DTSTART:19700308T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "DTSTART:19701101T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"},
		"Australia/Sydney": {"BEGIN:DAYLIGHT", "TZOFFSETTO:+1100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU", "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU"},
	} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		body := talks.CalendarConfig{BaseURL: "https://talks.example.org", Timezone: loc}.Feed("en", "Hub Talks", nil)
		cal := testkit.CheckCalendar(t, zone, []byte(body))
		if tzs := cal.Timezones(); len(tzs) != 1 || tzs[0].GetProperty(ics.ComponentPropertyTzid).Value != zone {
			t.Errorf("%s: time zones %d\n%s", zone, len(tzs), body)
		}
		for _, w := range want {
			if !strings.Contains(body, w+"\r\n") {
				t.Errorf("%s: no %q in\n%s", zone, w, body)
			}
		}
	}
}
