package playlists_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// talkAt stores a talk starting at start.
func talkAt(t *testing.T, env *testserver.Env, slug, title, status string, start time.Time) int64 {
	t.Helper()
	var id int64
	if err := env.DB.Get(&id, `INSERT INTO talks (slug, title, starts_at, ends_at, status) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		slug, title, start, start.Add(time.Hour), status); err != nil {
		t.Fatal(err)
	}
	return id
}

// feedOf is a playlist feed of the given videos (id → title), in order.
func feedOf(videos ...[2]string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <yt:playlistId>` + ytPlaylist + `</yt:playlistId><title>Hub Talks</title>`)
	for _, v := range videos {
		fmt.Fprintf(&b, `<entry><yt:videoId>%s</yt:videoId><title>%s</title>
  <media:group><media:thumbnail url="https://i4.ytimg.com/vi/%s/hqdefault.jpg"/></media:group></entry>`, v[0], v[1], v[0])
	}
	b.WriteString(`</feed>`)
	return []byte(b.String())
}

func matches(t *testing.T, env *testserver.Env, token string) playlists.Matches {
	t.Helper()
	var m playlists.Matches
	testserver.Must(t, env.Get("/api/v1/recordings/matches", token), 200).JSON(t, &m)
	return m
}

func TestAmbiguousMatchesForAModerator(t *testing.T) {
	env := testserver.New(t)
	mod, part := env.NewUser("moderator"), env.NewUser("participant")
	day := time.Date(2025, 5, 1, 14, 0, 0, 0, time.UTC)
	first := talkAt(t, env, "data-spaces", "Data spaces", "ended", day)
	second := talkAt(t, env, "data-spaces-again", "Data spaces", "ended", day.AddDate(0, 1, 0))
	literacy := talkAt(t, env, "digital-literacy", "Digital health literacy", "ended", day.AddDate(0, 2, 0))
	p := createPlaylist(t, env, mod.Token)
	feed := feedOf([2]string{"DataSpace01", "Hub Talks | Data spaces – panel"},
		[2]string{"Literacy001", "Hub Talks | Digital health literacy – Zoë Martin"},
		[2]string{"DataSpace02", "Hub Talks | Data Spaces (part 2)"})

	var res playlists.ImportResult
	testserver.Must(t, importFeed(env, p.ID, mod.Token, feed), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{Created: 3, Linked: 1, Ambiguous: 2}) {
		t.Fatalf("import %+v", res.Import)
	}
	if res.Items[0].TalkID != nil || res.Items[2].TalkID != nil || res.Items[1].TalkID == nil || *res.Items[1].TalkID != literacy {
		t.Fatalf("links %+v", res.Items)
	}
	testserver.Must(t, env.Get("/api/v1/recordings/matches", ""), 401)
	testserver.Must(t, env.Get("/api/v1/recordings/matches", part.Token), 403)
	m := matches(t, env, mod.Token)
	if len(m.Items) != 2 || m.Items[0].Item.VideoID != "DataSpace01" || m.Items[1].Item.VideoID != "DataSpace02" ||
		m.Items[0].Playlist.ID != p.ID || len(m.Items[0].Candidates) != 2 ||
		m.Items[0].Candidates[0].ID != second || m.Items[0].Candidates[1].ID != first {
		t.Fatalf("matches %+v", m)
	}
	// Importing again changes nothing and lists the same.
	testserver.Must(t, importFeed(env, p.ID, mod.Token, feed), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{Ambiguous: 2}) || len(matches(t, env, mod.Token).Items) != 2 {
		t.Fatalf("second import %+v", res.Import)
	}

	// Confirming links the video (the talk gets its recording); the other
	// video no longer offers that talk.
	item := func(i int) string { return fmt.Sprintf("/api/v1/playlists/%d/items/%d", p.ID, res.Items[i].ID) }
	testserver.Must(t, env.Patch(item(0), mod.Token, map[string]any{"talk_id": first}), 200)
	if r := recordingOf(t, env, first); r == nil || r.VideoID != "DataSpace01" {
		t.Fatalf("recording after confirming: %+v", r)
	}
	m = matches(t, env, mod.Token)
	if len(m.Items) != 1 || m.Items[0].Item.VideoID != "DataSpace02" || len(m.Items[0].Candidates) != 1 || m.Items[0].Candidates[0].ID != second {
		t.Fatalf("matches after confirming %+v", m)
	}
	// Dismissing (talk_id null) closes it for good: later imports leave it alone.
	testserver.Must(t, env.Patch(item(2), mod.Token, map[string]any{"talk_id": nil}), 200)
	if m = matches(t, env, mod.Token); len(m.Items) != 0 {
		t.Fatalf("matches after dismissing %+v", m)
	}
	testserver.Must(t, importFeed(env, p.ID, mod.Token, feed), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{}) || res.Items[2].TalkID != nil || len(matches(t, env, mod.Token).Items) != 0 {
		t.Fatalf("import after dismissing: %+v, item %+v", res.Import, res.Items[2])
	}
	if r := recordingOf(t, env, second); r != nil {
		t.Fatalf("the dismissed video was linked: %+v", r)
	}
}

