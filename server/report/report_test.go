package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/demo"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/report"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// The report of the demo's past talk adds up what its live session left.
func TestReportOfTheDemoTalk(t *testing.T) {
	env := testserver.New(t)
	if _, err := demo.Seed(context.Background(), env.DB, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := env.DB.Get(&id, `SELECT id FROM talks WHERE slug = 'be-healthy-be-mobile-lessons-from-a-decade-of-mhealth'`); err != nil {
		t.Fatal(err)
	}
	admin, nobody := env.NewUser("admin"), env.NewUser("participant")
	var r struct {
		report.Report
		Sections map[string]json.RawMessage `json:"sections"`
	}
	testserver.Must(t, env.Get(path(id, ""), admin.Token), 200).JSON(t, &r)
	if r.Registrations != (report.Registrations{Registered: 4, Confirmed: 4}) || r.SessionMinutes != 75 {
		t.Fatalf("registrations %+v, session %d", r.Registrations, r.SessionMinutes)
	}
	// Four seen, three of them registered (3 of 4 = 75 %); 75, 62 and 45 of 75
	// minutes reach the default half.
	a := r.Attendance
	if a.Attended != 4 || a.AttendedRegistered != 3 || a.ShareOfRegistered == nil || *a.ShareOfRegistered != 0.75 || a.Certified != 3 || a.AverageMinutes != 50.5 {
		t.Fatalf("attendance %+v", a)
	}
	if r.Viewers.Peak != 38 || r.Viewers.Average <= 20 || r.Viewers.Average >= 38 {
		t.Fatalf("viewers %+v", r.Viewers)
	}
	if r.Questions != (report.Questions{Asked: 8, Approved: 1, Answered: 6, Dismissed: 1}) || len(r.TopQuestions) != 7 ||
		r.TopQuestions[0].Votes != 12 || r.Flags != (report.Flags{Total: 1, Resolved: 1}) {
		t.Fatalf("questions %+v, top %+v, flags %+v", r.Questions, r.TopQuestions, r.Flags)
	}
	if len(r.Sections) != 1 || string(r.Sections["polls"]) != "[]" {
		t.Fatalf("sections of a talk without polls: %s", r.Sections)
	}
	csv := string(testserver.Must(t, env.Get(path(id, ".csv"), admin.Token), 200).Body)
	for _, want := range []string{"metric,value\r\n", "peak_viewers,38\r\n", "attended_share_of_registered,0.75\r\n", "top_question_1,"} {
		if !strings.Contains(csv, want) {
			t.Fatalf("CSV lacks %q:\n%s", want, csv)
		}
	}
	testserver.Must(t, env.Get(path(id, ""), nobody.Token), 403)
	testserver.Must(t, env.Get(path(id, ".csv"), ""), 401)
}

func path(id int64, suffix string) string {
	return fmt.Sprintf("/api/v1/talks/%d/report%s", id, suffix)
}

// stubSection stands for what another domain (polls) adds to the report.
type stubSection struct{ Ballots int }

func (s stubSection) CSV() [][2]string { return [][2]string{{"ballots", fmt.Sprint(s.Ballots)}} }

// A domain adds a section with one function; it shows under its name.
func TestReportSectionsPlugIn(t *testing.T) {
	env := testserver.New(t)
	admin := env.NewUser("admin")
	tk := testserver.NewTalk(t, env, admin.Token, map[string]any{"title": "Sections"})
	svc := report.NewService(env.DB)
	svc.Sections["polls"] = func(ctx context.Context, q sqlx.QueryerContext, talkID int64) (report.Section, error) {
		var n int
		err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM talks WHERE id = $1`, talkID)
		return stubSection{Ballots: n}, err
	}
	r, err := svc.Get(context.Background(), &domain.User{ID: admin.ID, Role: domain.RoleAdmin}, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	if s, ok := r.Sections["polls"].(stubSection); !ok || s.Ballots != 1 || !strings.Contains(string(b), `"sections":{"polls":{"Ballots":1}}`) {
		t.Fatalf("sections %+v in %s", r.Sections, b)
	}
}
