package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	hubdomain "github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/playlists"
)

const playlistsUsage = `Usage:
  hubtalks playlists sync --id N [--playlist-id PL…] [--file feed.xml]

sync imports YouTube's public Atom feed of a playlist
(https://www.youtube.com/feeds/videos.xml?playlist_id=…) into playlist N,
exactly as POST /api/v1/playlists/N/import does: known videos are updated,
new ones appended, none removed. --playlist-id defaults to the playlist's
youtube_playlist_id; --file imports a feed saved earlier instead of fetching.
`

func cmdPlaylists(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, playlistsUsage)
		return nil
	}
	if args[0] == "sync" {
		return cmdPlaylistsSync(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("playlists: unknown command %q (sync)", args[0])
}

func cmdPlaylistsSync(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flags("playlists sync", "Import a YouTube playlist's Atom feed into a playlist.", stderr)
	id := fs.Int64("id", 0, "the Hub Talks playlist id (required)")
	ytID := fs.String("playlist-id", "", "YouTube playlist id, PL… (default: the playlist's youtube_playlist_id)")
	file := fs.String("file", "", "import this saved feed file instead of fetching the feed")
	feedURL := fs.String("feed-url", "", "fetch the feed from this URL instead of YouTube's (mirrors, tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *id <= 0:
		return errors.New("playlists sync: --id must be a playlist id")
	case *ytID != "" && !playlists.ValidPlaylistID(*ytID):
		return fmt.Errorf("playlists sync: --playlist-id %q is not a YouTube playlist id", *ytID)
	case *file != "" && (*feedURL != "" || *ytID != ""):
		return errors.New("playlists sync: --file imports a saved feed; it takes no --playlist-id or --feed-url")
	}
	return withDatabase(ctx, getenv, func(_ config, db *sqlx.DB) error {
		// No hub in a command: talk.updated events are stored in the event log,
		// where live clients find them when they next catch up.
		domain := playlists.NewService(db, live.NewRecorder(db, nil))
		// Whoever runs the command on the server acts as an admin.
		operator := &hubdomain.User{Role: hubdomain.RoleAdmin, DisplayName: "command line"}

		var data []byte
		var err error
		if *file != "" {
			if data, err = readFeedFile(*file); err != nil {
				return err
			}
		} else {
			src := *feedURL
			if src == "" {
				pid := *ytID
				if pid == "" {
					p, err := domain.Get(ctx, nil, *id)
					if err != nil {
						return fmt.Errorf("playlists sync: %w", err)
					}
					if p.YouTubePlaylistID == nil {
						return fmt.Errorf("playlists sync: playlist %d has no youtube_playlist_id; pass --playlist-id PL…", *id)
					}
					pid = *p.YouTubePlaylistID
				}
				src = "https://www.youtube.com/feeds/videos.xml?playlist_id=" + url.QueryEscape(pid)
			}
			if data, err = fetchFeed(ctx, &http.Client{Timeout: 20 * time.Second}, src); err != nil {
				return err
			}
		}
		feed, err := playlists.ParseFeed(data)
		if err != nil {
			return fmt.Errorf("playlists sync: the feed cannot be imported: %w", err)
		}
		res, err := domain.Import(ctx, operator, *id, feed)
		if err != nil {
			return fmt.Errorf("playlists sync: %w", err)
		}
		fmt.Fprintf(stdout, "playlist %d: %d created, %d updated, %d linked to talks; %d videos in all\n",
			*id, res.Import.Created, res.Import.Updated, res.Import.Linked, len(res.Items))
		return nil
	})
}

func readFeedFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("playlists sync: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, playlists.MaxFeedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("playlists sync: read %s: %w", name, err)
	}
	return data, nil
}

// fetchFeed downloads a feed. YouTube sometimes answers a bogus 404 or an
// HTML page for a while, so those are retried with backoff; a machine that
// cannot reach the host at all fails at once with a plain message.
func fetchFeed(ctx context.Context, client *http.Client, src string) ([]byte, error) {
	const attempts = 3
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(i) * 2 * time.Second):
			}
		}
		data, retry, err := fetchOnce(ctx, client, src)
		if err == nil {
			return data, nil
		}
		last = err
		if !retry {
			break
		}
	}
	return nil, last
}

func fetchOnce(ctx context.Context, client *http.Client, src string) (data []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, false, fmt.Errorf("playlists sync: feed URL %q: %w", src, err)
	}
	req.Header.Set("Accept", "application/atom+xml, application/xml;q=0.9")
	req.Header.Set("User-Agent", "hubtalks-playlists-sync/1")
	resp, err := client.Do(req)
	if err != nil {
		var dnsErr *net.DNSError
		var opErr *net.OpError
		if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
			return nil, false, fmt.Errorf("playlists sync: cannot reach %s — is this machine online? (%v)", req.URL.Host, err)
		}
		return nil, true, fmt.Errorf("playlists sync: fetch %s: %w", src, err)
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, playlists.MaxFeedBytes+1))
	if err != nil {
		return nil, true, fmt.Errorf("playlists sync: read %s: %w", src, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, true, fmt.Errorf("playlists sync: %s answered %s (YouTube does this for unknown or private playlists, and briefly when rate limiting)", src, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("playlists sync: %s answered %s", src, resp.Status)
	case strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "html"):
		return nil, true, fmt.Errorf("playlists sync: %s answered an HTML page, not the feed", src)
	}
	return data, false, nil
}
