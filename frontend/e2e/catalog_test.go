package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// catalog is a frontend message catalog (frontend/src/i18n/<code>.json),
// read by the browser tests so that what they expect to see is what the
// catalog says: a changed translation changes the expectation with it,
// and a key that is missing fails the test instead of matching nothing.
type catalog struct {
	t        *testing.T
	code     string
	messages map[string]string
}

var catalogs = map[string]*catalog{}

// loadCatalog reads frontend/src/i18n/<code>.json (once per test binary).
func loadCatalog(t *testing.T, code string) *catalog {
	t.Helper()
	if c, ok := catalogs[code]; ok {
		return &catalog{t: t, code: code, messages: c.messages}
	}
	raw, err := os.ReadFile(filepath.Join("..", "src", "i18n", code+".json"))
	if err != nil {
		t.Fatalf("the %s catalog: %v", code, err)
	}
	c := &catalog{t: t, code: code}
	if err := json.Unmarshal(raw, &c.messages); err != nil {
		t.Fatalf("the %s catalog: %v", code, err)
	}
	catalogs[code] = c
	return c
}

// T is the message key with its ICU arguments filled, as the app shows it.
func (c *catalog) T(key string, args ...any) string {
	c.t.Helper()
	msg, ok := c.messages[key]
	if !ok {
		c.t.Fatalf("the %s catalog has no key %q", c.code, key)
	}
	values := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		values[args[i].(string)] = args[i+1]
	}
	out, err := formatICU(msg, values, c.code, "")
	if err != nil {
		c.t.Fatalf("%s %s: %v", c.code, key, err)
	}
	return out
}

// formatICU formats the subset of ICU MessageFormat the catalogs use:
// {arg}, {arg, number}, {arg, plural, =n {…} one {…} other {…}} with #,
// {arg, select, … other {…}}, and apostrophe quoting as @messageformat/core
// reads it (two apostrophes are one; one quotes only before { } or, in a
// plural, #).
// Anything else is an error, so the test never guesses.
func formatICU(msg string, args map[string]any, lang, hash string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(msg); {
		ch := msg[i]
		switch {
		case ch == '\'':
			text, next, err := quoted(msg, i, hash != "")
			if err != nil {
				return "", err
			}
			b.WriteString(text)
			i = next
		case ch == '#' && hash != "":
			b.WriteString(hash)
			i++
		case ch == '{':
			end, err := closing(msg, i)
			if err != nil {
				return "", err
			}
			s, err := formatArg(msg[i+1:end], args, lang, hash)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i = end + 1
		case ch == '}':
			return "", fmt.Errorf("unbalanced } in %q", msg)
		default:
			b.WriteByte(ch)
			i++
		}
	}
	return b.String(), nil
}

// quoted reads an apostrophe at i the way @messageformat/core does: two are
// one apostrophe (text "'", next at i+2); one before { or } (or # when
// hashQuotes, inside a plural) quotes up to the next apostrophe (text the
// quoted part, next after it); otherwise it is itself (text "'", next i+1).
func quoted(msg string, i int, hashQuotes bool) (text string, next int, err error) {
	if i+1 < len(msg) && msg[i+1] == '\'' {
		return "'", i + 2, nil
	}
	if i+1 < len(msg) && (msg[i+1] == '{' || msg[i+1] == '}' || hashQuotes && msg[i+1] == '#') {
		end := strings.IndexByte(msg[i+1:], '\'')
		if end < 0 {
			return "", 0, fmt.Errorf("unclosed quote in %q", msg)
		}
		return msg[i+1 : i+1+end], i + end + 2, nil
	}
	return "'", i + 1, nil
}

