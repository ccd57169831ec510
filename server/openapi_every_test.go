package server_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// Every answer that a test of this package reads through testserver (the
// acceptance tests: contract, authorisation walk, guests, security, …) is
// checked against openapi.json by kin-openapi's ValidateResponse, when its
// request names a documented operation. Requests for undocumented paths or
// methods (404 and 405 probes) are left to the tests that make them.
func init() { testserver.CheckResponse = checkEveryResponse }

var openAPI struct {
	once   sync.Once
	mu     sync.Mutex // validation fills kin-openapi's schema caches
	router routers.Router
	err    error
}

func checkEveryResponse(t testing.TB, r testserver.Req, resp *testserver.Response) {
	t.Helper()
	openAPI.once.Do(func() {
		body, err := os.ReadFile("openapi.json")
		if err != nil {
			openAPI.err = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(body)
		if err == nil {
			err = doc.Validate(loader.Context)
		}
		if err == nil {
			openAPI.router, err = gorillamux.NewRouter(doc)
		}
		openAPI.err = err
	})
	if openAPI.err != nil {
		t.Fatalf("openapi.json: %v", openAPI.err)
	}
	path, _, _ := strings.Cut(r.Path, "?")
	if !strings.HasPrefix(path, "/api/v1/") {
		return
	}
	req, err := http.NewRequest(r.Method, "http://hubtalks.test"+r.Path, nil)
	if err != nil {
		return
	}
	route, _, err := openAPI.router.FindRoute(req)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) || (err == nil && route.Operation.Extensions["x-websocket"] == true) {
		return
	}
	if err != nil {
		t.Errorf("%s %s: %v", r.Method, r.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(resp.Body)
	openAPI.mu.Lock()
	err = openapi3filter.ValidateResponse(context.Background(), in)
	openAPI.mu.Unlock()
	if err != nil {
		t.Errorf("%s %s → %d does not match openapi.json (kin-openapi):\n%v\nbody: %s", r.Method, r.Path, resp.StatusCode, err, clip(resp.Body))
	}
}
