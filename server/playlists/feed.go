package playlists

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hubtalks/hubtalks/server/domain"
)

// XML namespaces of YouTube's playlist Atom feed
// (https://www.youtube.com/feeds/videos.xml?playlist_id=…).
const (
	nsAtom  = "http://www.w3.org/2005/Atom"
	nsYT    = "http://www.youtube.com/xml/schemas/2015"
	nsMedia = "http://search.yahoo.com/mrss/"
)

// Limits of what a feed may hold. YouTube's feed lists at most 15 entries;
// the bounds keep a hostile body from costing more than it is worth. A feed
// is at most MaxFeedBytes however it comes: fetched by a sync, read from a
// file by the command line, or posted to the import (whose body limit is
// this rather than the API's 64 KiB: 15 entries with long descriptions are
// more).
const (
	MaxFeedBytes      = 2 << 20
	MaxFeedEntries    = 500
	maxTitleRunes     = 300
	maxDescRunes      = 10000
	maxURLBytes       = 2048
	maxPlaylistIDLen  = 64
	maxFeedTitleRunes = 1000
)

var (
	videoIDPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{11}$`)
	playlistIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{2,64}$`)
)

// IsImportRequest reports whether a request line is a feed import
// (POST /api/v1/playlists/{id}/import), the one request whose body may be
// as large as a feed.
func IsImportRequest(method, uri string) bool {
	if method != "POST" {
		return false
	}
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	id, ok := strings.CutPrefix(uri, "/api/v1/playlists/")
	if !ok {
		return false
	}
	id, ok = strings.CutSuffix(id, "/import")
	if !ok || id == "" || len(id) > 19 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ValidVideoID reports whether s is a YouTube video id: 11 characters of [A-Za-z0-9_-].
func ValidVideoID(s string) bool { return videoIDPattern.MatchString(s) }

// ValidPlaylistID reports whether s looks like a YouTube playlist id (PL…, UU…, OL…).
func ValidPlaylistID(s string) bool { return playlistIDPattern.MatchString(s) }

// Feed is what an import takes from a YouTube playlist Atom feed.
type Feed struct {
	PlaylistID string // yt:playlistId, may be empty (e.g. a channel feed)
	Title      string
	Entries    []Entry // in feed order, each video once
}

// Entry is one video of a feed.
type Entry struct {
	VideoID      string
	Title        string
	Description  string
	PublishedAt  *time.Time
	ThumbnailURL *string
}

// FeedError says what is wrong with a feed; Field locates it
// ("feed", "entry[3].yt:videoId", …).
type FeedError struct {
	Field   string
	Message string      // English
	Msg     *domain.Msg // Message with its values, for the reader's language
}

func (e *FeedError) Error() string { return e.Field + ": " + e.Message }

func feedErr(field string, m domain.Msg) *FeedError {
	return &FeedError{Field: field, Message: m.String(), Msg: &m}
}

type xmlEntry struct {
	VideoID   string `xml:"http://www.youtube.com/xml/schemas/2015 videoId"`
	Title     string `xml:"http://www.w3.org/2005/Atom title"`
	Published string `xml:"http://www.w3.org/2005/Atom published"`
	Group     struct {
		Title       string `xml:"http://search.yahoo.com/mrss/ title"`
		Description string `xml:"http://search.yahoo.com/mrss/ description"`
		Thumbnails  []struct {
			URL string `xml:"url,attr"`
		} `xml:"http://search.yahoo.com/mrss/ thumbnail"`
	} `xml:"http://search.yahoo.com/mrss/ group"`
}

// ParseFeed reads a YouTube playlist Atom feed. Anything that is not such a
// feed — malformed XML, HTML, another XML document, an entry without a valid
// video id — is a *FeedError; nothing is partially returned. encoding/xml
// expands no DTD entities (so no entity bombs) and bounds nesting depth;
// entries are counted as they stream by, and bodies over MaxFeedBytes are refused.
func ParseFeed(data []byte) (Feed, error) {
	var feed Feed
	if len(data) > MaxFeedBytes {
		return feed, feedErr("feed", domain.Count("problem.feed_bytes", MaxFeedBytes, nil))
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	root, err := rootElement(dec)
	if err != nil {
		return feed, err
	}
	if root.Name.Space != nsAtom || root.Name.Local != "feed" {
		return feed, feedErr("feed", domain.Say("problem.feed_root", map[string]any{"Element": displayName(root.Name)}))
	}
	seen := map[string]bool{}
	entries := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return Feed{}, syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.EndElement: // the end of <feed>
			if err := expectEnd(dec); err != nil {
				return Feed{}, err
			}
			return feed, nil
		case xml.StartElement:
			switch {
			case t.Name.Space == nsAtom && t.Name.Local == "entry":
				entries++
				if entries > MaxFeedEntries {
					return Feed{}, feedErr("feed", domain.Count("problem.feed_entries", MaxFeedEntries, nil))
				}
				var x xmlEntry
				if err := dec.DecodeElement(&x, &t); err != nil {
					return Feed{}, syntaxErr(err)
				}
				e, err := entryOf(x, entries)
				if err != nil {
					return Feed{}, err
				}
				if !seen[e.VideoID] { // a playlist may hold a video twice; it is one item here
					seen[e.VideoID] = true
					feed.Entries = append(feed.Entries, e)
				}
			case t.Name.Space == nsYT && t.Name.Local == "playlistId":
				var s string
				if err := dec.DecodeElement(&s, &t); err != nil {
					return Feed{}, syntaxErr(err)
				}
				s = strings.TrimSpace(s)
				if !ValidPlaylistID(s) {
					return Feed{}, feedErr("feed.yt:playlistId", domain.Say("problem.feed_playlist_id", map[string]any{"Value": strconv.Quote(clip(s))}))
				}
				feed.PlaylistID = s
			case t.Name.Space == nsAtom && t.Name.Local == "title":
				var s string
				if err := dec.DecodeElement(&s, &t); err != nil {
					return Feed{}, syntaxErr(err)
				}
				if utf8.RuneCountInString(s) > maxFeedTitleRunes {
					return Feed{}, feedErr("feed.title", domain.Count("problem.longer_than", maxFeedTitleRunes, nil))
				}
				feed.Title = strings.TrimSpace(s)
			default:
				if err := dec.Skip(); err != nil {
					return Feed{}, syntaxErr(err)
				}
			}
		}
	}
}