// closing is the index of the } that closes the { at open.
func closing(msg string, open int) (int, error) {
	depth := 0
	for i := open; i < len(msg); i++ {
		switch msg[i] {
		case '\'':
			_, next, err := quoted(msg, i, false)
			if err != nil {
				return 0, err
			}
			i = next - 1
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced { in %q", msg)
}

// formatArg formats the inside of one {…}.
func formatArg(inner string, args map[string]any, lang, hash string) (string, error) {
	name, rest, _ := strings.Cut(inner, ",")
	name = strings.TrimSpace(name)
	v, ok := args[name]
	if !ok {
		return "", fmt.Errorf("no value for {%s}", name)
	}
	kind, cases, _ := strings.Cut(rest, ",")
	switch kind = strings.TrimSpace(kind); kind {
	case "":
		return fmt.Sprint(v), nil
	case "number":
		if strings.TrimSpace(cases) != "" {
			return "", fmt.Errorf("{%s, number, %s}: only plain numbers", name, cases)
		}
		n, ok := v.(int)
		if !ok || n < 0 || n > 999 { // no grouping separators to guess
			return "", fmt.Errorf("{%s, number}: %v is not a small integer", name, v)
		}
		return strconv.Itoa(n), nil
	case "plural", "select":
		branches, err := parseCases(cases)
		if err != nil {
			return "", fmt.Errorf("{%s, %s}: %w", name, kind, err)
		}
		var pick string
		if kind == "plural" {
			n, ok := v.(int)
			if !ok || n < 0 || n > 999 {
				return "", fmt.Errorf("{%s, plural}: %v is not a small integer", name, v)
			}
			hash = strconv.Itoa(n)
			if _, exact := branches["="+hash]; exact {
				pick = "=" + hash
			} else {
				pick = pluralCategory(lang, n)
			}
		} else {
			pick = fmt.Sprint(v)
		}
		sub, ok := branches[pick]
		if !ok {
			sub, ok = branches["other"]
		}
		if !ok {
			return "", fmt.Errorf("{%s, %s}: no %q and no other", name, kind, pick)
		}
		return formatICU(sub, args, lang, hash)
	}
	return "", fmt.Errorf("{%s, %s}: unsupported", name, kind)
}

// parseCases reads `key {message} key {message} …`.
func parseCases(s string) (map[string]string, error) {
	out := map[string]string{}
	for i := 0; ; {
		for i < len(s) && strings.ContainsRune(" \t\n", rune(s[i])) {
			i++
		}
		if i == len(s) {
			return out, nil
		}
		open := strings.IndexByte(s[i:], '{')
		if open < 0 {
			return nil, fmt.Errorf("case without a message in %q", s)
		}
		key := strings.TrimSpace(s[i : i+open])
		if key == "" || strings.HasPrefix(key, "offset:") {
			return nil, fmt.Errorf("unsupported case %q", key)
		}
		end, err := closing(s, i+open)
		if err != nil {
			return nil, err
		}
		out[key] = s[i+open+1 : end]
		i = end + 1
	}
}

// pluralCategory is CLDR's cardinal category of a whole number n (< 1000)
// in the six languages: French counts 0 as "one" too (European Portuguese,
// the catalog's variety, does not).
func pluralCategory(lang string, n int) string {
	switch {
	case n == 1, n == 0 && lang == "fr":
		return "one"
	}
	return "other"
}

// TestI18nCatalogFormat: the test's ICU reader agrees with the catalogs'
// syntax: every message of every catalog parses, and the forms the
// journeys use come out as written.
func TestI18nCatalogFormat(t *testing.T) {
	cases := []struct {
		msg  string
		args map[string]any
		lang string
		want string
	}{
		{"{count, plural, one {# vote} other {# votes}}", map[string]any{"count": 1}, "en", "1 vote"},
		{"{count, plural, one {# vote} other {# votes}}", map[string]any{"count": 0}, "en", "0 votes"},
		{"{count, plural, one {# voix} other {# voix}}", map[string]any{"count": 0}, "fr", "0 voix"},
		{"{count, plural, one {# voto} other {# votos}}", map[string]any{"count": 0}, "pt", "0 votos"},
		{"{count, plural, =0 {none} one {one} other {#}}", map[string]any{"count": 0}, "en", "none"},
		{"{a, select, x {X{b}} other {O}}!", map[string]any{"a": "x", "b": "y"}, "en", "Xy!"},
		{"{a, select, x {X} other {O}}", map[string]any{"a": "z"}, "en", "O"},
		{"l'enregistrement '{'n'}' ''{n, number}''", map[string]any{"n": 3}, "fr", "l'enregistrement {n} '3'"},
		{"{n, plural, other {'#' #}}", map[string]any{"n": 2}, "en", "# 2"},
	}
	for _, c := range cases {
		got, err := formatICU(c.msg, c.args, c.lang, "")
		if err != nil || got != c.want {
			t.Errorf("%q with %v: %q, %v; want %q", c.msg, c.args, got, err, c.want)
		}
	}
	// Every message at least parses: its braces balance and its cases read.
	for _, code := range []string{"en", "es", "fr", "de", "it", "pt"} {
		for key, msg := range loadCatalog(t, code).messages {
			if err := checkSyntax(msg); err != nil {
				t.Errorf("%s %s: %v", code, key, err)
			}
		}
	}
}

// checkSyntax walks a message's arguments and cases without values.
func checkSyntax(msg string) error {
	for i := 0; i < len(msg); i++ {
		switch msg[i] {
		case '\'':
			_, next, err := quoted(msg, i, false)
			if err != nil {
				return err
			}
			i = next - 1
		case '}':
			return fmt.Errorf("unbalanced }")
		case '{':
			end, err := closing(msg, i)
			if err != nil {
				return err
			}
			_, rest, _ := strings.Cut(msg[i+1:end], ",")
			kind, cases, _ := strings.Cut(rest, ",")
			if k := strings.TrimSpace(kind); k == "plural" || k == "select" {
				branches, err := parseCases(cases)
				if err != nil {
					return err
				}
				if _, ok := branches["other"]; !ok {
					return fmt.Errorf("no other case")
				}
				for _, sub := range branches {
					if err := checkSyntax(sub); err != nil {
						return err
					}
				}
			}
			i = end
		}
	}
	return nil
}
