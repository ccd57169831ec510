package talks

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Message kinds this package writes to the outbox (the outbox worker's
// composer knows how to turn each into an email).
const (
	MessageTalkCancelled   = "talk.cancelled"
	MessageTalkRescheduled = "talk.rescheduled"
)

const (
	// listTalks filters on optional parameters; $7 says whether the viewer is
	// global staff, $8 is the viewer's id (0 when anonymous) for the drafts of
	// talks they speak at.
	listTalks = `SELECT ` + talkColumns + ` FROM talks t
		WHERE ($1::timestamptz IS NULL OR t.ends_at >= $1)
		  AND ($2::timestamptz IS NULL OR t.starts_at < $2)
		  AND ($3::text IS NULL OR t.status = $3)
		  AND ($4::text IS NULL OR $4 = ANY (t.tags))
		  AND ($5::text IS NULL OR t.title ILIKE $5 OR t.abstract ILIKE $5)
		  AND ($6::timestamptz IS NULL OR (t.starts_at, t.id) > ($6, $9))
		  AND (t.status <> 'draft' OR $7 OR EXISTS (SELECT 1 FROM talk_speakers s WHERE s.talk_id = t.id AND s.user_id = $8))
		ORDER BY t.starts_at, t.id
		LIMIT $10`
	// feedTalks are the talks of the calendar feed: everything but drafts.
	feedTalks = `SELECT ` + talkColumns + ` FROM talks t WHERE t.status <> 'draft' ORDER BY t.starts_at, t.id`

	lockTalk = `SELECT ` + talkColumns + ` FROM talks t WHERE t.id = $1 FOR UPDATE`

	selectSlugs = `SELECT slug FROM talks WHERE slug = $1 OR slug LIKE $2`
	slugLock    = `SELECT pg_advisory_xact_lock(hashtext('talk-slug:' || $1))`

	insertTalk = `INSERT INTO talks (slug, title, abstract, starts_at, ends_at, status, tags, language, format, location,
		stream_url, capacity, registration_closes_at, qa_moderation, qa_allow_anonymous, qa_open)
		VALUES (:slug, :title, :abstract, :starts_at, :ends_at, :status, :tags, :language, :format, :location,
		:stream_url, :capacity, :registration_closes_at, :qa_moderation, :qa_allow_anonymous, :qa_open)
		RETURNING id`

	updateTalk = `UPDATE talks SET title = :title, abstract = :abstract, starts_at = :starts_at, ends_at = :ends_at,
		status = :status, tags = :tags, language = :language, format = :format, location = :location,
		stream_url = :stream_url, capacity = :capacity, registration_closes_at = :registration_closes_at,
		qa_moderation = :qa_moderation, qa_allow_anonymous = :qa_allow_anonymous, qa_open = :qa_open,
		ical_sequence = :ical_sequence, updated_at = now()
		WHERE id = :id`

	deleteSpeakers = `DELETE FROM talk_speakers WHERE talk_id = $1`
	insertSpeakers = `INSERT INTO talk_speakers (talk_id, user_id, position)
		SELECT $1, u.id, s.pos FROM unnest($2::bigint[]) WITH ORDINALITY AS s(id, pos) JOIN users u ON u.id = s.id`
	countKnownUsers = `SELECT count(*) FROM users WHERE id = ANY ($1) AND deleted_at IS NULL`

	setStatus  = `UPDATE talks SET status = $2, updated_at = now() WHERE id = $1`
	cancelTalk = `UPDATE talks SET status = 'cancelled', ical_sequence = ical_sequence + 1, updated_at = now()
		WHERE id = $1`
	// Registrants are told before their registrations end (one message each).
	enqueueForRegistrants = `INSERT INTO outbox (kind, talk_id, user_id, payload)
		SELECT $2, r.talk_id, r.user_id, $3 FROM registrations r
		WHERE r.talk_id = $1 AND r.status IN ('confirmed', 'waitlisted') ORDER BY r.seq`
	endRegistrations = `UPDATE registrations SET status = 'cancelled' WHERE talk_id = $1 AND status <> 'cancelled'`

	// promoteWaitlist confirms the head of the waitlist while there is room,
	// in arrival order. Call it with the talk's row locked.
	promoteWaitlist = `WITH t AS (SELECT capacity, confirmed_count FROM talks WHERE id = $1),
		head AS (
			SELECT r.talk_id, r.user_id FROM registrations r
			WHERE r.talk_id = $1 AND r.status = 'waitlisted'
			ORDER BY r.seq
			LIMIT (SELECT CASE WHEN capacity IS NULL THEN NULL ELSE greatest(capacity - confirmed_count, 0) END FROM t)
		), promoted AS (
			UPDATE registrations r SET status = 'confirmed', confirmed_at = clock_timestamp()
			FROM head WHERE r.talk_id = head.talk_id AND r.user_id = head.user_id
			RETURNING r.talk_id, r.user_id, r.seq
		)
		INSERT INTO outbox (kind, talk_id, user_id)
		SELECT 'registration.promoted', talk_id, user_id FROM promoted ORDER BY seq
		RETURNING user_id`
)

// MessagePromoted is the outbox kind of a promotion from the waitlist.
const MessagePromoted = "registration.promoted"

// Filter is a listing request.
type Filter struct {
	From, To *time.Time
	Status   *string
	Tag      *string
	Q        *string
	Viewer   *domain.User
	Limit    int
	After    *cursor
}

type cursor struct {
	StartsAt time.Time `json:"s"`
	ID       int64     `json:"i"`
}

// likePattern makes a case-insensitive substring pattern of user text,
// escaping LIKE's wildcards so they match themselves.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

func list(ctx context.Context, q Queryer, f Filter) ([]Talk, *cursor, error) {
	var pat *string
	if f.Q != nil {
		p := likePattern(*f.Q)
		pat = &p
	}
	var afterAt *time.Time
	var afterID int64
	if f.After != nil {
		afterAt, afterID = &f.After.StartsAt, f.After.ID
	}
	var uid int64
	if f.Viewer != nil {
		uid = f.Viewer.ID
	}
	var rows []row
	err := sqlx.SelectContext(ctx, q, &rows, listTalks, f.From, f.To, f.Status, f.Tag, pat, afterAt,
		f.Viewer.IsModerator(), uid, afterID, f.Limit+1)
	if err != nil {
		return nil, nil, fmt.Errorf("list talks: %w", err)
	}
	var next *cursor
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		next = &cursor{StartsAt: last.StartsAt, ID: last.ID}
	}
	ts := make([]Talk, len(rows))
	for i, r := range rows {
		ts[i] = r.talk()
	}
	if err := attachSpeakers(ctx, q, ts); err != nil {
		return nil, nil, err
	}
	return ts, next, nil
}

