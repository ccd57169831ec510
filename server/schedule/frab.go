package schedule

import (
	"database/sql"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hubtalks/hubtalks/server/talks"
)

// The frab schedule as JSON, following https://c3voc.de/schedule/schema.json
// (the JSON pretalx and frab export). Event and conference objects there
// allow no properties beyond the schema's, so only those are written.

// SchemaURL is the $schema of schedule.json.
const SchemaURL = "https://c3voc.de/schedule/schema.json"

// FrabDoc is schedule.json.
type FrabDoc struct {
	Schema    string        `json:"$schema"`
	Generator frabGenerator `json:"generator"`
	Schedule  frabSchedule  `json:"schedule"`
}

type frabGenerator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URL     string `json:"url"`
}

type frabSchedule struct {
	URL        string         `json:"url"`
	Version    string         `json:"version"`
	BaseURL    string         `json:"base_url"`
	Conference frabConference `json:"conference"`
}

type frabConference struct {
	Acronym          string     `json:"acronym"`
	Title            string     `json:"title"`
	Start            string     `json:"start"`
	End              string     `json:"end"`
	DaysCount        int        `json:"daysCount"`
	TimeslotDuration string     `json:"timeslot_duration"`
	TimeZoneName     string     `json:"time_zone_name"`
	URL              string     `json:"url"`
	Rooms            []frabRoom `json:"rooms"`
	Days             []frabDay  `json:"days"`
}

type frabRoom struct {
	Name        string  `json:"name"`
	GUID        string  `json:"guid"`
	Description *string `json:"description"`
	Capacity    *int    `json:"capacity"`
}

type frabDay struct {
	Index    int                    `json:"index"`
	Date     string                 `json:"date"`
	DayStart string                 `json:"day_start"`
	DayEnd   string                 `json:"day_end"`
	Rooms    map[string][]frabEvent `json:"rooms"`
}

type frabEvent struct {
	GUID             string       `json:"guid"`
	ID               int64        `json:"id"`
	Date             string       `json:"date"`
	Start            string       `json:"start"`
	Duration         string       `json:"duration"`
	Room             string       `json:"room"`
	Slug             string       `json:"slug"`
	URL              string       `json:"url"`
	Title            string       `json:"title"`
	Subtitle         string       `json:"subtitle"`
	Track            *string      `json:"track"`
	Type             string       `json:"type"`
	Language         string       `json:"language"`
	Abstract         string       `json:"abstract"`
	Description      string       `json:"description"`
	RecordingLicense string       `json:"recording_license"`
	DoNotRecord      bool         `json:"do_not_record"`
	Persons          []frabPerson `json:"persons"`
	Links            []frabLink   `json:"links"`
	Attachments      []frabLink   `json:"attachments"`
}

// frabPerson is the pretalx shape (name + guid): the schema's Person is
// oneOf frab {id, public_name} or pretalx {name}, so it must match exactly
// one of them; public_name is kept for older readers.
type frabPerson struct {
	GUID       string `json:"guid"`
	Name       string `json:"name"`
	PublicName string `json:"public_name"`
}

type frabLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Type  string `json:"type,omitempty"`
}

