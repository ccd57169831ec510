package schedule_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/testserver"
)

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

type fixture struct {
	env                                      *testserver.Env
	speaker, cospeaker, idle                 testserver.User
	scheduled, live, ended, cancelled, draft int64
}

// setup stores talks of every status directly (the talks API belongs to
// another domain): two on 2026-03-05 (Brussels), one on 2026-04-02 in a
// room, one cancelled and one draft.
func setup(t *testing.T) fixture {
	t.Helper()
	env := testserver.New(t, testserver.WithConfig(func(c *server.Config) {
		c.BaseURL = "https://talks.example.org"
		c.SeriesTimezone = brussels
	}))
	f := fixture{env: env, speaker: env.NewUser("participant"), cospeaker: env.NewUser("participant"), idle: env.NewUser("participant")}
	add := func(slug, title, status, location string, start time.Time, minutes int, tags []string, recording *string, speakers ...int64) int64 {
		var id int64
		err := env.DB.Get(&id, `INSERT INTO talks (slug, title, abstract, starts_at, ends_at, status, location, tags,
			recording_video_id, stream_url, language) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'https://stream.example.org/secret', 'en') RETURNING id`,
			slug, title, "About "+title+"\x07.", start, start.Add(time.Duration(minutes)*time.Minute), status, location, "{"+strings.Join(tags, ",")+"}", recording)
		if err != nil {
			t.Fatal(err)
		}
		testserver.AddSpeakers(t, env, id, speakers...)
		return id
	}
	rec := "b7-Rt_0sWqE"
	day1 := time.Date(2026, 3, 5, 14, 0, 0, 0, time.UTC) // 15:00 in Brussels (CET)
	f.ended = add("Assessing-Health-Apps!", "Assessing health apps", "ended", "", day1, 60, []string{"Digital health"}, &rec, f.speaker.ID, f.cospeaker.ID)
	f.live = add("ai-triage", "AI & triage <live>", "live", "", day1.Add(90*time.Minute), 45, nil, nil, f.cospeaker.ID)
	f.scheduled = add("wearables", "Wearables", "scheduled", "Room K.3.401", time.Date(2026, 4, 2, 8, 30, 0, 0, time.UTC), 150, nil, nil, f.speaker.ID)
	f.cancelled = add("cancelled-talk", "Cancelled talk", "cancelled", "", day1.Add(24*time.Hour), 60, nil, nil, f.speaker.ID)
	f.draft = add("draft-talk", "Draft talk", "draft", "", day1.Add(48*time.Hour), 60, nil, nil, f.speaker.ID)
	if _, err := env.DB.Exec(`UPDATE talks SET ical_sequence = 3 WHERE id = $1`, f.cancelled); err != nil {
		t.Fatal(err)
	}
	return f
}

// Checks written from https://c3voc.de/schedule/schema.json (voc/schedule,
// validator/json/schema.json): required properties, closed objects
// (additionalProperties: false) and the patterns. "required" is the union of
// the schema's current and previous versions, so older readers are served too.
var (
	topAllowed  = set("$schema", "schedule", "generator")
	confReq     = []string{"title", "acronym", "days", "daysCount", "start", "end", "timeslot_duration"}
	confAllowed = set("acronym", "title", "description", "start", "end", "daysCount", "timeslot_duration", "time_zone_name",
		"logo", "colors", "keywords", "url", "tracks", "rooms", "meta", "days")
	dayReq     = []string{"date", "day_end", "day_start", "index", "rooms"}
	dayAllowed = set(dayReq...)
	eventReq   = []string{"abstract", "attachments", "date", "description", "do_not_record", "duration", "guid", "id",
		"language", "links", "persons", "recording_license", "room", "slug", "start", "subtitle", "title", "track", "type", "url"}
	eventAllowed = set(append([]string{"logo", "do_not_stream"}, eventReq...)...)
	roomReq      = []string{"guid", "name"}
	roomAllowed  = set("name", "guid", "description", "capacity")

	acronymRe  = regexp.MustCompile(`^[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?$`)
	tzRe       = regexp.MustCompile(`^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$`)
	slugRe     = regexp.MustCompile(`^[a-z0-9_-]+[a-z0-9]$`)
	durationRe = regexp.MustCompile(`^[0-9]+:[0-9]{2}$`)
	uuidRe     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	hhmmRe     = regexp.MustCompile(`^[0-2][0-9]:[0-5][0-9]$`)
)

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func checkObject(t *testing.T, where string, obj map[string]any, required []string, allowed map[string]bool) {
	t.Helper()
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s: required %q missing", where, k)
		}
	}
	for k := range obj {
		if !allowed[k] {
			t.Errorf("%s: %q is not allowed by the schema (additionalProperties: false)", where, k)
		}
	}
}

