package talks

import (
	"strconv"
	"strings"
)

// Slugify makes the URL name of a title: lowercase ASCII letters and digits
// separated by single hyphens (accents folded), at most 80 characters.
func Slugify(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(title) {
		if f, ok := fold[r]; ok {
			r = f
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
		if b.Len() >= 80 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "talk"
	}
	return s
}

var fold = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ç': 'c', 'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n', 'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y', 'ß': 's', 'ł': 'l', 'ś': 's', 'ź': 'z', 'ż': 'z',
	'č': 'c', 'š': 's', 'ž': 'z', 'ř': 'r', 'ě': 'e', 'ő': 'o', 'ű': 'u', 'ă': 'a', 'ș': 's', 'ț': 't',
}

// pickSlug is base, or base-2, base-3 … the first that is not taken.
func pickSlug(base string, taken []string) string {
	used := map[string]bool{}
	for _, s := range taken {
		used[s] = true
	}
	if !used[base] {
		return base
	}
	for n := 2; ; n++ {
		if s := base + "-" + strconv.Itoa(n); !used[s] {
			return s
		}
	}
}

// likeEscape escapes LIKE's wildcards in user text so they match themselves.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