// Feed is every talk that belongs in the public calendar (no drafts), with
// stream_url removed.
func Feed(ctx context.Context, q Queryer) ([]Talk, error) {
	var rows []row
	if err := sqlx.SelectContext(ctx, q, &rows, feedTalks); err != nil {
		return nil, fmt.Errorf("load talk feed: %w", err)
	}
	ts := make([]Talk, len(rows))
	for i, r := range rows {
		ts[i] = r.talk()
	}
	return ts, attachSpeakers(ctx, q, ts)
}

// lockForUpdate reads the talk with its row locked until the end of tx.
func lockForUpdate(ctx context.Context, tx *sqlx.Tx, id int64) (Talk, error) {
	return loadOne(ctx, tx, lockTalk, "lock", id)
}

// Slugify makes the URL name of a title: lowercase ASCII letters and digits
// separated by single hyphens (accents folded), at most 80 characters.
func Slugify(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(title) {
		if f, ok := fold[r]; ok {
			r = f
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
		if b.Len() >= 80 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "talk"
	}
	return s
}

var fold = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ç': 'c', 'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n', 'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y', 'ß': 's', 'ł': 'l', 'ś': 's', 'ź': 'z', 'ż': 'z',
	'č': 'c', 'š': 's', 'ž': 'z', 'ř': 'r', 'ě': 'e', 'ő': 'o', 'ű': 'u', 'ă': 'a', 'ș': 's', 'ț': 't',
}

