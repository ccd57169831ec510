package moderation

import (
	"strings"
	"unicode/utf8"

	"github.com/hubtalks/hubtalks/server/domain"
)

// The checks of user text that questions, answers, threads, posts, flags
// and staff actions share.

// Text trims a required text field and checks its length in characters
// (1..max); the trimmed text is stored as typed, never rewritten.
func Text(v *domain.Checker, field string, s *string, max int) string {
	if s == nil {
		v.Add(field, "is required")
		return ""
	}
	t := strings.TrimSpace(*s)
	n := utf8.RuneCountInString(t)
	switch {
	case n == 0:
		v.Add(field, "must not be empty")
	case n > max:
		v.AddMsg(field, domain.Count("problem.chars_max", max, nil))
	case !utf8.ValidString(t):
		v.Add(field, "must be valid UTF-8")
	}
	return t
}

// OptionalText is Text for a field that may be left out ("" then).
func OptionalText(v *domain.Checker, field string, s *string, max int) string {
	if s == nil {
		return ""
	}
	return Text(v, field, s, max)
}

// MaxReason bounds the optional reason of flags and staff actions.
const MaxReason = 500

// Reason checks an optional reason.
func Reason(v *domain.Checker, s *string) string {
	if s == nil {
		return ""
	}
	t := strings.TrimSpace(*s)
	v.CheckMsg(utf8.RuneCountInString(t) <= MaxReason, "reason", domain.Count("problem.chars_max", MaxReason, nil))
	return t
}
