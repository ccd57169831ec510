package demo_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/hubtalks/hubtalks/migrations/testdb"
	"github.com/hubtalks/hubtalks/server/demo"
)

func TestSeedTalksIsIdempotentAndBelievable(t *testing.T) {
	db := testdb.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	snapshot := func() (s struct {
		Talks, Regs, Speakers, Users, Confirmed, Waitlisted, LiveSoon, Past, Recorded, Drafts, Moments int
	}) {
		err := db.QueryRow(`SELECT (SELECT count(*) FROM talks), (SELECT count(*) FROM registrations),
			(SELECT count(*) FROM talk_speakers), (SELECT count(*) FROM users),
			(SELECT confirmed_count FROM talks WHERE slug = 'fhir-hands-on-health-data-interoperability'),
			(SELECT waitlist_count FROM talks WHERE slug = 'fhir-hands-on-health-data-interoperability'),
			(SELECT count(*) FROM talks WHERE status = 'scheduled' AND starts_at > now() AND starts_at <= now() + interval '1 hour' AND qa_moderation = 'pre' AND qa_allow_guests),
			(SELECT count(*) FROM talks WHERE status = 'ended' AND ends_at < now()),
			(SELECT count(*) FROM talks WHERE recording_video_id IS NOT NULL),
			(SELECT count(*) FROM talks WHERE status = 'draft'),
			(SELECT count(*) FROM questions q JOIN talks k ON k.id = q.talk_id
			 WHERE recording_second(q.taken_at, k.live_started_at, k.recording_offset_seconds, k.recording_video_id) IS NOT NULL)`).Scan(
			&s.Talks, &s.Regs, &s.Speakers, &s.Users, &s.Confirmed, &s.Waitlisted, &s.LiveSoon, &s.Past, &s.Recorded, &s.Drafts, &s.Moments)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := demo.Seed(context.Background(), db, log); err != nil {
		t.Fatal(err)
	}
	first := snapshot()
	var photos, bios int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM user_photos), (SELECT count(*) FROM users WHERE bio <> '' AND affiliation <> '')`).Scan(&photos, &bios); err != nil || photos != 2 || bios != 2 {
		t.Fatalf("demo speaker profiles: %d photos, %d bios (%v)", photos, bios, err)
	}
	if first.Talks < 6 || first.Confirmed != 3 || first.Waitlisted != 2 || first.LiveSoon != 1 || first.Past < 2 ||
		first.Recorded < 3 || first.Drafts != 1 || first.Speakers < first.Talks || first.Moments < 5 {
		t.Fatalf("demo series: %+v", first)
	}
	if _, err := demo.Seed(context.Background(), db, log); err != nil {
		t.Fatal(err)
	}
	if second := snapshot(); second != first {
		t.Fatalf("seeding twice changed %+v into %+v", first, second)
	}
}
