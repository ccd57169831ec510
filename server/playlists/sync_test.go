package playlists_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/testserver"
)

const ytPlaylist = "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o"

// feedServer stands in for YouTube's feed address: it serves body, or
// misbehaves as mode says, and counts what it is asked per playlist id.
type feedServer struct {
	*httptest.Server
	mu    sync.Mutex
	body  []byte
	mode  string // "", "down", "slow", "html", "404", "huge"
	asked map[string]int
	hits  atomic.Int64
}

func newFeedServer(t *testing.T, body []byte) *feedServer {
	fs := &feedServer{body: body, asked: map[string]int{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(mode string, body []byte) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.mode = mode
	if body != nil {
		fs.body = body
	}
}

func (fs *feedServer) count(id string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.asked[id]
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	mode, body := fs.mode, fs.body
	fs.asked[r.URL.Query().Get("playlist_id")]++
	fs.mu.Unlock()
	fs.hits.Add(1)
	if r.URL.Path != "/feeds/videos.xml" {
		http.Error(w, "wrong path", http.StatusTeapot)
		return
	}
	switch mode {
	case "down": // the connection drops before any answer
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case "late": // answers, after the API's database deadline
		time.Sleep(httpx.DBTimeout + 500*time.Millisecond)
		w.Header().Set("Content-Type", "application/atom+xml")
		_, _ = w.Write(body)
		return
	case "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>Too many requests</body></html>"))
		return
	case "404":
		http.NotFound(w, r)
		return
	case "huge": // a valid start, then more than the cap, without a Content-Length
		w.Header().Set("Content-Type", "application/atom+xml")
		_, _ = w.Write(body[:bytes.Index(body, []byte("<entry>"))])
		w.(http.Flusher).Flush()
		pad := bytes.Repeat([]byte("<!-- padding padding padding padding padding padding padding -->\n"), 1024)
		for n := 0; n <= playlists.MaxFeedBytes; n += len(pad) {
			if _, err := w.Write(pad); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte("</feed>"))
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=UTF-8")
	_, _ = w.Write(body)
}

// syncEnv is a server whose feed address is fs, logging into logs.
func syncEnv(t *testing.T, fs *feedServer, logs *testkit.SyncBuffer) *testserver.Env {
	return testserver.New(t,
		testserver.WithLog(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))),
		testserver.WithConfig(func(c *server.Config) {
			c.Playlists = playlists.SyncConfig{FeedBaseURL: fs.URL + "/feeds/videos.xml", Timeout: 500 * time.Millisecond}
		}))
}

// state is what a sync may change besides the report of its error: the
// items, the talks' recordings, the events, and the playlist's own fields.
func state(t *testing.T, env *testserver.Env) string {
	t.Helper()
	var s string
	if err := env.DB.Get(&s, `SELECT coalesce(json_agg(json_build_array(id, title, youtube_playlist_id, last_synced_at, updated_at) ORDER BY id)::text, '[]') FROM playlists`); err != nil {
		t.Fatal(err)
	}
	rest := snapshot(t, env) // its first line is the playlists' rows, whole
	return s + rest[strings.Index(rest, "\n"):]
}

func metric(t *testing.T, env *testserver.Env, result string) string {
	t.Helper()
	body := string(testserver.Must(t, env.Get("/metrics", ""), 200).Body)
	prefix := fmt.Sprintf("hubtalks_playlist_syncs_total{result=%q} ", result)
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimPrefix(line, prefix)
		}
	}
	t.Fatalf("no %s line in /metrics", prefix)
	return ""
}

func syncNow(env *testserver.Env, id int64, token string) *testserver.Response {
	return env.Post(fmt.Sprintf("/api/v1/playlists/%d/sync", id), token, nil)
}

