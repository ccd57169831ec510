package polls

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/report"
)

// maxReportPolls bounds the polls one report lists; a talk runs a handful.
const maxReportPolls = 100

// ReportSection is the talk report's "polls" section: every poll that was
// opened, oldest first, with its full results (the report is for staff).
type ReportSection []Poll

// Report reads the polls section of talk talkID's report in q.
func (s *Service) Report(ctx context.Context, q sqlx.QueryerContext, talkID int64) (report.Section, error) {
	rows, err := s.store.List(ctx, q, talkID, false, 0, maxReportPolls)
	if err != nil {
		return nil, fmt.Errorf("report polls of talk %d: %w", talkID, err)
	}
	out := make(ReportSection, 0, len(rows))
	for i := len(rows) - 1; i >= 0; i-- { // the list is newest first
		p, err := s.withResults(ctx, q, rows[i].poll(talkID), true)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// CSV is the section as rows of the report's CSV: per poll its question,
// kind, status and ballots, then its results by the poll's kind.
func (r ReportSection) CSV() [][2]string {
	var rows [][2]string
	for i, p := range r {
		key := func(k string) string { return fmt.Sprintf("%d.%s", i+1, k) }
		rows = append(rows, [2]string{key("question"), p.Question}, [2]string{key("kind"), p.Kind},
			[2]string{key("status"), p.Status}, [2]string{key("ballots"), strconv.Itoa(p.Ballots)})
		switch {
		case p.Words != nil:
			words := make([]string, len(p.Words))
			for j, w := range p.Words {
				words[j] = fmt.Sprintf("%s (%d)", w.Word, w.Count)
			}
			rows = append(rows, [2]string{key("words"), strings.Join(words, ", ")})
		case p.Kind == KindRating:
			for j, n := range p.Counts {
				rows = append(rows, [2]string{key(fmt.Sprintf("rating_%d", j+1)), strconv.Itoa(n)})
			}
			if p.Average != nil {
				rows = append(rows, [2]string{key("average"), strconv.FormatFloat(*p.Average, 'f', 2, 64)})
			}
		default:
			for j, n := range p.Counts {
				rows = append(rows, [2]string{key("option_" + strconv.Itoa(j+1)), fmt.Sprintf("%s: %d", p.Options[j], n)})
			}
		}
	}
	return rows
}
