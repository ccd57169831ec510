package server_test

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// contract validates real responses against openapi.json: the status must
// be documented for the operation (a 2xx explicitly, an error at least by
// `default`), the media type must be one the response lists, and a JSON
// body must match its schema under JSON Schema 2020-12 (the dialect of
// OpenAPI 3.1), formats asserted. Every response is also checked by a
// maintained OpenAPI validator, kin-openapi's openapi3filter.ValidateResponse
// (status, headers, media type, body), on the document as kin-openapi loads
// and validates it. It remembers which documented responses it has seen,
// so a test can require that every one was.
type contract struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer into doc
	seen     map[string]int                // responseKey → bodies validated
	kin      *openapi3.T
}

func init() {
	// kin-openapi decodes the bodies it validates; these are documents
	// whose schema is a string.
	openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/jpeg", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
}

// contractURL names openapi.json inside the compiler; refs resolve in it.
const contractURL = "https://hubtalks.test/api/v1/openapi.json"

func newContract(t *testing.T, env *testserver.Env) *contract {
	t.Helper()
	resp := testserver.Must(t, env.Get("/api/v1/openapi.json", ""), 200)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(resp.Body))
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	c := &contract{doc: doc.(map[string]any), compiler: jsonschema.NewCompiler(),
		schemas: map[string]*jsonschema.Schema{}, seen: map[string]int{}}
	// OpenAPI 3.1's default dialect is JSON Schema 2020-12 plus annotations
	// (example, discriminator, x-…) that 2020-12 already ignores.
	c.compiler.DefaultDraft(jsonschema.Draft2020)
	c.compiler.AssertFormat()
	if err := c.compiler.AddResource(contractURL, doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	loader := openapi3.NewLoader()
	if c.kin, err = loader.LoadFromData(resp.Body); err != nil {
		t.Fatalf("kin-openapi does not load openapi.json: %v", err)
	}
	if err := c.kin.Validate(loader.Context); err != nil {
		t.Fatalf("kin-openapi finds openapi.json invalid: %v", err)
	}
	c.check(t, "GET", "/api/v1/openapi.json", resp)
	return c
}

// kinCheck validates resp with kin-openapi's openapi3filter.ValidateResponse
// against operation method tmpl.
func (c *contract) kinCheck(t *testing.T, where, method, tmpl string, resp *testserver.Response) {
	t.Helper()
	if err := c.kinError(method, tmpl, resp); err != nil {
		t.Errorf("%s: kin-openapi: the response does not match openapi.json:\n%v\nbody: %s", where, err, clip(resp.Body))
	}
}

func (c *contract) kinError(method, tmpl string, resp *testserver.Response) error {
	item := c.kin.Paths.Value(tmpl)
	if item == nil || item.GetOperation(method) == nil {
		return fmt.Errorf("no operation %s %s", method, tmpl)
	}
	req, err := http.NewRequest(method, "http://hubtalks.test"+tmpl, nil)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req,
			Route: &routers.Route{Spec: c.kin, Path: tmpl, PathItem: item, Method: method, Operation: item.GetOperation(method)}},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(resp.Body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// The OpenAPI validator is not vacuous: `{}` is not a Talk (the schemas'
// required lists), an undocumented status and an undocumented media type
// are refused, and a real talk passes.
func TestKinOpenAPIRefusesWhatIsNotDocumented(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	c := newContract(t, env)
	mod := env.NewUser("moderator")
	talk := testserver.NewTalk(t, env, mod.Token, nil)
	real := testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d", talk.ID), ""), 200)
	if err := c.kinError("GET", "/api/v1/talks/{id}", real); err != nil {
		t.Fatalf("a real talk: %v", err)
	}
	fake := func(status int, contentType, body string) *testserver.Response {
		return &testserver.Response{Response: &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}}, Body: []byte(body)}
	}
	for name, resp := range map[string]*testserver.Response{
		"an empty object":         fake(200, "application/json", `{}`),
		"a talk without its slug": fake(200, "application/json", strings.Replace(string(real.Body), `"slug":`, `"slugs":`, 1)),
		"an undocumented status":  fake(202, "application/json", string(real.Body)),
		"an undocumented type":    fake(200, "text/html", "<p>"),
	} {
		if err := c.kinError("GET", "/api/v1/talks/{id}", resp); err == nil {
			t.Errorf("%s passed as GET /api/v1/talks/{id}", name)
		}
	}
}

// route is one documented operation.
type route struct{ method, path string }