func TestSyncFromTheFeed(t *testing.T) {
	fs := newFeedServer(t, fixture(t, "feed.xml"))
	logs := &testkit.SyncBuffer{}
	env := syncEnv(t, fs, logs)
	mod := env.NewUser("moderator")
	assessing := newTalk(t, env, "assessing-apps", "Assessing health apps", "ended")
	var p playlists.Playlist
	testserver.Must(t, env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "Hub Talks", "youtube_playlist_id": ytPlaylist}), 201).JSON(t, &p)
	if p.LastSyncedAt != nil || p.LastSyncError != nil {
		t.Fatalf("a new playlist has sync fields %+v", p)
	}

	// New videos appear, and the one whose title names a talk is linked.
	var res playlists.ImportResult
	testserver.Must(t, syncNow(env, p.ID, mod.Token), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{Created: 3, Linked: 1}) || len(res.Items) != 3 || res.LastSyncedAt == nil || res.LastSyncError != nil {
		t.Fatalf("first sync: %+v", res)
	}
	if fs.count(ytPlaylist) != 1 {
		t.Fatalf("feed asked %v", fs.asked)
	}
	if r := recordingOf(t, env, assessing); r == nil || r.VideoID != "b7-Rt_0sWqE" {
		t.Fatalf("recording of the talk the title names: %+v", r)
	}
	var recs playlists.Recordings
	testserver.Must(t, env.Get("/api/v1/recordings", ""), 200).JSON(t, &recs)
	if len(recs.Groups) != 1 || recs.Groups[0].Playlist == nil || recs.Groups[0].Playlist.ID != p.ID ||
		len(recs.Groups[0].Talks) != 1 || recs.Groups[0].Talks[0].ID != assessing ||
		recs.Groups[0].Talks[0].ThumbnailURL != "https://i1.ytimg.com/vi/b7-Rt_0sWqE/hqdefault.jpg" {
		t.Fatalf("recordings %+v", recs)
	}
	firstSynced := *res.LastSyncedAt

	// A renamed video is updated; new ones are appended; none is removed.
	fs.set("", fixture(t, "feed_updated.xml"))
	testserver.Must(t, syncNow(env, p.ID, mod.Token), 200).JSON(t, &res)
	if res.Import != (playlists.ImportCounts{Created: 2, Updated: 1}) || len(res.Items) != 5 ||
		res.Items[0].Title != "Hub Talk #1: mHealth & COVID-19 – contact-tracing apps (subtitled)" {
		t.Fatalf("second sync: %+v", res)
	}
	if !res.LastSyncedAt.After(firstSynced) && !res.LastSyncedAt.Equal(firstSynced) {
		t.Fatalf("last_synced_at went back: %v then %v", firstSynced, res.LastSyncedAt)
	}

	// A feed that cannot be had changes nothing, and says why: 502 to the
	// caller, the playlist's last_sync_error, a log line and the metric.
	failures := []struct{ mode, says string }{
		{"down", "could not be reached"},
		{"slow", "did not answer within"},
		{"404", "404"},
		{"html", "HTML page"},
		{"huge", "larger than 2 MiB"},
	}
	for i, f := range failures {
		t.Run(f.mode, func(t *testing.T) {
			fs.set(f.mode, nil)
			before := state(t, env)
			resp := syncNow(env, p.ID, mod.Token)
			if resp.StatusCode != 502 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			pr := resp.Problem(t)
			if pr.Code != "feed_unavailable" || !strings.Contains(pr.Detail, f.says) || strings.Contains(pr.Detail, "127.0.0.1") {
				t.Fatalf("problem %+v, want feed_unavailable saying %q (and no address)", pr, f.says)
			}
			if after := state(t, env); after != before {
				t.Fatalf("a failed sync changed state:\nbefore %s\nafter  %s", before, after)
			}
			var got playlists.Playlist
			testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/playlists/%d", p.ID), ""), 200).JSON(t, &got)
			if got.LastSyncError == nil || !strings.Contains(*got.LastSyncError, f.says) || got.LastSyncedAt == nil || len(got.Items) != 5 {
				t.Fatalf("playlist after the failure: error %v, synced %v, %d items", got.LastSyncError, got.LastSyncedAt, len(got.Items))
			}
			if m := metric(t, env, "failed"); m != fmt.Sprint(i+1) {
				t.Fatalf("failed syncs metric %s, want %d", m, i+1)
			}
			if !strings.Contains(logs.String(), "playlist sync failed") || !strings.Contains(logs.String(), fmt.Sprintf("playlist_id=%d", p.ID)) {
				t.Fatalf("no log line for the failure:\n%s", logs.String())
			}
		})
	}
	// The next sync that works clears the error.
	fs.set("", nil)
	testserver.Must(t, syncNow(env, p.ID, mod.Token), 200).JSON(t, &res)
	if res.LastSyncError != nil || res.Import != (playlists.ImportCounts{}) {
		t.Fatalf("after recovery: %+v", res)
	}
	if m := metric(t, env, "ok"); m != "3" {
		t.Fatalf("ok syncs metric %s", m)
	}

	// A playlist without a YouTube id has nothing to sync; an unknown one is 404.
	var bare playlists.Playlist
	testserver.Must(t, env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "By hand"}), 201).JSON(t, &bare)
	if pr := testserver.Must(t, syncNow(env, bare.ID, mod.Token), 422).Problem(t); pr.Code != "no_youtube_playlist" {
		t.Fatalf("no youtube id: %+v", pr)
	}
	testserver.Must(t, syncNow(env, bare.ID+100, mod.Token), 404)
}

