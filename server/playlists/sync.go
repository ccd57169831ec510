package playlists

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
)

// DefaultFeedBaseURL is where YouTube serves a playlist's Atom feed
// (?playlist_id=… is added). The server fetches only from this address, or
// from SyncConfig.FeedBaseURL, which only the environment sets
// (PLAYLIST_FEED_URL, for tests): never from an address in a request.
const DefaultFeedBaseURL = "https://www.youtube.com/feeds/videos.xml"

// DefaultFetchTimeout bounds one fetch of a feed, connection to last byte;
// syncDBTime is what a sync gives the database besides.
const (
	DefaultFetchTimeout = 15 * time.Second
	syncDBTime          = 10 * time.Second
)

// SyncConfig is how the server syncs playlists from YouTube.
type SyncConfig struct {
	FeedBaseURL string        // "" is DefaultFeedBaseURL
	Interval    time.Duration // how often each playlist is synced while serving; 0: never by itself
	Timeout     time.Duration // one fetch; 0 is DefaultFetchTimeout
}

// syncActor is who the periodic sync acts as.
var syncActor = &domain.User{Role: domain.RoleAdmin, DisplayName: "playlist sync"}

// Syncer fetches playlists' YouTube feeds and applies them through
// Service.Import: on demand (Sync: the API and the command line) and every
// SyncConfig.Interval (Run, in every serving instance; a claim on the
// playlist's row makes one instance sync it per interval). A failed sync
// changes nothing but the playlist's last_sync_error; it is logged and
// counted (hubtalks_playlist_syncs_total{result="failed"}).
type Syncer struct {
	svc    *Service
	cfg    SyncConfig
	base   *url.URL
	client *http.Client
	log    *slog.Logger
	syncs  *prometheus.CounterVec
}

// NewSyncer builds the sync of svc's playlists; its counter is registered
// with reg when reg is not nil. A FeedBaseURL that is not an http(s) URL is
// an error.
func NewSyncer(svc *Service, cfg SyncConfig, log *slog.Logger, reg prometheus.Registerer) (*Syncer, error) {
	if cfg.FeedBaseURL == "" {
		cfg.FeedBaseURL = DefaultFeedBaseURL
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultFetchTimeout
	}
	base, err := url.Parse(cfg.FeedBaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("feed base URL %q is not an http(s) URL", cfg.FeedBaseURL)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	y := &Syncer{svc: svc, cfg: cfg, base: base, log: log,
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hubtalks_playlist_syncs_total",
			Help: "Syncs of a playlist from its YouTube feed, by result (ok, failed).",
		}, []string{"result"}),
	}
	y.client = &http.Client{
		Timeout: cfg.Timeout,
		// Only the feed host: a redirect elsewhere is not followed.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != base.Host || len(via) > 3 {
				return errors.New("redirected away from the feed host")
			}
			return nil
		},
	}
	y.syncs.WithLabelValues("ok")
	y.syncs.WithLabelValues("failed")
	if reg != nil {
		if err := reg.Register(y.syncs); err != nil {
			return nil, fmt.Errorf("register playlist sync metrics: %w", err)
		}
	}
	return y, nil
}

// Sync fetches the YouTube feed of playlist id now and imports it (actor: a
// moderator or admin). 422 no_youtube_playlist when the playlist has none;
// 502 feed_unavailable when the feed cannot be fetched or read, with
// nothing changed but last_sync_error.
func (y *Syncer) Sync(ctx context.Context, actor *domain.User, id int64) (ImportResult, error) {
	if !actor.IsModerator() {
		return ImportResult{}, domain.ErrForbidden
	}
	// The fetch has its own timeout, longer than a request's database
	// deadline; the import that follows gets time of its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), y.cfg.Timeout+syncDBTime)
	defer cancel()
	p, err := y.svc.store.claim(ctx, y.svc.db, id)
	if err != nil {
		return ImportResult{}, err
	}
	if !p.YouTubePlaylistID.Valid {
		return ImportResult{}, domain.BecauseMsg(ErrNoYouTubePlaylist,
			domain.Say("problem.playlist_no_youtube", map[string]any{"ID": id}),
			domain.FieldError{Field: "youtube_playlist_id", Message: "is not set"})
	}
	return y.sync(ctx, actor, p.ID, p.YouTubePlaylistID.String)
}

// SyncDue syncs every playlist whose last sync (or attempt) is older than
// the interval, claiming each first so that instances running it together
// share the work; it answers how many synced without error.
func (y *Syncer) SyncDue(ctx context.Context) (int, error) {
	due, err := y.svc.store.claimDue(ctx, y.svc.db, y.cfg.Interval)
	if err != nil {
		return 0, err
	}
	ok := 0
	for _, p := range due {
		pctx, cancel := context.WithTimeout(ctx, y.cfg.Timeout+syncDBTime)
		if _, err := y.sync(pctx, syncActor, p.ID, p.YouTubePlaylistID.String); err == nil {
			ok++
		}
		cancel()
	}
	return ok, nil
}

