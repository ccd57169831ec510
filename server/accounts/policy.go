package accounts

import (
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/matching"
	"github.com/trustelem/zxcvbn/scoring"
	"golang.org/x/text/unicode/norm"

	"github.com/hubtalks/hubtalks/server/domain"
)

// The display-name rule and the password policy: every path that sets a
// name or a password (signup, guests, PATCH /me, reset, change, upgrade)
// calls these, so the rules cannot drift apart.

// MaxDisplayName is the longest display name, in Unicode code points after
// NFC (not graphemes: the bound is about storage and layout, and an emoji
// family of seven code points still fits many times over).
const MaxDisplayName = 60

// CleanDisplayName is name as it is stored: trimmed and in NFC. It refuses
// (domain.Invalid on field display_name) an empty or over-long name, control
// characters (Unicode Cc: CR, LF, TAB, NUL…) and the bidi embeddings,
// overrides and isolates that would reorder the text around the name;
// emoji sequences (ZWJ, variation selectors) are fine.
func CleanDisplayName(name string) (string, error) {
	var v domain.Checker
	clean := CheckDisplayName(&v, "display_name", name)
	return clean, v.Err()
}

// CheckDisplayName records on v, under field, what is wrong with name, and
// returns the name as it would be stored.
func CheckDisplayName(v *domain.Checker, field, name string) string {
	return cleanText(v, field, name, 1, MaxDisplayName, false)
}

// isBidiControl is U+202A–U+202E (embeddings, overrides) and U+2066–U+2069
// (isolates).
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

const (
	minPasswordLen = 10
	maxPasswordLen = 1024 // bytes; longer is a denial-of-service vector, not a password
	// commonRank: a password that is, or is a case, l33t or reversed variant
	// of, one of the 10,000 most common passwords of zxcvbn's "passwords"
	// list (ranked by frequency in leaked sets) is refused.
	commonRank = 10000
	// minGuesses: zxcvbn's estimate below which a password falls to an
	// online attack in reach of our throttles (its score 0 and 1). It
	// catches the trivial variations a whole-word match does not:
	// "Password1!", keyboard walks, repeats, dates.
	minGuesses = 1e6
	// Only this long a password is estimated (the matcher is quadratic in
	// the length); no common password is longer.
	maxEstimated = 100
	// Names and local parts shorter than this are not looked for inside the
	// password: "Al" would forbid too much.
	minPersonalPart = 3
)

// ValidPassword checks the length rules only: at least 10 characters, at
// most 1,024 bytes, valid UTF-8 (the command line's accounts).
func ValidPassword(v *domain.Checker, pw string) {
	checkPasswordLength(v, "password", pw)
}

func checkPasswordLength(v *domain.Checker, field, pw string) bool {
	n := utf8.RuneCountInString(pw)
	ok := n >= minPasswordLen && len(pw) <= maxPasswordLen && utf8.ValidString(pw)
	v.CheckMsg(n >= minPasswordLen, field, domain.Count("problem.chars_min", minPasswordLen, nil))
	v.CheckMsg(len(pw) <= maxPasswordLen, field, domain.Count("problem.bytes_max", maxPasswordLen, nil))
	v.Check(utf8.ValidString(pw), field, "must be valid UTF-8")
	return ok
}

// CheckPassword records on v, under field, why pw may not be the password
// of the account with email and display name: too short or long, one of
// the 10,000 most common passwords or a trivial variation of one, or
// containing the email's local part or the name (case-insensitive).
func CheckPassword(v *domain.Checker, field, pw, email, name string) {
	if !checkPasswordLength(v, field, pw) {
		return
	}
	lower := strings.ToLower(norm.NFC.String(pw))
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	personal := []string{local, strings.ToLower(strings.TrimSpace(name))}
	for _, part := range personal {
		if utf8.RuneCountInString(part) >= minPersonalPart && strings.Contains(lower, part) {
			v.Add(field, "must not contain your name or your email address")
			return
		}
	}
	if len(pw) > maxEstimated {
		return
	}
	matches := matching.Omnimatch(pw, personal)
	for _, m := range matches {
		if m.Pattern == "dictionary" && m.DictionaryName == "passwords" && m.Rank <= commonRank &&
			m.I == 0 && m.J == len(pw)-1 {
			v.Add(field, "is one of the most common passwords; choose another")
			return
		}
	}
	if scoring.MostGuessableMatchSequence(pw, matches, false).Guesses < minGuesses {
		v.Add(field, "is too easy to guess; add words or characters that do not follow a pattern")
	}
}