// A feed that answers within the fetch timeout but after the request's
// database deadline (5 s) is still applied.
func TestSyncOutlastsTheRequestDeadline(t *testing.T) {
	fs := newFeedServer(t, fixture(t, "feed.xml"))
	fs.set("late", nil)
	env := testserver.New(t, testserver.WithConfig(func(c *server.Config) {
		c.Playlists = playlists.SyncConfig{FeedBaseURL: fs.URL + "/feeds/videos.xml", Timeout: httpx.DBTimeout + 5*time.Second}
	}))
	mod := env.NewUser("moderator")
	var p playlists.Playlist
	testserver.Must(t, env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "Hub Talks", "youtube_playlist_id": ytPlaylist}), 201).JSON(t, &p)
	var res playlists.ImportResult
	testserver.Must(t, syncNow(env, p.ID, mod.Token), 200).JSON(t, &res)
	if res.Import.Created != 3 || res.LastSyncedAt == nil {
		t.Fatalf("late feed: %+v", res)
	}
}

// With several instances serving, each playlist due is synced by one of
// them per interval: the claim on its row keeps the others off.
func TestPeriodicSyncOneInstanceAtATime(t *testing.T) {
	fs := newFeedServer(t, fixture(t, "feed.xml"))
	env := syncEnv(t, fs, &testkit.SyncBuffer{})
	ids := []string{ytPlaylist}
	env.DB.MustExec(`INSERT INTO playlists (title, youtube_playlist_id) VALUES ('A', $1), ('Not on YouTube', NULL)`, ytPlaylist)
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("PLother%025d", i)
		ids = append(ids, id)
		env.DB.MustExec(`INSERT INTO playlists (title, youtube_playlist_id) VALUES ($1, $2)`, "Other "+id, id)
	}
	newSyncer := func() *playlists.Syncer {
		y, err := playlists.NewSyncer(playlists.NewService(env.DB, live.NewRecorder(env.DB, nil)),
			playlists.SyncConfig{FeedBaseURL: fs.URL + "/feeds/videos.xml", Interval: time.Hour}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	instances := []*playlists.Syncer{newSyncer(), newSyncer(), newSyncer()}
	var synced atomic.Int64
	testkit.AtOnce(len(instances), func(i int) {
		n, err := instances[i].SyncDue(context.Background())
		if err != nil {
			t.Error(err)
		}
		synced.Add(int64(n))
	})
	// The five other ids answer with the feed of another playlist: a
	// playlist_mismatch, which counts as an attempt too.
	for _, id := range ids {
		if n := fs.count(id); n != 1 {
			t.Fatalf("playlist %s fetched %d times by 3 instances, want 1 (all: %v)", id, n, fs.asked)
		}
	}
	if synced.Load() != 1 {
		t.Fatalf("%d syncs succeeded, want 1", synced.Load())
	}
	// Nothing is due again before the interval…
	if n, err := instances[0].SyncDue(context.Background()); err != nil || n != 0 || fs.hits.Load() != int64(len(ids)) {
		t.Fatalf("second round: %d synced, %d fetches (%v)", n, fs.hits.Load(), err)
	}
	// …and after it, everything is.
	env.DB.MustExec(`UPDATE playlists SET sync_claimed_at = sync_claimed_at - interval '61 minutes'`)
	if _, err := instances[1].SyncDue(context.Background()); err != nil || fs.hits.Load() != int64(2*len(ids)) {
		t.Fatalf("after the interval: %d fetches (%v)", fs.hits.Load(), err)
	}

	// Run syncs what is due as soon as it starts, then stops with its context.
	env.DB.MustExec(`UPDATE playlists SET sync_claimed_at = NULL`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); instances[2].Run(ctx) }()
	testkit.WaitFor(t, "the periodic sync", 10*time.Second, func() bool { return fs.hits.Load() == int64(3*len(ids)) })
	cancel()
	<-done

	// A server stopping in the middle of a fetch is not the feed's fault:
	// no error is recorded.
	fs.set("slow", nil)
	env.DB.MustExec(`UPDATE playlists SET sync_claimed_at = NULL`)
	ctx, cancel = context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { defer close(done); instances[0].Run(ctx) }()
	testkit.WaitFor(t, "a fetch under way", 10*time.Second, func() bool { return fs.hits.Load() == int64(3*len(ids)+1) })
	cancel()
	<-done
	var syncErr *string
	if err := env.DB.Get(&syncErr, `SELECT last_sync_error FROM playlists WHERE youtube_playlist_id = $1`, ytPlaylist); err != nil || syncErr != nil {
		t.Fatalf("after a stop mid-fetch: last_sync_error %v (%v)", syncErr, err)
	}
}

