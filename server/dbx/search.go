package dbx

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// minPrefix is the shortest last word matched as a prefix: shorter ones
// match as whole words (a one- or two-letter prefix matches most of the
// series and says little).
const minPrefix = 3

// SearchTerms splits the text of a search box into what websearch_to_tsquery
// reads (words) and the last word to match as a prefix (prefix, "" for
// none). The last word is a prefix while it is being typed: it ends the
// text, stands alone (after a space or at the start, not negated, not in a
// quoted phrase, not "or") and has at least minPrefix letters or digits.
func SearchTerms(q string) (words, prefix string) {
	end := len(q)
	start := end
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(q[:start])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			break
		}
		start -= size
	}
	last := q[start:end]
	if utf8.RuneCountInString(last) < minPrefix || strings.EqualFold(last, "or") || strings.Count(q[:start], `"`)%2 == 1 {
		return q, ""
	}
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(q[:start]); !unicode.IsSpace(r) {
			return q, ""
		}
	}
	return q[:start], last
}
