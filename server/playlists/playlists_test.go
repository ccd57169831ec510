package playlists_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newTalk stores a talk directly (the talks API belongs to another domain).
func newTalk(t *testing.T, env *testserver.Env, slug, title, status string) int64 {
	t.Helper()
	var id int64
	start := time.Date(2026, 3, 5, 14, 0, 0, 0, time.UTC)
	err := env.DB.Get(&id, `INSERT INTO talks (slug, title, starts_at, ends_at, status, stream_url)
		VALUES ($1, $2, $3, $4, $5, 'https://stream.example.org/secret') RETURNING id`, slug, title, start, start.Add(time.Hour), status)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func createPlaylist(t *testing.T, env *testserver.Env, token string) playlists.Playlist {
	t.Helper()
	var p playlists.Playlist
	testserver.Must(t, env.Post("/api/v1/playlists", token, map[string]any{"title": "Hub Talks", "description": "All recordings"}), 201).JSON(t, &p)
	return p
}

func importFeed(env *testserver.Env, playlistID int64, token string, body []byte) *testserver.Response {
	return env.Do(testserver.Req{Method: "POST", Path: fmt.Sprintf("/api/v1/playlists/%d/import", playlistID), Token: token,
		Body: body, Header: map[string]string{"Content-Type": "application/atom+xml"}})
}

// snapshot is every row this domain writes (and what it writes elsewhere:
// talk recordings, events), as text, to prove that nothing changed.
func snapshot(t *testing.T, env *testserver.Env) string {
	t.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT coalesce(json_agg(p ORDER BY p.id)::text, '[]') FROM playlists p`,
		`SELECT coalesce(json_agg(i ORDER BY i.id)::text, '[]') FROM playlist_items i`,
		`SELECT coalesce(json_agg(json_build_array(id, recording_video_id, updated_at) ORDER BY id)::text, '[]') FROM talks`,
		`SELECT count(*)::text FROM events`,
	} {
		var s string
		if err := env.DB.Get(&s, q); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}

type itemRow struct {
	Position int     `db:"position"`
	VideoID  string  `db:"video_id"`
	Title    string  `db:"title"`
	TalkID   *int64  `db:"talk_id"`
	Thumb    *string `db:"thumbnail_url"`
}

func items(t *testing.T, env *testserver.Env, playlistID int64) []itemRow {
	t.Helper()
	var rows []itemRow
	if err := env.DB.Select(&rows, `SELECT position, video_id, title, talk_id, thumbnail_url FROM playlist_items
		WHERE playlist_id = $1 ORDER BY position`, playlistID); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.Position != i+1 {
			t.Fatalf("positions are not 1..n without gaps: %+v", rows)
		}
	}
	return rows
}

func videoIDs(rows []itemRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.VideoID
	}
	return out
}

// talkUpdates counts talk.updated events on the talk's public channel and
// returns the last one's data.
func talkUpdates(t *testing.T, env *testserver.Env, talkID int64) (int, talks.Talk) {
	t.Helper()
	var rows []string
	if err := env.DB.Select(&rows, `SELECT data::text FROM events WHERE channel = $1 AND type = 'talk.updated' ORDER BY seq`,
		fmt.Sprintf("talk:%d", talkID)); err != nil {
		t.Fatal(err)
	}
	var last talks.Talk
	if len(rows) > 0 {
		if err := json.Unmarshal([]byte(rows[len(rows)-1]), &last); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rows[len(rows)-1], "stream.example.org") {
			t.Fatalf("public event leaks stream_url: %s", rows[len(rows)-1])
		}
	}
	return len(rows), last
}

func recordingOf(t *testing.T, env *testserver.Env, talkID int64) *talks.Recording {
	t.Helper()
	tk, err := talks.Load(context.Background(), env.DB, talkID)
	if err != nil {
		t.Fatal(err)
	}
	// Through the API too, when the talks domain serves it.
	if resp := env.Get(fmt.Sprintf("/api/v1/talks/%d", talkID), ""); resp.StatusCode == 200 {
		var api talks.Talk
		resp.JSON(t, &api)
		if !reflect.DeepEqual(api.Recording, tk.Recording) {
			t.Fatalf("GET /talks/%d recording %+v, stored %+v", talkID, api.Recording, tk.Recording)
		}
	}
	return tk.Recording
}

func TestImportFeed(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	exact := newTalk(t, env, "assessing-apps", "hub talk #2: ASSESSING health apps", "ended")
	bySlug := newTalk(t, env, "wearables-in-the-clinic", "Wearables in the clinic", "ended")
	other := newTalk(t, env, "ai-ethics", "Something else", "ended")
	newTalk(t, env, "apps", "Short slug", "ended") // too short to match "…apps" by accident
	p := createPlaylist(t, env, mod.Token)

	var res playlists.ImportResult
	testserver.Must(t, importFeed(env, p.ID, mod.Token, fixture(t, "feed.xml")), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{Created: 3, Updated: 0, Linked: 2}) {
		t.Fatalf("counts %+v", res.Import)
	}
	if res.YouTubePlaylistID == nil || *res.YouTubePlaylistID != "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o" {
		t.Fatalf("youtube_playlist_id %v", res.YouTubePlaylistID)
	}
	rows := items(t, env, p.ID)
	if got, want := videoIDs(rows), []string{"Xk3v9Qp2LmA", "b7-Rt_0sWqE", "Q_9zT4wYk1s"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("items %v, want feed order %v", got, want)
	}
	if len(res.Items) != 3 || res.Items[0].VideoID != "Xk3v9Qp2LmA" || res.Items[0].PublishedAt == nil ||
		res.Items[0].Title != "Hub Talk #1: mHealth & COVID-19 – contact-tracing apps" ||
		res.Items[0].ThumbnailURL == nil || *res.Items[0].ThumbnailURL != "https://i3.ytimg.com/vi/Xk3v9Qp2LmA/hqdefault.jpg" {
		t.Fatalf("response items %+v", res.Items)
	}
	if rows[0].TalkID != nil || rows[1].TalkID == nil || *rows[1].TalkID != exact || rows[2].TalkID == nil || *rows[2].TalkID != bySlug {
		t.Fatalf("auto-links %+v (exact %d, slug %d)", rows, exact, bySlug)
	}
	if r := recordingOf(t, env, exact); r == nil || r.VideoID != "b7-Rt_0sWqE" || r.URL != "https://www.youtube.com/watch?v=b7-Rt_0sWqE" {
		t.Fatalf("exact-title talk recording %+v", r)
	}
	if r := recordingOf(t, env, bySlug); r == nil || r.VideoID != "Q_9zT4wYk1s" {
		t.Fatalf("slug talk recording %+v", r)
	}
	if r := recordingOf(t, env, other); r != nil {
		t.Fatalf("unrelated talk got recording %+v", r)
	}
	if n, ev := talkUpdates(t, env, exact); n != 1 || ev.Recording == nil || ev.Recording.VideoID != "b7-Rt_0sWqE" || ev.StreamURL != nil {
		t.Fatalf("talk.updated events %d, last %+v", n, ev)
	}

	// The same feed again changes nothing at all.
	before := snapshot(t, env)
	testserver.Must(t, importFeed(env, p.ID, mod.Token, fixture(t, "feed.xml")), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{}) {
		t.Fatalf("second import counts %+v", res.Import)
	}
	if after := snapshot(t, env); after != before {
		t.Fatalf("second import changed rows:\nbefore %s\nafter  %s", before, after)
	}

	// The updated feed renames #1, no longer lists #2 and adds #4 and #5.
	testserver.Must(t, importFeed(env, p.ID, mod.Token, fixture(t, "feed_updated.xml")), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{Created: 2, Updated: 1, Linked: 0}) {
		t.Fatalf("updated import counts %+v", res.Import)
	}
	rows = items(t, env, p.ID)
	if got, want := videoIDs(rows), []string{"Xk3v9Qp2LmA", "b7-Rt_0sWqE", "Q_9zT4wYk1s", "zZ0-aa_BB9c", "M1n2O3p4Q5r"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("items %v, want %v", got, want)
	}
	if rows[0].Title != "Hub Talk #1: mHealth & COVID-19 – contact-tracing apps (subtitled)" {
		t.Fatalf("title not updated: %q", rows[0].Title)
	}
	if rows[1].TalkID == nil || *rows[1].TalkID != exact {
		t.Fatalf("an item the feed no longer lists lost its link: %+v", rows[1])
	}
	if len(res.Items) != 5 {
		t.Fatalf("response has %d items", len(res.Items))
	}
}

func TestImportRejectsWithoutWriting(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	newTalk(t, env, "assessing-apps", "Hub Talk #2: Assessing health apps", "ended")
	p := createPlaylist(t, env, mod.Token)
	before := snapshot(t, env)
	cases := []struct {
		file, field string
	}{
		{"malformed.xml", "feed"},
		{"youtube_error.html", "feed"},
		{"rss.xml", "feed"},
		{"entity_bomb.xml", "feed"},
		{"feed_bad_video_id.xml", "entry[2].yt:videoId"},
		{"feed_no_video_id.xml", "entry[2].yt:videoId"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			resp := importFeed(env, p.ID, mod.Token, fixture(t, tc.file))
			if resp.StatusCode != 422 {
				t.Fatalf("status %d, want 422; body %s", resp.StatusCode, resp.Body)
			}
			pr := resp.Problem(t)
			if pr.Code != "invalid_feed" || len(pr.Errors) != 1 || pr.Errors[0].Field != tc.field || pr.Detail == "" {
				t.Fatalf("problem %+v, want invalid_feed naming %s", pr, tc.field)
			}
			if after := snapshot(t, env); after != before {
				t.Fatalf("a refused import wrote:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	// Not XML at all: 415 for a JSON body.
	resp := env.Do(testserver.Req{Method: "POST", Path: fmt.Sprintf("/api/v1/playlists/%d/import", p.ID), Token: mod.Token, Body: `{"feed":1}`})
	if resp.StatusCode != 415 {
		t.Fatalf("JSON body: status %d", resp.StatusCode)
	}
	// A feed of another YouTube playlist than the one set.
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/playlists/%d", p.ID), mod.Token, map[string]any{"youtube_playlist_id": "PLotherOTHERother0123456789abcdef"}), 200)
	before = snapshot(t, env)
	resp = importFeed(env, p.ID, mod.Token, fixture(t, "feed.xml"))
	if resp.StatusCode != 422 || resp.Problem(t).Code != "playlist_mismatch" {
		t.Fatalf("mismatch: status %d body %s", resp.StatusCode, resp.Body)
	}
	if after := snapshot(t, env); after != before {
		t.Fatal("a refused import wrote")
	}
	// Unknown playlist.
	if resp := importFeed(env, p.ID+1000, mod.Token, fixture(t, "feed.xml")); resp.StatusCode != 404 {
		t.Fatalf("unknown playlist: status %d", resp.StatusCode)
	}
}

func TestLinkRecording(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	talkID := newTalk(t, env, "ai-triage", "AI and triage", "ended")
	p := createPlaylist(t, env, mod.Token)
	base := fmt.Sprintf("/api/v1/playlists/%d/items", p.ID)

	var it playlists.Item
	testserver.Must(t, env.Post(base, mod.Token, map[string]any{"video_id": "zZ0-aa_BB9c", "title": "AI and triage", "talk_id": talkID}), 201).JSON(t, &it)
	if it.TalkID == nil || *it.TalkID != talkID || it.Position != 1 {
		t.Fatalf("item %+v", it)
	}
	if r := recordingOf(t, env, talkID); r == nil || r.VideoID != "zZ0-aa_BB9c" {
		t.Fatalf("recording after link: %+v", r)
	}
	n, ev := talkUpdates(t, env, talkID)
	if n != 1 || ev.ID != talkID || ev.Recording == nil || ev.Recording.VideoID != "zZ0-aa_BB9c" {
		t.Fatalf("after link: %d events, last %+v", n, ev)
	}

	// Unlink: the recording goes, and the channel hears of it.
	item := fmt.Sprintf("%s/%d", base, it.ID)
	testserver.Must(t, env.Patch(item, mod.Token, map[string]any{"talk_id": nil}), 200).JSON(t, &it)
	if it.TalkID != nil {
		t.Fatalf("still linked: %+v", it)
	}
	if r := recordingOf(t, env, talkID); r != nil {
		t.Fatalf("recording after unlink: %+v", r)
	}
	if n, ev = talkUpdates(t, env, talkID); n != 2 || ev.Recording != nil {
		t.Fatalf("after unlink: %d events, last %+v", n, ev)
	}

	// Link by PATCH, then a second video for the same talk wins (latest link).
	testserver.Must(t, env.Patch(item, mod.Token, map[string]any{"talk_id": talkID}), 200)
	var second playlists.Item
	testserver.Must(t, env.Post(base, mod.Token, map[string]any{"video_id": "M1n2O3p4Q5r", "title": "AI and triage (re-upload)", "talk_id": talkID}), 201).JSON(t, &second)
	if r := recordingOf(t, env, talkID); r == nil || r.VideoID != "M1n2O3p4Q5r" {
		t.Fatalf("recording after second link: %+v", r)
	}
	// Deleting that item falls back to the other linked one; deleting both clears it.
	testserver.Must(t, env.Delete(fmt.Sprintf("%s/%d", base, second.ID), mod.Token), 204)
	if r := recordingOf(t, env, talkID); r == nil || r.VideoID != "zZ0-aa_BB9c" {
		t.Fatalf("recording after deleting the second item: %+v", r)
	}
	testserver.Must(t, env.Delete(fmt.Sprintf("/api/v1/playlists/%d", p.ID), mod.Token), 204)
	if r := recordingOf(t, env, talkID); r != nil {
		t.Fatalf("recording after deleting the playlist: %+v", r)
	}
	var left int
	if err := env.DB.Get(&left, `SELECT count(*) FROM playlist_items`); err != nil || left != 0 {
		t.Fatalf("items left %d (%v)", left, err)
	}
	if n, ev = talkUpdates(t, env, talkID); n != 6 || ev.Recording != nil {
		t.Fatalf("after delete: %d events, last %+v", n, ev)
	}

	// Linking to a talk that does not exist is a 422 naming talk_id.
	p2 := createPlaylist(t, env, mod.Token)
	resp := env.Post(fmt.Sprintf("/api/v1/playlists/%d/items", p2.ID), mod.Token, map[string]any{"video_id": "zZ0-aa_BB9c", "title": "x", "talk_id": talkID + 999})
	if resp.StatusCode != 422 || resp.Problem(t).Errors[0].Field != "talk_id" {
		t.Fatalf("unknown talk: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestPositionsStayGapFree(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	p := createPlaylist(t, env, mod.Token)
	base := fmt.Sprintf("/api/v1/playlists/%d/items", p.ID)
	ids := map[string]int64{}
	add := func(video string, pos any) {
		t.Helper()
		body := map[string]any{"video_id": video, "title": "Video " + video}
		if pos != nil {
			body["position"] = pos
		}
		var it playlists.Item
		testserver.Must(t, env.Post(base, mod.Token, body), 201).JSON(t, &it)
		ids[video] = it.ID
	}
	expect := func(want ...string) {
		t.Helper()
		if got := videoIDs(items(t, env, p.ID)); !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v, want %v", got, want)
		}
		var pl playlists.Playlist
		testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/playlists/%d", p.ID), ""), 200).JSON(t, &pl)
		for i, it := range pl.Items {
			if it.Position != i+1 || it.VideoID != want[i] {
				t.Fatalf("GET items %+v, want %v", pl.Items, want)
			}
		}
	}
	move := func(video string, pos int) {
		t.Helper()
		var it playlists.Item
		testserver.Must(t, env.Patch(fmt.Sprintf("%s/%d", base, ids[video]), mod.Token, map[string]any{"position": pos}), 200).JSON(t, &it)
		if it.Position != pos {
			t.Fatalf("moved item at %d, want %d", it.Position, pos)
		}
	}
	a, b, c, d, e := "aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc", "ddddddddddd", "eeeeeeeeeee"
	add(a, nil)
	add(b, nil)
	add(c, nil)
	expect(a, b, c)
	add(d, 2) // insert in the middle
	expect(a, d, b, c)
	add(e, 1) // insert first
	expect(e, a, d, b, c)
	move(e, 5) // first to last
	expect(a, d, b, c, e)
	move(c, 1) // back to front
	expect(c, a, d, b, e)
	move(d, 4)
	expect(c, a, b, d, e)
	move(d, 4) // to where it is: nothing moves
	expect(c, a, b, d, e)
	testserver.Must(t, env.Delete(fmt.Sprintf("%s/%d", base, ids[a]), mod.Token), 204)
	expect(c, b, d, e)

	before := snapshot(t, env)
	for _, tc := range []struct {
		method string
		path   string
		body   map[string]any
		status int
		field  string
	}{
		{"POST", base, map[string]any{"video_id": "fffffffffff", "title": "x", "position": 6}, 422, "position"},
		{"POST", base, map[string]any{"video_id": "fffffffffff", "title": "x", "position": 0}, 422, "position"},
		{"PATCH", fmt.Sprintf("%s/%d", base, ids[c]), map[string]any{"position": 5}, 422, "position"},
		{"POST", base, map[string]any{"video_id": "short", "title": "x"}, 422, "video_id"},
		{"POST", base, map[string]any{"video_id": "has space!!", "title": "x"}, 422, "video_id"},
		{"POST", base, map[string]any{"video_id": "fffffffffff", "title": "   "}, 422, "title"},
		{"POST", base, map[string]any{"video_id": "fffffffffff", "title": "x", "published_at": "yesterday"}, 422, "published_at"},
		{"POST", base, map[string]any{"video_id": "fffffffffff", "title": "x", "thumbnail_url": "javascript:alert(1)"}, 422, "thumbnail_url"},
		{"POST", base, map[string]any{"video_id": "fffffffffff", "title": "x", "colour": "red"}, 422, "colour"},
		{"PATCH", fmt.Sprintf("%s/%d", base, ids[c]), map[string]any{"talk_id": "seven"}, 422, "talk_id"},
		{"POST", base, map[string]any{"video_id": b, "title": "again"}, 409, ""},
		{"PATCH", fmt.Sprintf("%s/%d", base, ids[c]), map[string]any{"video_id": b}, 409, ""},
		{"PATCH", fmt.Sprintf("%s/%d", base, ids[a]), map[string]any{"title": "deleted item"}, 404, ""},
	} {
		resp := env.Do(testserver.Req{Method: tc.method, Path: tc.path, Token: mod.Token, Body: tc.body})
		if resp.StatusCode != tc.status {
			t.Fatalf("%s %v: status %d, want %d; %s", tc.method, tc.body, resp.StatusCode, tc.status, resp.Body)
		}
		pr := resp.Problem(t)
		if tc.status == 409 && pr.Code != "duplicate_video" {
			t.Fatalf("409 code %q", pr.Code)
		}
		if tc.field != "" && (len(pr.Errors) == 0 || pr.Errors[0].Field != tc.field) {
			t.Fatalf("%v: problem %+v, want field %s", tc.body, pr, tc.field)
		}
	}
	if after := snapshot(t, env); after != before {
		t.Fatalf("refused requests wrote:\nbefore %s\nafter  %s", before, after)
	}
}

func TestPlaylistCRUDAndPermissions(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	admin := env.NewUser("admin")
	part := env.NewUser("participant")
	p := createPlaylist(t, env, mod.Token)
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/playlists/%d/items", p.ID), admin.Token, map[string]any{"video_id": "Xk3v9Qp2LmA", "title": "One"}), 201)
	path := fmt.Sprintf("/api/v1/playlists/%d", p.ID)
	var itemID int64
	if err := env.DB.Get(&itemID, `SELECT id FROM playlist_items WHERE playlist_id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	itemPath := fmt.Sprintf("%s/items/%d", path, itemID)

	before := snapshot(t, env)
	writes := []testserver.Req{
		{Method: "POST", Path: "/api/v1/playlists", Body: map[string]any{"title": "x"}},
		{Method: "PATCH", Path: path, Body: map[string]any{"title": "x"}},
		{Method: "DELETE", Path: path},
		{Method: "POST", Path: path + "/items", Body: map[string]any{"video_id": "b7-Rt_0sWqE", "title": "x"}},
		{Method: "PATCH", Path: itemPath, Body: map[string]any{"title": "x"}},
		{Method: "DELETE", Path: itemPath},
		{Method: "POST", Path: path + "/import", Body: fixture(t, "feed.xml"), Header: map[string]string{"Content-Type": "application/atom+xml"}},
		{Method: "POST", Path: path + "/sync"},
	}
	for _, who := range []struct {
		token  string
		status int
	}{{"", 401}, {part.Token, 403}} {
		for _, r := range writes {
			r.Token = who.token
			if resp := env.Do(r); resp.StatusCode != who.status {
				t.Fatalf("%s %s as %q: status %d, want %d", r.Method, r.Path, who.token, resp.StatusCode, who.status)
			}
		}
	}
	if after := snapshot(t, env); after != before {
		t.Fatalf("refused writes changed state:\nbefore %s\nafter  %s", before, after)
	}

	// Anyone reads.
	var got playlists.Playlist
	testserver.Must(t, env.Get(path, ""), 200).JSON(t, &got)
	if got.Title != "Hub Talks" || got.Description != "All recordings" || got.YouTubePlaylistID != nil || len(got.Items) != 1 {
		t.Fatalf("GET %+v", got)
	}
	// PATCH answers the whole playlist; "" clears the YouTube id.
	testserver.Must(t, env.Patch(path, mod.Token, map[string]any{"title": "Renamed", "youtube_playlist_id": "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o"}), 200).JSON(t, &got)
	if got.Title != "Renamed" || got.Description != "All recordings" || got.YouTubePlaylistID == nil || len(got.Items) != 1 {
		t.Fatalf("PATCH %+v", got)
	}
	testserver.Must(t, env.Patch(path, mod.Token, map[string]any{"youtube_playlist_id": ""}), 200).JSON(t, &got)
	if got.YouTubePlaylistID != nil {
		t.Fatalf("youtube id not cleared: %+v", got)
	}
	for _, bad := range []map[string]any{{"title": ""}, {"youtube_playlist_id": "not a playlist!"}, {"title": strings.Repeat("x", 201)}} {
		resp := env.Patch(path, mod.Token, bad)
		if resp.StatusCode != 422 {
			t.Fatalf("PATCH %v: status %d", bad, resp.StatusCode)
		}
	}

	// The list pages by id and carries items.
	for i := 0; i < 3; i++ {
		createPlaylist(t, env, admin.Token)
	}
	var page struct {
		Items      []playlists.Playlist `json:"items"`
		NextCursor *string              `json:"next_cursor"`
	}
	testserver.Must(t, env.Get("/api/v1/playlists?limit=3", ""), 200).JSON(t, &page)
	if len(page.Items) != 3 || page.NextCursor == nil || page.Items[0].ID != p.ID || len(page.Items[0].Items) != 1 || page.Items[1].Items == nil {
		t.Fatalf("page 1 %+v", page)
	}
	testserver.Must(t, env.Get("/api/v1/playlists?limit=3&cursor="+*page.NextCursor, ""), 200).JSON(t, &page)
	if len(page.Items) != 1 || page.NextCursor != nil {
		t.Fatalf("page 2 %+v", page)
	}
	testserver.Must(t, env.Delete(path, admin.Token), 204)
	if resp := env.Get(path, ""); resp.StatusCode != 404 {
		t.Fatalf("deleted playlist: %d", resp.StatusCode)
	}
}
