package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A maker is a function whose argument at index arg is a message people
// read in a problem: a detail or a field message.
type maker struct {
	name  string
	arity int // -1: any number of arguments from arg+1
	arg   int
}

// makers are the ways the server words a problem; the functions that pass
// a parameter on to one of them are found and checked too.
var makers = []maker{
	{"Check", 3, 2}, {"Add", 2, 1}, // domain.Checker
	{"InvalidField", 2, 1}, {"Forbidden", 1, 0}, {"NotFound", 1, 0}, {"TooMany", 2, 0}, {"Because", -1, 1},
	{"NewProblem", 3, 2}, {"BadRequest", 2, 1}, {"Unauthorized", 1, 0}, {"Unavailable", 1, 0}, {"TooManyRequests", 2, 0},
}

// fieldMakers are the struct fields that hold a message people read.
var fieldMakers = map[string]map[string]int{ // type: field: position in an unkeyed literal
	"FieldError": {"Message": 1},
	"Denial":     {"Reason": 0},
	"Missing":    {"What": 0},
	"Limited":    {"Detail": 0},
	"Problem":    {"Detail": 4},
}

// assignedFields are the fields whose assignment sets a message people read.
var assignedFields = map[string]bool{"Detail": true, "Message": true, "Reason": true, "What": true}

// passedOn are the places that hand a message on that is checked
// elsewhere, by file and expression: each says where its text comes from.
var passedOn = map[string]string{
	"errors.go: detailForStatus[fe.Code]":                      "TestEveryProblemDetailIsTranslated checks the table",
	"errors.go: fe.Message":                                    "Fiber's own text of a status below 500 without a detail of ours: its status's text, localized as the title (status.*)",
	"errors.go: speakers.ErrPhotoTooLarge.Error()":             "a sentinel of the error table: TestEveryProblemDetailIsTranslated",
	"domain/errors.go: m.String()":                             "the English of a domain.Msg, which is checked where it is made",
	"domain/msg.go: m.String()":                                "the English of a domain.Msg, which is checked where it is made",
	"httpx/problem.go: m.String()":                             "the English of a domain.Msg, which is checked where it is made",
	"playlists/requests.go: fe.Error()":                        "a feed's field and message (feedErr, a domain.Msg)",
	"playlists/requests.go: fe.Message":                        "a feed's message (feedErr, a domain.Msg)",
	"errors.go: e.err.Error()":                                 "a sentinel of the error table: TestEveryProblemDetailIsTranslated",
	"errors.go: d.Detail()":                                    "a Detailed error: made by a maker this test checks",
	"errors.go: limited.Detail":                                "made by TooMany or TooManyMsg, which this test checks",
	`httpx/problem.go: errs[0].Field + ": " + errs[0].Message`: "one field's error as the detail: LocalizeProblem renders it from the field error",
}

type goFile struct {
	path string
	f    *ast.File
}

