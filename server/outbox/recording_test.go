package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// recordingFeed is a YouTube playlist feed with one video titled as the talk.
func recordingFeed(videoID, title string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <id>yt:playlist:PLrecordingUpTest0000000000000000</id>
 <yt:playlistId>PLrecordingUpTest0000000000000000</yt:playlistId>
 <title>Hub Talks</title>
 <entry>
  <id>yt:video:` + videoID + `</id>
  <yt:videoId>` + videoID + `</yt:videoId>
  <title>` + title + `</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=` + videoID + `"/>
  <published>2026-11-28T10:00:00+00:00</published>
  <updated>2026-11-28T10:00:00+00:00</updated>
  <media:group><media:title>` + title + `</media:title><media:description>Recording</media:description></media:group>
 </entry>
</feed>`
}

// "The recording is up" goes once per talk to each confirmed registrant who
// did not turn it off: across two imports of the feed (the path a playlist
// sync takes), a recording replaced by another video, and a link removed
// and made again.
func TestRecordingUpOncePerRegistrantAndOptOutHonoured(t *testing.T) {
	env := testserver.New(t)
	sink := testkit.StartMailSink(t, "127.0.0.1:0")
	tk, regs := setup(t, env, 3)
	optedOut := regs[2]
	var me struct {
		Notifications struct{ Reminders, Recording bool } `json:"notifications"`
	}
	testserver.Must(t, env.Patch("/api/v1/me", optedOut.Token, map[string]any{"notifications": map[string]any{"recording": false}}), 200).JSON(t, &me)
	if me.Notifications.Recording || !me.Notifications.Reminders {
		t.Fatalf("notifications after PATCH: %+v", me.Notifications)
	}
	mod := env.NewUser("moderator")
	var p struct{ ID int64 }
	testserver.Must(t, env.Post("/api/v1/playlists", mod.Token, map[string]any{"title": "Recordings"}), 201).JSON(t, &p)
	importFeed := func(body string) {
		testserver.Must(t, env.Do(testserver.Req{Method: "POST", Path: fmt.Sprintf("/api/v1/playlists/%d/import", p.ID), Token: mod.Token,
			Body: body, Header: map[string]string{"Content-Type": "application/atom+xml"}}), 200)
	}
	feed := recordingFeed("AAAAAAAAAAA", tk.Title)
	importFeed(feed)
	importFeed(feed)
	// Someone registers after the notice: the talk was told once, not again.
	late := env.NewUser("participant")
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), late.Token, nil), 201)
	// Another video becomes the recording; then the links are removed and made again.
	var item struct{ ID int64 }
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/playlists/%d/items", p.ID), mod.Token,
		map[string]any{"video_id": "BBBBBBBBBBB", "title": "Better cut", "talk_id": tk.ID}), 201).JSON(t, &item)
	var rows []struct{ ID int64 }
	if err := env.DB.Select(&rows, `SELECT id FROM playlist_items WHERE playlist_id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/playlists/%d/items/%d", p.ID, r.ID), mod.Token, map[string]any{"talk_id": nil}), 200)
	}
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/playlists/%d/items/%d", p.ID, item.ID), mod.Token, map[string]any{"talk_id": tk.ID}), 200)
	var video string
	_ = env.DB.Get(&video, `SELECT coalesce(recording_video_id, '') FROM talks WHERE id = $1`, tk.ID)
	if video != "BBBBBBBBBBB" {
		t.Fatalf("recording is %q, want the re-linked video", video)
	}

	for i := 0; i < 3; i++ {
		processAll(t, env, sink)
	}
	got := map[string]int{}
	for _, raw := range sink.Received() {
		msg := string(raw)
		if !strings.Contains(msg, "The recording is up") {
			continue
		}
		for _, u := range append(regs, late) {
			if strings.Contains(msg, "To: <"+u.Email+">") || strings.Contains(msg, u.Email) {
				got[u.Email]++
			}
		}
		// Composed when sent: the link is the recording's as it is then.
		_, _, body, err := testkit.MailPart(raw, "text/plain")
		if err != nil || !strings.Contains(string(body), "https://www.youtube.com/watch?v=BBBBBBBBBBB") {
			t.Errorf("message lacks the recording's link (%v):\n%s", err, body)
		}
	}
	for _, u := range regs[:2] {
		if got[u.Email] != 1 {
			t.Errorf("%s got %d recording messages, want 1 (all: %v)", u.Email, got[u.Email], got)
		}
	}
	if got[optedOut.Email] != 0 || got[late.Email] != 0 {
		t.Errorf("opted-out or late registrant told: %v", got)
	}
	var dropped int
	_ = env.DB.Get(&dropped, `SELECT count(*) FROM outbox WHERE kind = 'recording.up' AND user_id = $1 AND sent_at IS NOT NULL AND last_error LIKE 'dropped:%'`, optedOut.ID)
	if dropped != 1 {
		t.Errorf("the opted-out registrant's message was not marked dropped (%d)", dropped)
	}
}

// Reminders turned off are not enqueued, and one already waiting is not sent.
func TestRemindersOptOutHonouredByTheOutbox(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	var soon struct{ ID int64 }
	testserver.Must(t, env.Post("/api/v1/talks", mod.Token, map[string]any{"title": "Starting soon", "starts_at": testserver.At(30 * time.Minute), "ends_at": testserver.At(90 * time.Minute)}), 201).JSON(t, &soon)
	on, off := env.NewUser("participant"), env.NewUser("participant")
	for _, u := range []testserver.User{on, off} {
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", soon.ID), u.Token, nil), 201)
	}
	if _, err := env.DB.Exec(`UPDATE registrations SET confirmed_at = now() - interval '2 days'`); err != nil {
		t.Fatal(err)
	}
	testserver.Must(t, env.Patch("/api/v1/me", off.Token, map[string]any{"notifications": map[string]any{"reminders": false}}), 200)
	w := worker(env, outbox.LogMailer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if n, err := w.EnqueueReminders(context.Background()); err != nil || n != 1 {
		t.Fatalf("enqueued %d reminders (%v), want 1", n, err)
	}
	// A reminder written before the setting changed is dropped at send time.
	if _, err := env.DB.Exec(`INSERT INTO outbox (kind, talk_id, user_id) VALUES ('reminder.1h', $1, $2)`, soon.ID, off.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, w)
	var sent []string
	_ = env.DB.Select(&sent, `SELECT user_id || ':' || coalesce(last_error, 'sent') FROM outbox WHERE kind LIKE 'reminder%' ORDER BY user_id`)
	want := []string{fmt.Sprintf("%d:sent", on.ID), fmt.Sprintf("%d:dropped: %s", off.ID, outbox.ErrOptedOut.Error())}
	if strings.Join(sent, "|") != strings.Join(want, "|") {
		t.Fatalf("reminders %v, want %v", sent, want)
	}
}
