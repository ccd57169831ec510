// Package schedule publishes the series' schedule in open formats that
// existing tools read: frab-compatible schedule.json (the c3voc schema) and
// schedule.xml for conference apps (Giggity, ConfClerk, …), and per-speaker
// iCalendar feeds. It only reads talks; the talks domain owns them.
package schedule

import (
	"context"
	"crypto/sha1"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/httpx"
)

// Config says how the exports name the series and where it lives.
type Config struct {
	BaseURL  string         // public origin, e.g. https://talks.example.org
	TimeZone *time.Location // the series' time zone: days and local times are counted in it
	Acronym  string         // frab conference acronym (default "hubtalks")
	Title    string         // frab conference title (default "Hub Talks")
}

// Defaults of Config.
const (
	DefaultAcronym  = "hubtalks"
	DefaultTitle    = "Hub Talks"
	DefaultTimeZone = "Europe/Brussels"
)

// Schedule is the schedule-exports domain.
type Schedule struct {
	db  *sqlx.DB
	cfg Config
}

// New builds the domain, filling in the defaults of cfg.
func New(db *sqlx.DB, cfg Config) *Schedule {
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
	return &Schedule{db: db, cfg: cfg}
}

// Routes mounts the public exports on the /api/v1 group.
func (s *Schedule) Routes(api fiber.Router) {
	api.Get("/schedule.json", s.frabJSON)
	api.Get("/schedule.xml", s.frabXML)
	api.Get("/speakers/:id/talks.ics", s.speakerICS)
}

const (
	talkColumns = `t.id, t.slug, t.title, t.abstract, t.starts_at, t.ends_at, t.status, t.tags, t.language,
		t.location, t.recording_video_id, t.ical_sequence, t.updated_at`
	// selectPublished are the talks of the public schedule: not drafts, not cancelled.
	selectPublished = `SELECT ` + talkColumns + ` FROM talks t
		WHERE t.status IN ('scheduled', 'live', 'ended') ORDER BY t.starts_at, t.id`
	// selectSpeakerTalks are the talks a user speaks at, cancelled ones included
	// (calendars must learn of the cancellation), drafts not.
	selectSpeakerTalks = `SELECT ` + talkColumns + ` FROM talks t
		JOIN talk_speakers ts ON ts.talk_id = t.id
		WHERE ts.user_id = $1 AND t.status <> 'draft' ORDER BY t.starts_at, t.id`
	selectSpeakers = `SELECT ts.talk_id, u.id, u.display_name FROM talk_speakers ts JOIN users u ON u.id = ts.user_id
		WHERE ts.talk_id = ANY($1) ORDER BY ts.talk_id, ts.position, u.id`
	selectUserName = `SELECT display_name FROM users WHERE id = $1`
)

// talk is what the exports need of a talk.
type talk struct {
	ID           int64          `db:"id"`
	Slug         string         `db:"slug"`
	Title        string         `db:"title"`
	Abstract     string         `db:"abstract"`
	StartsAt     time.Time      `db:"starts_at"`
	EndsAt       time.Time      `db:"ends_at"`
	Status       string         `db:"status"`
	Tags         pq.StringArray `db:"tags"`
	Language     string         `db:"language"`
	Location     string         `db:"location"`
	RecordingID  *string        `db:"recording_video_id"`
	ICalSequence int            `db:"ical_sequence"`
	UpdatedAt    time.Time      `db:"updated_at"`
	Speakers     []speaker      `db:"-"`
}

type speaker struct {
	ID   int64
	Name string
}

func (s *Schedule) loadTalks(ctx context.Context, query string, args ...any) ([]talk, error) {
	var ts []talk
	if err := sqlx.SelectContext(ctx, s.db, &ts, query, args...); err != nil {
		return nil, fmt.Errorf("load talks: %w", err)
	}
	if len(ts) == 0 {
		return ts, nil
	}
	ids, byID := httpx.IndexByID(ts, func(it *talk) int64 { return it.ID })
	rows, err := s.db.QueryContext(ctx, selectSpeakers, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("load speakers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var talkID int64
		var sp speaker
		if err := rows.Scan(&talkID, &sp.ID, &sp.Name); err != nil {
			return nil, fmt.Errorf("load speakers: %w", err)
		}
		byID[talkID].Speakers = append(byID[talkID].Speakers, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load speakers: %w", err)
	}
	return ts, nil
}

// room is where a talk happens: its location, or "Online".
func (t talk) room() string {
	if r := strings.TrimSpace(stripControl(t.Location)); r != "" {
		return r
	}
	return "Online"
}

func (t talk) track() *string {
	if len(t.Tags) == 0 || strings.TrimSpace(t.Tags[0]) == "" {
		return nil
	}
	s := stripControl(t.Tags[0])
	return &s
}

func (s *Schedule) talkURL(id int64) string { return fmt.Sprintf("%s/talks/%d", s.cfg.BaseURL, id) }

func (s *Schedule) host() string {
	u, err := url.Parse(s.cfg.BaseURL)
	if err != nil || u.Hostname() == "" {
		return "hubtalks"
	}
	return u.Hostname()
}

// talkGUID is the talk's stable UUID: version 5 (SHA-1, RFC 9562) in the URL
// namespace of the talk's page, as pretalx derives its guids.
func (s *Schedule) talkGUID(id int64) string { return uuid5(nsURL, s.talkURL(id)) }

// personGUID is a speaker's stable UUID, from an acct: URI that names the
// user by id on this host (never by email: the export is public).
func (s *Schedule) personGUID(id int64) string {
	return uuid5(nsURL, fmt.Sprintf("acct:user-%d@%s", id, s.host()))
}

func (s *Schedule) roomGUID(name string) string {
	return uuid5(nsURL, s.cfg.BaseURL+"/rooms/"+url.PathEscape(name))
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
// which neither XML nor most schedule readers accept.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, s)
}
