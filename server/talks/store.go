package talks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
)

// Columns are a talk's columns, the talk aliased k (as in AccessColumns),
// for another domain's query of whole talks: see Store.Talks.
const Columns = `k.id, k.slug, k.title, k.abstract, k.starts_at, k.ends_at, k.status, k.tags, k.language,
	k.format, k.location, k.stream_url, k.capacity, k.registration_closes_at, k.qa_moderation,
	k.qa_allow_anonymous, k.qa_allow_guests, k.qa_open, k.recording_video_id, k.recording_offset_seconds, k.ical_sequence, k.confirmed_count, k.waitlist_count,
	k.created_at, k.updated_at, k.live_started_at, k.live_ended_at, k.certificate_min_share::float8 AS certificate_min_share`

const (
	selectTalk   = `SELECT ` + Columns + ` FROM talks k WHERE k.id = $1`
	lockTalk     = `SELECT ` + Columns + ` FROM talks k WHERE k.id = $1 FOR UPDATE`
	selectAccess = `SELECT ` + AccessColumns + ` FROM talks k WHERE k.id = $1`

	// listTalks filters on optional parameters, drafts only for those who may
	// see them: $2 is the viewer's id (0 when anonymous), $3 whether the viewer
	// is global staff. The text ($7 words, $11 prefix: dbx.SearchTerms) is
	// the series' full-text search (package search) over title, speakers,
	// tags and abstract.
	listTalks = `SELECT ` + Columns + ` FROM talks k
		WHERE ($1::timestamptz IS NULL OR k.ends_at >= $1)
		  AND ($4::timestamptz IS NULL OR k.starts_at < $4)
		  AND ($5::text IS NULL OR k.status = $5)
		  AND ($6::text IS NULL OR $6 = ANY (k.tags))
		  AND ($7::text IS NULL OR (k.search_tsv @@ (SELECT search_tsquery_any($7, $11))
		       AND k.search_tsv @@ search_tsquery(search_config(k.language), $7, $11)))
		  AND ($8::timestamptz IS NULL OR (k.starts_at, k.id) > ($8, $9))
		  AND ($12::bigint IS NULL OR EXISTS (SELECT 1 FROM talk_speakers ts WHERE ts.talk_id = k.id AND ts.user_id = $12))
		  AND ` + AccessVisible + `
		ORDER BY k.starts_at, k.id
		LIMIT $10`
	// feedTalks are the talks of the calendar feed: everything but drafts.
	feedTalks = `SELECT ` + Columns + ` FROM talks k WHERE k.status <> 'draft' ORDER BY k.starts_at, k.id`

	selectSlugs = `SELECT slug FROM talks WHERE slug = $1 OR slug LIKE $2`
	slugLock    = `SELECT pg_advisory_xact_lock(hashtext('talk-slug:' || $1))`

	insertTalk = `INSERT INTO talks (slug, title, abstract, starts_at, ends_at, status, tags, language, format, location,
		stream_url, capacity, registration_closes_at, qa_moderation, qa_allow_anonymous, qa_allow_guests, qa_open, certificate_min_share,
		recording_offset_seconds)
		VALUES (:slug, :title, :abstract, :starts_at, :ends_at, :status, :tags, :language, :format, :location,
		:stream_url, :capacity, :registration_closes_at, :qa_moderation, :qa_allow_anonymous, :qa_allow_guests, :qa_open,
		:certificate_min_share, :recording_offset_seconds)
		RETURNING id`

	updateTalk = `UPDATE talks SET title = :title, abstract = :abstract, starts_at = :starts_at, ends_at = :ends_at,
		status = :status, tags = :tags, language = :language, format = :format, location = :location,
		stream_url = :stream_url, capacity = :capacity, registration_closes_at = :registration_closes_at,
		qa_moderation = :qa_moderation, qa_allow_anonymous = :qa_allow_anonymous, qa_allow_guests = :qa_allow_guests, qa_open = :qa_open,
		recording_offset_seconds = :recording_offset_seconds, ical_sequence = :ical_sequence, certificate_min_share = :certificate_min_share, updated_at = now()
		WHERE id = :id`

	deleteSpeakers = `DELETE FROM talk_speakers WHERE talk_id = $1`
	insertSpeakers = `INSERT INTO talk_speakers (talk_id, user_id, position)
		SELECT $1, u.id, s.pos FROM unnest($2::bigint[]) WITH ORDINALITY AS s(id, pos) JOIN users u ON u.id = s.id`
	// Guests (a name only) never speak.
	countKnownUsers = `SELECT count(*) FROM users WHERE id = ANY ($1) AND deleted_at IS NULL AND role <> 'guest'`
	selectConfirmed = `SELECT EXISTS (SELECT 1 FROM registrations WHERE talk_id = $1 AND user_id = $2 AND status = 'confirmed')`

	// setStatus stamps the moments of the live session, kept for attendance
	// and to place questions taken live in the recording (a talk starts
	// live once: scheduled → live → ended).
	setStatus = `UPDATE talks SET status = $2, updated_at = now(),
		live_started_at = CASE WHEN $2 = 'live' THEN coalesce(live_started_at, now()) ELSE live_started_at END,
		live_ended_at = CASE WHEN $2 = 'ended' AND live_started_at IS NOT NULL THEN now() ELSE live_ended_at END
		WHERE id = $1`
	cancelTalk = `UPDATE talks SET status = 'cancelled', ical_sequence = ical_sequence + 1, updated_at = now()
		WHERE id = $1`
	// Registrants are told before their registrations end (one message each).
	enqueueForRegistrants = `INSERT INTO outbox (kind, talk_id, user_id, payload)
		SELECT $2, r.talk_id, r.user_id, $3 FROM registrations r
		WHERE r.talk_id = $1 AND r.status IN ('confirmed', 'waitlisted') ORDER BY r.seq`
	endRegistrations = `UPDATE registrations SET status = 'cancelled' WHERE talk_id = $1 AND status <> 'cancelled'`
)