// frab assembles the schedule of the published talks ts, by day (in the
// series' time zone) and room; latest is when it last changed. It also
// returns each talk's speakers (the XML names them by user id).
func (cfg Config) frab(ts []talks.Talk, latest sql.NullTime) (FrabDoc, map[int64][]talks.Speaker) {
	speakers := make(map[int64][]talks.Speaker, len(ts))
	version := "0"
	if latest.Valid {
		version = latest.Time.UTC().Format("2006-01-02T15:04:05Z")
	}
	loc := cfg.TimeZone
	conf := frabConference{
		Acronym: cfg.Acronym, Title: cfg.Title, TimeslotDuration: "00:05", TimeZoneName: loc.String(),
		URL: cfg.BaseURL + "/", Rooms: []frabRoom{}, Days: []frabDay{},
	}
	rooms := map[string]bool{}
	var day *frabDay
	var dayStart, dayEnd time.Time
	closeDay := func() {
		if day != nil {
			day.DayStart, day.DayEnd = dayStart.Format(time.RFC3339), dayEnd.Format(time.RFC3339)
			conf.Days = append(conf.Days, *day)
		}
	}
	for _, t := range ts {
		start, end := t.StartsAt.In(loc), t.EndsAt.In(loc)
		date := start.Format(time.DateOnly)
		if day == nil || day.Date != date {
			closeDay()
			day = &frabDay{Index: len(conf.Days) + 1, Date: date, Rooms: map[string][]frabEvent{}}
			dayStart, dayEnd = start, end
		}
		if start.Before(dayStart) {
			dayStart = start
		}
		if end.After(dayEnd) {
			dayEnd = end
		}
		where := room(t)
		rooms[where] = true
		speakers[t.ID] = t.Speakers
		day.Rooms[where] = append(day.Rooms[where], cfg.event(t, start, end))
	}
	closeDay()
	names := make([]string, 0, len(rooms))
	for r := range rooms {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		conf.Rooms = append(conf.Rooms, frabRoom{Name: r, GUID: cfg.roomGUID(r)})
	}
	conf.DaysCount = len(conf.Days)
	if n := len(conf.Days); n > 0 {
		conf.Start, conf.End = conf.Days[0].Date, conf.Days[n-1].Date
	} else {
		today := time.Now().In(loc).Format(time.DateOnly)
		conf.Start, conf.End = today, today
	}
	return FrabDoc{
		Schema:    SchemaURL,
		Generator: frabGenerator{Name: "hubtalks", Version: "1", URL: cfg.BaseURL + "/"},
		Schedule: frabSchedule{
			URL: cfg.BaseURL + "/api/v1/schedule.json", Version: version, BaseURL: cfg.BaseURL + "/",
			Conference: conf,
		},
	}, speakers
}

func (cfg Config) event(t talks.Talk, start, end time.Time) frabEvent {
	e := frabEvent{
		GUID: cfg.talkGUID(t.ID), ID: t.ID,
		Date: start.Format(time.RFC3339), Start: start.Format("15:04"), Duration: hhmm(end.Sub(start)),
		Room: room(t), Slug: cfg.frabSlug(t), URL: cfg.talkURL(t.ID),
		Title: stripControl(t.Title), Track: track(t), Type: "talk", Language: t.Language,
		Abstract: stripControl(t.Abstract), Persons: []frabPerson{}, Links: []frabLink{},
		Attachments: []frabLink{},
	}
	for _, sp := range t.Speakers {
		name := stripControl(sp.DisplayName)
		e.Persons = append(e.Persons, frabPerson{GUID: cfg.personGUID(sp.ID), Name: name, PublicName: name})
	}
	if t.Recording != nil {
		e.Links = append(e.Links, frabLink{Title: "Recording", URL: t.Recording.URL, Type: "related"})
	}
	return e
}

// hhmm formats a duration as frab does: hours (any number) and minutes.
func hhmm(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// frabSlug is "<acronym>-<id>-<ascii slug>", as pretalx builds it: lower
// case, [a-z0-9-] only (the JSON schema's pattern ^[a-z0-9_-]+[a-z0-9]$).
// The XSD's voc-slug-new wants at least four characters after the
// acronym's dash, so a talk whose slug has no ASCII letter or digit (or a
// one-character one, with a one-digit id) ends in "-talk".
func (cfg Config) frabSlug(t talks.Talk) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(t.Slug) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	rest := strconv.FormatInt(t.ID, 10)
	if tail := strings.TrimRight(b.String(), "-"); tail != "" {
		rest += "-" + tail
	}
	if len(rest) < 4 {
		rest += "-talk"
	}
	return strings.ToLower(cfg.Acronym) + "-" + rest
}

// The frab schedule as XML, as frab's and pretalx's schedule.xml (element
// set of c3voc's schedule.xml.xsd).

type xmlSchedule struct {
	XMLName    xml.Name      `xml:"schedule"`
	Generator  xmlGenerator  `xml:"generator"`
	Version    string        `xml:"version"`
	Conference xmlConference `xml:"conference"`
	Days       []xmlDay      `xml:"day"`
}

type xmlGenerator struct {
	Name    string `xml:"name,attr"`
	Version string `xml:"version,attr"`
}

type xmlConference struct {
	Acronym          string `xml:"acronym"`
	Title            string `xml:"title"`
	Start            string `xml:"start"`
	End              string `xml:"end"`
	Days             int    `xml:"days"`
	TimeslotDuration string `xml:"timeslot_duration"`
	BaseURL          string `xml:"base_url"`
	TimeZoneName     string `xml:"time_zone_name"`
}

type xmlDay struct {
	Index int       `xml:"index,attr"`
	Date  string    `xml:"date,attr"`
	Start string    `xml:"start,attr"`
	End   string    `xml:"end,attr"`
	Rooms []xmlRoom `xml:"room"`
}

