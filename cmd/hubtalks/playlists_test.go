package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// `hubtalks playlists sync` fetches each linked playlist's feed from the
// feed address (PLAYLIST_FEED_URL in tests) and applies it; --file imports
// a saved feed; a feed that cannot be had fails the command, naming it.
func TestPlaylistsSyncCommand(t *testing.T) {
	feed, err := os.ReadFile("../../server/playlists/testdata/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Query().Get("playlist_id"))
		if r.URL.Query().Get("playlist_id") != "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
		_, _ = w.Write(feed)
	}))
	defer srv.Close()
	dsn := testdb.NewURL(t)
	env := map[string]string{"DATABASE_URL": dsn, "RUN_MIGRATIONS": "1", "PLAYLIST_FEED_URL": srv.URL + "/feeds/videos.xml"}
	getenv := func(k string) string { return env[k] }
	cmd := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"playlists", "sync"}, args...), getenv, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	if err := run(context.Background(), []string{"migrate"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	db := sqlx.MustConnect("postgres", dsn)
	defer db.Close()
	db.MustExec(`INSERT INTO playlists (id, title, youtube_playlist_id) VALUES
		(1, 'Hub Talks', 'PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o'), (2, 'Gone', 'PLgone00000000000000000000000000'), (3, 'Offline', NULL)`)

	out, errOut, err := cmd()
	if err == nil || !strings.Contains(err.Error(), "1 of 2 playlists failed") {
		t.Fatalf("sync all: err %v", err)
	}
	if !strings.Contains(out, "playlist 1: 3 created, 0 updated") || !strings.Contains(errOut, "playlist 2: YouTube answered 404") {
		t.Fatalf("sync all: out %q, stderr %q", out, errOut)
	}
	if strings.Join(asked, ",") != "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o,PLgone00000000000000000000000000" {
		t.Fatalf("feeds asked %v", asked)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM playlist_items WHERE playlist_id = 1`); err != nil || n != 3 {
		t.Fatalf("items %d (%v)", n, err)
	}
	if out, _, err = cmd("--id", "1"); err != nil || !strings.Contains(out, "playlist 1: 0 created, 0 updated") {
		t.Fatalf("sync again: %q %v", out, err)
	}
	// Offline: a saved feed into a playlist without a YouTube id.
	if out, _, err = cmd("--id", "3", "--file", "../../server/playlists/testdata/feed.xml"); err != nil || !strings.Contains(out, "playlist 3: 3 created") {
		t.Fatalf("--file: %q %v", out, err)
	}
	if _, _, err = cmd("--file", "x.xml"); err == nil || !strings.Contains(err.Error(), "--id") {
		t.Fatalf("--file without --id: %v", err)
	}
	if _, _, err = cmd("--feed-url", "http://example.org/"); err == nil {
		t.Fatal("a feed address from the command line was accepted")
	}
}
