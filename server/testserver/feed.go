package testserver

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hubtalks/hubtalks/server"
)

// WithFeed points the server's playlist sync at a local stand-in for
// YouTube's feed address that answers every playlist id with body (a
// playlist Atom feed), so POST /playlists/{id}/sync works offline.
func WithFeed(t testing.TB, body []byte) Option {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/feeds/videos.xml" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml; charset=UTF-8")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return WithConfig(func(c *server.Config) { c.Playlists.FeedBaseURL = srv.URL + "/feeds/videos.xml" })
}