type xmlRoom struct {
	Name   string     `xml:"name,attr"`
	Events []xmlEvent `xml:"event"`
}

type xmlEvent struct {
	GUID        string       `xml:"guid,attr"`
	ID          int64        `xml:"id,attr"`
	Date        string       `xml:"date"`
	Start       string       `xml:"start"`
	Duration    string       `xml:"duration"`
	Room        string       `xml:"room"`
	Slug        string       `xml:"slug"`
	URL         string       `xml:"url"`
	Title       string       `xml:"title"`
	Subtitle    string       `xml:"subtitle"`
	Track       string       `xml:"track"`
	Type        string       `xml:"type"`
	Language    string       `xml:"language"`
	Abstract    string       `xml:"abstract"`
	Description string       `xml:"description"`
	Recording   xmlRecording `xml:"recording"`
	Persons     []xmlPerson  `xml:"persons>person"`
	Links       []xmlLink    `xml:"links>link"`
	Attachments []xmlLink    `xml:"attachments>attachment"`
}

type xmlRecording struct {
	License string `xml:"license"`
	Optout  bool   `xml:"optout"`
}

type xmlPerson struct {
	ID   int64  `xml:"id,attr"`
	Name string `xml:",chardata"`
}

type xmlLink struct {
	Href  string `xml:"href,attr"`
	Title string `xml:",chardata"`
}

// frabXML is doc as schedule.xml, speakers naming each talk's persons.
func frabXML(doc FrabDoc, speakers map[int64][]talks.Speaker) ([]byte, error) {
	conf := doc.Schedule.Conference
	out := xmlSchedule{
		Generator: xmlGenerator{Name: doc.Generator.Name, Version: doc.Generator.Version},
		Version:   doc.Schedule.Version,
		Conference: xmlConference{
			Acronym: conf.Acronym, Title: conf.Title, Start: conf.Start, End: conf.End, Days: conf.DaysCount,
			TimeslotDuration: conf.TimeslotDuration, BaseURL: doc.Schedule.BaseURL, TimeZoneName: conf.TimeZoneName,
		},
	}
	for _, d := range conf.Days {
		xd := xmlDay{Index: d.Index, Date: d.Date, Start: d.DayStart, End: d.DayEnd}
		names := make([]string, 0, len(d.Rooms))
		for name := range d.Rooms {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			xr := xmlRoom{Name: name}
			for _, e := range d.Rooms[name] {
				xe := xmlEvent{
					GUID: e.GUID, ID: e.ID, Date: e.Date, Start: e.Start, Duration: e.Duration, Room: e.Room,
					Slug: e.Slug, URL: e.URL, Title: e.Title, Subtitle: e.Subtitle, Type: e.Type, Language: e.Language,
					Abstract: e.Abstract, Description: e.Description,
					Recording: xmlRecording{License: e.RecordingLicense, Optout: e.DoNotRecord},
					Persons:   []xmlPerson{}, Links: []xmlLink{}, Attachments: []xmlLink{},
				}
				if e.Track != nil {
					xe.Track = *e.Track
				}
				for _, sp := range speakers[e.ID] {
					xe.Persons = append(xe.Persons, xmlPerson{ID: sp.ID, Name: stripControl(sp.DisplayName)})
				}
				for _, l := range e.Links {
					xe.Links = append(xe.Links, xmlLink{Href: l.URL, Title: l.Title})
				}
				xr.Events = append(xr.Events, xe)
			}
			xd.Rooms = append(xd.Rooms, xr)
		}
		out.Days = append(out.Days, xd)
	}
	if len(out.Days) == 0 {
		// The XSD wants at least one day: an empty schedule has one day
		// without rooms, the conference's (today).
		out.Days = []xmlDay{emptyDay(conf)}
		out.Conference.Days = 1
	}
	body, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode schedule.xml: %w", err)
	}
	return append([]byte(xml.Header), append(body, '\n')...), nil
}

// emptyDay is the one day, without rooms, of an empty schedule.xml: the
// conference's start date, midnight to midnight in its time zone.
func emptyDay(conf frabConference) xmlDay {
	loc, err := time.LoadLocation(conf.TimeZoneName)
	if err != nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation(time.DateOnly, conf.Start, loc)
	if err != nil {
		day = time.Now().In(loc).Truncate(24 * time.Hour)
	}
	return xmlDay{Index: 1, Date: day.Format(time.DateOnly), Start: day.Format(time.RFC3339), End: day.AddDate(0, 0, 1).Format(time.RFC3339)}
}