// selectSpeakers reads the speakers of talks, as a talk shows them.
var selectSpeakers = `SELECT ts.talk_id, u.id, u.display_name, u.affiliation, ` + domain.PhotoURL("u.id") + `
		FROM talk_speakers ts JOIN users u ON u.id = ts.user_id
		WHERE ts.talk_id = ANY($1) ORDER BY ts.talk_id, ts.position, u.id`

// Queryer is a database or a transaction.
type Queryer interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// Store is the talks' SQL. Its methods run on the database or inside a
// transaction, whichever they are given.
type Store struct{}

// talkRow is a row of talks: what the queries read (with the counts a
// trigger keeps) and, as named parameters, what insertTalk and updateTalk
// write.
type talkRow struct {
	ID                   int64          `db:"id"`
	Slug                 string         `db:"slug"`
	Title                string         `db:"title"`
	Abstract             string         `db:"abstract"`
	StartsAt             time.Time      `db:"starts_at"`
	EndsAt               time.Time      `db:"ends_at"`
	Status               string         `db:"status"`
	Tags                 pq.StringArray `db:"tags"`
	Language             string         `db:"language"`
	Format               string         `db:"format"`
	Location             string         `db:"location"`
	StreamURL            *string        `db:"stream_url"`
	Capacity             *int           `db:"capacity"`
	RegistrationClosesAt *time.Time     `db:"registration_closes_at"`
	QAModeration         string         `db:"qa_moderation"`
	QAAllowAnonymous     bool           `db:"qa_allow_anonymous"`
	QAAllowGuests        bool           `db:"qa_allow_guests"`
	QAOpen               bool           `db:"qa_open"`
	RecordingVideoID     *string        `db:"recording_video_id"`
	RecordingOffset      int            `db:"recording_offset_seconds"`
	LiveStartedAt        *time.Time     `db:"live_started_at"`
	LiveEndedAt          *time.Time     `db:"live_ended_at"`
	ICalSequence         int            `db:"ical_sequence"`
	ConfirmedCount       int            `db:"confirmed_count"`
	WaitlistCount        int            `db:"waitlist_count"`
	CreatedAt            time.Time      `db:"created_at"`
	UpdatedAt            time.Time      `db:"updated_at"`
	CertificateMinShare  float64        `db:"certificate_min_share"`
}