// Run syncs the playlists that are due, then checks again every few
// minutes (at most every Interval), until ctx ends. With no Interval it
// returns at once.
func (y *Syncer) Run(ctx context.Context) {
	if y.cfg.Interval <= 0 {
		return
	}
	every := min(y.cfg.Interval, 5*time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := y.SyncDue(ctx); err != nil && ctx.Err() == nil {
			y.log.Warn("playlist sync: claim due playlists", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sync fetches one playlist's feed and imports it, stamping last_synced_at
// in the import's transaction; a failure is reported (log, metric,
// last_sync_error) and changes nothing else.
func (y *Syncer) sync(ctx context.Context, actor *domain.User, id int64, ytID string) (ImportResult, error) {
	feed, err := y.fetch(ctx, ytID)
	var res ImportResult
	if err == nil {
		res, err = y.svc.importFeed(ctx, actor, id, feed, func(tx *live.Tx) error {
			return y.svc.store.synced(ctx, tx, id)
		})
	}
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return ImportResult{}, err // the server is stopping: not the feed's fault
	}
	if err != nil {
		y.syncs.WithLabelValues("failed").Inc()
		y.log.Warn("playlist sync failed", "playlist_id", id, "youtube_playlist_id", ytID, "err", err)
		// Recorded even when the caller has gone (a moderator who closed the page).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := y.svc.store.syncFailed(rctx, y.svc.db, id, syncErrorText(err)); rerr != nil {
			y.log.Error("playlist sync: record the error", "playlist_id", id, "err", rerr)
		}
		return ImportResult{}, err
	}
	y.syncs.WithLabelValues("ok").Inc()
	y.log.Info("playlist synced", "playlist_id", id, "created", res.Import.Created, "updated", res.Import.Updated,
		"linked", res.Import.Linked, "ambiguous", res.Import.Ambiguous)
	return res, nil
}

// syncErrorText is what last_sync_error says: a rule's own message, or the
// feed's problem (never an address or an internal error's text).
func syncErrorText(err error) string {
	var de domain.Detailed
	if errors.As(err, &de) {
		return de.Detail()
	}
	if errors.Is(err, domain.ErrNotFound) {
		return "the playlist is gone"
	}
	return "the sync failed: " + clip(err.Error())
}

// feedUnavailable is the 502 of a feed that could not be had: detail says
// why in words fit for the API and last_sync_error; cause is for the log.
type feedUnavailable struct {
	detail string
	cause  error
}

func (e *feedUnavailable) Error() string {
	if e.cause == nil {
		return e.detail
	}
	return e.detail + ": " + e.cause.Error()
}
func (e *feedUnavailable) Detail() string { return e.detail }
func (e *feedUnavailable) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrFeedUnavailable}
	}
	return []error{ErrFeedUnavailable, e.cause}
}

func unavailable(cause error, format string, args ...any) error {
	return &feedUnavailable{detail: fmt.Sprintf(format, args...), cause: cause}
}

// FeedURL is the address of a YouTube playlist's feed.
func (y *Syncer) FeedURL(ytID string) string {
	u := *y.base
	q := u.Query()
	q.Set("playlist_id", ytID)
	u.RawQuery = q.Encode()
	return u.String()
}

// fetch downloads and parses a playlist's feed: one attempt within the
// timeout, at most MaxFeedBytes, the XML hardening of ParseFeed.
func (y *Syncer) fetch(ctx context.Context, ytID string) (Feed, error) {
	if !ValidPlaylistID(ytID) {
		return Feed{}, unavailable(nil, "%q is not a YouTube playlist id", clip(ytID))
	}
	ctx, cancel := context.WithTimeout(ctx, y.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, y.FeedURL(ytID), nil)
	if err != nil {
		return Feed{}, unavailable(err, "the feed address cannot be built")
	}
	req.Header.Set("Accept", "application/atom+xml, application/xml;q=0.9")
	req.Header.Set("User-Agent", "hubtalks-playlist-sync/1")
	resp, err := y.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
			return Feed{}, unavailable(err, "YouTube did not answer within %s", y.cfg.Timeout)
		}
		return Feed{}, unavailable(err, "YouTube's feed could not be reached")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return Feed{}, unavailable(nil, "YouTube answered 404 Not Found: the playlist is unknown or private (or YouTube is rate limiting)")
	case resp.StatusCode != http.StatusOK:
		return Feed{}, unavailable(nil, "YouTube answered %s", resp.Status)
	case strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "html"):
		return Feed{}, unavailable(nil, "YouTube answered an HTML page, not the playlist's feed")
	case resp.ContentLength > MaxFeedBytes:
		return Feed{}, unavailable(nil, "the feed is larger than %d MiB", MaxFeedBytes>>20)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeedBytes+1))
	if err != nil {
		return Feed{}, unavailable(err, "the feed could not be read to its end")
	}
	if len(data) > MaxFeedBytes {
		return Feed{}, unavailable(nil, "the feed is larger than %d MiB", MaxFeedBytes>>20)
	}
	feed, err := ParseFeed(data)
	if err != nil {
		return Feed{}, unavailable(nil, "YouTube's answer is not a playlist feed (%s)", err.Error())
	}
	return feed, nil
}

// Linked lists the playlists that have a YouTube playlist id, by id.
func (s *Service) Linked(ctx context.Context) ([]int64, error) {
	return s.store.linked(ctx, s.db)
}
