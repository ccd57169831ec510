package schedule

import (
	"fmt"

	"github.com/hubtalks/hubtalks/server/talks"
)

// calendar is how the talks domain writes calendars, for this deployment.
func (cfg Config) calendar() talks.CalendarConfig {
	return talks.CalendarConfig{BaseURL: cfg.BaseURL, Timezone: cfg.TimeZone, Organizer: cfg.Organizer}
}

// speakerCalendar is the calendar (RFC 5545, METHOD:PUBLISH) of the talks
// ts of the speaker called name, as the series feed writes them: cancelled
// talks stay, as STATUS:CANCELLED, so subscribed calendars drop them. Its
// texts are in lang.
func (cfg Config) speakerCalendar(lang, name string, ts []talks.Talk) string {
	return cfg.calendar().Feed(lang, fmt.Sprintf("%s – %s", cfg.Title, name), ts)
}