func str(t *testing.T, where string, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s: %v is not a string", where, v)
	}
	return s
}

func rfc3339(t *testing.T, where string, v any) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, str(t, where, v))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return tm
}

func TestScheduleJSONMatchesC3VOCSchema(t *testing.T) {
	f := setup(t)
	resp := testserver.Must(t, f.env.Get("/api/v1/schedule.json", ""), 200)
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	checkObject(t, "root", doc, []string{"schedule"}, topAllowed)
	if doc["$schema"] != "https://c3voc.de/schedule/schema.json" {
		t.Errorf("$schema %v", doc["$schema"])
	}
	sched := doc["schedule"].(map[string]any)
	for _, k := range []string{"version", "conference", "base_url"} {
		if _, ok := sched[k]; !ok {
			t.Errorf("schedule: %q missing", k)
		}
	}
	if _, ok := sched["rooms"]; ok {
		t.Error("schedule.rooms is forbidden (rooms: false)")
	}
	str(t, "schedule.version", sched["version"])
	if sched["base_url"] != "https://talks.example.org/" {
		t.Errorf("base_url %v", sched["base_url"])
	}
	conf := sched["conference"].(map[string]any)
	checkObject(t, "conference", conf, confReq, confAllowed)
	if !acronymRe.MatchString(str(t, "acronym", conf["acronym"])) || conf["acronym"] != "hubtalks" || conf["title"] != "Hub Talks" {
		t.Errorf("acronym %v title %v", conf["acronym"], conf["title"])
	}
	if conf["time_zone_name"] != "Europe/Brussels" || !tzRe.MatchString(conf["time_zone_name"].(string)) {
		t.Errorf("time_zone_name %v", conf["time_zone_name"])
	}
	if conf["start"] != "2026-03-05" || conf["end"] != "2026-04-02" || conf["daysCount"] != json.Number("2") {
		t.Errorf("start %v end %v daysCount %v", conf["start"], conf["end"], conf["daysCount"])
	}
	if !durationRe.MatchString(str(t, "timeslot_duration", conf["timeslot_duration"])) {
		t.Errorf("timeslot_duration %v", conf["timeslot_duration"])
	}
	var roomNames []string
	for i, r := range conf["rooms"].([]any) {
		room := r.(map[string]any)
		checkObject(t, fmt.Sprintf("conference.rooms[%d]", i), room, roomReq, roomAllowed)
		if !uuidRe.MatchString(str(t, "room guid", room["guid"])) {
			t.Errorf("room guid %v", room["guid"])
		}
		roomNames = append(roomNames, room["name"].(string))
	}
	if strings.Join(roomNames, "|") != "Online|Room K.3.401" {
		t.Errorf("rooms %v", roomNames)
	}

	days := conf["days"].([]any)
	if len(days) != 2 {
		t.Fatalf("%d days, want 2", len(days))
	}
	events := map[int64]map[string]any{}
	guids, slugs := map[string]bool{}, map[string]bool{}
	for i, d := range days {
		day := d.(map[string]any)
		where := fmt.Sprintf("days[%d]", i)
		checkObject(t, where, day, dayReq, dayAllowed)
		if day["index"] != json.Number(fmt.Sprint(i+1)) || !dateRe.MatchString(str(t, where+".date", day["date"])) {
			t.Errorf("%s: index %v date %v", where, day["index"], day["date"])
		}
		start, end := rfc3339(t, where+".day_start", day["day_start"]), rfc3339(t, where+".day_end", day["day_end"])
		if !end.After(start) {
			t.Errorf("%s: day_end %v not after day_start %v", where, end, start)
		}
		for room, evs := range day["rooms"].(map[string]any) {
			for j, e := range evs.([]any) {
				ev := e.(map[string]any)
				ew := fmt.Sprintf("%s.rooms[%s][%d]", where, room, j)
				checkObject(t, ew, ev, eventReq, eventAllowed)
				id, err := ev["id"].(json.Number).Int64()
				if err != nil || id < 1 {
					t.Fatalf("%s: id %v", ew, ev["id"])
				}
				events[id] = ev
				if ev["room"] != room {
					t.Errorf("%s: room %v under key %s", ew, ev["room"], room)
				}
				g := str(t, ew+".guid", ev["guid"])
				s := str(t, ew+".slug", ev["slug"])
				if !uuidRe.MatchString(g) || guids[g] || !slugRe.MatchString(s) || slugs[s] {
					t.Errorf("%s: guid %q / slug %q not valid and unique", ew, g, s)
				}
				guids[g], slugs[s] = true, true
				if !durationRe.MatchString(str(t, ew+".duration", ev["duration"])) || !hhmmRe.MatchString(str(t, ew+".start", ev["start"])) {
					t.Errorf("%s: duration %v start %v", ew, ev["duration"], ev["start"])
				}
				date := rfc3339(t, ew+".date", ev["date"])
				if date.Format(time.DateOnly) != day["date"] || date.Format("15:04") != ev["start"] {
					t.Errorf("%s: date %v / start %v not on day %v", ew, ev["date"], ev["start"], day["date"])
				}
				for _, k := range []string{"title", "type", "language", "abstract", "description", "url", "recording_license", "subtitle"} {
					str(t, ew+"."+k, ev[k])
				}
				if tr := ev["track"]; tr != nil {
					str(t, ew+".track", tr)
				}
				for _, k := range []string{"links", "attachments"} {
					if _, ok := ev[k].([]any); !ok {
						t.Errorf("%s: %s is not an array", ew, k)
					}
				}
				persons, ok := ev["persons"].([]any)
				if !ok {
					t.Fatalf("%s: persons %v", ew, ev["persons"])
				}
				for k, p := range persons {
					pm := p.(map[string]any)
					_, hasID := pm["id"].(json.Number)
					_, hasPublic := pm["public_name"].(string)
					_, hasName := pm["name"].(string)
					frab, pretalx := hasID && hasPublic, hasName
					if frab == pretalx { // oneOf: exactly one must match
						t.Errorf("%s.persons[%d] = %v matches %v of frab/pretalx, want exactly one", ew, k, pm, map[bool]string{true: "both", false: "neither"}[frab])
					}
					if g, _ := pm["guid"].(string); !uuidRe.MatchString(g) {
						t.Errorf("%s.persons[%d] guid %v", ew, k, pm["guid"])
					}
				}
			}
		}
	}

	// Only scheduled, live and ended talks; local times in Brussels.
	if len(events) != 3 || events[f.cancelled] != nil || events[f.draft] != nil {
		t.Fatalf("events %v, want the scheduled, live and ended talks", keys(events))
	}
	e := events[f.ended]
	if e["date"] != "2026-03-05T15:00:00+01:00" || e["start"] != "15:00" || e["duration"] != "01:00" || e["room"] != "Online" {
		t.Errorf("ended talk %v %v %v %v", e["date"], e["start"], e["duration"], e["room"])
	}
	if e["track"] != "Digital health" || e["url"] != fmt.Sprintf("https://talks.example.org/talks/%d", f.ended) ||
		e["slug"] != fmt.Sprintf("hubtalks-%d-assessing-health-apps", f.ended) || e["abstract"] != "About Assessing health apps." {
		t.Errorf("ended talk %v %v %v %q", e["track"], e["url"], e["slug"], e["abstract"])
	}
	links := e["links"].([]any)
	if len(links) != 1 || links[0].(map[string]any)["url"] != "https://www.youtube.com/watch?v=b7-Rt_0sWqE" {
		t.Errorf("recording link %v", links)
	}
	if ps := e["persons"].([]any); len(ps) != 2 || ps[0].(map[string]any)["name"] != f.speaker.Name {
		t.Errorf("persons %v", ps)
	}
	s := events[f.scheduled]
	if s["date"] != "2026-04-02T10:30:00+02:00" || s["duration"] != "02:30" || s["room"] != "Room K.3.401" || s["track"] != nil {
		t.Errorf("scheduled talk %v %v %v %v", s["date"], s["duration"], s["room"], s["track"])
	}
	if bytes.Contains(resp.Body, []byte("stream.example.org")) {
		t.Error("schedule.json leaks stream_url")
	}
	// Stable: the same request gives the same document.
	if again := testserver.Must(t, f.env.Get("/api/v1/schedule.json", ""), 200); !bytes.Equal(again.Body, resp.Body) {
		t.Error("schedule.json is not stable between requests")
	}
}

