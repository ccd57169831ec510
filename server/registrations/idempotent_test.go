package registrations_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/idempotency"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// webApp is the registrations' routes on an app of their own, whose
// batcher the test can watch; the caller is the user named by X-Test-User.
type webApp struct {
	t   testing.TB
	app *fiber.App
	b   *registrations.Batcher
}

func newWebApp(t testing.TB, env *testserver.Env) *webApp {
	svc := registrations.NewService(env.DB, live.NewRecorder(env.DB, nil))
	app := fiber.New()
	app.Use(func(c *fiber.Ctx) error {
		id, _ := strconv.ParseInt(c.Get("X-Test-User"), 10, 64)
		httpx.SetUser(c, &domain.User{ID: id, Role: domain.RoleParticipant})
		return c.Next()
	})
	registrations.NewHandlers(svc).Routes(app.Group("/api/v1"))
	return &webApp{t: t, app: app, b: svc.Batcher()}
}

// register sends the web app's request (frontend/src/lib/api.ts): a POST
// without a body, with an Idempotency-Key unless key is "".
func (a *webApp) register(talkID, userID int64, key string) result {
	req := httptest.NewRequest("POST", fmt.Sprintf("/api/v1/talks/%d/registrations", talkID), nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Test-User", strconv.FormatInt(userID, 10))
	if key != "" {
		req.Header.Set(idempotency.Header, key)
	}
	resp, err := a.app.Test(req, -1)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: b, err: err, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
}

// send starts register and waits until its request is in the talk's queue
// (or, for the first one, taken into the batch in flight).
func (a *webApp) send(talkID, userID int64, key string) chan result {
	a.t.Helper()
	waiting, taken, _ := a.b.Queued(talkID)
	ch := make(chan result, 1)
	go func() { ch <- a.register(talkID, userID, key) }()
	waitFor(a.t, fmt.Sprintf("user %d in the queue", userID), func() bool {
		w, tk, _ := a.b.Queued(talkID)
		return w+tk == waiting+taken+1
	})
	return ch
}

func regOf(t testing.TB, r result) registrations.Registration {
	t.Helper()
	var reg registrations.Registration
	if err := json.Unmarshal(r.body, &reg); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return reg
}

// TestWebAppRequestsAreBatched: the web app's request (with an
// Idempotency-Key) goes through the talk's batcher. While the talk's lock is
// held, the first request's batch waits and the next ones queue: keyed and
// unkeyed, two users, and one user twice (keyed first, then unkeyed). They
// go in one batch (one transaction: one xmin), and every keyed response is
// stored with it.
func TestWebAppRequestsAreBatched(t *testing.T) {
	env, mod, tk := serverWithTalk(t, map[string]any{"capacity": 2})
	us := users(t, env, 4)
	a := newWebApp(t, env)

	tx := holdTalkLock(t, env, tk.ID)
	first := a.send(tk.ID, us[0].ID, "k-first")
	waitBlocked(t, env)
	chs := []chan result{
		a.send(tk.ID, us[1].ID, "k-1"),
		a.send(tk.ID, us[2].ID, ""),
		a.send(tk.ID, us[3].ID, "k-3"),
		a.send(tk.ID, us[3].ID, ""),
	}
	if _, taken, _ := a.b.Queued(tk.ID); taken != 1 {
		t.Fatalf("%d requests taken while the first batch waits", taken)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if r := <-first; r.status != 201 || r.replayed {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	got := make([]result, len(chs))
	for i, ch := range chs {
		got[i] = <-ch
	}
	want := []struct {
		status int
		state  string
	}{{201, "confirmed"}, {201, "waitlisted"}, {201, "waitlisted"}, {200, "waitlisted"}}
	for i, w := range want {
		if got[i].err != nil || got[i].status != w.status || got[i].replayed || regOf(t, got[i]).Status != w.state {
			t.Fatalf("request %d: %d %s %v, want %d %s", i, got[i].status, got[i].body, got[i].err, w.status, w.state)
		}
	}
	if r2, r3 := regOf(t, got[2]), regOf(t, got[3]); !r2.CreatedAt.Equal(r3.CreatedAt) || *r2.WaitlistPosition != *r3.WaitlistPosition {
		t.Fatalf("user 3 was told two registrations: %s, %s", got[2].body, got[3].body)
	}
	var xmins int
	if err := env.DB.Get(&xmins, `SELECT count(DISTINCT xmin::text) FROM registrations WHERE talk_id = $1 AND user_id <> $2`, tk.ID, us[0].ID); err != nil || xmins != 1 {
		t.Fatalf("the queued requests were registered by %d transactions (%v)", xmins, err)
	}
	var keys []struct {
		Key    string `db:"key"`
		Status int    `db:"status"`
		Body   []byte `db:"response"`
		Same   bool   `db:"same"`
	}
	if err := env.DB.Select(&keys, `SELECT k.key, k.status, k.response, k.xmin = r.xmin AS same
		FROM idempotency_keys k JOIN registrations r ON r.user_id = k.user_id AND r.talk_id = $1 ORDER BY k.key`, tk.ID); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[0].Key != "k-1" || string(keys[0].Body) != string(got[0].body) || !keys[0].Same ||
		keys[2].Key != "k-first" || keys[1].Key != "k-3" || keys[1].Status != 201 || string(keys[1].Body) != string(got[2].body) || !keys[1].Same {
		t.Fatalf("stored keys: %+v", keys)
	}
	if _, taken, ok := a.b.Queued(tk.ID); ok && taken != 5 {
		t.Fatalf("%d requests taken by the batcher", taken)
	}
	checkFIFO(t, env, tk.ID, mod.Token)
}

// TestKeyedRegistrationContract: the idempotency contract on the batched
// path, through the real server: the same key replays the first answer
// (even after the registration was cancelled: nothing is registered again),
// another body is a 422, another user's key or another route is its own,
// and a failed request stores nothing.
func TestKeyedRegistrationContract(t *testing.T) {
	env, mod, tk := serverWithTalk(t, map[string]any{"capacity": 1})
	u, v := env.NewUser("participant"), env.NewUser("participant")
	path := fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID)
	post := func(token, key string, body any) *testserver.Response {
		return env.Do(testserver.Req{Method: "POST", Path: path, Token: token, Body: body,
			Header: map[string]string{idempotency.Header: key}})
	}
	first := testserver.Must(t, post(u.Token, "k", nil), 201)
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the first answer says it is a replay")
	}
	testserver.Must(t, env.Delete(path+"/me", u.Token), 204)
	again := testserver.Must(t, post(u.Token, "k", nil), 201)
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" ||
		again.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("replay: %s %v, first %s", again.Body, again.Header, first.Body)
	}
	if r := post(u.Token, "k", map[string]any{"other": true}); r.StatusCode != 422 || r.Problem(t).Code != "idempotency_key_reused" {
		t.Fatalf("another body: %d %s", r.StatusCode, r.Body)
	}
	n := countRows(t, env, `SELECT count(*) FROM registrations WHERE talk_id = $1`, tk.ID)
	if n != 0 {
		t.Fatalf("%d registrations after the replays", n)
	}
	// Another user's "k" is theirs; a new key registers u again (waitlisted
	// behind v), and replays keep answering that.
	testserver.Must(t, post(v.Token, "k", nil), 201)
	var reg registrations.Registration
	testserver.Must(t, post(u.Token, "k2", nil), 201).JSON(t, &reg)
	if reg.Status != "waitlisted" || *reg.WaitlistPosition != 1 {
		t.Fatalf("u with a new key: %+v", reg)
	}
	if r := testserver.Must(t, post(u.Token, "k2", nil), 201); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("k2 not replayed")
	}
	// The talk closes: a retry still replays its answer, a new key is refused.
	if _, err := env.DB.Exec(`UPDATE talks SET registration_closes_at = now() - interval '1 minute' WHERE id = $1`, tk.ID); err != nil {
		t.Fatal(err)
	}
	testserver.Must(t, env.Delete(path+"/me", u.Token), 204)
	if r := testserver.Must(t, post(u.Token, "k2", nil), 201); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("k2 not replayed once the talk closed")
	}
	if r := post(u.Token, "k3", nil); r.StatusCode != 409 {
		t.Fatalf("new key, closed talk: %d %s", r.StatusCode, r.Body)
	}
	// Failed requests store nothing: a closed talk, then a bad key.
	closed := testserver.NewTalk(t, env, mod.Token, map[string]any{"starts_at": testserver.At(-3 * time.Hour), "ends_at": testserver.At(-2 * time.Hour)})
	r := env.Do(testserver.Req{Method: "POST", Path: fmt.Sprintf("/api/v1/talks/%d/registrations", closed.ID), Token: u.Token,
		Header: map[string]string{idempotency.Header: "k"}})
	if r.StatusCode != 409 || r.Problem(t).Code != "registration_closed" {
		t.Fatalf("closed talk: %d %s", r.StatusCode, r.Body)
	}
	if r := post(u.Token, string(make([]byte, 300)), nil); r.StatusCode != 422 {
		t.Fatalf("bad key: %d", r.StatusCode)
	}
	if keys := countRows(t, env, `SELECT count(*) FROM idempotency_keys`); keys != 3 {
		t.Fatalf("%d keys stored, want 3", keys)
	}
}

