package playlists

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/domain"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFeedRealistic(t *testing.T) {
	f, err := ParseFeed(readFixture(t, "feed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.PlaylistID != "PLhT8dVx3Qz0aB1cD2eF3gH4iJ5kL6mN7o" || f.Title != "Hub Talks – European mHealth Hub" {
		t.Fatalf("feed = %q %q", f.PlaylistID, f.Title)
	}
	want := []string{"Xk3v9Qp2LmA", "b7-Rt_0sWqE", "Q_9zT4wYk1s"}
	if len(f.Entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(f.Entries), len(want))
	}
	for i, id := range want {
		if f.Entries[i].VideoID != id {
			t.Errorf("entry %d video %q, want %q", i, f.Entries[i].VideoID, id)
		}
	}
	e := f.Entries[0]
	if e.Title != "Hub Talk #1: mHealth & COVID-19 – contact-tracing apps" {
		t.Errorf("title %q", e.Title)
	}
	if !strings.HasPrefix(e.Description, "Recording of Hub Talk #1.\n\nSpeakers:") {
		t.Errorf("description %q (newlines must be kept)", e.Description)
	}
	if e.PublishedAt == nil || !e.PublishedAt.Equal(time.Date(2020, 5, 20, 15, 30, 1, 0, time.UTC)) {
		t.Errorf("published %v", e.PublishedAt)
	}
	if e.ThumbnailURL == nil || *e.ThumbnailURL != "https://i3.ytimg.com/vi/Xk3v9Qp2LmA/hqdefault.jpg" {
		t.Errorf("thumbnail %v", e.ThumbnailURL)
	}
	if f.Entries[1].Description != "" {
		t.Errorf("empty description became %q", f.Entries[1].Description)
	}
	if f.Entries[2].Description != "Wearables & remote monitoring <live>." {
		t.Errorf("entities not decoded: %q", f.Entries[2].Description)
	}
}

func TestParseFeedRejects(t *testing.T) {
	cases := []struct {
		name, field, contains string
		body                  []byte
	}{
		{"malformed", "feed", "malformed XML", readFixture(t, "malformed.xml")},
		{"html", "feed", "HTML", readFixture(t, "youtube_error.html")},
		{"html without doctype", "feed", "<html>", []byte("<html><body><p>hi</p></body></html>")},
		{"rss", "feed", "not an Atom feed", readFixture(t, "rss.xml")},
		{"bad video id", "entry[2].yt:videoId", "not a YouTube video id", readFixture(t, "feed_bad_video_id.xml")},
		{"no video id", "entry[2].yt:videoId", "missing", readFixture(t, "feed_no_video_id.xml")},
		{"entity bomb", "feed", "malformed XML", readFixture(t, "entity_bomb.xml")},
		{"empty", "feed", "empty", []byte("  \n")},
		{"json", "feed", "not XML", []byte(`{"items":[]}`)},
		{"two roots", "feed", "after the </feed>", []byte(`<feed xmlns="http://www.w3.org/2005/Atom"></feed><feed xmlns="http://www.w3.org/2005/Atom"></feed>`)},
		{"atom without namespace", "feed", "not an Atom feed", []byte(`<feed><entry/></feed>`)},
		{"bad date", "entry[1].published", "RFC 3339", []byte(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015"><entry><yt:videoId>Xk3v9Qp2LmA</yt:videoId><title>x</title><published>yesterday</published></entry></feed>`)},
		{"no title", "entry[1].title", "missing", []byte(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015"><entry><yt:videoId>Xk3v9Qp2LmA</yt:videoId></entry></feed>`)},
		{"javascript thumbnail", "entry[1].media:thumbnail", "http(s)", []byte(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/"><entry><yt:videoId>Xk3v9Qp2LmA</yt:videoId><title>x</title><media:group><media:thumbnail url="javascript:alert(1)"/></media:group></entry></feed>`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFeed(tc.body)
			var fe *FeedError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FeedError", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Message, tc.contains) {
				t.Fatalf("error %q at %q, want %q containing %q", fe.Message, fe.Field, tc.field, tc.contains)
			}
		})
	}
}

func TestParseFeedBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015">`)
	for i := 0; i <= MaxFeedEntries; i++ {
		b.WriteString(`<entry><yt:videoId>Xk3v9Qp2LmA</yt:videoId><title>x</title></entry>`)
	}
	b.WriteString(`</feed>`)
	if _, err := ParseFeed([]byte(b.String())); err == nil || !strings.Contains(err.Error(), "more than 500 entries") {
		t.Fatalf("err = %v, want too many entries", err)
	}
	if _, err := ParseFeed(make([]byte, MaxFeedBytes+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want too large", err)
	}
	// A repeated video is one entry (a YouTube playlist may hold a video twice).
	f, err := ParseFeed([]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015">` +
		`<entry><yt:videoId>Xk3v9Qp2LmA</yt:videoId><title>a</title></entry>` +
		`<entry><yt:videoId>Xk3v9Qp2LmA</yt:videoId><title>b</title></entry></feed>`))
	if err != nil || len(f.Entries) != 1 || f.Entries[0].Title != "a" {
		t.Fatalf("feed %+v, err %v", f, err)
	}
}

// FuzzParseFeed: ParseFeed never panics, and whatever it accepts holds only
// valid, distinct video ids within the bounds. Seeds: every file in testdata.
func FuzzParseFeed(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*ml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		feed, err := ParseFeed(data)
		if err != nil {
			var fe *FeedError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Message == "" {
				t.Fatalf("error %v is not a FeedError naming a field", err)
			}
			return
		}
		if len(feed.Entries) > MaxFeedEntries {
			t.Fatalf("%d entries", len(feed.Entries))
		}
		seen := map[string]bool{}
		for _, e := range feed.Entries {
			if !ValidVideoID(e.VideoID) || seen[e.VideoID] || strings.TrimSpace(e.Title) == "" {
				t.Fatalf("accepted entry %+v", e)
			}
			seen[e.VideoID] = true
		}
	})
}

// A refused feed's message keeps its values for the reader's language:
// the problem's field error carries it, English as before.
func TestFeedErrorsSpeakTheReadersLanguage(t *testing.T) {
	_, err := ParseFeed([]byte(`<html><body>no feed</body></html>`))
	var invalid interface {
		FieldErrors() []domain.FieldError
	}
	if !errors.As(feedProblem(err), &invalid) || len(invalid.FieldErrors()) != 1 {
		t.Fatalf("feed problem of %v: no field error", err)
	}
	fe := invalid.FieldErrors()[0]
	if fe.Msg == nil || fe.Msg.String() != fe.Message {
		t.Fatalf("field error %+v: no message with values", fe)
	}
	if de := fe.Msg.In("de"); de == fe.Message || strings.Contains(de, "problem.") {
		t.Errorf("German: %q", de)
	}
	_, err = ParseFeed([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><yt:videoId xmlns:yt="http://www.youtube.com/xml/schemas/2015">bad</yt:videoId></entry></feed>`))
	var fe2 *FeedError
	if !errors.As(err, &fe2) || fe2.Msg == nil {
		t.Fatalf("bad video id: %v", err)
	}
	if es := fe2.Msg.In("es"); es != `"bad" no es un identificador de vídeo de YouTube (11 caracteres entre A-Z, a-z, 0-9, _ y -)` {
		t.Errorf("Spanish: %q (English %q)", es, fe2.Message)
	}
}
