package talks

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// CalendarConfig is what calendar files need to know of the deployment.
type CalendarConfig struct {
	BaseURL  string         // public origin: the host names UIDs, links point there
	Timezone *time.Location // the series time zone (X-WR-TIMEZONE; times are UTC)
	// Organizer is the address invitations come from (METHOD:REQUEST/CANCEL
	// need an ORGANIZER); empty in public feeds.
	Organizer string
}

// UID is the stable iCalendar UID of a talk.
func (c CalendarConfig) UID(talkID int64) string {
	host := "hubtalks"
	if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "talk-" + strconv.FormatInt(talkID, 10) + "@" + host
}

// TalkURL is the talk's page in the web app.
func (c CalendarConfig) TalkURL(talkID int64) string {
	return strings.TrimRight(c.BaseURL, "/") + "/talks/" + strconv.FormatInt(talkID, 10)
}

// Calendar renders talks as an RFC 5545 calendar with CRLF line ends.
// method is "" for a feed, or ics.MethodRequest / ics.MethodCancel for an
// invitation. Times are in UTC; the series zone is named in X-WR-TIMEZONE.
// SEQUENCE is the talk's ical_sequence (it grows on reschedule and cancel),
// and a cancelled talk has STATUS:CANCELLED.
func (c CalendarConfig) Calendar(ts []Talk, method ics.Method) string {
	cal := ics.NewCalendar()
	cal.SetProductId("-//Hub Talks//hubtalks//EN")
	cal.SetXWRCalName("Hub Talks")
	if c.Timezone != nil {
		cal.SetXWRTimezone(c.Timezone.String())
	}
	if method != "" {
		cal.SetMethod(method)
	} else {
		cal.SetMethod(ics.MethodPublish)
	}
	now := time.Now().UTC()
	for _, t := range ts {
		ev := cal.AddEvent(c.UID(t.ID))
		ev.SetDtStampTime(now)
		ev.SetCreatedTime(t.CreatedAt)
		ev.SetModifiedAt(t.UpdatedAt)
		ev.SetSequence(t.ICalSequence)
		ev.SetStartAt(t.StartsAt)
		ev.SetEndAt(t.EndsAt)
		ev.SetSummary(calendarText(t.Title))
		desc := calendarText(t.Abstract)
		if len(t.Speakers) > 0 {
			names := make([]string, len(t.Speakers))
			for i, s := range t.Speakers {
				names[i] = calendarText(s.DisplayName)
			}
			desc = strings.TrimSpace(fmt.Sprintf("Speakers: %s\n\n%s", strings.Join(names, ", "), desc))
		}
		if desc != "" {
			ev.SetDescription(desc)
		}
		loc := calendarText(t.Location)
		if loc == "" && t.Format == "online" {
			loc = "Online"
		}
		if loc != "" {
			ev.SetLocation(loc)
		}
		ev.SetURL(c.TalkURL(t.ID))
		if c.Organizer != "" {
			ev.SetOrganizer("mailto:"+c.Organizer, ics.WithCN("Hub Talks"))
		}
		for _, tag := range t.Tags {
			ev.AddCategory(calendarText(tag))
		}
		if t.Status == StatusCancelled || method == ics.MethodCancel {
			ev.SetStatus(ics.ObjectStatusCancelled)
		} else {
			ev.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	return cal.Serialize(ics.WithNewLineWindows)
}

// calendarText is user text as a TEXT value may hold it. The library escapes
// "\n" but writes a CR as it is, which would end the content line early and
// let a title or a display name add properties of its own: every line break
// becomes "\n", and other control characters go.
func calendarText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, s)
}
