package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rows flattens the report into metric,value rows.
func (r Report) rows() [][]string {
	itoa := strconv.Itoa
	ftoa := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	share := ""
	if r.Attendance.ShareOfRegistered != nil {
		share = ftoa(*r.Attendance.ShareOfRegistered)
	}
	rows := [][]string{
		{"metric", "value"},
		{"talk_id", strconv.FormatInt(r.TalkID, 10)},
		{"title", r.Title},
		{"status", r.Status},
		{"live_started_at", at(r.LiveStartedAt)},
		{"live_ended_at", at(r.LiveEndedAt)},
		{"session_minutes", itoa(r.SessionMinutes)},
		{"registered", itoa(r.Registrations.Registered)},
		{"confirmed", itoa(r.Registrations.Confirmed)},
		{"waitlisted", itoa(r.Registrations.Waitlisted)},
		{"attended", itoa(r.Attendance.Attended)},
		{"attended_registered", itoa(r.Attendance.AttendedRegistered)},
		{"attended_share_of_registered", share},
		{"average_minutes", ftoa(r.Attendance.AverageMinutes)},
		{"certificate_eligible", itoa(r.Attendance.Certified)},
		{"peak_viewers", itoa(r.Viewers.Peak)},
		{"average_viewers", ftoa(r.Viewers.Average)},
		{"questions_asked", itoa(r.Questions.Asked)},
		{"questions_pending", itoa(r.Questions.Pending)},
		{"questions_approved", itoa(r.Questions.Approved)},
		{"questions_answered", itoa(r.Questions.Answered)},
		{"questions_dismissed", itoa(r.Questions.Dismissed)},
		{"flags", itoa(r.Flags.Total)},
		{"flags_open", itoa(r.Flags.Open)},
		{"flags_resolved", itoa(r.Flags.Resolved)},
		{"flags_dismissed", itoa(r.Flags.Dismissed)},
	}
	for i, q := range r.TopQuestions {
		rows = append(rows, []string{fmt.Sprintf("top_question_%d", i+1), fmt.Sprintf("%d votes, %s: %s", q.Votes, q.Status, q.Body)})
	}
	names := make([]string, 0, len(r.Sections))
	for name := range r.Sections {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, kv := range r.Sections[name].CSV() {
			rows = append(rows, []string{name + "." + kv[0], strings.TrimSpace(kv[1])})
		}
	}
	return rows
}