// talk renders the row as the API shows it (speakers are attached apart).
func (r talkRow) talk() Talk {
	t := Talk{
		ID: r.ID, Slug: r.Slug, Title: r.Title, Abstract: r.Abstract, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(),
		Status: r.Status, Tags: []string(r.Tags), Language: r.Language, Format: r.Format, Location: r.Location,
		StreamURL: r.StreamURL, Capacity: r.Capacity,
		QA:        QA{Moderation: r.QAModeration, AllowAnonymous: r.QAAllowAnonymous, AllowGuests: r.QAAllowGuests, Open: r.QAOpen},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ICalSequence: r.ICalSequence, Speakers: []Speaker{},
		RegisteredCount: r.ConfirmedCount, WaitlistCount: r.WaitlistCount, RecordingOffset: r.RecordingOffset,
		LiveStartedAt: utcOrNil(r.LiveStartedAt), LiveEndedAt: utcOrNil(r.LiveEndedAt), CertificateMinShare: r.CertificateMinShare,
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if r.RegistrationClosesAt != nil {
		at := r.RegistrationClosesAt.UTC()
		t.RegistrationClosesAt = &at
	}
	if r.RecordingVideoID != nil {
		t.Recording = RecordingFor(*r.RecordingVideoID)
		t.Recording.OffsetSeconds = r.RecordingOffset
	}
	return t
}

func utcOrNil(at *time.Time) *time.Time {
	if at == nil {
		return nil
	}
	u := at.UTC()
	return &u
}

// rowOf is the row that stores t's writable columns.
func rowOf(t Talk) talkRow {
	return talkRow{
		ID: t.ID, Slug: t.Slug, Title: t.Title, Abstract: t.Abstract, StartsAt: t.StartsAt, EndsAt: t.EndsAt,
		Status: t.Status, Tags: pq.StringArray(t.Tags), Language: t.Language, Format: t.Format, Location: t.Location,
		StreamURL: t.StreamURL, Capacity: t.Capacity, RegistrationClosesAt: t.RegistrationClosesAt,
		QAModeration: t.QA.Moderation, QAAllowAnonymous: t.QA.AllowAnonymous, QAAllowGuests: t.QA.AllowGuests, QAOpen: t.QA.Open, ICalSequence: t.ICalSequence,
		CertificateMinShare: t.CertificateMinShare,
		RecordingOffset:     t.RecordingOffset,
	}
}

// Load reads one talk with its speakers, as the API shows it to nobody in
// particular: stream_url is removed and drafts are returned. Callers that
// answer a request use ForViewer instead.
func Load(ctx context.Context, q Queryer, id int64) (Talk, error) { return Store{}.Load(ctx, q, id) }

// Load is the package's Load.
func (s Store) Load(ctx context.Context, q sqlx.QueryerContext, id int64) (Talk, error) {
	t, err := s.loadFull(ctx, q, id)
	t.StreamURL = nil
	return t, err
}

// loadFull is Load with the stream_url, for callers that decide who sees it.
func (s Store) loadFull(ctx context.Context, q sqlx.QueryerContext, id int64) (Talk, error) {
	return s.loadOne(ctx, q, selectTalk, "load", id)
}

// lock reads the talk with its row locked until the end of the transaction.
func (s Store) lock(ctx context.Context, tx sqlx.QueryerContext, id int64) (Talk, error) {
	return s.loadOne(ctx, tx, lockTalk, "lock", id)
}

// loadOne reads one talk with query (which takes its id) and its speakers.
func (s Store) loadOne(ctx context.Context, q sqlx.QueryerContext, query, verb string, id int64) (Talk, error) {
	var r talkRow
	err := sqlx.GetContext(ctx, q, &r, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Talk{}, fmt.Errorf("talk %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return Talk{}, fmt.Errorf("%s talk %d: %w", verb, id, err)
	}
	ts := []Talk{r.talk()}
	if err := s.attachSpeakers(ctx, q, ts); err != nil {
		return Talk{}, err
	}
	return ts[0], nil
}

// Talks runs query, a constant that selects Columns, and returns its talks
// in order with their speakers.
func (s Store) Talks(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]Talk, error) {
	var rows []talkRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("load talks: %w", err)
	}
	ts := make([]Talk, len(rows))
	for i, r := range rows {
		ts[i] = r.talk()
	}
	return ts, s.attachSpeakers(ctx, q, ts)
}

