package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// The walk's callers. Speakers of *this* talk and authors are covered by the
// domain matrices (qa, threads); here every route meets the roles that must
// be refused somewhere: nobody, a guest, a participant, a speaker of another talk.
var walkRoles = []string{"nobody", "guest", "participant", "other-speaker", "moderator", "admin"}

// allowedBy says whether a caller with walk role may succeed, given the
// route's x-roles from openapi.json.
func allowedBy(xroles []string, role string) bool {
	for _, r := range xroles {
		switch r {
		case "anyone":
			return true
		case "signed-in":
			if role != "nobody" {
				return true
			}
		case "staff-of-talk", "speaker-of-talk", "moderator":
			if role == "moderator" || role == "admin" {
				return true
			}
		case "admin":
			if role == "admin" {
				return true
			}
		case "guest":
			if role == "guest" {
				return true
			}
		case "author":
			// The walk's callers never author the fixtures.
		default:
			panic("unknown x-roles value " + strconv.Quote(r))
		}
	}
	return false
}

// fixture is one fresh set of resources for one call.
type fixture struct {
	talk, question, thread, post, playlist, item, flag, user, speaker, poll int64
	tokens                                                                  map[string]string
	authorEmail                                                             string
	verifyToken, resetToken                                                 string // the author's account links
	ended                                                                   int64  // a past talk every caller attended
	certificate                                                             string // the author's certificate of it
}