// A feed of 15 entries with long descriptions is over the API's 64 KiB
// but within the import's own limit; beyond MaxFeedBytes it is a 413.
func TestImportTakesALargeFeed(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	p := createPlaylist(t, env, mod.Token)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <yt:playlistId>` + ytPlaylist + `</yt:playlistId><title>Hub Talks</title>`)
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, `<entry><yt:videoId>Long%07d</yt:videoId><title>Hub Talk #%d</title><published>2025-01-%02dT10:00:00+00:00</published>
  <media:group><media:description>%s</media:description></media:group></entry>`, i, i+1, i+1, strings.Repeat("Évaluation des applis de santé. ", 150))
	}
	b.WriteString(`</feed>`)
	body := []byte(b.String())
	if len(body) <= server.BodyLimit {
		t.Fatalf("the feed is only %d bytes", len(body))
	}
	var res playlists.ImportResult
	testserver.Must(t, importFeed(env, p.ID, mod.Token, body), 200).JSON(t, &res)
	if res.Import.Created != 15 {
		t.Fatalf("import %+v", res.Import)
	}
	// The server answers from the headers alone: send them only.
	base := env.Listen()
	tooLarge := func(path string, length int) string {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/atom+xml\r\nContent-Length: %d\r\n\r\n",
			path, mod.Token, length)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	importPath := fmt.Sprintf("/api/v1/playlists/%d/import", p.ID)
	if got := tooLarge(importPath, playlists.MaxFeedBytes+1); !strings.HasPrefix(got, "413 ") || !strings.Contains(got, "the feed is over 2 MiB") {
		t.Fatalf("an import over %d bytes: %s", playlists.MaxFeedBytes, got)
	}
	// Other routes keep the API's limit.
	for _, path := range []string{"/api/v1/playlists", fmt.Sprintf("/api/v1/playlists/%d/sync", p.ID), importPath + "x"} {
		if got := tooLarge(path, server.BodyLimit+1); !strings.HasPrefix(got, "413 ") || !strings.Contains(got, "64 KiB") {
			t.Fatalf("%s: a body over 64 KiB: %s", path, got)
		}
	}
}