// feed is every talk that belongs in the public calendar: no drafts.
func (s Store) feed(ctx context.Context, q sqlx.QueryerContext) ([]Talk, error) {
	ts, err := s.Talks(ctx, q, feedTalks)
	if err != nil {
		return nil, fmt.Errorf("talk feed: %w", err)
	}
	return ts, nil
}

// LastChange is when any talk last changed (drafts too: a talk that leaves
// a calendar changes it); zero when there is none.
func LastChange(ctx context.Context, q sqlx.QueryerContext) (time.Time, error) {
	var at sql.NullTime
	if err := sqlx.GetContext(ctx, q, &at, `SELECT max(updated_at) FROM talks`); err != nil {
		return time.Time{}, fmt.Errorf("last change of the talks: %w", err)
	}
	return at.Time, nil
}

type speakerRow struct {
	TalkID      int64   `db:"talk_id"`
	ID          int64   `db:"id"`
	DisplayName string  `db:"display_name"`
	Affiliation string  `db:"affiliation"`
	PhotoURL    *string `db:"photo_url"`
}

func (Store) attachSpeakers(ctx context.Context, q sqlx.QueryerContext, ts []Talk) error {
	return dbx.Attach(ctx, q, ts, func(it *Talk) int64 { return it.ID }, selectSpeakers, func(r speakerRow) int64 { return r.TalkID },
		func(it *Talk, r speakerRow) {
			it.Speakers = append(it.Speakers, Speaker{ID: r.ID, DisplayName: r.DisplayName, Affiliation: r.Affiliation, PhotoURL: r.PhotoURL})
		})
}

// filter is a listing request, checked (Query.filter).
type filter struct {
	From, To *time.Time
	Status   *string
	Tag      *string
	Q        *string
	Speaker  *int64
	Viewer   *domain.User
	Limit    int
	After    *cursor
}

// cursor is the position of a talk in the listing.
type cursor struct {
	StartsAt time.Time `json:"s"`
	ID       int64     `json:"i"`
}

// list reads one page of f and the row after it, without speakers.
func (Store) list(ctx context.Context, q sqlx.QueryerContext, f filter) ([]talkRow, error) {
	var words *string
	var prefix string
	if f.Q != nil {
		w, p := dbx.SearchTerms(*f.Q)
		words, prefix = &w, p
	}
	var afterAt *time.Time
	var afterID int64
	if f.After != nil {
		afterAt, afterID = &f.After.StartsAt, f.After.ID
	}
	var rows []talkRow
	err := sqlx.SelectContext(ctx, q, &rows, listTalks, f.From, domain.IDOf(f.Viewer), f.Viewer.IsModerator(),
		f.To, f.Status, f.Tag, words, afterAt, afterID, f.Limit+1, prefix, f.Speaker)
	if err != nil {
		return nil, fmt.Errorf("list talks: %w", err)
	}
	return rows, nil
}

// Access reads u's Access to a talk; a talk that does not exist is
// domain.ErrNotFound.
func (Store) Access(ctx context.Context, q sqlx.QueryerContext, talkID int64, u *domain.User) (Access, error) {
	a := Access{User: u}
	err := sqlx.GetContext(ctx, q, &a, selectAccess, talkID, domain.IDOf(u))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("talk %d: %w", talkID, domain.NotFound("no such talk"))
	}
	if err != nil {
		return a, fmt.Errorf("load access to talk %d: %w", talkID, err)
	}
	return a, nil
}

// confirmed reports whether userID holds a confirmed registration for the talk.
func (Store) confirmed(ctx context.Context, q sqlx.QueryerContext, talkID, userID int64) (bool, error) {
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, selectConfirmed, talkID, userID); err != nil {
		return false, fmt.Errorf("check registration for talk %d: %w", talkID, err)
	}
	return ok, nil
}

