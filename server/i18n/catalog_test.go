package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// pluralForms are the CLDR plural categories each language's catalog must
// give a message with a count (integers: "few" and "two" do not occur in
// these six).
var pluralForms = map[string][]string{
	"en": {"one", "other"}, "de": {"one", "other"},
	"es": {"one", "many", "other"}, "fr": {"one", "many", "other"},
	"it": {"one", "many", "other"}, "pt": {"one", "many", "other"},
}

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// placeholders is the set of fields a message reads, over all its forms.
func placeholders(v any) []string {
	var texts []string
	switch m := v.(type) {
	case string:
		texts = []string{m}
	case map[string]any:
		for _, f := range m {
			if s, ok := f.(string); ok {
				texts = append(texts, s)
			}
		}
	}
	var names []string
	for _, s := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	sort.Strings(names)
	return names
}

// Every catalog has exactly the English keys, a message with a count has
// every plural form of its language, and a message reads the same
// placeholders in every language (Count may be spelled out in "one").
func TestCatalogsHaveEveryKeyFormAndPlaceholder(t *testing.T) {
	en, err := Source(Default)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Locales {
		cat, err := Source(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		for id, want := range en {
			got, ok := cat[id]
			if !ok {
				t.Errorf("%s: %q is missing", l, id)
				continue
			}
			if _, plural := want.(map[string]any); plural {
				forms, ok := got.(map[string]any)
				if !ok {
					t.Errorf("%s: %q has no plural forms", l, id)
					continue
				}
				for _, f := range pluralForms[l] {
					if s, _ := forms[f].(string); s == "" {
						t.Errorf("%s: %q lacks the plural form %q", l, id, f)
					}
				}
				for f := range forms {
					if !slices.Contains(pluralForms[l], f) {
						t.Errorf("%s: %q has the form %q, which %s does not use", l, id, f, l)
					}
				}
			} else if _, ok := got.(string); !ok {
				t.Errorf("%s: %q is not a plain message", l, id)
			}
			wantNames, gotNames := placeholders(want), placeholders(got)
			wantNames = slices.DeleteFunc(wantNames, func(s string) bool { return s == "Count" })
			gotNames = slices.DeleteFunc(gotNames, func(s string) bool { return s == "Count" })
			if !slices.Equal(wantNames, gotNames) {
				t.Errorf("%s: %q reads %v, English reads %v", l, id, gotNames, wantNames)
			}
		}
		for id := range cat {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %q is not in the English catalog", l, id)
			}
		}
	}
}

// goStrings is every string literal of the server's non-test Go files.
func goStrings(t *testing.T) map[string]bool {
	t.Helper()
	lits := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil {
					lits[s] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lits
}

// No catalog holds a message nobody uses: every id is a string in the
// server's code; a problem title is an HTTP status's, in English the
// status's own text; a problem detail's English text is still the
// server's own, word for word (else it would never be localized), or its
// id is (a message with values).
func TestCatalogsHaveNoUnusedKeys(t *testing.T) {
	if _, err := os.Stat("../accounts"); err != nil {
		t.Fatalf("run from server/i18n: %v", err)
	}
	lits := goStrings(t)
	en, err := Source(Default)
	if err != nil {
		t.Fatal(err)
	}
	for id, v := range en {
		switch {
		case strings.HasPrefix(id, "status."):
			code, err := strconv.Atoi(strings.TrimPrefix(id, "status."))
			if err != nil || http.StatusText(code) == "" || v != http.StatusText(code) {
				t.Errorf("%q = %q: not an HTTP status with its own text", id, v)
			}
		case strings.HasPrefix(id, problemPrefix):
			// a fixed text is found by its English, word for word; a
			// message with values by its id (domain.Say, domain.Count)
			if s, plain := v.(string); !lits[id] && (!plain || !lits[s]) {
				t.Errorf("%q: the server no longer says %q", id, v)
			}
		default:
			if !lits[id] {
				t.Errorf("%q is used nowhere in the server's code", id)
			}
		}
	}
}
