package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/playlists"
)

func TestFetchFeed(t *testing.T) {
	feed, err := os.ReadFile("../../server/playlists/testdata/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed":
			w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
			_, _ = w.Write(feed)
		default:
			http.Error(w, "forbidden", http.StatusForbidden)
		}
	}))
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	data, err := fetchFeed(context.Background(), client, srv.URL+"/feed")
	if err != nil {
		t.Fatal(err)
	}
	f, err := playlists.ParseFeed(data)
	if err != nil || len(f.Entries) != 3 || f.PlaylistID != "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o" {
		t.Fatalf("feed %+v, err %v", f, err)
	}
	if _, err := fetchFeed(context.Background(), client, srv.URL+"/private"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("403: err = %v", err)
	}
}

// Offline (as on the build machine) the command fails at once, saying why.
func TestFetchFeedOffline(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	start := time.Now()
	_, err := fetchFeed(context.Background(), &http.Client{Timeout: 5 * time.Second}, addr+"/feeds/videos.xml?playlist_id=PLx")
	if err == nil || !strings.Contains(err.Error(), "is this machine online?") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("an unreachable host was retried (%v)", time.Since(start))
	}
}