// routes lists the documented operations in a stable order, without the
// WebSocket upgrade (not a request/response exchange).
func (c *contract) routes() []route {
	var out []route
	for path, ops := range c.doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			if ws, _ := op.(map[string]any)["x-websocket"].(bool); ws {
				continue
			}
			out = append(out, route{strings.ToUpper(method), path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

// do sends req, checks the answer against the operation method tmpl (the
// documented path template) and returns it.
func (c *contract) do(t *testing.T, env *testserver.Env, tmpl string, req testserver.Req) *testserver.Response {
	t.Helper()
	resp := env.Do(req)
	c.check(t, req.Method, tmpl, resp)
	return resp
}

// check reports every way resp disagrees with the documented operation.
func (c *contract) check(t *testing.T, method, tmpl string, resp *testserver.Response) {
	t.Helper()
	where := fmt.Sprintf("%s %s → %d", method, tmpl, resp.StatusCode)
	opPtr := "/paths/" + pointerToken(tmpl) + "/" + strings.ToLower(method)
	op, ok := c.lookup(opPtr).(map[string]any)
	if !ok {
		t.Errorf("%s: operation not in openapi.json", where)
		return
	}
	c.kinCheck(t, where, method, tmpl, resp)
	status := strconv.Itoa(resp.StatusCode)
	ptr, content, ok := c.response(opPtr, op, resp.StatusCode)
	if !ok {
		t.Errorf("%s: status not documented; body %s", where, clip(resp.Body))
		return
	}
	if len(resp.Body) == 0 && len(content) == 0 {
		c.seen[responseKey(method, tmpl, status, "")]++
		return
	}
	mediaType, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || content[mediaType] == nil {
		t.Errorf("%s: content type %q not documented (have %v); body %s", where, resp.Header.Get("Content-Type"), keys(content), clip(resp.Body))
		return
	}
	c.seen[responseKey(method, tmpl, status, mediaType)]++
	if !isJSON(mediaType) {
		return
	}
	schema, err := c.schema(ptr + "/content/" + pointerToken(mediaType) + "/schema")
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	body, err := jsonschema.UnmarshalJSON(bytes.NewReader(resp.Body))
	if err != nil {
		t.Errorf("%s: body is not JSON: %v; body %s", where, err, clip(resp.Body))
		return
	}
	if err := schema.Validate(body); err != nil {
		t.Errorf("%s: the body does not match openapi.json:\n%v\nbody: %s", where, err, clip(resp.Body))
	}
}

// response finds the documented response of operation op (at opPtr) for
// status: its own, or `default` for an error; references followed. ptr is
// where it is in the document.
func (c *contract) response(opPtr string, op map[string]any, status int) (ptr string, content map[string]any, ok bool) {
	responses, _ := op["responses"].(map[string]any)
	key := strconv.Itoa(status)
	if responses[key] == nil && status >= 400 {
		key = "default"
	}
	spec, ok := responses[key].(map[string]any)
	if !ok {
		return "", nil, false
	}
	ptr = opPtr + "/responses/" + key
	if ref, isRef := spec["$ref"].(string); isRef {
		ptr = strings.TrimPrefix(ref, "#")
		spec, _ = c.lookup(ptr).(map[string]any)
	}
	content, _ = spec["content"].(map[string]any)
	return ptr, content, true
}

// requireCoverage fails for every documented 2xx JSON response (and for the
// problem responses as a whole) that no check has validated.
func (c *contract) requireCoverage(t *testing.T) {
	t.Helper()
	var missing []string
	for _, r := range c.routes() {
		opPtr := "/paths/" + pointerToken(r.path) + "/" + strings.ToLower(r.method)
		for status, spec := range c.lookup(opPtr + "/responses").(map[string]any) {
			if !strings.HasPrefix(status, "2") {
				continue
			}
			content, _ := spec.(map[string]any)["content"].(map[string]any)
			for mediaType := range content {
				if isJSON(mediaType) && c.seen[responseKey(r.method, r.path, status, mediaType)] == 0 {
					missing = append(missing, responseKey(r.method, r.path, status, mediaType))
				}
			}
		}
	}
	problems := 0
	for k, n := range c.seen {
		if strings.HasSuffix(k, " application/problem+json") {
			problems += n
		}
	}
	if problems == 0 {
		missing = append(missing, "any application/problem+json response")
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("documented JSON responses that no test request produced:\n  %s", strings.Join(missing, "\n  "))
	}
}

func (c *contract) schema(ptr string) (*jsonschema.Schema, error) {
	if s, ok := c.schemas[ptr]; ok {
		return s, nil
	}
	s, err := c.compiler.Compile(contractURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", ptr, err)
	}
	c.schemas[ptr] = s
	return s, nil
}

func (c *contract) lookup(ptr string) any { return jsonPointer(c.doc, ptr) }

// jsonPointer follows a JSON pointer (RFC 6901, or a "#/…" reference) into
// doc; nil if absent.
func jsonPointer(doc any, ptr string) any {
	v := doc
	for _, tok := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(ptr, "#"), "/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)]
	}
	return v
}

func pointerToken(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

func responseKey(method, tmpl, status, mediaType string) string {
	return strings.TrimSpace(method + " " + tmpl + " " + status + " " + mediaType)
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// TestResponsesMatchOpenAPI drives the real server through every documented
// operation, as every caller of the authorization walk on its fixtures, and
// through the cases the walk does not reach (repeats, waitlists, anonymous
// and erased authors, linked recordings, validation errors …), and checks
// each answer against openapi.json. Every documented 2xx JSON response must
// be produced at least once.
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithFeed(t, sampleFeed(t)))
	c := newContract(t, env)
	admin := env.NewUser("admin")
	for _, r := range c.routes() {
		for _, role := range walkRoles {
			f := newFixture(t, env, admin)
			body, header := validBody(r.method, r.path, f)
			c.do(t, env, r.path, testserver.Req{Method: r.method, Path: f.concrete(r.path), Token: f.tokens[role], Body: body, Header: header})
		}
	}
	contractCases(t, env, c, admin)
	c.requireCoverage(t)
}