func TestRecordingsNewestFirstByPlaylist(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	day := time.Date(2025, 1, 10, 14, 0, 0, 0, time.UTC)
	oldest := talkAt(t, env, "oldest-talk-of-all", "Oldest talk of all", "ended", day)
	middle := talkAt(t, env, "middle-talk-here", "Middle talk here", "ended", day.AddDate(0, 1, 0))
	newest := talkAt(t, env, "newest-talk-ever", "Newest talk ever", "ended", day.AddDate(0, 2, 0))
	direct := talkAt(t, env, "seeded-recording", "Seeded recording", "ended", day.AddDate(0, 1, 15))
	draft := talkAt(t, env, "draft-talk-here", "Draft talk here", "draft", day.AddDate(0, 3, 0))
	talkAt(t, env, "no-recording-yet", "No recording yet", "ended", day.AddDate(0, 4, 0))
	// A recording set without a playlist item (as the demo seeds them), and a draft's.
	env.DB.MustExec(`UPDATE talks SET recording_video_id = 'Seeded00001' WHERE id = $1`, direct)
	env.DB.MustExec(`UPDATE talks SET recording_video_id = 'Draft000001' WHERE id = $1`, draft)
	var empty playlists.Recordings
	a := createPlaylist(t, env, mod.Token)
	testserver.Must(t, env.Get("/api/v1/recordings", ""), 200).JSON(t, &empty)
	if len(empty.Groups) != 1 || empty.Groups[0].Playlist != nil {
		t.Fatalf("before any link: %+v", empty)
	}
	testserver.Must(t, importFeed(env, a.ID, mod.Token, feedOf([2]string{"OldestVid01", "Oldest talk of all"}, [2]string{"NewestVid01", "Newest talk ever"})), 200)
	var b playlists.Playlist
	testserver.Must(t, env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "Specials"}), 201).JSON(t, &b)
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/playlists/%d/items", b.ID), mod.Token,
		map[string]any{"video_id": "MiddleVid01", "title": "x", "talk_id": middle, "thumbnail_url": "https://evil.example/x.jpg"}), 201)

	var recs playlists.Recordings
	testserver.Must(t, env.Get("/api/v1/recordings", ""), 200).JSON(t, &recs)
	var got []string
	for _, g := range recs.Groups {
		name := "none"
		if g.Playlist != nil {
			name = g.Playlist.Title
		}
		var ids []string
		for _, tk := range g.Talks {
			ids = append(ids, fmt.Sprintf("%d:%s:%s", tk.ID, tk.Recording.VideoID, tk.ThumbnailURL))
		}
		got = append(got, name+"="+strings.Join(ids, ","))
	}
	want := []string{
		fmt.Sprintf("Hub Talks=%d:NewestVid01:https://i4.ytimg.com/vi/NewestVid01/hqdefault.jpg,%d:OldestVid01:https://i4.ytimg.com/vi/OldestVid01/hqdefault.jpg", newest, oldest),
		fmt.Sprintf("none=%d:Seeded00001:https://i.ytimg.com/vi/Seeded00001/hqdefault.jpg", direct),
		fmt.Sprintf("Specials=%d:MiddleVid01:https://i.ytimg.com/vi/MiddleVid01/hqdefault.jpg", middle),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("recordings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The thumbnails the page shows are allowed by the CSP.
	csp := env.Get("/recordings", "").Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: https://*.ytimg.com") {
		t.Fatalf("CSP %q", csp)
	}
}
