// Package report is the after-the-talk report for a talk's staff:
// registrations, attendance (from server/attendance's records), the live
// room's peak and average viewers, the Q&A by status with its top
// questions, and flags — as JSON and as CSV. Sections that belong to other
// domains (polls) plug in through Service.Sections, one function each.
package report

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Report is the after-the-talk report of one talk.
type Report struct {
	TalkID        int64      `json:"talk_id"`
	Title         string     `json:"title"`
	Status        string     `json:"status"`
	LiveStartedAt *time.Time `json:"live_started_at"`
	LiveEndedAt   *time.Time `json:"live_ended_at"`
	// SessionMinutes is the length of the live session (0 if it never started).
	SessionMinutes int           `json:"session_minutes"`
	Registrations  Registrations `json:"registrations"`
	Attendance     Attendance    `json:"attendance"`
	Viewers        Viewers       `json:"viewers"`
	Questions      Questions     `json:"questions"`
	TopQuestions   []TopQuestion `json:"top_questions"`
	Flags          Flags         `json:"flags"`
	// Sections holds what other domains add (e.g. "polls"), by name; a
	// section whose domain is absent is absent.
	Sections map[string]Section `json:"sections"`
}

// Registrations are the talk's registrations now.
type Registrations struct {
	Registered int `json:"registered" db:"registered"` // confirmed + waitlisted
	Confirmed  int `json:"confirmed" db:"confirmed"`
	Waitlisted int `json:"waitlisted" db:"waitlisted"`
}

// Attendance sums the signed-in viewers' attendance.
type Attendance struct {
	Attended           int `json:"attended"`            // signed-in users seen in the live room
	AttendedRegistered int `json:"attended_registered"` // of them, registered (confirmed or waitlisted)
	// ShareOfRegistered is AttendedRegistered / Registered (null without registrations).
	ShareOfRegistered *float64 `json:"share_of_registered"`
	AverageMinutes    float64  `json:"average_minutes"`
	Certified         int      `json:"certificate_eligible"` // present for the talk's certificate share
}

// Viewers are the live room's viewers (anonymous ones included), per minute.
type Viewers struct {
	Peak    int     `json:"peak" db:"peak"`
	Average float64 `json:"average" db:"average"`
}

// Questions counts the Q&A's questions by their status now.
type Questions struct {
	Asked     int `json:"asked" db:"asked"`
	Pending   int `json:"pending" db:"pending"`
	Approved  int `json:"approved" db:"approved"`
	Answered  int `json:"answered" db:"answered"`
	Dismissed int `json:"dismissed" db:"dismissed"`
}

// TopQuestion is one of the most voted questions (dismissed ones left out).
type TopQuestion struct {
	ID     int64  `json:"id" db:"id"`
	Body   string `json:"body" db:"body"`
	Votes  int    `json:"votes" db:"votes"`
	Status string `json:"status" db:"status"`
}

// Flags counts the reports on the talk's questions and posts.
type Flags struct {
	Total     int `json:"total" db:"total"`
	Open      int `json:"open" db:"open"`
	Resolved  int `json:"resolved" db:"resolved"`
	Dismissed int `json:"dismissed" db:"dismissed"`
}

// Section is a part of the report that another domain writes: it is
// rendered as JSON under its name, and as rows of the CSV.
type Section interface {
	// CSV returns the section's rows, each a metric and its value.
	CSV() [][2]string
}

// SectionFunc builds one named section of a talk's report; it reads in q
// (the report's snapshot transaction).
type SectionFunc func(ctx context.Context, q sqlx.QueryerContext, talkID int64) (Section, error)
