package idempotency_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
)

func post(env *testserver.Env, path, token, key string, body any) *testserver.Response {
	h := map[string]string{}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return env.Do(testserver.Req{Method: "POST", Path: path, Token: token, Body: body, Header: h})
}

func TestSameKeySameBodyReplays(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	body := map[string]any{"title": "Digital therapeutics", "starts_at": testserver.At(24 * time.Hour), "ends_at": testserver.At(25 * time.Hour)}
	first := testserver.Must(t, post(env, "/api/v1/talks", mod.Token, "k-1", body), 201)
	again := testserver.Must(t, post(env, "/api/v1/talks", mod.Token, "k-1", body), 201)
	if string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	var n int
	_ = env.DB.Get(&n, `SELECT count(*) FROM talks`)
	if n != 1 {
		t.Fatalf("%d talks", n)
	}
	// Another body with the same key: 422, nothing written.
	other := map[string]any{"title": "Something else", "starts_at": testserver.At(24 * time.Hour), "ends_at": testserver.At(25 * time.Hour)}
	r := post(env, "/api/v1/talks", mod.Token, "k-1", other)
	if r.StatusCode != 422 || r.Problem(t).Code != "idempotency_key_reused" {
		t.Fatalf("other body: %d %s", r.StatusCode, r.Body)
	}
	// The key is scoped per user and per route.
	mod2 := env.NewUser("moderator")
	testserver.Must(t, post(env, "/api/v1/talks", mod2.Token, "k-1", body), 201)
	_ = env.DB.Get(&n, `SELECT count(*) FROM talks`)
	if n != 2 {
		t.Fatalf("%d talks after another user's request", n)
	}
	var tk talks.Talk
	first.JSON(t, &tk)
	u := env.NewUser("participant")
	reg := fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID)
	testserver.Must(t, post(env, reg, u.Token, "k-1", nil), 201)
	testserver.Must(t, post(env, reg, u.Token, "k-1", nil), 201) // replayed: still the first answer
	if r := post(env, reg, u.Token, "", nil); r.StatusCode != 200 {
		t.Fatalf("without the key, a repeat is a 200: %d", r.StatusCode)
	}
	var keys int
	_ = env.DB.Get(&keys, `SELECT count(*) FROM idempotency_keys WHERE status IS NOT NULL`)
	if keys != 3 {
		t.Fatalf("%d stored keys", keys)
	}
	if r := post(env, reg, u.Token, string(make([]byte, 300)), nil); r.StatusCode != 422 {
		t.Fatalf("bad key: %d", r.StatusCode)
	}
}

func TestFailedRequestIsNotStored(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	bad := map[string]any{"title": "x"}
	if r := post(env, "/api/v1/talks", mod.Token, "k-2", bad); r.StatusCode != 422 {
		t.Fatalf("%d", r.StatusCode)
	}
	var n int
	_ = env.DB.Get(&n, `SELECT count(*) FROM idempotency_keys`)
	if n != 0 {
		t.Fatalf("%d keys stored for a failed request", n)
	}
}

func TestConcurrentSameKeyExecutesOnce(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	body := map[string]any{"title": "Concurrent creation", "starts_at": testserver.At(24 * time.Hour), "ends_at": testserver.At(25 * time.Hour)}
	const n = 20
	out := make([]*testserver.Response, n)
	testkit.AtOnce(n, func(i int) { out[i] = post(env, "/api/v1/talks", mod.Token, "same-key", body) })
	for _, r := range out {
		if r.StatusCode != 201 || string(r.Body) != string(out[0].Body) {
			t.Fatalf("%d %s vs %s", r.StatusCode, r.Body, out[0].Body)
		}
	}
	var talksN int
	_ = env.DB.Get(&talksN, `SELECT count(*) FROM talks`)
	if talksN != 1 {
		t.Fatalf("%d talks created", talksN)
	}
}