// knownUsers reports whether every id is a user that exists.
func (Store) knownUsers(ctx context.Context, q sqlx.QueryerContext, ids []int64) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	var n int
	if err := sqlx.GetContext(ctx, q, &n, countKnownUsers, pq.Array(ids)); err != nil {
		return false, fmt.Errorf("check speakers: %w", err)
	}
	return n == len(ids), nil
}

// insert stores a new talk under a free slug of its title, with its speakers.
func (s Store) insert(ctx context.Context, tx sqlx.ExtContext, t Talk, speakers []int64) (int64, error) {
	slug, err := s.uniqueSlug(ctx, tx, Slugify(t.Title))
	if err != nil {
		return 0, err
	}
	t.Slug = slug
	q, args, err := tx.BindNamed(insertTalk, rowOf(t))
	if err != nil {
		return 0, fmt.Errorf("bind insert talk: %w", err)
	}
	var id int64
	if err := sqlx.GetContext(ctx, tx, &id, q, args...); err != nil {
		return 0, fmt.Errorf("insert talk: %w", err)
	}
	return id, s.setSpeakers(ctx, tx, id, speakers)
}

// uniqueSlug picks base, or base-2, base-3 … when taken. An advisory lock on
// the base serialises concurrent creations of the same title.
func (Store) uniqueSlug(ctx context.Context, tx sqlx.ExtContext, base string) (string, error) {
	if _, err := tx.ExecContext(ctx, slugLock, base); err != nil {
		return "", fmt.Errorf("lock slug %q: %w", base, err)
	}
	var taken []string
	if err := sqlx.SelectContext(ctx, tx, &taken, selectSlugs, base, likeEscape(base)+"-%"); err != nil {
		return "", fmt.Errorf("read slugs: %w", err)
	}
	return pickSlug(base, taken), nil
}

func (Store) update(ctx context.Context, tx sqlx.ExtContext, t Talk) error {
	if _, err := sqlx.NamedExecContext(ctx, tx, updateTalk, rowOf(t)); err != nil {
		return fmt.Errorf("update talk %d: %w", t.ID, err)
	}
	return nil
}

func (Store) setSpeakers(ctx context.Context, tx sqlx.ExecerContext, talkID int64, ids []int64) error {
	if _, err := tx.ExecContext(ctx, deleteSpeakers, talkID); err != nil {
		return fmt.Errorf("clear speakers of talk %d: %w", talkID, err)
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, insertSpeakers, talkID, pq.Array(ids)); err != nil {
		return fmt.Errorf("set speakers of talk %d: %w", talkID, err)
	}
	return nil
}

func (Store) setStatus(ctx context.Context, tx sqlx.ExecerContext, talkID int64, status string) error {
	if _, err := tx.ExecContext(ctx, setStatus, talkID, status); err != nil {
		return fmt.Errorf("set status of talk %d: %w", talkID, err)
	}
	return nil
}

// cancel marks the talk cancelled and bumps its iCalendar SEQUENCE.
func (Store) cancel(ctx context.Context, tx sqlx.ExecerContext, talkID int64) error {
	if _, err := tx.ExecContext(ctx, cancelTalk, talkID); err != nil {
		return fmt.Errorf("cancel talk %d: %w", talkID, err)
	}
	return nil
}

// endRegistrations cancels every registration of the talk.
func (Store) endRegistrations(ctx context.Context, tx sqlx.ExecerContext, talkID int64) error {
	if _, err := tx.ExecContext(ctx, endRegistrations, talkID); err != nil {
		return fmt.Errorf("end registrations of talk %d: %w", talkID, err)
	}
	return nil
}

// tellRegistrants writes one message of kind to each active registrant.
func (Store) tellRegistrants(ctx context.Context, tx sqlx.ExecerContext, talkID int64, kind string, payload string) error {
	if _, err := tx.ExecContext(ctx, enqueueForRegistrants, talkID, kind, payload); err != nil {
		return fmt.Errorf("enqueue %s for talk %d: %w", kind, talkID, err)
	}
	return nil
}
