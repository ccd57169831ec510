package registrations_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// The registrant CSV opens in spreadsheets as written: UTF-8 with a BOM
// (Excel on Windows reads "Zoë" right), CRLF line ends (RFC 4180), and no
// cell that a spreadsheet would run as a formula.
func TestRegistrantCSV(t *testing.T) {
	env, mod, tk := serverWithTalk(t, nil)
	names := []string{"Zoë Ærøskøbing", `=HYPERLINK("http://x","y")`, "+1 line\nbreak", "@SUM(A1)", "-2, \"quoted\""}
	for _, name := range names {
		u := env.NewUser("participant")
		if _, err := env.DB.Exec(`UPDATE users SET display_name = $1 WHERE id = $2`, name, u.ID); err != nil {
			t.Fatal(err)
		}
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, nil), 201)
	}
	resp := testserver.Must(t, env.Do(testserver.Req{Method: "GET", Path: fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID),
		Token: mod.Token, Header: map[string]string{"Accept": "text/csv"}}), 200)
	body := resp.Body
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		t.Fatalf("no UTF-8 BOM: %q", clip(body))
	}
	body = body[3:]
	// Every line ends in CRLF (the line break inside a quoted name too, as
	// RFC 4180 writes them): no bare LF or CR.
	if !bytes.HasSuffix(body, []byte("\r\n")) || bytes.ContainsAny(bytes.ReplaceAll(body, []byte("\r\n"), nil), "\r\n") {
		t.Errorf("a line not ended by CRLF: %q", body)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(recs) != len(names)+1 {
		t.Fatalf("csv: %v, %d records", err, len(recs))
	}
	got := map[string]bool{}
	for _, r := range recs[1:] {
		got[r[1]] = true
	}
	for _, name := range names {
		want := name
		if strings.ContainsRune("=+-@", rune(name[0])) {
			want = "'" + name
		}
		if !got[want] {
			t.Errorf("display name %q not written as %q: %v", name, want, got)
		}
	}
}

func clip(b []byte) string {
	if len(b) > 80 {
		b = b[:80]
	}
	return string(b)
}
