package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/accounts"
)

// Participants are further demo accounts that fill the full talk (they
// share Password but are not listed as logins).
var participants = []Login{
	{"lena@demo.hubtalks.test", "Lena Novak", "participant"},
	{"tomas@demo.hubtalks.test", "Tomás Ruiz", "participant"},
	{"amara@demo.hubtalks.test", "Amara Okafor", "participant"},
	{"jonas@demo.hubtalks.test", "Jonas Berg", "participant"},
}

// demoTalk is one talk of the demo series; times are relative to the first
// seeding. registrants register in this order (the first capacity are
// confirmed, the rest waitlisted).
type demoTalk struct {
	slug, title, abstract string
	start                 time.Duration // from today 00:00 UTC, or from now when fromNow
	fromNow               bool
	length                time.Duration
	status                string
	tags                  []string
	format, location      string
	streamURL             string
	capacity              *int
	qaModeration          string
	membersOnly           bool // the Q&A refuses guests (qa.allow_guests false)
	recording             string
	recordingOffset       int    // seconds of video before the live start
	language              string // default en
	speakers, registrants []string
	// A past talk's live room: minutes each user was there (from the
	// start), the viewers at its peak, and its questions.
	attended  map[string]int
	peak      int
	questions []demoQuestion
}

// demoQuestion is a question of a past talk's Q&A.
type demoQuestion struct {
	author, body, status string
	votes                int
	flagged              bool // reported, and the report resolved
}

func seats(n int) *int { return &n }

