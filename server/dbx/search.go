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
		return once(q, "")
	}
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(q[:start]); !unicode.IsSpace(r) {
			return once(q, "")
		}
	}
	return once(q[:start], last)
}

// once drops a word said twice ("data data", or the prefix being typed
// again as a whole word): the query means the same, but the planner takes
// each repetition for another word and guesses a tiny share of the rows for
// a word in a fifth of them ("aplicaciones" four times: 2,286 posts guessed,
// 222,833 found, 3 s). Text with a quoted phrase or "or" is left as it is,
// since there a repetition can mean something.
func once(words, prefix string) (string, string) {
	if strings.Contains(words, `"`) {
		return words, prefix
	}
	fields := strings.Fields(words)
	seen := make(map[string]bool, len(fields))
	kept := fields[:0:0]
	for _, w := range fields {
		k := strings.ToLower(w)
		if k == "or" {
			return words, prefix
		}
		if !seen[k] {
			seen[k] = true
			kept = append(kept, w)
		}
	}
	if len(kept) == len(fields) && !seen[strings.ToLower(prefix)] {
		return words, prefix
	}
	if seen[strings.ToLower(prefix)] {
		prefix = ""
	}
	out := strings.Join(kept, " ")
	if prefix != "" {
		out += " "
	}
	return out, prefix
}
