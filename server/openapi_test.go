package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// TestOpenAPIMatchesRoutes fails when a route is registered under /api/v1
// without being described in openapi.json, or described without existing.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	env := testserver.New(t, testserver.WithHub(realtime.HubConfig{}))
	registered := map[string]bool{}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	for _, r := range env.Server.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "HEAD" || strings.HasSuffix(r.Path, "*") {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		registered[r.Method+" "+path] = true
	}
	resp := testserver.Must(t, env.Get("/api/v1/openapi.json", ""), 200)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	resp.JSON(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("openapi.json describes routes that are not registered:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(registered) < 8 {
		t.Fatalf("only %d routes registered: the walk is broken", len(registered))
	}
}

// TestOpenAPIResponsesAreStrict keeps openapi.json's response schemas
// exact, so the frontend's generated types and the contract test mean
// something: every object closes itself (additionalProperties: false, or a
// described map), names what the server always sends in `required`, and
// says in a description when an optional property is absent. Nullability
// is OpenAPI 3.1's (a "null" type), never 3.0's `nullable`.
func TestOpenAPIResponsesAreStrict(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	visited := map[string]bool{}
	var lint func(where string, v any)
	lint = func(where string, v any) {
		switch s := v.(type) {
		case []any:
			for i, x := range s {
				lint(fmt.Sprintf("%s/%d", where, i), x)
			}
		case map[string]any:
			if ref, ok := s["$ref"].(string); ok {
				if !visited[ref] {
					visited[ref] = true
					lint(ref, jsonPointer(doc, ref))
				}
				return
			}
			if _, ok := s["nullable"]; ok {
				t.Errorf("%s: `nullable` is OpenAPI 3.0; use a \"null\" type", where)
			}
			props, hasProps := s["properties"].(map[string]any)
			if hasProps || s["type"] == "object" {
				switch ap := s["additionalProperties"].(type) {
				case bool:
					if ap && s["description"] == nil {
						t.Errorf("%s: an open object needs a description saying why", where)
					}
				case map[string]any:
					if s["description"] == nil {
						t.Errorf("%s: a map needs a description", where)
					}
				default:
					t.Errorf("%s: object without additionalProperties (false for records)", where)
				}
			}
			if hasProps {
				required := map[string]bool{}
				list, ok := s["required"].([]any)
				if !ok {
					t.Errorf("%s: object without required", where)
				}
				for _, r := range list {
					required[r.(string)] = true
					if props[r.(string)] == nil {
						t.Errorf("%s: required %q is not a property", where, r)
					}
				}
				for name, p := range props {
					if pm, _ := p.(map[string]any); !required[name] && pm["description"] == nil {
						t.Errorf("%s: optional property %q needs a description saying when it is absent", where, name)
					}
				}
			}
			for k, x := range s {
				if k != "properties" && k != "examples" && k != "example" && k != "enum" && k != "const" {
					lint(where+"/"+k, x)
				}
			}
			for name, p := range props {
				lint(where+"/properties/"+name, p)
			}
		}
	}
	for path, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			for status, resp := range op.(map[string]any)["responses"].(map[string]any) {
				where := fmt.Sprintf("%s %s %s", strings.ToUpper(method), path, status)
				if r, ok := resp.(map[string]any)["$ref"].(string); ok {
					resp = jsonPointer(doc, r)
				}
				content, _ := resp.(map[string]any)["content"].(map[string]any)
				for mediaType, media := range content {
					schema := media.(map[string]any)["schema"]
					if schema == nil {
						t.Errorf("%s %s: no schema", where, mediaType)
					}
					if mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") {
						lint(where+" "+mediaType, schema)
					}
				}
			}
		}
	}
	if len(visited) < 20 {
		t.Fatalf("only %d schemas reached from responses: the lint is broken", len(visited))
	}
}