// uniqueSlug picks base, or base-2, base-3 … when taken. An advisory lock on
// the base serialises concurrent creations of the same title.
func uniqueSlug(ctx context.Context, tx *sqlx.Tx, base string) (string, error) {
	if _, err := tx.ExecContext(ctx, slugLock, base); err != nil {
		return "", fmt.Errorf("lock slug %q: %w", base, err)
	}
	var taken []string
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(base)
	if err := tx.SelectContext(ctx, &taken, selectSlugs, base, esc+"-%"); err != nil {
		return "", fmt.Errorf("read slugs: %w", err)
	}
	used := map[string]bool{}
	for _, s := range taken {
		used[s] = true
	}
	if !used[base] {
		return base, nil
	}
	for n := 2; ; n++ {
		if s := base + "-" + strconv.Itoa(n); !used[s] {
			return s, nil
		}
	}
}

// stored is a talk's writable columns, as named parameters.
type stored struct {
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
	QAOpen               bool           `db:"qa_open"`
	ICalSequence         int            `db:"ical_sequence"`
}

func storedOf(t Talk) stored {
	return stored{
		ID: t.ID, Slug: t.Slug, Title: t.Title, Abstract: t.Abstract, StartsAt: t.StartsAt, EndsAt: t.EndsAt,
		Status: t.Status, Tags: pq.StringArray(t.Tags), Language: t.Language, Format: t.Format, Location: t.Location,
		StreamURL: t.StreamURL, Capacity: t.Capacity, RegistrationClosesAt: t.RegistrationClosesAt,
		QAModeration: t.QA.Moderation, QAAllowAnonymous: t.QA.AllowAnonymous, QAOpen: t.QA.Open, ICalSequence: t.ICalSequence,
	}
}

func insert(ctx context.Context, tx *sqlx.Tx, t Talk, speakers []int64) (int64, error) {
	slug, err := uniqueSlug(ctx, tx, Slugify(t.Title))
	if err != nil {
		return 0, err
	}
	t.Slug = slug
	q, args, err := tx.BindNamed(insertTalk, storedOf(t))
	if err != nil {
		return 0, fmt.Errorf("bind insert talk: %w", err)
	}
	var id int64
	if err := tx.GetContext(ctx, &id, q, args...); err != nil {
		return 0, fmt.Errorf("insert talk: %w", err)
	}
	return id, setSpeakers(ctx, tx, id, speakers)
}

func update(ctx context.Context, tx *sqlx.Tx, t Talk) error {
	if _, err := tx.NamedExecContext(ctx, updateTalk, storedOf(t)); err != nil {
		return fmt.Errorf("update talk %d: %w", t.ID, err)
	}
	return nil
}

func setSpeakers(ctx context.Context, tx *sqlx.Tx, talkID int64, ids []int64) error {
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

// knownUsers reports whether every id is a user that exists.
func knownUsers(ctx context.Context, q Queryer, ids []int64) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	var n int
	if err := sqlx.GetContext(ctx, q, &n, countKnownUsers, pq.Array(ids)); err != nil {
		return false, fmt.Errorf("check speakers: %w", err)
	}
	return n == len(ids), nil
}

// Promote confirms waitlisted registrations of talkID in arrival order while
// there is room, writing a promotion message for each to the outbox. The
// caller holds the talk's row lock (or the trigger will take it). It returns
// the promoted users in order.
func Promote(ctx context.Context, tx sqlx.ExtContext, talkID int64) ([]int64, error) {
	var ids []int64
	if err := sqlx.SelectContext(ctx, tx, &ids, promoteWaitlist, talkID); err != nil {
		return nil, fmt.Errorf("promote waitlist of talk %d: %w", talkID, err)
	}
	return ids, nil
}

// tellRegistrants writes one message of kind to each active registrant.
func tellRegistrants(ctx context.Context, tx *sqlx.Tx, talkID int64, kind string, payload string) error {
	if _, err := tx.ExecContext(ctx, enqueueForRegistrants, talkID, kind, payload); err != nil {
		return fmt.Errorf("enqueue %s for talk %d: %w", kind, talkID, err)
	}
	return nil
}