// rootElement skips the prolog (declaration, comments, whitespace) and
// returns the root element's start.
func rootElement(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return xml.StartElement{}, feedErr("feed", domain.Say("problem.feed_empty", nil))
		}
		if err != nil {
			return xml.StartElement{}, syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, feedErr("feed", domain.Say("problem.feed_not_xml", nil))
			}
		case xml.Directive:
			if bytes.HasPrefix(bytes.ToUpper(bytes.TrimSpace(t)), []byte("DOCTYPE HTML")) {
				return xml.StartElement{}, feedErr("feed", domain.Say("problem.feed_html", nil))
			}
		}
	}
}

// expectEnd allows only whitespace, comments and processing instructions
// after the root element.
func expectEnd(dec *xml.Decoder) error {
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return syntaxErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return feedErr("feed", domain.Say("problem.feed_trailing", nil))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return feedErr("feed", domain.Say("problem.feed_trailing", nil))
			}
		}
	}
}

func syntaxErr(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return feedErr("feed", domain.Say("problem.feed_xml_line", map[string]any{"Line": se.Line, "Error": se.Msg}))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return feedErr("feed", domain.Say("problem.feed_xml_eof", nil))
	}
	return feedErr("feed", domain.Say("problem.feed_xml", map[string]any{"Error": clip(err.Error())}))
}

func entryOf(x xmlEntry, n int) (Entry, error) {
	field := func(name string) string { return fmt.Sprintf("entry[%d].%s", n, name) }
	e := Entry{VideoID: strings.TrimSpace(x.VideoID), Description: x.Group.Description}
	if e.VideoID == "" {
		return e, feedErr(field("yt:videoId"), domain.Say("problem.missing", nil))
	}
	if !ValidVideoID(e.VideoID) {
		return e, feedErr(field("yt:videoId"), domain.Say("problem.feed_video_id", map[string]any{"Value": strconv.Quote(clip(e.VideoID))}))
	}
	e.Title = strings.TrimSpace(x.Title)
	if e.Title == "" {
		e.Title = strings.TrimSpace(x.Group.Title)
	}
	if e.Title == "" {
		return e, feedErr(field("title"), domain.Say("problem.missing", nil))
	}
	if utf8.RuneCountInString(e.Title) > maxTitleRunes {
		return e, feedErr(field("title"), domain.Count("problem.longer_than", maxTitleRunes, nil))
	}
	if utf8.RuneCountInString(e.Description) > maxDescRunes {
		return e, feedErr(field("media:description"), domain.Count("problem.longer_than", maxDescRunes, nil))
	}
	if p := strings.TrimSpace(x.Published); p != "" {
		t, err := time.Parse(time.RFC3339, p)
		if err != nil {
			return e, feedErr(field("published"), domain.Say("problem.feed_time", map[string]any{"Value": strconv.Quote(clip(p))}))
		}
		t = t.UTC()
		e.PublishedAt = &t
	}
	for _, th := range x.Group.Thumbnails {
		if u := strings.TrimSpace(th.URL); u != "" {
			if !ValidHTTPURL(u) {
				return e, feedErr(field("media:thumbnail"), domain.Say("problem.feed_url", map[string]any{"Value": strconv.Quote(clip(u))}))
			}
			e.ThumbnailURL = &u
			break
		}
	}
	return e, nil
}

// ValidHTTPURL reports whether s is an absolute http(s) URL of sane length.
func ValidHTTPURL(s string) bool {
	if len(s) > maxURLBytes {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func displayName(n xml.Name) string {
	if n.Space == "" {
		return clip(n.Local)
	}
	return clip(n.Local) + " xmlns=" + clip(n.Space)
}

// clip shortens text quoted back in an error message.
func clip(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}
