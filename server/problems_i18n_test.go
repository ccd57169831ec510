package server

import (
	"strconv"
	"testing"

	"github.com/hubtalks/hubtalks/server/i18n"
)

// Every sentinel of the error table, and every detail the server gives
// Fiber's own errors, is in the catalogs: a person reads it in their
// language (TestCatalogs checks each catalog has every message).
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
}
