package playlists

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// The request bodies whose JSON differs from their typed change: a PATCH
// tells a field left out from a field set to null, and times arrive as
// RFC 3339 text. Each becomes its change, with the field errors the API
// has always given, before the service sees it. (They list their fields
// rather than embed the change: a type error in an embedded struct would
// be reported under the struct's name.)

type playlistPatchRequest struct {
	Title             *string         `json:"title"`
	Description       *string         `json:"description"`
	YouTubePlaylistID json.RawMessage `json:"youtube_playlist_id"` // absent, null, or a string
}

func (r playlistPatchRequest) change() (PlaylistPatch, error) {
	p := PlaylistPatch{Title: r.Title, Description: r.Description}
	var err error
	p.YouTubePlaylistID, err = optionalString(r.YouTubePlaylistID, "youtube_playlist_id")
	return p, err
}

type itemCreateRequest struct {
	VideoID      string  `json:"video_id"`
	Title        string  `json:"title"`
	Description  string  `json:"description"`
	PublishedAt  *string `json:"published_at"` // RFC 3339
	ThumbnailURL *string `json:"thumbnail_url"`
	TalkID       *int64  `json:"talk_id"`
	Position     *int    `json:"position"`
}

func (r itemCreateRequest) change() (NewItem, error) {
	it := NewItem{VideoID: r.VideoID, Title: r.Title, Description: r.Description,
		ThumbnailURL: r.ThumbnailURL, TalkID: r.TalkID, Position: r.Position}
	var err error
	it.PublishedAt, err = parseTime("published_at", r.PublishedAt)
	return it, err
}

type itemPatchRequest struct {
	VideoID      *string         `json:"video_id"`
	Title        *string         `json:"title"`
	Description  *string         `json:"description"`
	PublishedAt  json.RawMessage `json:"published_at"`  // absent, null or RFC 3339
	ThumbnailURL json.RawMessage `json:"thumbnail_url"` // absent, null or URL
	TalkID       json.RawMessage `json:"talk_id"`       // absent, null (unlink) or a talk id
	Position     *int            `json:"position"`
}

func (r itemPatchRequest) change() (ItemPatch, error) {
	p := ItemPatch{VideoID: r.VideoID, Title: r.Title, Description: r.Description, Position: r.Position}
	published, err := optionalString(r.PublishedAt, "published_at")
	if err != nil {
		return p, err
	}
	p.PublishedAt.Set = published.Set
	if p.PublishedAt.Value, err = parseTime("published_at", published.Value); err != nil {
		return p, err
	}
	if p.ThumbnailURL, err = optionalString(r.ThumbnailURL, "thumbnail_url"); err != nil {
		return p, err
	}
	p.TalkID, err = optionalID(r.TalkID, "talk_id")
	return p, err
}

// change is a route that changes item :id with a request body R, made into
// its typed change C, answering status with call's result.
func change[C any, R interface{ change() (C, error) }, T any](status int,
	call func(ctx context.Context, u *domain.User, id int64, change C) (T, error)) fiber.Handler {
	return httpx.Change(status, func(ctx context.Context, u *domain.User, id int64, r R) (T, error) {
		ch, err := r.change()
		if err != nil {
			var none T
			return none, err
		}
		return call(ctx, u, id, ch)
	})
}

// bind decodes a request body R and makes it its typed change C.
func bind[C any, R interface{ change() (C, error) }](c *fiber.Ctx) (C, error) {
	var req R
	if err := httpx.Decode(c, &req); err != nil {
		var none C
		return none, err
	}
	return req.change()
}

func parseTime(field string, s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return nil, domain.InvalidField(field, "must be an RFC 3339 time such as 2026-11-27T10:00:00Z")
	}
	t = t.UTC()
	return &t, nil
}

// optionalString reads a nullable string field that may be absent.
func optionalString(raw json.RawMessage, field string) (Optional[string], error) {
	return optional(raw, field, "must be a string or null", func(s string) bool { return true })
}

// optionalID reads a nullable id field that may be absent.
func optionalID(raw json.RawMessage, field string) (Optional[int64], error) {
	return optional(raw, field, "must be a positive integer or null", func(id int64) bool { return id > 0 })
}

func optional[T any](raw json.RawMessage, field, message string, valid func(T) bool) (Optional[T], error) {
	if raw == nil {
		return Optional[T]{}, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return Optional[T]{Set: true}, nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil || !valid(v) {
		return Optional[T]{}, domain.InvalidField(field, message)
	}
	return Optional[T]{Set: true, Value: &v}, nil
}

// feedTypes are the content types an import accepts.
var feedTypes = []string{"application/atom+xml", "application/xml", "text/xml"}

// feedBody reads the YouTube playlist feed an import sends.
func feedBody(c *fiber.Ctx) (Feed, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	accepted := false
	for _, t := range feedTypes {
		accepted = accepted || ct == t
	}
	if !accepted {
		return Feed{}, httpx.NewProblem(fiber.StatusUnsupportedMediaType, "unsupported_media_type",
			"send the YouTube playlist feed as application/atom+xml")
	}
	feed, err := ParseFeed(c.Body())
	if err != nil {
		return Feed{}, feedProblem(err)
	}
	return feed, nil
}

// feedProblem is the 422 for a feed that ParseFeed refused.
func feedProblem(err error) error {
	fe, ok := err.(*FeedError)
	if !ok {
		return err
	}
	return domain.Because(ErrInvalidFeed, fe.Error(), domain.FieldError{Field: fe.Field, Message: fe.Message, Msg: fe.Msg})
}
