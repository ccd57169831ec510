package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jmoiron/sqlx"

	hubdomain "github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/playlists"
)

const playlistsUsage = `Usage:
  hubtalks playlists sync [--id N] [--file feed.xml]

sync fetches the YouTube Atom feed of playlist N (from its
youtube_playlist_id) and applies it, exactly as POST /api/v1/playlists/N/sync
does: known videos are updated, new ones appended, none removed, and videos
whose title names a talk are linked to it. Without --id, every playlist that
has a youtube_playlist_id is synced. --file imports a feed saved earlier
instead (offline), as POST /api/v1/playlists/N/import does.
The feed address is YouTube's (PLAYLIST_FEED_URL replaces it, for tests).
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
	fs := flags("playlists sync", "Sync playlists from their YouTube feeds.", stderr)
	id := fs.Int64("id", 0, "the Hub Talks playlist id (default: every playlist with a youtube_playlist_id)")
	file := fs.String("file", "", "import this saved feed file into playlist --id instead of fetching the feed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *id < 0:
		return errors.New("playlists sync: --id must be a playlist id")
	case *file != "" && *id == 0:
		return errors.New("playlists sync: --file needs the --id of the playlist to import into")
	}
	return withDatabase(ctx, getenv, func(cfg config, db *sqlx.DB) error {
		// No hub in a command: talk.updated events are stored in the event log,
		// where live clients find them when they next catch up.
		svc := playlists.NewService(db, live.NewRecorder(db, nil))
		// Whoever runs the command on the server acts as an admin.
		operator := &hubdomain.User{Role: hubdomain.RoleAdmin, DisplayName: "command line"}
		report := func(pid int64, res playlists.ImportResult) {
			fmt.Fprintf(stdout, "playlist %d: %d created, %d updated, %d linked to talks, %d to confirm; %d videos in all\n",
				pid, res.Import.Created, res.Import.Updated, res.Import.Linked, res.Import.Ambiguous, len(res.Items))
		}
		if *file != "" {
			data, err := readFeedFile(*file)
			if err != nil {
				return err
			}
			feed, err := playlists.ParseFeed(data)
			if err != nil {
				return fmt.Errorf("playlists sync: the feed cannot be imported: %w", err)
			}
			res, err := svc.Import(ctx, operator, *id, feed)
			if err != nil {
				return fmt.Errorf("playlists sync: %w", err)
			}
			report(*id, res)
			return nil
		}
		sync, err := playlists.NewSyncer(svc, playlists.SyncConfig{FeedBaseURL: cfg.PlaylistFeedURL},
			newLogger(stderr, cfg.LogLevel), nil)
		if err != nil {
			return envError{"PLAYLIST_FEED_URL", err.Error()}
		}
		ids := []int64{*id}
		if *id == 0 {
			if ids, err = svc.Linked(ctx); err != nil {
				return fmt.Errorf("playlists sync: %w", err)
			}
			if len(ids) == 0 {
				fmt.Fprintln(stdout, "no playlist has a youtube_playlist_id: nothing to sync")
				return nil
			}
		}
		failed := 0
		for _, pid := range ids {
			res, err := sync.Sync(ctx, operator, pid)
			if err != nil {
				fmt.Fprintf(stderr, "playlists sync: playlist %d: %v\n", pid, err)
				failed++
				continue
			}
			report(pid, res)
		}
		if failed > 0 {
			return fmt.Errorf("playlists sync: %d of %d playlists failed", failed, len(ids))
		}
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
