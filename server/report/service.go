package report

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/attendance"
	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
)

// Service builds reports.
type Service struct {
	db    *sqlx.DB
	store Store
	now   func() time.Time
	// Sections are the parts other domains add, by name (e.g. "polls":
	// the talk's polls with their results). Set them before serving.
	Sections map[string]SectionFunc
}

// NewService returns the report service.
func NewService(db *sqlx.DB) *Service {
	return &Service{db: db, now: time.Now, Sections: map[string]SectionFunc{}}
}

// Get builds the report of a talk for its staff, from one snapshot of the
// database.
func (s *Service) Get(ctx context.Context, actor *domain.User, talkID int64) (Report, error) {
	if err := attendance.StaffOnly(ctx, s.db, actor, talkID, "only the talk's speakers, moderators and admins see its report"); err != nil {
		return Report{}, err
	}
	var r Report
	snapshot := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	err := dbx.InTx(ctx, s.db, snapshot, "report", func(tx *sqlx.Tx) error {
		var err error
		r, err = s.build(ctx, tx, talkID)
		return err
	})
	return r, err
}

// build reads the report of talkID in tx.
func (s *Service) build(ctx context.Context, tx *sqlx.Tx, talkID int64) (Report, error) {
	t, err := attendance.ReadSession(ctx, tx, talkID)
	if err != nil {
		return Report{}, err
	}
	r := Report{TalkID: t.ID, Title: t.Title, Status: t.Status, LiveStartedAt: t.StartedAt, LiveEndedAt: t.EndedAt,
		SessionMinutes: attendance.SessionMinutes(t.StartedAt, t.EndedAt, s.now()), Sections: map[string]Section{}}
	if r.Registrations, err = s.store.registrations(ctx, tx, talkID); err != nil {
		return Report{}, err
	}
	sum, err := attendance.Summarize(ctx, tx, talkID, r.SessionMinutes, t.MinShare)
	if err != nil {
		return Report{}, err
	}
	r.Attendance = Attendance{Attended: sum.Attended, AttendedRegistered: sum.AttendedRegistered, Certified: sum.Eligible}
	if sum.Attended > 0 {
		r.Attendance.AverageMinutes = round1(float64(sum.TotalMinutes) / float64(sum.Attended))
	}
	if r.Registrations.Registered > 0 {
		share := round1(100*float64(sum.AttendedRegistered)/float64(r.Registrations.Registered)) / 100
		r.Attendance.ShareOfRegistered = &share
	}
	if r.Viewers, err = s.store.viewers(ctx, tx, talkID); err != nil {
		return Report{}, err
	}
	r.Viewers.Average = round1(r.Viewers.Average)
	if r.Questions, r.TopQuestions, err = s.store.questions(ctx, tx, talkID); err != nil {
		return Report{}, err
	}
	if r.Flags, err = s.store.flags(ctx, tx, talkID); err != nil {
		return Report{}, err
	}
	for name, f := range s.Sections {
		sec, err := f(ctx, tx, talkID)
		if err != nil {
			return Report{}, fmt.Errorf("report section %s: %w", name, err)
		}
		r.Sections[name] = sec
	}
	return r, nil
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
