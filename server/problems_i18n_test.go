package server

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/i18n"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Every sentinel of the error table, and every detail the server gives
// Fiber's own errors, is in the catalogs: a person reads it in their
// language (TestCatalogs checks each catalog has every message). The
// details and field messages made anywhere else, fixed or with values,
// are checked where they are made: TestEveryProblemMessageIsInTheCatalogs
// in server/i18n walks the server's code for them.
func TestEveryProblemDetailIsTranslated(t *testing.T) {
	ids := i18n.ProblemIDs()
	for _, e := range problems {
		if _, ok := ids[e.err.Error()]; !ok {
			t.Errorf("%s: %q is not in the catalogs", e.code, e.err.Error())
		}
	}
	for status, detail := range detailForStatus {
		if _, ok := ids[detail]; !ok {
			t.Errorf("%d: %q is not in the catalogs", status, detail)
		}
	}
	for _, status := range []int{400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 423, 426, 429, 431, 500, 502, 503} {
		if got := i18n.T("de", "status."+strconv.Itoa(status), nil); got == "status."+strconv.Itoa(status) {
			t.Errorf("status %d has no title", status)
		}
	}

	// A message with values keeps its id and values through every kind of
	// domain error that carries one, wrapped or not: English as the
	// catalog says it, each other language its own, and none of it in
	// the JSON but the texts.
	withValues := []struct {
		err     error
		english string
	}{
		{domain.InvalidMsg("title", domain.Count("problem.chars_max", 200, nil)), "title: must be at most 200 characters"},
		{fmt.Errorf("talk 3: %w", domain.BecauseMsg(talks.ErrInvalidTransition,
			domain.Say("problem.talk_become", map[string]any{"From": "live", "To": "draft"}))), "a live talk cannot become draft"},
		{domain.ForbiddenMsg(domain.Say("problem.staff_questions", map[string]any{"Status": "pending"})), "only staff of this talk see pending questions"},
		{fmt.Errorf("speaker 4: %w", domain.NotFoundMsg(domain.Say("problem.no_such_param", map[string]any{"Param": "id"}))), "no such id"},
		{domain.TooManyMsg(domain.Count("problem.choose_at_most", 2, nil), time.Second), "choose at most 2"},
	}
	for _, c := range withValues {
		p := domainProblem(c.err)
		if p == nil {
			t.Fatalf("%v: no problem", c.err)
		}
		if p.Detail != c.english {
			t.Errorf("English: %q, want %q", p.Detail, c.english)
		}
		raw, err := json.Marshal(p)
		if err != nil || strings.Contains(string(raw), "Msg") || strings.Contains(string(raw), "problem.") {
			t.Errorf("%q: the JSON shows more than the texts: %s", c.english, raw)
		}
		for _, l := range i18n.Locales[1:] {
			q := *p
			i18n.LocalizeProblem(l, &q)
			if q.Detail == p.Detail || strings.Contains(q.Detail, "{{") || strings.Contains(q.Detail, "problem.") || q.Code != p.Code {
				t.Errorf("%s: %q for %q", l, q.Detail, c.english)
			}
			for i, e := range q.Errors {
				if e.Field != p.Errors[i].Field || e.Message == p.Errors[i].Message || !strings.HasSuffix(q.Detail, e.Message) {
					t.Errorf("%s: field %s: %q for %q", l, e.Field, e.Message, p.Errors[i].Message)
				}
			}
		}
	}
	p := domainProblem(domain.InvalidMsg("capacity", domain.Count("problem.capacity_below", 1, nil)))
	i18n.LocalizeProblem("de", p)
	if p.Detail != "capacity: darf nicht unter der 1 bestätigten Registrierung liegen" {
		t.Errorf("German, one registration: %q", p.Detail)
	}
}