const (
	insertDemoTalk = `INSERT INTO talks (slug, title, abstract, starts_at, ends_at, status, tags, format, location,
		stream_url, capacity, qa_moderation, qa_allow_guests, recording_video_id, recording_offset_seconds, language,
		live_started_at, live_ended_at)
		VALUES (:slug, :title, :abstract, :starts_at, :ends_at, :status, :tags, :format, :location,
		:stream_url, :capacity, :qa_moderation, :qa_allow_guests, :recording_video_id, :recording_offset_seconds, :language,
		:live_started_at, :live_ended_at)
		ON CONFLICT (slug) DO NOTHING RETURNING id`
	insertDemoSpeaker = `INSERT INTO talk_speakers (talk_id, user_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	// One at a time with the talk locked, as the application does: the
	// database refuses to confirm more than capacity.
	insertDemoRegistration = `WITH t AS (SELECT id, (capacity IS NULL OR confirmed_count < capacity) AS room
			FROM talks WHERE id = $1 FOR UPDATE)
		INSERT INTO registrations (talk_id, user_id, status, confirmed_at)
		SELECT t.id, $2, CASE WHEN t.room THEN 'confirmed' ELSE 'waitlisted' END, CASE WHEN t.room THEN now() END FROM t
		ON CONFLICT DO NOTHING`
)

// series is the European mHealth Hub's Hub Talks, as a demo.
func series() []demoTalk {
	const sofia, kwame = "speaker@demo.hubtalks.test", "speaker2@demo.hubtalks.test"
	const pia = "participant@demo.hubtalks.test"
	day := 24 * time.Hour
	return []demoTalk{
		{
			slug: "be-healthy-be-mobile-lessons-from-a-decade-of-mhealth", title: "Be He@lthy, Be Mobile: lessons from a decade of mHealth programmes",
			abstract: "The WHO/ITU Be He@lthy, Be Mobile initiative has run text-message programmes for tobacco cessation, diabetes and ageing in more than a dozen countries. What worked at national scale, what did not, and what Europe's health systems can reuse.",
			start:    -30*day + 15*time.Hour, length: 75 * time.Minute, status: "ended", tags: []string{"mhealth", "public-health", "who-itu"},
			format: "online", capacity: seats(500), qaModeration: "post", recording: "mHubTalk001",
			speakers: []string{kwame}, registrants: []string{pia, "lena@demo.hubtalks.test", "tomas@demo.hubtalks.test", "amara@demo.hubtalks.test"},
			attended: map[string]int{pia: 75, "lena@demo.hubtalks.test": 62, "tomas@demo.hubtalks.test": 20, "jonas@demo.hubtalks.test": 45},
			peak:     38,
			questions: []demoQuestion{
				{author: "lena@demo.hubtalks.test", body: "Which text-message programme had the best cost per quitter?", status: "answered", votes: 12},
				{author: "tomas@demo.hubtalks.test", body: "How were the messages adapted for older people?", status: "answered", votes: 8},
				{author: pia, body: "Is the evaluation data open?", status: "approved", votes: 5},
				{author: "jonas@demo.hubtalks.test", body: "Buy cheap followers at example.com", status: "dismissed", votes: 0, flagged: true},
			},
		},
		{
			slug: "digital-health-literacy-designing-for-everyone", title: "Digital health literacy: designing for everyone",
			abstract: "A third of Europeans struggle to find, understand and use health information online. How to measure digital health literacy, and how to design apps and portals that work for older people, migrants and people with low literacy.",
			start:    -14*day + 14*time.Hour, length: time.Hour, status: "ended", tags: []string{"health-literacy", "inclusion", "design"},
			format: "hybrid", location: "Brussels, Résidence Palace", capacity: seats(200), qaModeration: "post", recording: "mHubTalk002",
			recordingOffset: 95, speakers: []string{sofia},
		},
		{
			slug: "salud-movil-en-america-latina-y-europa", title: "Salud móvil en América Latina y Europa",
			abstract: "Una charla en español: regulación de las aplicaciones de salud, telemedicina en zonas rurales y lo que Europa y América Latina pueden aprender una de la otra.",
			start:    -21*day + 16*time.Hour, length: time.Hour, status: "ended", tags: []string{"mhealth", "regulación", "telemedicina"},
			format: "online", capacity: seats(300), qaModeration: "post", recording: "mHubTalk003", language: "es",
			speakers: []string{kwame}, registrants: []string{"tomas@demo.hubtalks.test"},
		},
		{
			slug: "ai-in-diagnostics-from-promise-to-practice", title: "AI in diagnostics: from promise to practice",
			abstract: "Algorithms that read retinal scans, chest X-rays and skin lesions are reaching clinics. Evidence, the EU AI Act's requirements for high-risk medical AI, and what clinicians need before they trust a model. Questions are moderated before they appear.",
			start:    40 * time.Minute, fromNow: true, length: 90 * time.Minute, status: "scheduled", tags: []string{"ai", "diagnostics", "regulation"},
			format: "online", streamURL: "https://www.youtube-nocookie.com/embed/live_stream?channel=UCmHealthHubDemo", capacity: nil, qaModeration: "pre",
			speakers: []string{sofia, kwame}, registrants: []string{pia, "lena@demo.hubtalks.test"},
		},
		{
			slug: "telemedicine-after-the-pandemic-what-stays", title: "Telemedicine after the pandemic: what stays?",
			abstract: "Video consultations went from exception to routine in 2020. Which remote care models proved safe and cost-effective, how reimbursement changed across EU member states, and how to keep the human side of care.",
			start:    7*day + 15*time.Hour, length: time.Hour, status: "scheduled", tags: []string{"telemedicine", "health-systems"},
			format: "online", capacity: seats(300), qaModeration: "post",
			speakers: []string{kwame}, registrants: []string{"tomas@demo.hubtalks.test"},
		},
		{
			slug: "fhir-hands-on-health-data-interoperability", title: "Health data interoperability with HL7 FHIR: a hands-on session",
			abstract: "Bring a laptop: we build a small app that reads and writes patient data through FHIR R4, map it to the European Health Data Space's formats, and discuss consent. Seats are limited to keep it hands-on; a waitlist moves automatically.",
			start:    10*day + 13*time.Hour, length: 2 * time.Hour, status: "scheduled", tags: []string{"interoperability", "fhir", "ehds"},
			format: "onsite", location: "Brussels, ITU Europe office, room 2.14", capacity: seats(3), qaModeration: "post",
			membersOnly: true, // a hands-on session for its registrants
			speakers:    []string{sofia},
			registrants: []string{"lena@demo.hubtalks.test", "tomas@demo.hubtalks.test", "amara@demo.hubtalks.test", pia, "jonas@demo.hubtalks.test"},
		},
		{
			slug: "mhealth-for-noncommunicable-diseases-scaling-what-works", title: "mHealth for noncommunicable diseases: scaling what works",
			abstract: "Diabetes, hypertension and COPD account for most of Europe's disease burden. Case studies of national mHealth services for self-management, and the evidence and financing that took them beyond the pilot.",
			start:    21*day + 15*time.Hour, length: time.Hour, status: "scheduled", tags: []string{"ncd", "mhealth", "scale-up"},
			format: "hybrid", location: "Geneva, WHO headquarters", capacity: seats(150), qaModeration: "post",
			speakers: []string{kwame},
		},
		{
			slug: "privacy-by-design-in-health-apps", title: "Privacy by design in health apps (GDPR and the EHDS)",
			abstract: "Draft: what the GDPR and the European Health Data Space regulation ask of app makers, with a checklist.",
			start:    35*day + 15*time.Hour, length: time.Hour, status: "draft", tags: []string{"privacy", "gdpr", "ehds"},
			format: "online", capacity: seats(250), qaModeration: "post",
			speakers: []string{sofia},
		},
	}
}

// seedTalks creates the demo series: past talks with recordings and
// answered questions (one talk in Spanish),
// one starting within the hour with pre-moderated Q&A open to guests,
// upcoming ones, a full talk with a waitlist (its Q&A for accounts only),
// and a draft. A talk that exists (by slug) is left alone, so seeding
// twice changes nothing.
func seedTalks(ctx context.Context, db *sqlx.DB, users map[string]int64, hash string, log *slog.Logger) error {
	store := accounts.NewStore(db)
	for _, p := range participants {
		id, err := ensureUser(ctx, db, store, p, hash)
		if err != nil {
			return err
		}
		users[p.Email] = id
	}
	now := time.Now().UTC().Truncate(time.Minute)
	created := 0
	for _, dt := range series() {
		ok, err := seedTalk(ctx, db, dt, now, users)
		if err != nil {
			return fmt.Errorf("demo talk %s: %w", dt.slug, err)
		}
		if ok {
			created++
		}
	}
	log.Info("demo talks", "created", created)
	return nil
}

func ensureUser(ctx context.Context, db *sqlx.DB, store *accounts.Store, u Login, hash string) (int64, error) {
	created, err := store.CreateUser(ctx, u.Email, u.Name, hash, u.Role)
	if errors.Is(err, accounts.ErrEmailTaken) {
		var id int64
		if err := db.GetContext(ctx, &id, `SELECT id FROM users WHERE lower(email) = lower($1)`, u.Email); err != nil {
			return 0, fmt.Errorf("find demo user %s: %w", u.Email, err)
		}
		return id, nil
	}
	if err != nil {
		return 0, fmt.Errorf("create demo user %s: %w", u.Email, err)
	}
	return created.ID, nil
}

func seedTalk(ctx context.Context, db *sqlx.DB, dt demoTalk, now time.Time, users map[string]int64) (bool, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck
	starts := now.Truncate(24 * time.Hour).Add(dt.start)
	if dt.fromNow {
		starts = now.Add(dt.start).Round(5 * time.Minute) // a believable start time
	}
	var stream, recording *string
	if dt.streamURL != "" {
		stream = &dt.streamURL
	}
	if dt.recording != "" {
		recording = &dt.recording
	}
	language := dt.language
	if language == "" {
		language = "en"
	}
	var liveStart, liveEnd *time.Time
	if dt.status == "ended" {
		end := starts.Add(dt.length)
		liveStart, liveEnd = &starts, &end
	}
	q, args, err := tx.BindNamed(insertDemoTalk, map[string]any{
		"slug": dt.slug, "title": dt.title, "abstract": dt.abstract, "starts_at": starts, "ends_at": starts.Add(dt.length),
		"status": dt.status, "tags": pq.StringArray(dt.tags), "format": dt.format, "location": dt.location,
		"stream_url": stream, "capacity": dt.capacity, "qa_moderation": dt.qaModeration, "qa_allow_guests": !dt.membersOnly,
		"recording_video_id": recording, "recording_offset_seconds": dt.recordingOffset, "language": language,
		"live_started_at": liveStart, "live_ended_at": liveEnd,
	})
	if err != nil {
		return false, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // seeded before
	}
	if err != nil {
		return false, err
	}
	for i, email := range dt.speakers {
		if _, err := tx.ExecContext(ctx, insertDemoSpeaker, id, users[email], i); err != nil {
			return false, err
		}
	}
	for _, email := range dt.registrants {
		if _, err := tx.ExecContext(ctx, insertDemoRegistration, id, users[email]); err != nil {
			return false, err
		}
	}
	if dt.status == "ended" {
		if err := seedAfterTalk(ctx, tx, id, dt, starts, users); err != nil {
			return false, err
		}
	}
	if err := seedQuestions(ctx, tx, id, dt.slug, starts, starts.Add(dt.length), users[dt.speakers[0]], users); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// seedAfterTalk gives a past talk its live session as it happened: who was
// in the live room and for how long, the viewers per minute, the questions
// and a resolved flag. Its registrants were told of its recording already.
func seedAfterTalk(ctx context.Context, tx *sqlx.Tx, id int64, dt demoTalk, starts time.Time, users map[string]int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE talks SET live_started_at = $2, live_ended_at = $3::timestamptz,
		recording_notified_at = CASE WHEN recording_video_id IS NOT NULL THEN $3::timestamptz END WHERE id = $1`,
		id, starts, starts.Add(dt.length)); err != nil {
		return err
	}
	first := int32(starts.Unix() / 60)
	for email, minutes := range dt.attended {
		seen := make(pq.Int32Array, minutes)
		for i := range seen {
			seen[i] = first + int32(i)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attendance (talk_id, user_id, minutes, first_seen, last_seen)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			id, users[email], seen, starts, starts.Add(time.Duration(minutes)*time.Minute)); err != nil {
			return err
		}
	}
	if dt.peak > 0 {
		// A room that fills in the first ten minutes and thins out at the end.
		if _, err := tx.ExecContext(ctx, `INSERT INTO talk_viewers (talk_id, minute, viewers)
			SELECT $1, $2 + m, round($3 * least(1, (m + 1) / 10.0) * CASE WHEN m > $4 - 10 THEN 0.7 ELSE 1 END)
			FROM generate_series(0, $4 - 1) AS m ON CONFLICT DO NOTHING`,
			id, first, dt.peak, int(dt.length/time.Minute)); err != nil {
			return err
		}
	}
	for i, q := range dt.questions {
		var qid int64
		at := starts.Add(time.Duration(5+3*i) * time.Minute)
		if err := tx.GetContext(ctx, &qid, `INSERT INTO questions (talk_id, author_id, body, status, votes, created_at, updated_at, answered_at)
			VALUES ($1, $2, $3, $4::text, $5, $6::timestamptz, $6, CASE WHEN $4 = 'answered' THEN $6 + interval '10 minutes' END) RETURNING id`,
			id, users[q.author], q.body, q.status, q.votes, at); err != nil {
			return err
		}
		if q.flagged {
			if _, err := tx.ExecContext(ctx, `INSERT INTO flags (talk_id, target_type, target_id, reporter_id, reason, status, created_at)
				VALUES ($1, 'question', $2, $3, 'spam', 'resolved', $4)`, id, qid, users[dt.registrants[0]], at); err != nil {
				return err
			}
		}
	}
	return nil
}
