package talks

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/server/i18n"
)

// CalendarConfig is what calendar files need to know of the deployment.
type CalendarConfig struct {
	BaseURL  string         // public origin: the host names UIDs, links point there
	Timezone *time.Location // the series time zone (X-WR-TIMEZONE and a VTIMEZONE; times are UTC)
	// Organizer is the series' address (SERIES_EMAIL): every event's
	// ORGANIZER, which RFC 5546 requires in PUBLISH, REQUEST and CANCEL.
	// Empty: "hubtalks@" the host of BaseURL, as the mail sender's default.
	Organizer string
}

// Attendee is the one person an emailed calendar (METHOD:REQUEST or
// CANCEL) is for: the registrant.
type Attendee struct {
	Email, Name string
	PartStat    ics.ParticipationStatus // ACCEPTED for a confirmed seat, DECLINED once unregistered
	// Uninvited: a CANCEL that removes this attendee only, the talk itself
	// goes on (RFC 5546 §3.2.5: no STATUS:CANCELLED then).
	Uninvited bool
}

// UID is the stable iCalendar UID of a talk.
func (c CalendarConfig) UID(talkID int64) string {
	return "talk-" + strconv.FormatInt(talkID, 10) + "@" + c.host()
}

func (c CalendarConfig) host() string {
	if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "hubtalks"
}

// OrganizerAddress is the series' address, with its default.
func (c CalendarConfig) OrganizerAddress() string {
	if c.Organizer != "" {
		return c.Organizer
	}
	return "hubtalks@" + c.host()
}

// TalkURL is the talk's page in the web app.
func (c CalendarConfig) TalkURL(talkID int64) string {
	return strings.TrimRight(c.BaseURL, "/") + "/talks/" + strconv.FormatInt(talkID, 10)
}

// Feed renders talks as a published calendar (METHOD:PUBLISH) named name,
// its texts in lang. It depends on the talks and lang alone: DTSTAMP is
// each talk's updated_at, so the same talks give the same bytes (and ETag)
// on every request.
func (c CalendarConfig) Feed(lang, name string, ts []Talk) string {
	cal := c.newCalendar(name, ics.MethodPublish)
	cal.SetRefreshInterval("PT1H")
	for _, t := range ts {
		c.addEvent(lang, cal, t, t.UpdatedAt, nil)
	}
	return serialize(cal)
}

// Invitation renders the calendar emailed to one registrant about talk t:
// METHOD:REQUEST (a seat) or CANCEL (the talk is cancelled, or the
// registrant is no longer registered), with the registrant as ATTENDEE.
// Its DTSTAMP is when it is composed: with SEQUENCE unchanged, the later
// message wins (RFC 5546 §2.1.5).
// Its texts are in lang, the registrant's language.
func (c CalendarConfig) Invitation(lang string, t Talk, method ics.Method, to Attendee, now time.Time) string {
	cal := c.newCalendar("Hub Talks", method)
	c.addEvent(lang, cal, t, now, &invitation{method: method, to: to})
	return serialize(cal)
}

type invitation struct {
	method ics.Method
	to     Attendee
}

func (c CalendarConfig) newCalendar(name string, method ics.Method) *ics.Calendar {
	cal := ics.NewCalendar()
	cal.SetProductId("-//Hub Talks//hubtalks//EN")
	cal.SetMethod(method)
	cal.SetXWRCalName(calendarText(name))
	if c.Timezone != nil {
		cal.SetXWRTimezone(c.Timezone.String())
		cal.AddVTimezone(vtimezone(c.Timezone))
	}
	return cal
}

// serialize writes cal with CRLF line ends, folded at 75 octets. RFC 5545
// §3.6 wants at least one component: a calendar without events still has
// the series' VTIMEZONE, or (series in no zone) UTC's.
func serialize(cal *ics.Calendar) string {
	if len(cal.Components) == 0 {
		cal.AddVTimezone(vtimezone(time.UTC))
	}
	return cal.Serialize(ics.WithNewLineWindows)
}