func newFixture(t *testing.T, env *testserver.Env, admin testserver.User) fixture {
	t.Helper()
	f := fixture{tokens: map[string]string{}}
	speaker := env.NewUser("participant")
	other := env.NewUser("participant")
	author := env.NewUser("participant")
	f.speaker, f.user, f.authorEmail = speaker.ID, author.ID, author.Email
	f.tokens["participant"] = env.NewUser("participant").Token
	f.tokens["guest"] = env.NewGuest().Token
	f.tokens["other-speaker"] = other.Token
	f.tokens["moderator"] = env.NewUser("moderator").Token
	f.tokens["admin"] = env.NewUser("admin").Token // not the fixture maker: callers may log out or erase themselves
	id := func(r *testserver.Response) int64 {
		var v struct {
			ID int64 `json:"id"`
		}
		r.JSON(t, &v)
		return v.ID
	}
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute)
	talkBody := func(title string, speakerID int64) map[string]any {
		return map[string]any{"title": title, "starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339),
			"status": "scheduled", "speakers": []map[string]int64{{"id": speakerID}}, "capacity": 100}
	}
	f.talk = id(testserver.Must(t, env.Post("/api/v1/talks", admin.Token, talkBody("Walk talk", speaker.ID)), 201))
	another := id(testserver.Must(t, env.Post("/api/v1/talks", admin.Token, talkBody("Another talk", other.ID)), 201))
	// The author speaks there too, so that their public profile and photo exist.
	testserver.AddSpeakers(t, env, another, author.ID)
	if _, err := env.DB.Exec(`INSERT INTO user_photos (user_id, hash, jpeg) VALUES ($1, 'walk', $2)`, author.ID, pngOf4x4); err != nil {
		t.Fatal(err)
	}
	f.question = id(testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", f.talk), author.Token, map[string]any{"body": "Is this walked?", "anonymous": false}), 201))
	f.thread = id(testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/threads", f.talk), author.Token, map[string]any{"title": "A thread to walk", "body": "Opening post"}), 201))
	f.post = id(testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", f.thread), author.Token, map[string]any{"body": "A reply"}), 201))
	f.flag = id(testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/posts/%d/flags", f.post), speaker.Token, map[string]any{"reason": "off topic"}), 201))
	f.poll = id(testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/polls", f.talk), speaker.Token, map[string]any{"question": "Walking poll?", "kind": "single", "options": []string{"Yes", "No"}}), 201))
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/polls/%d", f.poll), speaker.Token, map[string]any{"status": "open"}), 200)
	f.playlist = id(testserver.Must(t, env.Post("/api/v1/playlists", admin.Token, map[string]any{"title": "Hub Talks recordings",
		"youtube_playlist_id": "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o"}), 201))
	pl := testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/playlists/%d/items", f.playlist), admin.Token, map[string]any{"video_id": "dQw4w9WgXcQ", "title": "First video"}), 201)
	f.item = id(pl)
	// Addresses start unverified, as after a sign-up, so that asking for a
	// new verification link can succeed.
	if _, err := env.DB.Exec(`UPDATE users SET email_verified_at = NULL WHERE email IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	f.verifyToken, f.resetToken = accountToken(t, env, author, "verify"), accountToken(t, env, author, "reset")
	f.ended, f.certificate = attendedTalk(t, env, admin, author)
	return f
}

// attendedTalk is a talk whose live session is over, attended by every user
// so far for all of it, with a certificate of author's.
func attendedTalk(t *testing.T, env *testserver.Env, admin, author testserver.User) (int64, string) {
	t.Helper()
	tk := testserver.NewTalk(t, env, admin.Token, map[string]any{"title": "A past talk"})
	code := fmt.Sprintf("WALK%022d", tk.ID)
	if _, err := env.DB.Exec(`WITH s AS (UPDATE talks SET status = 'ended', live_started_at = now() - interval '1 hour',
			live_ended_at = now() WHERE id = $1 RETURNING id, live_started_at)
		INSERT INTO attendance (talk_id, user_id, minutes, first_seen, last_seen)
		SELECT s.id, u.id, ARRAY(SELECT generate_series(0, 59) + (extract(epoch FROM s.live_started_at) / 60)::int), now(), now()
		FROM s, users u`, tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`INSERT INTO certificates (code, talk_id, user_id, minutes) VALUES ($1, $2, $3, 60)`, code, tk.ID, author.ID); err != nil {
		t.Fatal(err)
	}
	return tk.ID, code
}

// accountToken stores a live token of purpose for u's address, as the
// link of a message would carry it.
func accountToken(t *testing.T, env *testserver.Env, u testserver.User, purpose string) string {
	t.Helper()
	token := fmt.Sprintf("walk-%s-%d-%d", purpose, u.ID, time.Now().UnixNano())
	if _, err := env.DB.Exec(`INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at)
		VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, $4, now() + interval '1 hour')`, token, u.ID, purpose, u.Email); err != nil {
		t.Fatal(err)
	}
	return token
}

// concrete fills a path template for fixture f.
func (f fixture) concrete(path string) string {
	byPrefix := []struct {
		prefix string
		id     int64
	}{
		{"/api/v1/talks/{id}", f.talk}, {"/api/v1/questions/{id}", f.question}, {"/api/v1/threads/{id}", f.thread},
		{"/api/v1/posts/{id}", f.post}, {"/api/v1/playlists/{id}", f.playlist}, {"/api/v1/moderation/flags/{id}", f.flag},
		{"/api/v1/users/{id}", f.user}, {"/api/v1/speakers/{id}", f.speaker}, {"/api/v1/me/certificates/{id}", f.ended}, {"/api/v1/polls/{id}", f.poll},
	}
	for _, b := range byPrefix {
		if strings.HasPrefix(path, b.prefix) {
			path = strings.Replace(path, "{id}", strconv.FormatInt(b.id, 10), 1)
		}
	}
	path = strings.Replace(path, "{code}", f.certificate, 1)
	path = strings.Replace(path, "{hash}", "walk", 1)
	if path == "/api/v1/search" {
		return path + "?q=talk"
	}
	return strings.Replace(path, "{item_id}", strconv.FormatInt(f.item, 10), 1)
}

// pngOf4x4 is a photo to upload.
var pngOf4x4 = func() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)))
	return b.Bytes()
}()

// sampleFeed is the playlists' sample YouTube feed (playlists/testdata).
func sampleFeed(t testing.TB) []byte {
	t.Helper()
	feed, err := os.ReadFile("playlists/testdata/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	return feed
}

// validBodies are requests that succeed for an allowed caller, so a missing
// permission check shows up as a 2xx.
func validBody(method, path string, f fixture) (any, map[string]string) {
	feed, _ := os.ReadFile("playlists/testdata/feed.xml")
	atom := map[string]string{"Content-Type": "application/atom+xml"}
	start := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
	switch method + " " + path {
	case "POST /api/v1/auth/signup":
		return map[string]any{"email": fmt.Sprintf("walker%d@example.org", time.Now().UnixNano()), "password": "walk the routes", "display_name": "Walker"}, nil
	case "POST /api/v1/me/upgrade":
		return map[string]any{"email": fmt.Sprintf("upgraded%d@example.org", time.Now().UnixNano()), "password": "walk the routes"}, nil
	case "POST /api/v1/auth/login":
		return map[string]any{"email": f.authorEmail, "password": testserver.TestPassword}, nil
	case "POST /api/v1/auth/verify":
		return map[string]any{"token": f.verifyToken}, nil
	case "POST /api/v1/auth/password-reset":
		return map[string]any{"email": f.authorEmail}, nil
	case "POST /api/v1/auth/password-reset/confirm":
		return map[string]any{"token": f.resetToken, "password": "walk a new passphrase"}, nil
	case "POST /api/v1/me/password":
		return map[string]any{"current_password": testserver.TestPassword, "new_password": "walk a new passphrase"}, nil
	case "POST /api/v1/talks":
		return map[string]any{"title": "Created on a walk", "starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339)}, nil
	case "POST /api/v1/playlists/{id}/import":
		return feed, atom
	case "PUT /api/v1/me/photo":
		return pngOf4x4, map[string]string{"Content-Type": "image/png"}
	}
	if body, ok := walkBodies[method+" "+path]; ok {
		return body, nil
	}
	return nil, nil
}

// walkBodies are the requests whose body never changes, by "METHOD path".
var walkBodies = map[string]map[string]any{
	"POST /api/v1/auth/guest":                      {"display_name": "Walking guest"},
	"PATCH /api/v1/users/{id}":                     {"role": "moderator"},
	"PATCH /api/v1/me":                             {"display_name": "Walker Renamed"},
	"PATCH /api/v1/talks/{id}":                     {"title": "Renamed on a walk"},
	"POST /api/v1/talks/{id}/status":               {"status": "live"},
	"POST /api/v1/talks/{id}/questions":            {"body": "Walking question", "anonymous": false},
	"PATCH /api/v1/questions/{id}":                 {"status": "answered"},
	"POST /api/v1/questions/{id}/answers":          {"body": "Walking answer"},
	"POST /api/v1/questions/{id}/flags":            {"reason": "walking"},
	"POST /api/v1/posts/{id}/flags":                {"reason": "walking"},
	"POST /api/v1/talks/{id}/threads":              {"title": "Walking thread", "body": "Walking body"},
	"POST /api/v1/threads/{id}/posts":              {"body": "Walking post"},
	"PATCH /api/v1/threads/{id}":                   {"locked": true},
	"PATCH /api/v1/posts/{id}":                     {"hidden": true},
	"PATCH /api/v1/moderation/flags/{id}":          {"status": "resolved"},
	"POST /api/v1/playlists":                       {"title": "Walking playlist"},
	"PATCH /api/v1/playlists/{id}":                 {"title": "Renamed playlist"},
	"POST /api/v1/playlists/{id}/items":            {"video_id": "9bZkp7q19f0", "title": "Second video"},
	"PATCH /api/v1/playlists/{id}/items/{item_id}": {"title": "Renamed video"},
	"POST /api/v1/talks/{id}/polls":                {"question": "Walking poll", "kind": "rating"},
	"PATCH /api/v1/polls/{id}":                     {"status": "closed"},
	"PUT /api/v1/polls/{id}/ballot":                {"choices": []int{1}},
	"POST /api/v1/talks/{id}/reactions":            {"emoji": "👏"},
}

// TestAuthorizationWalk calls every route of openapi.json as every walk role
// and fails on any 2xx that the route's x-roles do not allow.
func TestAuthorizationWalk(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithFeed(t, sampleFeed(t)))
	admin := env.NewUser("admin")
	var doc struct {
		Paths map[string]map[string]struct {
			XRoles     []string `json:"x-roles"`
			XWebSocket bool     `json:"x-websocket"`
		} `json:"paths"`
	}
	testserver.Must(t, env.Get("/api/v1/openapi.json", ""), 200).JSON(t, &doc)
	type route struct{ method, path string }
	var routes []route
	for path, ops := range doc.Paths {
		for method := range ops {
			routes = append(routes, route{strings.ToUpper(method), path})
		}
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].path+routes[i].method < routes[j].path+routes[j].method })
	checked := 0
	for _, r := range routes {
		succeeded := false
		op := doc.Paths[r.path][strings.ToLower(r.method)]
		xroles := op.XRoles
		if op.XWebSocket {
			continue // an upgrade, not a request: the live socket's authorisation has its own tests
		}
		if len(xroles) == 0 {
			t.Errorf("%s %s has no x-roles in openapi.json", r.method, r.path)
			continue
		}
		for _, role := range walkRoles {
			f := newFixture(t, env, admin)
			body, header := validBody(r.method, r.path, f)
			resp := env.Do(testserver.Req{Method: r.method, Path: f.concrete(r.path), Token: f.tokens[role], Body: body, Header: header})
			ok := resp.StatusCode >= 200 && resp.StatusCode < 300
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s as %s: %d %s", r.method, r.path, role, resp.StatusCode, resp.Body)
			}
			if ok && !allowedBy(xroles, role) {
				t.Errorf("%s %s answered %d to %s; x-roles %v allow only %v", r.method, r.path, resp.StatusCode, role, xroles, xroles)
			}
			if !ok && resp.StatusCode != 401 && resp.StatusCode != 403 && resp.StatusCode != 404 && allowedBy(xroles, role) && testing.Verbose() {
				t.Logf("%s %s as %s (allowed): %d %s", r.method, r.path, role, resp.StatusCode, truncate(resp.Body))
			}
			succeeded = succeeded || ok
			checked++
		}
		// A route no allowed caller could use proves nothing: its body is
		// wrong. Routes for authors alone (the walk's callers never author
		// the fixtures) are proven by their domain's tests, e.g. qa's
		// TestAuthorEditsAndWithdraws.
		if !succeeded && !(len(xroles) == 1 && xroles[0] == "author") {
			t.Errorf("%s %s: no caller succeeded, so the walk cannot tell a missing permission check", r.method, r.path)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d calls made: the walk is broken", checked)
	}
}

func truncate(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	return string(b)
}