func serverFiles(t *testing.T, fset *token.FileSet) []goFile {
	t.Helper()
	var files []goFile
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, goFile{path, f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Every message a problem can carry is in the catalogs: a fixed text is a
// problem.* message word for word, and a text with values is a domain.Msg
// (domain.Say, domain.Count) naming a problem.* message, with the values
// its placeholders read. A detail built with fmt.Sprintf or +, or taken
// from a variable this test cannot follow, fails: it would reach people
// in English only.
func TestEveryProblemMessageIsInTheCatalogs(t *testing.T) {
	en, err := Source(Default)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := serverFiles(t, fset)
	known := slices.Clone(makers)
	isMaker := func(name string, nargs int) []int {
		var args []int
		for _, m := range known {
			if m.name == name && (m.arity == nargs || m.arity < 0 && nargs > m.arg) {
				args = append(args, m.arg)
			}
		}
		return args
	}
	var problems []string
	report := func(pos token.Pos, format string, a ...any) {
		p := fset.Position(pos)
		problems = append(problems, p.Filename+":"+strconv.Itoa(p.Line)+": "+fmt.Sprintf(format, a...))
	}
	var check func(fn *ast.FuncDecl, file string, e ast.Expr)
	check = func(fn *ast.FuncDecl, file string, e ast.Expr) {
		switch x := ast.Unparen(e).(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(x.Value)
			if err != nil {
				report(x.Pos(), "%s is not a string", x.Value)
			} else if _, ok := problemIDs[s]; !ok {
				report(x.Pos(), "%q is not a problem.* message of the catalogs", s)
			}
			return
		case *ast.Ident:
			if fn != nil && fn.Type.Params != nil {
				i := 0
				for _, f := range fn.Type.Params.List {
					for _, n := range f.Names {
						if n.Name == x.Name {
							// A parameter: the function passes a message on,
							// and its callers' arguments are checked.
							m := maker{fn.Name.Name, len(paramNames(fn)), i}
							if _, variadic := fn.Type.Params.List[len(fn.Type.Params.List)-1].Type.(*ast.Ellipsis); variadic {
								m.arity = -1
							}
							if !slices.ContainsFunc(known, func(k maker) bool { return k.name == m.name && k.arg == i }) {
								known = append(known, m)
							}
							return
						}
						i++
					}
				}
			}
			if fn != nil && x.Obj != nil {
				found := false
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					switch a := n.(type) {
					case *ast.AssignStmt:
						for i, l := range a.Lhs {
							if id, ok := l.(*ast.Ident); ok && id.Obj == x.Obj && len(a.Rhs) == len(a.Lhs) {
								found = true
								check(fn, file, a.Rhs[i])
							}
						}
					case *ast.ValueSpec:
						for i, id := range a.Names {
							if id.Obj == x.Obj && i < len(a.Values) {
								found = true
								check(fn, file, a.Values[i])
							}
						}
					}
					return true
				})
				if found {
					return
				}
			}
		}
		src := exprString(fset, e)
		if _, ok := passedOn[filepath.ToSlash(strings.TrimPrefix(file, "../"))+": "+src]; ok {
			return
		}
		report(e.Pos(), "%s is not a catalog message: a fixed problem.* text, or a domain.Msg (domain.Say, domain.Count) with values", src)
	}
	checkMsg := func(call *ast.CallExpr, name string) {
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			report(call.Pos(), "%s names its message by a literal id", name)
			return
		}
		id, _ := strconv.Unquote(lit.Value)
		msg, ok := en[id]
		if !ok || !strings.HasPrefix(id, problemPrefix) {
			report(call.Pos(), "%q is not a problem.* message of the English catalog", id)
			return
		}
		if _, plural := msg.(map[string]any); plural != (name == "Count") {
			report(call.Pos(), "%q: %s, but its message has plural forms: %v (Count is for those)", id, name, plural)
		}
		data := call.Args[len(call.Args)-1]
		var keys []string
		if name == "Count" {
			keys = append(keys, "Count")
		}
		switch d := data.(type) {
		case *ast.Ident:
			if d.Name != "nil" {
				report(d.Pos(), "%q: give its values as a map literal, so this test can read them", id)
				return
			}
		case *ast.CompositeLit:
			for _, el := range d.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(k.Value)
						keys = append(keys, s)
					}
				}
			}
		default:
			report(d.Pos(), "%q: give its values as a map literal, so this test can read them", id)
			return
		}
		slices.Sort(keys)
		want := placeholders(msg)
		if name == "Count" && !slices.Contains(want, "Count") {
			want = append(want, "Count")
			slices.Sort(want)
		}
		if !slices.Equal(keys, want) {
			report(call.Pos(), "%q reads %v, given %v", id, want, keys)
		}
	}
	for {
		before := len(known)
		problems = problems[:0]
		for _, gf := range files {
			for _, decl := range gf.f.Decls {
				fn, _ := decl.(*ast.FuncDecl)
				ast.Inspect(decl, func(n ast.Node) bool {
					switch x := n.(type) {
					case *ast.CallExpr:
						name := callName(x)
						if (name == "Say" || name == "Count") && isDomain(x, gf.f.Name.Name) && len(x.Args) >= 2 {
							checkMsg(x, name)
						}
						for _, i := range isMaker(name, len(x.Args)) {
							check(fn, gf.path, x.Args[i])
						}
					case *ast.AssignStmt:
						// p.Detail = …: a message set after the fact (this
						// package's own rendering aside)
						for i, l := range x.Lhs {
							sel, ok := l.(*ast.SelectorExpr)
							if ok && assignedFields[sel.Sel.Name] && len(x.Rhs) == len(x.Lhs) && gf.f.Name.Name != "i18n" {
								check(fn, gf.path, x.Rhs[i])
							}
						}
					case *ast.CompositeLit:
						if typeName(x.Type) == "Msg" && gf.f.Name.Name != "domain" {
							report(x.Pos(), "make a domain.Msg with domain.Say or domain.Count, which this test reads")
						}
						fields, ok := fieldMakers[typeName(x.Type)]
						if !ok {
							return true
						}
						for i, el := range x.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := kv.Key.(*ast.Ident); ok {
									if _, ok := fields[k.Name]; ok {
										check(fn, gf.path, kv.Value)
									}
								}
							} else if slices.Contains(mapValues(fields), i) {
								check(fn, gf.path, el)
							}
						}
					}
					return true
				})
			}
		}
		if len(known) == before {
			break
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func paramNames(fn *ast.FuncDecl) []string {
	var names []string
	for _, f := range fn.Type.Params.List {
		for _, n := range f.Names {
			names = append(names, n.Name)
		}
	}
	return names
}

func callName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// isDomain: domain.Say, or Say inside package domain.
func isDomain(c *ast.CallExpr, pkg string) bool {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return pkg == "domain"
	case *ast.SelectorExpr:
		x, ok := f.X.(*ast.Ident)
		return ok && x.Name == "domain"
	}
	return false
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return ""
}

func mapValues(m map[string]int) []int {
	var v []int
	for _, i := range m {
		v = append(v, i)
	}
	return v
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	_ = printer.Fprint(&b, fset, e)
	return b.String()
}