func keys(m map[int64]map[string]any) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// The frab XML as ConfClerk and Giggity read it.
type xSchedule struct {
	XMLName   xml.Name `xml:"schedule"`
	Version   string   `xml:"version"`
	Generator struct {
		Name string `xml:"name,attr"`
	} `xml:"generator"`
	Conference struct {
		Acronym          string `xml:"acronym"`
		Title            string `xml:"title"`
		Start            string `xml:"start"`
		End              string `xml:"end"`
		Days             int    `xml:"days"`
		TimeslotDuration string `xml:"timeslot_duration"`
		BaseURL          string `xml:"base_url"`
		TimeZoneName     string `xml:"time_zone_name"`
	} `xml:"conference"`
	Days []struct {
		Index int    `xml:"index,attr"`
		Date  string `xml:"date,attr"`
		Start string `xml:"start,attr"`
		End   string `xml:"end,attr"`
		Rooms []struct {
			Name   string `xml:"name,attr"`
			Events []struct {
				ID       int64   `xml:"id,attr"`
				GUID     string  `xml:"guid,attr"`
				Room     string  `xml:"room"`
				Title    string  `xml:"title"`
				Subtitle *string `xml:"subtitle"`
				Type     string  `xml:"type"`
				Date     string  `xml:"date"`
				Start    string  `xml:"start"`
				Duration string  `xml:"duration"`
				Abstract *string `xml:"abstract"`
				Slug     string  `xml:"slug"`
				Track    *string `xml:"track"`
				Language string  `xml:"language"`
				URL      string  `xml:"url"`
				Persons  []struct {
					ID   int64  `xml:"id,attr"`
					Name string `xml:",chardata"`
				} `xml:"persons>person"`
				Links []struct {
					Href  string `xml:"href,attr"`
					Title string `xml:",chardata"`
				} `xml:"links>link"`
				Recording *struct {
					License *string `xml:"license"`
					Optout  string  `xml:"optout"`
				} `xml:"recording"`
			} `xml:"event"`
		} `xml:"room"`
	} `xml:"day"`
}

