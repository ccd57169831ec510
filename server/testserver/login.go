package testserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// LoginFrom signs in with email and password over real HTTP at base (a
// listening server) as a request forwarded for the address from, and
// returns the status code.
func LoginFrom(t testing.TB, base, from, email, password string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/auth/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", from)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
