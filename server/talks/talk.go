// Package talks owns the talks of the series: their schedule, speakers,
// Q&A settings and status, the listing and calendar feeds, and who counts as
// staff of a talk.
package talks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// Statuses of a talk.
const (
	StatusDraft     = "draft"
	StatusScheduled = "scheduled"
	StatusLive      = "live"
	StatusEnded     = "ended"
	StatusCancelled = "cancelled"
)

// Errors of the talks' rules.
var (
	ErrEnded             = errors.New("an ended talk cannot be cancelled")
	ErrInvalidTransition = errors.New("the talk cannot change to that status")
)

// Talk is a talk as the API shows it.
type Talk struct {
	ID                   int64      `json:"id"`
	Slug                 string     `json:"slug"`
	Title                string     `json:"title"`
	Abstract             string     `json:"abstract"`
	StartsAt             time.Time  `json:"starts_at"`
	EndsAt               time.Time  `json:"ends_at"`
	Status               string     `json:"status"`
	Tags                 []string   `json:"tags"`
	Language             string     `json:"language"`
	Format               string     `json:"format"`
	Location             string     `json:"location"`
	StreamURL            *string    `json:"stream_url"` // only for staff and registered users
	Capacity             *int       `json:"capacity"`
	RegisteredCount      int        `json:"registered_count"`
	WaitlistCount        int        `json:"waitlist_count"`
	RegistrationClosesAt *time.Time `json:"registration_closes_at"`
	Speakers             []Speaker  `json:"speakers"`
	QA                   QA         `json:"qa"`
	Recording            *Recording `json:"recording"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
	ICalSequence         int        `json:"-"`
}

// Speaker is a user linked to a talk.
type Speaker struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// QA are a talk's Q&A settings.
type QA struct {
	Moderation     string `json:"moderation"` // "pre" or "post"
	AllowAnonymous bool   `json:"allow_anonymous"`
	Open           bool   `json:"open"`
}

// Recording is the talk's video, once a playlist item is linked to it.
type Recording struct {
	VideoID string `json:"video_id"`
	URL     string `json:"url"`
}

// RecordingFor builds the recording of a YouTube video id.
func RecordingFor(videoID string) *Recording {
	return &Recording{VideoID: videoID, URL: "https://www.youtube.com/watch?v=" + videoID}
}

// row is a talk as stored.
type row struct {
	ID                   int64          `db:"id"`
	Slug                 string         `db:"slug"`
	Title                string         `db:"title"`
	Abstract             string         `db:"abstract"`
	StartsAt             time.Time      `db:"starts_at"`
	EndsAt               time.Time      `db:"ends_at"`
	Status               string         `db:"status"`
	Tags                 pq.StringArray `db:"tags"`
	Language             string         `db:"language"`
	Format               string         `db:"format"`
	Location             string         `db:"location"`
	StreamURL            sql.NullString `db:"stream_url"`
	Capacity             sql.NullInt32  `db:"capacity"`
	RegistrationClosesAt sql.NullTime   `db:"registration_closes_at"`
	QAModeration         string         `db:"qa_moderation"`
	QAAllowAnonymous     bool           `db:"qa_allow_anonymous"`
	QAOpen               bool           `db:"qa_open"`
	RecordingVideoID     sql.NullString `db:"recording_video_id"`
	ICalSequence         int            `db:"ical_sequence"`
	ConfirmedCount       int            `db:"confirmed_count"`
	WaitlistCount        int            `db:"waitlist_count"`
	CreatedAt            time.Time      `db:"created_at"`
	UpdatedAt            time.Time      `db:"updated_at"`
}

const talkColumns = `t.id, t.slug, t.title, t.abstract, t.starts_at, t.ends_at, t.status, t.tags, t.language,
	t.format, t.location, t.stream_url, t.capacity, t.registration_closes_at, t.qa_moderation,
	t.qa_allow_anonymous, t.qa_open, t.recording_video_id, t.ical_sequence, t.confirmed_count, t.waitlist_count,
	t.created_at, t.updated_at`

const (
	selectTalk     = `SELECT ` + talkColumns + ` FROM talks t WHERE t.id = $1`
	selectSpeakers = `SELECT ts.talk_id, u.id, u.display_name FROM talk_speakers ts JOIN users u ON u.id = ts.user_id
		WHERE ts.talk_id = ANY($1) ORDER BY ts.talk_id, ts.position, u.id`
	selectIsSpeaker = `SELECT EXISTS (SELECT 1 FROM talk_speakers WHERE talk_id = $1 AND user_id = $2)`
)

func (r row) talk() Talk {
	t := Talk{
		ID: r.ID, Slug: r.Slug, Title: r.Title, Abstract: r.Abstract, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(),
		Status: r.Status, Tags: []string(r.Tags), Language: r.Language, Format: r.Format, Location: r.Location,
		QA:        QA{Moderation: r.QAModeration, AllowAnonymous: r.QAAllowAnonymous, Open: r.QAOpen},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ICalSequence: r.ICalSequence, Speakers: []Speaker{},
		RegisteredCount: r.ConfirmedCount, WaitlistCount: r.WaitlistCount,
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if r.StreamURL.Valid {
		t.StreamURL = &r.StreamURL.String
	}
	if r.Capacity.Valid {
		c := int(r.Capacity.Int32)
		t.Capacity = &c
	}
	if r.RegistrationClosesAt.Valid {
		at := r.RegistrationClosesAt.Time.UTC()
		t.RegistrationClosesAt = &at
	}
	if r.RecordingVideoID.Valid {
		t.Recording = RecordingFor(r.RecordingVideoID.String)
	}
	return t
}

// Queryer is a database or a transaction.
type Queryer interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// Load reads one talk with its speakers, as the API shows it to nobody in
// particular: stream_url is removed (see Redact) and drafts are returned.
// Callers that answer a request must call Visible and Redact for the viewer.
func Load(ctx context.Context, q Queryer, id int64) (Talk, error) {
	t, err := loadFull(ctx, q, id)
	t.StreamURL = nil
	return t, err
}

// loadFull is Load with the stream_url, for callers that decide who sees it.
func loadFull(ctx context.Context, q Queryer, id int64) (Talk, error) {
	return loadOne(ctx, q, selectTalk, "load", id)
}

// loadOne reads one talk with query (which takes its id) and its speakers.
func loadOne(ctx context.Context, q Queryer, query, verb string, id int64) (Talk, error) {
	var r row
	err := sqlx.GetContext(ctx, q, &r, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Talk{}, fmt.Errorf("talk %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return Talk{}, fmt.Errorf("%s talk %d: %w", verb, id, err)
	}
	ts := []Talk{r.talk()}
	if err := attachSpeakers(ctx, q, ts); err != nil {
		return Talk{}, err
	}
	return ts[0], nil
}

func attachSpeakers(ctx context.Context, q Queryer, ts []Talk) error {
	if len(ts) == 0 {
		return nil
	}
	ids, byID := httpx.IndexByID(ts, func(it *Talk) int64 { return it.ID })
	rows, err := q.QueryxContext(ctx, selectSpeakers, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("load speakers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var talkID int64
		var s Speaker
		if err := rows.Scan(&talkID, &s.ID, &s.DisplayName); err != nil {
			return fmt.Errorf("load speakers: %w", err)
		}
		byID[talkID].Speakers = append(byID[talkID].Speakers, s)
	}
	return rows.Err()
}

// IsSpeaker reports whether userID speaks at talkID.
func IsSpeaker(ctx context.Context, q Queryer, talkID, userID int64) (bool, error) {
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, selectIsSpeaker, talkID, userID); err != nil {
		return false, fmt.Errorf("check speaker of talk %d: %w", talkID, err)
	}
	return ok, nil
}

// IsStaff reports whether u is staff of the talk: a moderator, an admin, or
// one of its speakers.
func IsStaff(ctx context.Context, q Queryer, talkID int64, u *domain.User) (bool, error) {
	if u == nil {
		return false, nil
	}
	if u.IsModerator() {
		return true, nil
	}
	return IsSpeaker(ctx, q, talkID, u.ID)
}

// Visible reports whether viewer may see the talk at all: drafts are for
// staff only.
func Visible(ctx context.Context, q Queryer, t Talk, viewer *domain.User) (bool, error) {
	if t.Status != StatusDraft {
		return true, nil
	}
	return IsStaff(ctx, q, t.ID, viewer)
}