func TestScheduleXML(t *testing.T) {
	f := setup(t)
	resp := testserver.Must(t, f.env.Get("/api/v1/schedule.xml", ""), 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Fatalf("content type %q", ct)
	}
	var s xSchedule
	if err := xml.Unmarshal(resp.Body, &s); err != nil {
		t.Fatalf("schedule.xml does not parse: %v\n%s", err, resp.Body)
	}
	c := s.Conference
	if s.Version == "" || s.Generator.Name != "hubtalks" || c.Acronym != "hubtalks" || c.Title != "Hub Talks" || c.Start != "2026-03-05" ||
		c.End != "2026-04-02" || c.Days != 2 || c.TimeslotDuration != "00:05" || c.TimeZoneName != "Europe/Brussels" ||
		c.BaseURL != "https://talks.example.org/" {
		t.Fatalf("head %q %+v", s.Version, c)
	}
	if len(s.Days) != 2 || s.Days[0].Index != 1 || s.Days[0].Date != "2026-03-05" || s.Days[1].Date != "2026-04-02" ||
		s.Days[0].Start != "2026-03-05T15:00:00+01:00" || s.Days[0].End != "2026-03-05T17:15:00+01:00" {
		t.Fatalf("days %+v", s.Days)
	}
	d1 := s.Days[0]
	if len(d1.Rooms) != 1 || d1.Rooms[0].Name != "Online" || len(d1.Rooms[0].Events) != 2 {
		t.Fatalf("day 1 rooms %+v", d1.Rooms)
	}
	e := d1.Rooms[0].Events[0]
	if e.ID != f.ended || !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(e.GUID) || e.Room != "Online" || e.Title != "Assessing health apps" ||
		e.Subtitle == nil || e.Type != "talk" || e.Date != "2026-03-05T15:00:00+01:00" || e.Start != "15:00" || e.Duration != "01:00" ||
		e.Abstract == nil || *e.Abstract != "About Assessing health apps." || e.Slug == "" || e.Track == nil || *e.Track != "Digital health" ||
		e.Language != "en" || e.URL != fmt.Sprintf("https://talks.example.org/talks/%d", f.ended) {
		t.Fatalf("event %+v", e)
	}
	if len(e.Persons) != 2 || e.Persons[0].ID != f.speaker.ID || e.Persons[0].Name != f.speaker.Name {
		t.Fatalf("persons %+v", e.Persons)
	}
	if len(e.Links) != 1 || e.Links[0].Href != "https://www.youtube.com/watch?v=b7-Rt_0sWqE" || e.Links[0].Title != "Recording" {
		t.Fatalf("links %+v", e.Links)
	}
	if e.Recording == nil || e.Recording.License == nil || e.Recording.Optout != "false" {
		t.Fatalf("recording %+v", e.Recording)
	}
	if d1.Rooms[0].Events[1].ID != f.live || d1.Rooms[0].Events[1].Title != "AI & triage <live>" {
		t.Fatalf("second event %+v", d1.Rooms[0].Events[1])
	}
	if r := s.Days[1].Rooms; len(r) != 1 || r[0].Name != "Room K.3.401" || r[0].Events[0].ID != f.scheduled || r[0].Events[0].Start != "10:30" {
		t.Fatalf("day 2 %+v", r)
	}
	if bytes.Contains(resp.Body, []byte("\x07")) || bytes.Contains(resp.Body, []byte("Cancelled talk")) || bytes.Contains(resp.Body, []byte("Draft talk")) {
		t.Fatal("control characters, cancelled or draft talks in schedule.xml")
	}
}

