package accounts

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Limits of a speaker profile.
const (
	MaxBio         = 2000 // characters, plain text with line breaks
	MaxAffiliation = 200  // characters, one line
	MaxLinks       = 5
	MaxLinkLen     = 500 // bytes of one URL
)

// profileFields is a ProfileChange's bio, affiliation and links as they
// would be stored (nil: unchanged).
type profileFields struct {
	bio, affiliation *string
	links            []string
}

// checkProfile records on v what is wrong with ch's profile fields, and
// returns them as they would be stored: trimmed, in NFC, line breaks as LF.
func checkProfile(v *domain.Checker, ch ProfileChange) profileFields {
	var out profileFields
	if ch.Bio != nil {
		bio := cleanText(v, "bio", strings.ReplaceAll(*ch.Bio, "\r\n", "\n"), 0, MaxBio, true)
		out.bio = &bio
	}
	if ch.Affiliation != nil {
		aff := cleanText(v, "affiliation", *ch.Affiliation, 0, MaxAffiliation, false)
		out.affiliation = &aff
	}
	if ch.Links != nil {
		out.links = checkLinks(v, *ch.Links)
	}
	return out
}

// cleanText is s as it is stored (trimmed, in NFC), with what is wrong
// with it recorded on v under field: a length outside min–max characters,
// control characters (but line breaks and tabs when multiline), bidi
// embeddings, overrides or isolates (which would reorder the text around
// it). Emoji sequences (ZWJ, variation selectors) are fine.
func cleanText(v *domain.Checker, field, s string, min, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		v.Add(field, "must be valid UTF-8")
		return ""
	}
	clean := strings.TrimSpace(norm.NFC.String(s))
	n := utf8.RuneCountInString(clean)
	if min > 0 {
		v.CheckMsg(n >= min && n <= max, field, domain.Count("problem.chars_between", max, map[string]any{"Min": min}))
	} else {
		v.CheckMsg(n <= max, field, domain.Count("problem.chars_max", max, nil))
	}
	for _, r := range clean {
		if unicode.Is(unicode.Cc, r) && !(multiline && (r == '\n' || r == '\t')) {
			if multiline {
				v.Add(field, "must not contain control characters")
			} else {
				v.Add(field, "must not contain control characters or line breaks")
			}
			break
		}
		if isBidiControl(r) {
			v.Add(field, "must not contain bidirectional embedding, override or isolate characters")
			break
		}
	}
	return clean
}

// checkLinks checks up to MaxLinks absolute http or https URLs; empty
// entries are dropped.
func checkLinks(v *domain.Checker, links []string) []string {
	out := []string{}
	for i, l := range links {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		field := fmt.Sprintf("links[%d]", i)
		if len(l) > MaxLinkLen {
			v.AddMsg(field, domain.Count("problem.chars_max", MaxLinkLen, nil))
			continue
		}
		v.Check(validLink(l), field, "must be a web address starting with https:// or http://")
		out = append(out, l)
	}
	v.CheckMsg(len(out) <= MaxLinks, "links", domain.Count("problem.links_max", MaxLinks, nil))
	return out
}

// validLink is an absolute http(s) URL with a host and no user info,
// spaces or control characters.
func validLink(s string) bool {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) || isBidiControl(r) }) >= 0 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Hostname() == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}