// TestSameKeyTwentyTimesAtOnce: twenty concurrent requests of one user with
// one key register once and all get the same answer, byte for byte.
func TestSameKeyTwentyTimesAtOnce(t *testing.T) {
	env, _, tk := serverWithTalk(t, map[string]any{"capacity": 5})
	u := env.NewUser("participant")
	c := newClient(env)
	results := make([]result, 20)
	testkit.AtOnce(len(results), func(i int) {
		results[i] = c.do("POST", fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, map[string]string{idempotency.Header: "once"})
	})
	replays := 0
	for _, r := range results {
		if r.err != nil || r.status != 201 || string(r.body) != string(results[0].body) {
			t.Fatalf("%d %v %s, first %s", r.status, r.err, r.body, results[0].body)
		}
		if r.replayed {
			replays++
		}
	}
	if replays != len(results)-1 {
		t.Fatalf("%d replays of %d answers", replays, len(results))
	}
	var rows, msgs, keys int
	_ = env.DB.Get(&rows, `SELECT count(*) FROM registrations WHERE talk_id = $1`, tk.ID)
	_ = env.DB.Get(&msgs, `SELECT count(*) FROM outbox WHERE talk_id = $1`, tk.ID)
	_ = env.DB.Get(&keys, `SELECT count(*) FROM idempotency_keys WHERE status = 201`)
	if rows != 1 || msgs != 1 || keys != 1 {
		t.Fatalf("%d registrations, %d messages, %d keys", rows, msgs, keys)
	}
}

