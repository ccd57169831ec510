package testkit

import (
	"bytes"
	"fmt"
	"testing"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
)

// CheckCalendar fails t unless body is an iCalendar object that RFC 5545
// accepts line by line and golang-ical parses, and returns the parsed
// calendar. The line rules (§3.1) are checked on the bytes as sent:
//   - every line ends in CRLF, and there is no bare CR or LF;
//   - no line is longer than 75 octets, CRLF excluded;
//   - no control character other than HTAB (CONTROL in §3.1, which also
//     rules out escaped-away CRs and NULs), and valid UTF-8 (§3.1.4);
//   - it starts with BEGIN:VCALENDAR, ends with END:VCALENDAR and has
//     VERSION, PRODID and at least one component (§3.6, §3.4).
func CheckCalendar(t testing.TB, what string, body []byte) *ics.Calendar {
	t.Helper()
	for _, problem := range CalendarLineProblems(body) {
		t.Errorf("%s: %s", what, problem)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: golang-ical does not parse it: %v\n%s", what, err, body)
	}
	if len(cal.Components) == 0 {
		t.Errorf("%s: a calendar needs at least one component (RFC 5545 §3.6)\n%s", what, body)
	}
	for _, p := range []ics.Property{ics.PropertyVersion, ics.PropertyProductId} {
		if !hasCalendarProperty(cal, p) {
			t.Errorf("%s: no %s (RFC 5545 §3.6)", what, p)
		}
	}
	return cal
}

func hasCalendarProperty(cal *ics.Calendar, p ics.Property) bool {
	for _, cp := range cal.CalendarProperties {
		if cp.IANAToken == string(p) {
			return true
		}
	}
	return false
}

// CalendarLineProblems lists where body breaks RFC 5545's content line
// rules (see CheckCalendar); none for a well-formed calendar.
func CalendarLineProblems(body []byte) []string {
	var out []string
	if !bytes.HasPrefix(body, []byte("BEGIN:VCALENDAR\r\n")) {
		out = append(out, "does not start with BEGIN:VCALENDAR CRLF")
	}
	if !bytes.HasSuffix(body, []byte("END:VCALENDAR\r\n")) {
		out = append(out, "does not end with END:VCALENDAR CRLF")
	}
	if !utf8.Valid(body) {
		out = append(out, "is not valid UTF-8")
	}
	rest := body
	for n := 1; len(rest) > 0; n++ {
		i := bytes.IndexByte(rest, '\n')
		var line []byte
		if i < 0 {
			line, rest = rest, nil
			out = append(out, fmt.Sprintf("line %d has no line end: %q", n, clipLine(line)))
		} else {
			line, rest = rest[:i], rest[i+1:]
			if !bytes.HasSuffix(line, []byte("\r")) {
				out = append(out, fmt.Sprintf("line %d ends in a bare LF: %q", n, clipLine(line)))
			} else {
				line = line[:len(line)-1]
			}
		}
		if len(line) > 75 {
			out = append(out, fmt.Sprintf("line %d is %d octets long (75 at most): %q", n, len(line), clipLine(line)))
		}
		for _, c := range line {
			if (c < 0x20 && c != '\t') || c == 0x7f {
				out = append(out, fmt.Sprintf("line %d holds control character %#02x: %q", n, c, clipLine(line)))
				break
			}
		}
		if len(out) > 20 {
			return append(out, "…")
		}
	}
	return out
}

func clipLine(b []byte) string {
	if len(b) > 90 {
		return string(b[:90]) + "…"
	}
	return string(b)
}
