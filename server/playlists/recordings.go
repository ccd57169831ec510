package playlists

import (
	"context"
	"strings"
	"time"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Recordings is every talk that has a recording, newest first, grouped by
// the playlist its video is in (GET /recordings).
type Recordings struct {
	Groups []RecordingGroup `json:"groups"`
}

// RecordingGroup is the recorded talks of one playlist, newest first; a
// recording set without a playlist item is in the group whose playlist is
// null. Groups come in the order of their newest talk.
type RecordingGroup struct {
	Playlist *PlaylistRef   `json:"playlist"`
	Talks    []RecordedTalk `json:"talks"`
}

// PlaylistRef names a playlist.
type PlaylistRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// RecordedTalk is a talk with its recording and the video's thumbnail.
type RecordedTalk struct {
	ID           int64            `json:"id"`
	Slug         string           `json:"slug"`
	Title        string           `json:"title"`
	StartsAt     time.Time        `json:"starts_at"`
	Recording    *talks.Recording `json:"recording"`
	ThumbnailURL string           `json:"thumbnail_url"`
}

// ThumbnailFor is the thumbnail of a video: the feed's when it is one of
// YouTube's image hosts (i.ytimg.com, i1…i4.ytimg.com, which the CSP
// allows), else YouTube's standard one.
func ThumbnailFor(videoID string, fromFeed string) string {
	if strings.HasPrefix(fromFeed, "https://") {
		host := strings.TrimPrefix(fromFeed, "https://")
		if i := strings.IndexByte(host, '/'); i > 0 && strings.HasSuffix(host[:i], ".ytimg.com") {
			return fromFeed
		}
	}
	return "https://i.ytimg.com/vi/" + videoID + "/hqdefault.jpg"
}

// Recordings lists every talk that has a recording; anyone may.
func (s *Service) Recordings(ctx context.Context, _ *domain.User) (Recordings, error) {
	rows, err := s.store.recordings(ctx, s.db)
	if err != nil {
		return Recordings{}, err
	}
	out := Recordings{Groups: []RecordingGroup{}}
	index := map[int64]int{} // playlist id (0: none) → group
	for _, r := range rows {
		key := r.PlaylistID.Int64
		g, ok := index[key]
		if !ok {
			g = len(out.Groups)
			index[key] = g
			grp := RecordingGroup{Talks: []RecordedTalk{}}
			if r.PlaylistID.Valid {
				grp.Playlist = &PlaylistRef{ID: r.PlaylistID.Int64, Title: r.PlaylistTitle.String}
			}
			out.Groups = append(out.Groups, grp)
		}
		out.Groups[g].Talks = append(out.Groups[g].Talks, RecordedTalk{ID: r.ID, Slug: r.Slug, Title: r.Title,
			StartsAt: r.StartsAt.UTC(), Recording: talks.RecordingFor(r.VideoID), ThumbnailURL: ThumbnailFor(r.VideoID, r.ThumbnailURL.String)})
	}
	return out, nil
}

// Matches are the videos whose title names several talks, for a moderator
// to pick the one it records (GET /recordings/matches).
type Matches struct {
	Items []Match `json:"items"`
}

// Match is one undecided video with the talks it might record. Confirming
// is PATCH /playlists/{id}/items/{item_id} {talk_id}; {talk_id:null}
// dismisses it (the video is then never linked by itself).
type Match struct {
	Playlist   PlaylistRef `json:"playlist"`
	Item       Item        `json:"item"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is a talk a video might record.
type Candidate struct {
	ID       int64     `json:"id"`
	Slug     string    `json:"slug"`
	Title    string    `json:"title"`
	StartsAt time.Time `json:"starts_at"`
}

// Matches lists the ambiguous matches still open; moderators and admins only.
func (s *Service) Matches(ctx context.Context, actor *domain.User) (Matches, error) {
	if !actor.IsModerator() {
		return Matches{}, domain.ErrForbidden
	}
	rows, err := s.store.candidates(ctx, s.db)
	if err != nil {
		return Matches{}, err
	}
	var ids []int64
	at := map[int64]int{}
	out := Matches{Items: []Match{}}
	for _, r := range rows {
		i, ok := at[r.ItemID]
		if !ok {
			i = len(out.Items)
			at[r.ItemID] = i
			ids = append(ids, r.ItemID)
			out.Items = append(out.Items, Match{Playlist: PlaylistRef{ID: r.PlaylistID, Title: r.PlaylistTitle}})
		}
		out.Items[i].Candidates = append(out.Items[i].Candidates, Candidate{ID: r.ID, Slug: r.Slug, Title: r.Title, StartsAt: r.StartsAt.UTC()})
	}
	items, err := s.store.itemsByID(ctx, s.db, ids)
	if err != nil {
		return Matches{}, err
	}
	for id, i := range at {
		out.Items[i].Item = items[id].item()
	}
	return out, nil
}