func TestSpeakerICS(t *testing.T) {
	f := setup(t)
	resp := testserver.Must(t, f.env.Get(fmt.Sprintf("/api/v1/speakers/%d/talks.ics", f.speaker.ID), ""), 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Fatalf("content type %q", ct)
	}
	cal := testkit.CheckCalendar(t, "speaker calendar", resp.Body)
	evs := cal.Events()
	byUID := map[string]*ics.VEvent{}
	for _, e := range evs {
		byUID[e.Id()] = e
	}
	uid := func(id int64) string { return fmt.Sprintf("talk-%d@talks.example.org", id) }
	if len(evs) != 3 || byUID[uid(f.ended)] == nil || byUID[uid(f.scheduled)] == nil || byUID[uid(f.cancelled)] == nil {
		t.Fatalf("events %v, want the speaker's ended, scheduled and cancelled talks (no draft, no talk of others)", keysOf(byUID))
	}
	prop := func(e *ics.VEvent, p ics.ComponentProperty) string {
		if v := e.GetProperty(p); v != nil {
			return v.Value
		}
		return ""
	}
	c := byUID[uid(f.cancelled)]
	if prop(c, ics.ComponentPropertyStatus) != "CANCELLED" || prop(c, ics.ComponentPropertySequence) != "3" {
		t.Errorf("cancelled: STATUS %q SEQUENCE %q", prop(c, ics.ComponentPropertyStatus), prop(c, ics.ComponentPropertySequence))
	}
	e := byUID[uid(f.ended)]
	start, err := e.GetStartAt()
	if err != nil || !start.Equal(time.Date(2026, 3, 5, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("DTSTART %v %v", start, err)
	}
	if prop(e, ics.ComponentPropertySummary) != "Assessing health apps" || prop(e, ics.ComponentPropertyStatus) != "CONFIRMED" ||
		prop(e, ics.ComponentPropertySequence) != "0" || prop(e, ics.ComponentPropertyUrl) != fmt.Sprintf("https://talks.example.org/talks/%d", f.ended) ||
		!strings.Contains(prop(e, ics.ComponentPropertyDescription), "https://www.youtube.com/watch?v=b7-Rt_0sWqE") {
		t.Errorf("ended talk event: %s", resp.Body)
	}
	if strings.Contains(string(resp.Body), "stream.example.org") {
		t.Error("calendar leaks stream_url")
	}
	if org := e.GetProperty(ics.ComponentPropertyOrganizer); org == nil || org.Value != "mailto:hubtalks@talks.example.org" {
		t.Errorf("ORGANIZER %v, want the series' default address", org)
	}
	// Subscribers get 304 until a talk changes.
	path := fmt.Sprintf("/api/v1/speakers/%d/talks.ics", f.speaker.ID)
	for _, h := range []map[string]string{{"If-None-Match": resp.Header.Get("ETag")}, {"If-Modified-Since": resp.Header.Get("Last-Modified")}} {
		if r := f.env.Do(testserver.Req{Method: "GET", Path: path, Header: h}); r.StatusCode != 304 {
			t.Errorf("%v: %d, want 304", h, r.StatusCode)
		}
	}

	// Only speakers have a calendar: someone who speaks at nothing, or only
	// at a draft, is not found, as nobody is.
	drafter := f.env.NewUser("participant")
	testserver.AddSpeakers(t, f.env, f.draft, drafter.ID)
	for _, path := range []string{fmt.Sprintf("/api/v1/speakers/%d/talks.ics", f.idle.ID), fmt.Sprintf("/api/v1/speakers/%d/talks.ics", drafter.ID),
		"/api/v1/speakers/999999/talks.ics", "/api/v1/speakers/abc/talks.ics"} {
		if resp := f.env.Get(path, ""); resp.StatusCode != 404 || strings.Contains(string(resp.Body), "Test User") {
			t.Fatalf("%s: status %d %s", path, resp.StatusCode, resp.Body)
		}
	}
}

func keysOf(m map[string]*ics.VEvent) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestEmptySchedule(t *testing.T) {
	env := testserver.New(t)
	var doc struct {
		Schedule struct {
			Conference struct {
				DaysCount int   `json:"daysCount"`
				Days      []any `json:"days"`
				Rooms     []any `json:"rooms"`
			} `json:"conference"`
		} `json:"schedule"`
	}
	testserver.Must(t, env.Get("/api/v1/schedule.json", ""), 200).JSON(t, &doc)
	if c := doc.Schedule.Conference; c.DaysCount != 0 || c.Days == nil || c.Rooms == nil {
		t.Fatalf("empty schedule %+v", c)
	}
	testserver.Must(t, env.Get("/api/v1/schedule.xml", ""), 200)
}
