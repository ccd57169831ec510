// Package attendance owns what the live rooms leave behind: who attended a
// talk and for how long (sampled from live presence on every instance and
// written in batches, see Tracker), the staff's attendance CSV, a user's own
// minutes, and certificates of attendance with their public verification.
//
// Minutes are counted from a set of "seen" minutes per (talk, user): an
// instance marks the minute in which it saw a signed-in user subscribed to
// the talk's public channel while the talk was live. Marks from every
// instance and every tab fall into the same set, so nothing is counted
// twice; runs of marks are merged and gaps under 2 minutes are bridged.
package attendance

import (
	"errors"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Errors of the attendance rules.
var (
	ErrNotAttended = errors.New("you were not present for enough of the live session to receive a certificate")
	ErrNotOver     = errors.New("certificates are issued once the live session has ended")
)

// BridgeMinutes is the largest step between two seen minutes that still
// counts as one stretch: one unseen minute (a gap under 2 minutes: a
// reload, a network change, a move to another instance) is bridged.
const BridgeMinutes = 2

// Minute is a minute of Unix time (seconds / 60).
func Minute(t time.Time) int32 { return int32(t.Unix() / 60) }

// MinutesPresent counts the minutes of a set of seen minutes: each run of
// marks whose steps are at most BridgeMinutes counts from its first to its
// last minute inclusive. The input may be unsorted and hold repeats.
func MinutesPresent(seen []int32) int {
	if len(seen) == 0 {
		return 0
	}
	s := slices.Clone(seen)
	slices.Sort(s)
	s = slices.Compact(s)
	total, start := 0, s[0]
	for i := 1; i < len(s); i++ {
		if s[i]-s[i-1] > BridgeMinutes {
			total += int(s[i-1]-start) + 1
			start = s[i]
		}
	}
	return total + int(s[len(s)-1]-start) + 1
}

// SessionMinutes is the length of a live session in whole minutes (at
// least 1 once it has started); 0 when it never started. A session still
// running counts up to now.
func SessionMinutes(started, ended *time.Time, now time.Time) int {
	if started == nil {
		return 0
	}
	end := now
	if ended != nil {
		end = *ended
	}
	m := int(end.Sub(*started).Round(time.Minute) / time.Minute)
	return max(m, 1)
}

// Record is one viewer's attendance of a talk as staff see it.
type Record struct {
	UserID      int64         `db:"user_id" json:"user_id"`
	DisplayName string        `db:"display_name" json:"display_name"`
	Email       *string       `db:"email" json:"email,omitempty"`
	Registered  bool          `db:"registered" json:"registered"`
	Minutes     int           `db:"-" json:"minutes"`
	FirstSeen   time.Time     `db:"first_seen" json:"first_seen"`
	LastSeen    time.Time     `db:"last_seen" json:"last_seen"`
	Seen        pq.Int32Array `db:"minutes" json:"-"`
}

// Session is a talk's live session (and the talk's certificate share).
type Session struct {
	ID        int64      `db:"id"`
	Title     string     `db:"title"`
	Status    string     `db:"status"`
	StartedAt *time.Time `db:"live_started_at"`
	EndedAt   *time.Time `db:"live_ended_at"`
	MinShare  float64    `db:"min_share"`
}

// Mine is the caller's own attendance of a talk (GET /talks/{id}/attendance/me).
type Mine struct {
	TalkID         int64      `json:"talk_id"`
	Minutes        int        `json:"minutes"`
	SessionMinutes int        `json:"session_minutes"`
	MinShare       float64    `json:"certificate_min_share"`
	Eligible       bool       `json:"certificate_available"`
	FirstSeen      *time.Time `json:"first_seen"`
	LastSeen       *time.Time `json:"last_seen"`
}

// Certificate is a certificate of attendance as its verification shows it.
type Certificate struct {
	Code        string    `db:"code" json:"code"`
	Name        string    `db:"display_name" json:"name"`
	TalkID      int64     `db:"talk_id" json:"talk_id"`
	TalkTitle   string    `db:"title" json:"talk_title"`
	Date        string    `db:"-" json:"date"` // the live session's day in the series' time zone
	StartedAt   time.Time `db:"live_started_at" json:"started_at"`
	Minutes     int       `db:"minutes" json:"minutes"`
	Session     int       `db:"-" json:"session_minutes"`
	Speakers    []string  `db:"-" json:"speakers"`
	IssuedAt    time.Time `db:"created_at" json:"issued_at"`
	EndedAt     time.Time `db:"live_ended_at" json:"-"`
	UserID      int64     `db:"user_id" json:"-"`
	SeriesTitle string    `db:"-" json:"series"`
}
