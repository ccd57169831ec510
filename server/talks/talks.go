// Package talks owns the talks of the series: their schedule, speakers,
// Q&A settings and status, the listing and calendar feeds, and who counts as
// staff of a talk (Access).
package talks

import (
	"errors"
	"time"

	"github.com/hubtalks/hubtalks/server/keyset"
)

// DefaultCertificateMinShare is the share of the live session a
// participant attends to earn a certificate, unless the talk says otherwise.
const DefaultCertificateMinShare = 0.5

// Statuses of a talk.
const (
	StatusDraft     = "draft"
	StatusScheduled = "scheduled"
	StatusLive      = "live"
	StatusEnded     = "ended"
	StatusCancelled = "cancelled"
)

// Message kinds this package writes to the outbox (the outbox worker's
// composer knows how to turn each into an email).
const (
	MessageTalkCancelled   = "talk.cancelled"
	MessageTalkRescheduled = "talk.rescheduled"
)

// Errors of the talks' rules.
var (
	ErrEnded             = errors.New("an ended talk cannot be cancelled")
	ErrInvalidTransition = errors.New("the talk cannot change to that status")
	ErrGuestsNotAllowed  = errors.New("this talk's Q&A is for signed-up participants: create an account to take part")
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
	// The live session as it happened, and the share of it that earns a
	// certificate of attendance (0 < share ≤ 1).
	LiveStartedAt       *time.Time `json:"live_started_at"`
	LiveEndedAt         *time.Time `json:"live_ended_at"`
	CertificateMinShare float64    `json:"certificate_min_share"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	ICalSequence        int        `json:"-"`
	// RecordingOffset is kept while the talk has no recording yet.
	RecordingOffset int `json:"-"`
}

// Speaker is a user linked to a talk.
type Speaker struct {
	ID          int64   `json:"id"`
	DisplayName string  `json:"display_name"`
	PhotoURL    *string `json:"photo_url"`
	Affiliation string  `json:"affiliation"`
}

// QA are a talk's Q&A settings.
type QA struct {
	Moderation     string `json:"moderation"` // "pre" or "post"
	AllowAnonymous bool   `json:"allow_anonymous"`
	AllowGuests    bool   `json:"allow_guests"` // guests may ask, vote, flag and post
	Open           bool   `json:"open"`
}

// Recording is the talk's video, once a playlist item is linked to it.
// OffsetSeconds is how many seconds of video come before the live start
// (negative when the video starts later); questions taken live are placed
// in the video with it.
type Recording struct {
	VideoID       string `json:"video_id"`
	URL           string `json:"url"`
	OffsetSeconds int    `json:"offset_seconds"`
}

// RecordingFor builds the recording of a YouTube video id.
func RecordingFor(videoID string) *Recording {
	return &Recording{VideoID: videoID, URL: "https://www.youtube.com/watch?v=" + videoID}
}

// MaxRecordingOffset bounds recording.offset_seconds either way (a day).
const MaxRecordingOffset = 86400

// Change is the writable part of a talk as a client sends it (DecodeChange
// reads it). Times are strings so that a malformed one is a 422 naming its
// field; present tells "absent" from "null" for PATCH.
type Change struct {
	Title                *string          `json:"title"`
	Abstract             *string          `json:"abstract"`
	StartsAt             *string          `json:"starts_at"`
	EndsAt               *string          `json:"ends_at"`
	Status               *string          `json:"status"`
	Tags                 []string         `json:"tags"`
	Language             *string          `json:"language"`
	Format               *string          `json:"format"`
	Location             *string          `json:"location"`
	StreamURL            *string          `json:"stream_url"`
	Capacity             *int             `json:"capacity"`
	RegistrationClosesAt *string          `json:"registration_closes_at"`
	Speakers             []SpeakerRef     `json:"speakers"`
	QA                   *QAChange        `json:"qa"`
	CertificateMinShare  *float64         `json:"certificate_min_share"`
	Recording            *RecordingChange `json:"recording"`
	present              map[string]bool
	qaPresent            map[string]bool
}

// SpeakerRef names a speaker in a Change.
type SpeakerRef struct {
	ID int64 `json:"id"`
}

// QAChange is the Q&A part of a Change.
type QAChange struct {
	Moderation     *string `json:"moderation"`
	AllowAnonymous *bool   `json:"allow_anonymous"`
	AllowGuests    *bool   `json:"allow_guests"`
	Open           *bool   `json:"open"`
}

// RecordingChange is the recording part of a Change: where the live start
// is in the video.
type RecordingChange struct {
	OffsetSeconds *int `json:"offset_seconds"`
}

// StatusChange starts or ends a talk's live session.
type StatusChange struct {
	Status *string `json:"status"`
}

// Query is a listing request as the client wrote it: every filter is
// optional ("" for none).
type Query struct {
	From, To, Status, Tag, Q string
	Speaker                  string // a user id: the talks they speak at
	Page                     keyset.Page
}