// TestBatchMeetsKeysStoredMeanwhile: while a batch waits for the talk's
// lock, another instance answers the same keys. A key whose user it
// registered is replayed; a key whose registration was cancelled since is
// replayed too, and its user is not registered again (the batch runs again
// without it).
func TestBatchMeetsKeysStoredMeanwhile(t *testing.T) {
	env, _, tk := serverWithTalk(t, map[string]any{"capacity": 10})
	us := users(t, env, 3)
	x, y, z := us[0], us[1], us[2]
	a := newWebApp(t, env)
	route := fmt.Sprintf("POST /api/v1/talks/%d/registrations", tk.ID)

	tx := holdTalkLock(t, env, tk.ID)
	first := a.send(tk.ID, z.ID, "")
	waitBlocked(t, env)
	chs := []chan result{a.send(tk.ID, x.ID, "k"), a.send(tk.ID, y.ID, "k"), a.send(tk.ID, y.ID, "")}
	// x registered elsewhere with k; y registered elsewhere with k and cancelled.
	if _, err := tx.Exec(`INSERT INTO registrations (talk_id, user_id, status, confirmed_at) VALUES ($1, $2, 'confirmed', now())`, tk.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	answeredElsewhere(t, tx, x.ID, route, `{"from":"elsewhere x"}`)
	answeredElsewhere(t, tx, y.ID, route, `{"from":"elsewhere y"}`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if r := <-first; r.status != 201 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	got := []result{<-chs[0], <-chs[1], <-chs[2]}
	if got[0].status != 201 || !got[0].replayed || string(got[0].body) != `{"from":"elsewhere x"}` {
		t.Fatalf("x: %d %v %s", got[0].status, got[0].replayed, got[0].body)
	}
	if got[1].status != 201 || !got[1].replayed || string(got[1].body) != `{"from":"elsewhere y"}` {
		t.Fatalf("y with k: %d %v %s", got[1].status, got[1].replayed, got[1].body)
	}
	// y's request without a key is a request of its own: it registers y.
	if got[2].status != 201 || got[2].replayed || regOf(t, got[2]).UserID != y.ID {
		t.Fatalf("y without a key: %d %s", got[2].status, got[2].body)
	}
	rs := rowsBySeq(t, env, tk.ID)
	if len(rs) != 3 || rs[0].UserID != x.ID || rs[1].UserID != z.ID || rs[2].UserID != y.ID {
		t.Fatalf("registrations: %+v", rs)
	}
}

// TestKeyAnsweredElsewhereRegistersNobody: y's key was answered elsewhere
// (and y cancelled since) while y's keyed request waited in a batch: the
// batch is rolled back, y replays that answer and is not registered.
func TestKeyAnsweredElsewhereRegistersNobody(t *testing.T) {
	env, _, tk := serverWithTalk(t, map[string]any{"capacity": 10})
	y := env.NewUser("participant")
	b := registrations.NewBatcher(env.DB, registrations.DefaultBatchSize, 10*time.Second)
	sum := sha256.Sum256(nil)
	key := &idempotency.Key{UserID: y.ID, Route: "POST /x", Value: "k", BodyHash: sum[:]}
	tx := holdTalkLock(t, env, tk.ID)
	done := make(chan error, 1)
	var res registrations.Result
	go func() {
		var err error
		res, err = b.Register(context.Background(), tk.ID, y.ID, key)
		done <- err
	}()
	waitBlocked(t, env)
	answeredElsewhere(t, tx, y.ID, "POST /x", "{}")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || res.Response == nil || !res.Response.Replayed || string(res.Response.Body) != "{}" {
		t.Fatalf("%+v %v", res, err)
	}
	if rs := rowsBySeq(t, env, tk.ID); len(rs) != 0 {
		t.Fatalf("registered: %+v", rs)
	}
	msgs := countRows(t, env, `SELECT count(*) FROM outbox WHERE talk_id = $1`, tk.ID)
	if msgs != 0 {
		t.Fatalf("%d messages", msgs)
	}
}

// TestKeyAcrossInstances: a key answered by one instance is replayed by
// another (keys live in PostgreSQL, as do restarts' keys).
func TestKeyAcrossInstances(t *testing.T) {
	env, _, tk := serverWithTalk(t, map[string]any{"capacity": 3})
	u := env.NewUser("participant")
	first := newWebApp(t, env).register(tk.ID, u.ID, "k")
	again := newWebApp(t, env).register(tk.ID, u.ID, "k")
	if first.status != 201 || again.status != 201 || !again.replayed || string(again.body) != string(first.body) {
		t.Fatalf("first %d %s, on another instance %d %v %s", first.status, first.body, again.status, again.replayed, again.body)
	}
}

// answeredElsewhere stores key "k" of userID on route (a request without a
// body) with a 201 and body, as another instance would have answered it.
func answeredElsewhere(t testing.TB, q sqlx.Execer, userID int64, route, body string) {
	t.Helper()
	noBody := sha256.Sum256(nil)
	if _, err := q.Exec(`INSERT INTO idempotency_keys (user_id, route, key, body_hash, status, content_type, response)
		VALUES ($1, $2, 'k', $3, 201, 'application/json', $4)`, userID, route, noBody[:], []byte(body)); err != nil {
		t.Fatal(err)
	}
}