func (c CalendarConfig) addEvent(lang string, cal *ics.Calendar, t Talk, stamp time.Time, inv *invitation) {
	ev := cal.AddEvent(c.UID(t.ID))
	ev.SetDtStampTime(stamp.UTC())
	ev.SetCreatedTime(t.CreatedAt.UTC())
	ev.SetModifiedAt(t.UpdatedAt.UTC())
	ev.SetSequence(t.ICalSequence)
	ev.SetStartAt(t.StartsAt.UTC())
	ev.SetEndAt(t.EndsAt.UTC())
	ev.SetSummary(calendarText(t.Title))
	ev.SetDescription(c.description(lang, t))
	loc := calendarText(t.Location)
	if loc == "" && t.Format == "online" {
		loc = i18n.T(lang, "calendar.online", nil)
	}
	if loc != "" {
		ev.SetLocation(loc)
	}
	ev.SetURL(c.TalkURL(t.ID))
	ev.SetOrganizer("mailto:"+c.OrganizerAddress(), ics.WithCN("Hub Talks"))
	for _, tag := range t.Tags {
		if tag = calendarText(tag); tag != "" {
			ev.AddCategory(tag)
		}
	}
	cancelled := t.Status == StatusCancelled || (inv != nil && inv.method == ics.MethodCancel && !inv.to.Uninvited)
	switch {
	case cancelled:
		ev.SetStatus(ics.ObjectStatusCancelled)
	case inv != nil && inv.to.Uninvited:
		// RFC 5546 §3.2.5: uninviting one attendee leaves STATUS out.
	default:
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
	if inv != nil {
		ev.AddAttendee("mailto:"+inv.to.Email, ics.WithCN(parameterText(inv.to.Name)), inv.to.PartStat,
			ics.ParticipationRoleReqParticipant, ics.CalendarUserTypeIndividual, ics.WithRSVP(false))
	}
}

// description is the talk's speakers, abstract, page and recording, in lang.
func (c CalendarConfig) description(lang string, t Talk) string {
	var parts []string
	if s := SpeakerLine(lang, t, calendarText); s != "" {
		parts = append(parts, s)
	}
	if a := strings.TrimSpace(calendarText(t.Abstract)); a != "" {
		parts = append(parts, a)
	}
	link := c.TalkURL(t.ID)
	if t.Recording != nil {
		link += "\n" + i18n.T(lang, "calendar.recording", i18n.Data{"URL": t.Recording.URL})
	}
	return strings.Join(append(parts, link), "\n\n")
}

// SpeakerLine is "Speakers: A, B" in lang (the plural form of their
// number), each name through clean; "" for a talk without speakers.
func SpeakerLine(lang string, t Talk, clean func(string) string) string {
	if len(t.Speakers) == 0 {
		return ""
	}
	names := make([]string, len(t.Speakers))
	for i, s := range t.Speakers {
		names[i] = clean(s.DisplayName)
	}
	return i18n.N(lang, "talk.speakers", len(names), i18n.Data{"Names": strings.Join(names, ", ")})
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

// parameterText is user text as a parameter value (CN) may hold it. The
// library writes it unquoted with backslash escapes, which RFC 5545 does not
// have (§3.2: a param-value is a paramtext or a quoted string): a ':' or ';'
// would end the parameter early for a strict reader, a ',' splits it. So
// the characters that need quoting go, and quotes become typographic ones.
func parameterText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '"':
			return '”'
		case '\'':
			return '’'
		case ',', ';', ':', '\\', '\n', '\t':
			return ' '
		}
		return r
	}, calendarText(s))
	return strings.Join(strings.Fields(s), " ")
}

// vtimezone describes loc as a VTIMEZONE (RFC 5545 §3.6.5) by the rules it
// follows this year: one STANDARD, and one DAYLIGHT when it has summer
// time, each recurring yearly on the weekday rule of this year's change
// ("last Sunday of March"). The onsets are given from 1970, so the text
// stays the same from one year to the next while the rules do.
func vtimezone(loc *time.Location) *ics.VTimezone {
	tz := ics.NewTimezone(loc.String())
	year := time.Now().In(loc).Year()
	jan := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	var changes []time.Time
	for at := jan; at.Year() == year && len(changes) < 2; {
		_, end := at.ZoneBounds()
		if end.IsZero() || end.In(loc).Year() != year {
			break
		}
		changes = append(changes, end)
		at = end
	}
	if len(changes) != 2 {
		// No summer time (or an irregular year): one fixed offset.
		name, offset := jan.Zone()
		std := tz.AddStandard()
		std.AddProperty(ics.ComponentPropertyDtStart, "19700101T000000")
		std.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(offset))
		std.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(offset))
		std.AddProperty(ics.ComponentProperty(ics.PropertyTzname), name)
		return tz
	}
	for _, change := range changes {
		before := change.Add(-time.Second)
		_, from := before.Zone()
		name, to := change.Zone()
		onset := change.In(time.FixedZone("", from)) // local time as the clocks read before the change
		rule, first := yearlyRule(onset)
		var obs *ics.ComponentBase
		if isDST(change) {
			d := &ics.Daylight{}
			tz.Components = append(tz.Components, d)
			obs = &d.ComponentBase
		} else {
			obs = &tz.AddStandard().ComponentBase
		}
		obs.AddProperty(ics.ComponentPropertyDtStart, first.Format("20060102T150405"))
		obs.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(from))
		obs.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(to))
		obs.AddProperty(ics.ComponentProperty(ics.PropertyTzname), name)
		obs.AddProperty(ics.ComponentPropertyRrule, rule)
	}
	return tz
}

// isDST: the offset after the change is the larger of the year's two.
func isDST(change time.Time) bool {
	_, after := change.Zone()
	_, before := change.Add(-time.Second).Zone()
	return after > before
}

// yearlyRule is the RRULE of a change on onset's weekday rule (the n-th or
// last weekday of its month), and the rule's first onset in 1970.
func yearlyRule(onset time.Time) (string, time.Time) {
	wd := onset.Weekday()
	days := [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}
	last := onset.AddDate(0, 0, 7).Month() != onset.Month()
	n := (onset.Day()-1)/7 + 1
	nth := strconv.Itoa(n)
	if last {
		nth = "-1"
	}
	rule := fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%s%s", int(onset.Month()), nth, days[wd])
	// The same rule in 1970.
	first := time.Date(1970, onset.Month(), 1, onset.Hour(), onset.Minute(), onset.Second(), 0, time.UTC)
	if last {
		first = first.AddDate(0, 1, -1)
		for first.Weekday() != wd {
			first = first.AddDate(0, 0, -1)
		}
	} else {
		for first.Weekday() != wd {
			first = first.AddDate(0, 0, 1)
		}
		first = first.AddDate(0, 0, 7*(n-1))
	}
	return rule, first
}

// utcOffset is an offset in seconds as RFC 5545's UTC-OFFSET: +HHMM[SS].
func utcOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	s := fmt.Sprintf("%s%02d%02d", sign, seconds/3600, seconds/60%60)
	if seconds%60 != 0 {
		s += fmt.Sprintf("%02d", seconds%60)
	}
	return s
}
