// Package schedule publishes the series' schedule in open formats that
// existing tools read: frab-compatible schedule.json (the c3voc schema) and
// schedule.xml for conference apps (Giggity, ConfClerk, …), and per-speaker
// iCalendar feeds. It only reads talks; the talks domain owns them.
package schedule

import (
	"crypto/sha1"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hubtalks/hubtalks/server/talks"
)

// Config says how the exports name the series and where it lives.
type Config struct {
	BaseURL  string         // public origin, e.g. https://talks.example.org
	TimeZone *time.Location // the series' time zone: days and local times are counted in it
	Acronym  string         // frab conference acronym (default "hubtalks")
	Title    string         // frab conference title (default "Hub Talks")
	// Organizer is the series' address, the calendars' ORGANIZER (see
	// talks.CalendarConfig).
	Organizer string
}

// Defaults of Config.
const (
	DefaultAcronym  = "hubtalks"
	DefaultTitle    = "Hub Talks"
	DefaultTimeZone = "Europe/Brussels"
)

// withDefaults is cfg with the defaults filled in.
func (cfg Config) withDefaults() Config {
	if cfg.Acronym == "" {
		cfg.Acronym = DefaultAcronym
	}
	if cfg.Title == "" {
		cfg.Title = DefaultTitle
	}
	if cfg.TimeZone == nil {
		loc, err := time.LoadLocation(DefaultTimeZone)
		if err != nil {
			loc = time.UTC
		}
		cfg.TimeZone = loc
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return cfg
}

// room is where a talk happens: its location, or "Online".
func room(t talks.Talk) string {
	if r := strings.TrimSpace(stripControl(t.Location)); r != "" {
		return r
	}
	return "Online"
}

// track is the talk's first tag, if any.
func track(t talks.Talk) *string {
	if len(t.Tags) == 0 || strings.TrimSpace(t.Tags[0]) == "" {
		return nil
	}
	s := stripControl(t.Tags[0])
	return &s
}

func (cfg Config) talkURL(id int64) string { return fmt.Sprintf("%s/talks/%d", cfg.BaseURL, id) }

func (cfg Config) host() string {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Hostname() == "" {
		return "hubtalks"
	}
	return u.Hostname()
}

// talkGUID is the talk's stable UUID: version 5 (SHA-1, RFC 9562) in the URL
// namespace of the talk's page, as pretalx derives its guids.
func (cfg Config) talkGUID(id int64) string { return uuid5(nsURL, cfg.talkURL(id)) }

// personGUID is a speaker's stable UUID, from an acct: URI that names the
// user by id on this host (never by email: the export is public).
func (cfg Config) personGUID(id int64) string {
	return uuid5(nsURL, fmt.Sprintf("acct:user-%d@%s", id, cfg.host()))
}

func (cfg Config) roomGUID(name string) string {
	return uuid5(nsURL, cfg.BaseURL+"/rooms/"+url.PathEscape(name))
}

// nsURL is RFC 9562's namespace for URLs: 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
var nsURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuid5 is a name-based UUID (version 5, SHA-1).
func uuid5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// stripControl removes control characters other than newline and tab,
// which neither XML nor most schedule readers accept; a CR or CRLF line
// break becomes a newline.
func stripControl(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, s)
}
