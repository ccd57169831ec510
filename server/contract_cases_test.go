package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// contractCases produces, through the API, the answers the authorization
// walk does not: repeated requests (200 instead of 201), every nullable
// field both null and set, optional fields present and absent, pages with a
// next cursor, and the problem shapes (422 with errors, 401, 404, 409, 423).
func contractCases(t *testing.T, env *testserver.Env, c *contract, admin testserver.User) {
	call := func(want int, tmpl string, req testserver.Req) *testserver.Response {
		t.Helper()
		r := c.do(t, env, tmpl, req)
		if r.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.Path, r.StatusCode, want, clip(r.Body))
		}
		return r
	}
	id := func(r *testserver.Response) int64 {
		t.Helper()
		var v struct {
			ID int64 `json:"id"`
		}
		r.JSON(t, &v)
		return v.ID
	}
	speaker, p1, p2, p3 := env.NewUser("participant"), env.NewUser("participant"), env.NewUser("participant"), env.NewUser("participant")
	mod := env.NewUser("moderator")
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)

	// Accounts: a verified address (email_verified true), a used link, a
	// resend with nothing to verify, a wrong current password.
	verify := accountToken(t, env, p3, "verify")
	call(204, "/api/v1/auth/verify", testserver.Req{Method: "POST", Path: "/api/v1/auth/verify", Body: map[string]string{"token": verify}})
	call(422, "/api/v1/auth/verify", testserver.Req{Method: "POST", Path: "/api/v1/auth/verify", Body: map[string]string{"token": verify}})
	call(200, "/api/v1/me", testserver.Req{Method: "GET", Path: "/api/v1/me", Token: p3.Token})
	call(409, "/api/v1/auth/verify/resend", testserver.Req{Method: "POST", Path: "/api/v1/auth/verify/resend", Token: p3.Token})
	call(422, "/api/v1/me/password", testserver.Req{Method: "POST", Path: "/api/v1/me/password", Token: p3.Token,
		Body: map[string]string{"current_password": "not the password", "new_password": "a brand new passphrase"}})

	// A full talk: one seat, so the second registration waits.
	talk := id(call(201, "/api/v1/talks", testserver.Req{Method: "POST", Path: "/api/v1/talks", Token: admin.Token, Body: map[string]any{
		"title": "Contract talk", "abstract": "Every field set", "starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339),
		"status": "scheduled", "tags": []string{"health", "data"}, "language": "en", "format": "hybrid", "location": "Room 1",
		"stream_url": "https://stream.example.org/contract", "capacity": 1, "registration_closes_at": start.Format(time.RFC3339),
		"speakers": []map[string]int64{{"id": speaker.ID}}, "qa": map[string]any{"moderation": "post", "allow_anonymous": true, "open": true},
	}}))
	talkPath := fmt.Sprintf("/api/v1/talks/%d", talk)
	// A speaker's profile and photo (the talk's speakers show photo_url set).
	call(200, "/api/v1/me", testserver.Req{Method: "PATCH", Path: "/api/v1/me", Token: speaker.Token,
		Body: map[string]any{"bio": "Works on\nhealth data", "affiliation": "Hub University", "links": []string{"https://example.org/"}}})
	call(200, "/api/v1/me/photo", testserver.Req{Method: "PUT", Path: "/api/v1/me/photo", Token: speaker.Token,
		Body: pngOf4x4, Header: map[string]string{"Content-Type": "image/png"}})
	call(200, "/api/v1/users/{id}", testserver.Req{Method: "GET", Path: fmt.Sprintf("/api/v1/users/%d", speaker.ID)})
	call(404, "/api/v1/users/{id}", testserver.Req{Method: "GET", Path: fmt.Sprintf("/api/v1/users/%d", p1.ID)})
	call(415, "/api/v1/me/photo", testserver.Req{Method: "PUT", Path: "/api/v1/me/photo", Token: p1.Token,
		Body: []byte("GIF89a"), Header: map[string]string{"Content-Type": "image/gif"}})
	call(200, "/api/v1/me/photo", testserver.Req{Method: "DELETE", Path: "/api/v1/me/photo", Token: p1.Token})
	call(201, "/api/v1/talks/{id}/registrations", testserver.Req{Method: "POST", Path: talkPath + "/registrations", Token: p1.Token})
	call(200, "/api/v1/talks/{id}/registrations", testserver.Req{Method: "POST", Path: talkPath + "/registrations", Token: p1.Token})
	call(201, "/api/v1/talks/{id}/registrations", testserver.Req{Method: "POST", Path: talkPath + "/registrations", Token: p2.Token})
	for _, u := range []testserver.User{p1, p2, speaker, mod} { // stream_url shown and hidden
		call(200, "/api/v1/talks/{id}", testserver.Req{Method: "GET", Path: talkPath, Token: u.Token})
	}
	for _, u := range []testserver.User{admin, speaker} { // registrants with and without emails
		call(200, "/api/v1/talks/{id}/registrations", testserver.Req{Method: "GET", Path: talkPath + "/registrations", Token: u.Token})
	}
	call(200, "/api/v1/talks/{id}/registrations", testserver.Req{Method: "GET", Path: talkPath + "/registrations", Token: admin.Token,
		Header: map[string]string{"Accept": "text/csv"}})
	call(200, "/api/v1/me/registrations", testserver.Req{Method: "GET", Path: "/api/v1/me/registrations", Token: p2.Token})
	call(200, "/api/v1/talks", testserver.Req{Method: "GET", Path: "/api/v1/talks?limit=1", Token: mod.Token})

	// Q&A: an anonymous question as others and as staff see it, votes,
	// an answer, a pin, a repeated flag, and a question held by the
	// blocked words (the system's entry in the moderation log).
	question := id(call(201, "/api/v1/talks/{id}/questions", testserver.Req{Method: "POST", Path: talkPath + "/questions", Token: p1.Token,
		Body: map[string]any{"body": "Asked without a name?", "anonymous": true}}))
	qPath := fmt.Sprintf("/api/v1/questions/%d", question)
	call(200, "/api/v1/questions/{id}/vote", testserver.Req{Method: "PUT", Path: qPath + "/vote", Token: p2.Token})
	call(200, "/api/v1/questions/{id}", testserver.Req{Method: "PATCH", Path: qPath, Token: speaker.Token, Body: map[string]any{"pinned": true}})
	call(201, "/api/v1/questions/{id}/answers", testserver.Req{Method: "POST", Path: qPath + "/answers", Token: speaker.Token, Body: map[string]any{"body": "Yes."}})
	call(200, "/api/v1/questions/{id}", testserver.Req{Method: "PATCH", Path: qPath, Token: speaker.Token, Body: map[string]any{"status": "answered"}})
	call(200, "/api/v1/search", testserver.Req{Method: "GET", Path: "/api/v1/search?q=without+nam&limit=1", Token: p2.Token})
	call(201, "/api/v1/talks/{id}/questions", testserver.Req{Method: "POST", Path: talkPath + "/questions", Token: p2.Token,
		Body: map[string]any{"body": "Any casino bonus today?", "anonymous": false}})
	for _, u := range []testserver.User{p2, mod, {}} {
		call(200, "/api/v1/talks/{id}/questions", testserver.Req{Method: "GET", Path: talkPath + "/questions?sort=recent", Token: u.Token})
	}
	call(200, "/api/v1/talks/{id}/questions", testserver.Req{Method: "GET", Path: talkPath + "/questions?limit=1", Token: mod.Token})
	call(201, "/api/v1/questions/{id}/flags", testserver.Req{Method: "POST", Path: qPath + "/flags", Token: p2.Token, Body: map[string]any{"reason": "spam"}})
	call(200, "/api/v1/questions/{id}/flags", testserver.Req{Method: "POST", Path: qPath + "/flags", Token: p2.Token, Body: map[string]any{"reason": "spam"}})
	call(200, "/api/v1/talks/{id}/moderation-log", testserver.Req{Method: "GET", Path: talkPath + "/moderation-log", Token: mod.Token})

	// Discussion: a reply, an edit, a repeated flag, a flag whose reporter
	// erased their account, a lock.
	thread := id(call(201, "/api/v1/talks/{id}/threads", testserver.Req{Method: "POST", Path: talkPath + "/threads", Token: p1.Token,
		Body: map[string]any{"title": "Slides?", "body": "Where are they?"}}))
	threadPath := fmt.Sprintf("/api/v1/threads/%d", thread)
	post := id(call(201, "/api/v1/threads/{id}/posts", testserver.Req{Method: "POST", Path: threadPath + "/posts", Token: p2.Token, Body: map[string]any{"body": "Here"}}))
	call(201, "/api/v1/threads/{id}/posts", testserver.Req{Method: "POST", Path: threadPath + "/posts", Token: p1.Token,
		Body: map[string]any{"body": "Thanks", "parent_id": post}})
	postPath := fmt.Sprintf("/api/v1/posts/%d", post)
	call(200, "/api/v1/posts/{id}", testserver.Req{Method: "PATCH", Path: postPath, Token: p2.Token, Body: map[string]any{"body": "Here, page 3"}})
	call(201, "/api/v1/posts/{id}/flags", testserver.Req{Method: "POST", Path: postPath + "/flags", Token: p1.Token, Body: map[string]any{"reason": "rude"}})
	call(200, "/api/v1/posts/{id}/flags", testserver.Req{Method: "POST", Path: postPath + "/flags", Token: p1.Token, Body: map[string]any{"reason": "rude"}})
	erased := id(call(201, "/api/v1/posts/{id}/flags", testserver.Req{Method: "POST", Path: postPath + "/flags", Token: p3.Token, Body: map[string]any{}}))
	call(200, "/api/v1/me/export", testserver.Req{Method: "GET", Path: "/api/v1/me/export", Token: p3.Token})
	call(204, "/api/v1/me", testserver.Req{Method: "DELETE", Path: "/api/v1/me", Token: p3.Token})
	// The queue is oldest first and the walk filled it: read it to the end.
	var reporter *json.RawMessage
	found := false
	for next := "/api/v1/moderation/flags?limit=200"; next != ""; {
		var page struct {
			Items []struct {
				ID       int64            `json:"id"`
				Reporter *json.RawMessage `json:"reporter"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		call(200, "/api/v1/moderation/flags", testserver.Req{Method: "GET", Path: next, Token: mod.Token}).JSON(t, &page)
		for _, f := range page.Items {
			if f.ID == erased {
				reporter, found = f.Reporter, true
			}
		}
		next = ""
		if page.NextCursor != nil {
			next = "/api/v1/moderation/flags?limit=200&cursor=" + url.QueryEscape(*page.NextCursor)
		}
	}
	if !found || reporter != nil {
		t.Errorf("the flag of an erased account: found %v, reporter %v; want it with reporter null", found, reporter)
	}
	call(200, "/api/v1/moderation/flags/{id}", testserver.Req{Method: "PATCH", Path: fmt.Sprintf("/api/v1/moderation/flags/%d", erased),
		Token: mod.Token, Body: map[string]any{"status": "dismissed", "reason": "fine"}})
	call(200, "/api/v1/threads/{id}", testserver.Req{Method: "GET", Path: threadPath + "?limit=1", Token: p1.Token})
	call(200, "/api/v1/threads/{id}", testserver.Req{Method: "PATCH", Path: threadPath, Token: mod.Token, Body: map[string]any{"locked": true}})
	call(423, "/api/v1/threads/{id}/posts", testserver.Req{Method: "POST", Path: threadPath + "/posts", Token: p2.Token, Body: map[string]any{"body": "Late"}})
	call(200, "/api/v1/talks/{id}/threads", testserver.Req{Method: "GET", Path: talkPath + "/threads", Token: p1.Token})

	// Recordings: an item linked to the talk shows as its recording.
	playlist := id(call(201, "/api/v1/playlists", testserver.Req{Method: "POST", Path: "/api/v1/playlists", Token: mod.Token,
		Body: map[string]any{"title": "Season 1", "description": "All talks", "youtube_playlist_id": "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o"}}))
	plPath := fmt.Sprintf("/api/v1/playlists/%d", playlist)
	call(201, "/api/v1/playlists/{id}/items", testserver.Req{Method: "POST", Path: plPath + "/items", Token: mod.Token, Body: map[string]any{
		"video_id": "dQw4w9WgXcQ", "title": "Contract talk", "description": "The recording", "published_at": start.Add(2 * time.Hour).Format(time.RFC3339),
		"thumbnail_url": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg", "talk_id": talk,
	}})
	call(200, "/api/v1/talks/{id}", testserver.Req{Method: "GET", Path: talkPath, Token: p1.Token})
	feed := sampleFeed(t)
	// Two talks of one title: the video that names it is theirs to confirm.
	for i := 0; i < 2; i++ {
		call(201, "/api/v1/talks", testserver.Req{Method: "POST", Path: "/api/v1/talks", Token: admin.Token, Body: map[string]any{
			"title": "Wearables in the clinic", "starts_at": start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
			"ends_at": start.Add(time.Duration(i+1) * time.Hour).Format(time.RFC3339), "status": "scheduled"}})
	}
	call(200, "/api/v1/playlists/{id}/import", testserver.Req{Method: "POST", Path: plPath + "/import", Token: mod.Token, Body: feed,
		Header: map[string]string{"Content-Type": "application/atom+xml"}})
	call(200, "/api/v1/playlists/{id}/sync", testserver.Req{Method: "POST", Path: plPath + "/sync", Token: mod.Token})
	var matches struct {
		Items []struct {
			Candidates []any `json:"candidates"`
		} `json:"items"`
	}
	call(200, "/api/v1/recordings/matches", testserver.Req{Method: "GET", Path: "/api/v1/recordings/matches", Token: mod.Token}).JSON(t, &matches)
	if len(matches.Items) != 1 || len(matches.Items[0].Candidates) != 2 {
		t.Fatalf("matches %+v", matches)
	}
	call(200, "/api/v1/recordings", testserver.Req{Method: "GET", Path: "/api/v1/recordings", Token: ""})
	call(200, "/api/v1/playlists/{id}", testserver.Req{Method: "GET", Path: plPath, Token: ""})
	call(200, "/api/v1/playlists", testserver.Req{Method: "GET", Path: "/api/v1/playlists?limit=1", Token: ""})

	// The session and the end of the talk; a cancelled talk keeps its
	// registrations with status cancelled.
	call(200, "/api/v1/talks/{id}/status", testserver.Req{Method: "POST", Path: talkPath + "/status", Token: speaker.Token, Body: map[string]any{"status": "live"}})
	call(200, "/api/v1/talks/{id}/status", testserver.Req{Method: "POST", Path: talkPath + "/status", Token: speaker.Token, Body: map[string]any{"status": "ended"}})
	call(409, "/api/v1/talks/{id}/status", testserver.Req{Method: "POST", Path: talkPath + "/status", Token: speaker.Token, Body: map[string]any{"status": "live"}})
	other := id(call(201, "/api/v1/talks", testserver.Req{Method: "POST", Path: "/api/v1/talks", Token: admin.Token, Body: map[string]any{
		"title": "Cancelled talk", "starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339)}}))
	otherPath := fmt.Sprintf("/api/v1/talks/%d", other)
	call(201, "/api/v1/talks/{id}/registrations", testserver.Req{Method: "POST", Path: otherPath + "/registrations", Token: p1.Token})
	call(200, "/api/v1/talks/{id}/cancel", testserver.Req{Method: "POST", Path: otherPath + "/cancel", Token: admin.Token})
	call(200, "/api/v1/talks/{id}/cancel", testserver.Req{Method: "POST", Path: otherPath + "/cancel", Token: admin.Token})
	call(200, "/api/v1/me/registrations", testserver.Req{Method: "GET", Path: "/api/v1/me/registrations", Token: p1.Token})
	call(200, "/api/v1/me/export", testserver.Req{Method: "GET", Path: "/api/v1/me/export", Token: p1.Token})

	// Accounts: users with and without emails, a page with a next cursor.
	for _, u := range []testserver.User{mod, admin} {
		call(200, "/api/v1/users", testserver.Req{Method: "GET", Path: "/api/v1/users?limit=2", Token: u.Token})
	}
	call(200, "/api/v1/me", testserver.Req{Method: "GET", Path: "/api/v1/me", Token: p1.Token})

	// Problems.
	call(422, "/api/v1/auth/signup", testserver.Req{Method: "POST", Path: "/api/v1/auth/signup", Body: map[string]any{"email": "nope", "password": "short", "display_name": ""}})
	call(422, "/api/v1/talks", testserver.Req{Method: "POST", Path: "/api/v1/talks", Token: admin.Token, Body: map[string]any{"title": "Typo", "startsat": "x"}})
	call(401, "/api/v1/auth/login", testserver.Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": p1.Email, "password": "wrong password"}})
	call(404, "/api/v1/talks/{id}", testserver.Req{Method: "GET", Path: "/api/v1/talks/999999999"})

	// Guests: joining, the guest as itself (no email) and in its export,
	// its question, its refusals, and its upgrade.
	var joined struct {
		Token string `json:"token"`
	}
	call(201, "/api/v1/auth/guest", testserver.Req{Method: "POST", Path: "/api/v1/auth/guest", Body: map[string]any{"display_name": "Contract guest"}}).JSON(t, &joined)
	guest := joined.Token
	open := id(call(201, "/api/v1/talks", testserver.Req{Method: "POST", Path: "/api/v1/talks", Token: admin.Token, Body: map[string]any{
		"title": "Guests welcome", "starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339),
		"qa": map[string]any{"allow_guests": true}}}))
	openPath := fmt.Sprintf("/api/v1/talks/%d", open)
	call(200, "/api/v1/me", testserver.Req{Method: "GET", Path: "/api/v1/me", Token: guest})
	call(200, "/api/v1/me/export", testserver.Req{Method: "GET", Path: "/api/v1/me/export", Token: guest})
	guestQ := id(call(201, "/api/v1/talks/{id}/questions", testserver.Req{Method: "POST", Path: openPath + "/questions", Token: guest,
		Body: map[string]any{"body": "Asked by a guest", "anonymous": false}}))
	call(403, "/api/v1/talks/{id}/registrations", testserver.Req{Method: "POST", Path: openPath + "/registrations", Token: guest})
	call(200, "/api/v1/talks/{id}", testserver.Req{Method: "PATCH", Path: openPath, Token: admin.Token, Body: map[string]any{"qa": map[string]any{"allow_guests": false}}})
	call(403, "/api/v1/questions/{id}/vote", testserver.Req{Method: "PUT", Path: fmt.Sprintf("/api/v1/questions/%d/vote", guestQ), Token: guest})
	call(409, "/api/v1/me/upgrade", testserver.Req{Method: "POST", Path: "/api/v1/me/upgrade", Token: p1.Token, Body: map[string]any{"email": "p1@example.org", "password": "a long enough password"}})
	call(200, "/api/v1/me/upgrade", testserver.Req{Method: "POST", Path: "/api/v1/me/upgrade", Token: guest, Body: map[string]any{"email": "contract-guest@example.org", "password": "a long enough password"}})

	// After the talk: own attendance seen and never seen, a certificate and
	// its verification, the report, an export with attendance.
	seen := env.NewUser("participant")
	past, code := attendedTalk(t, env, admin, seen)
	pastPath := fmt.Sprintf("/api/v1/talks/%d", past)
	late := env.NewUser("participant") // never seen: null first/last seen
	for _, u := range []testserver.User{seen, late} {
		call(200, "/api/v1/talks/{id}/attendance/me", testserver.Req{Method: "GET", Path: pastPath + "/attendance/me", Token: u.Token})
	}
	call(200, "/api/v1/certificates/{code}", testserver.Req{Method: "GET", Path: "/api/v1/certificates/" + code})
	call(404, "/api/v1/certificates/{code}", testserver.Req{Method: "GET", Path: "/api/v1/certificates/NOSUCHCODE"})
	call(403, "/api/v1/me/certificates/{id}.pdf", testserver.Req{Method: "GET", Path: fmt.Sprintf("/api/v1/me/certificates/%d.pdf", past), Token: late.Token})
	call(200, "/api/v1/talks/{id}/report", testserver.Req{Method: "GET", Path: pastPath + "/report", Token: admin.Token})
	call(200, "/api/v1/talks/{id}/report", testserver.Req{Method: "GET", Path: talkPath + "/report", Token: speaker.Token})
	call(200, "/api/v1/me/export", testserver.Req{Method: "GET", Path: "/api/v1/me/export", Token: seen.Token})
	call(200, "/api/v1/me", testserver.Req{Method: "PATCH", Path: "/api/v1/me", Token: seen.Token, Body: map[string]any{"notifications": map[string]any{"reminders": false}}})
}
