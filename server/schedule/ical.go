package schedule

import (
	"fmt"
	"strings"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/server/talks"
)

// TalkUID is a talk's iCalendar UID, "talk-{id}@{host of BASE_URL}": the same
// in every feed and invitation, so calendars update one event in place.
func (cfg Config) TalkUID(id int64) string { return fmt.Sprintf("talk-%d@%s", id, cfg.host()) }

// speakerCalendar is the calendar (RFC 5545, METHOD:PUBLISH) of the talks
// ts of the speaker called name. Cancelled talks stay, as STATUS:CANCELLED,
// so subscribed calendars drop them; SEQUENCE follows talks.ical_sequence.
func (cfg Config) speakerCalendar(name string, ts []talks.Talk) string {
	cal := ics.NewCalendarFor("Hub Talks")
	cal.SetProductId("-//Hub Talks//" + cfg.Title + "//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(fmt.Sprintf("%s – %s", cfg.Title, stripControl(name)))
	cal.SetXWRTimezone(cfg.TimeZone.String())
	cal.SetRefreshInterval("PT1H")
	for _, t := range ts {
		ev := cal.AddEvent(cfg.TalkUID(t.ID))
		ev.SetDtStampTime(t.UpdatedAt.UTC())
		ev.SetModifiedAt(t.UpdatedAt.UTC())
		ev.SetSequence(t.ICalSequence)
		ev.SetStartAt(t.StartsAt.UTC())
		ev.SetEndAt(t.EndsAt.UTC())
		ev.SetSummary(stripControl(t.Title))
		ev.SetLocation(room(t))
		ev.SetURL(cfg.talkURL(t.ID))
		desc := strings.TrimSpace(stripControl(t.Abstract))
		if desc != "" {
			desc += "\n\n"
		}
		desc += cfg.talkURL(t.ID)
		if t.Recording != nil {
			desc += "\nRecording: " + t.Recording.URL
		}
		ev.SetDescription(desc)
		if t.Status == talks.StatusCancelled {
			ev.SetStatus(ics.ObjectStatusCancelled)
		} else {
			ev.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	return cal.Serialize(ics.WithNewLineWindows) // RFC 5545 lines end in CRLF
}
