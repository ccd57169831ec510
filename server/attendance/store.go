package attendance

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/dbx"
)

const (
	selectLive = `SELECT id FROM talks WHERE id = ANY ($1) AND status = 'live'`

	// upsertSeen adds each row's minutes to the (talk, user)'s set. Rows come
	// sorted by (talk, user), so two instances flushing together take their
	// row locks in the same order.
	upsertSeen = `INSERT INTO attendance AS a (talk_id, user_id, minutes, first_seen, last_seen)
		SELECT r.talk_id, r.user_id, r.minutes::integer[], r.first_seen, r.last_seen
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[])
			WITH ORDINALITY AS r(talk_id, user_id, minutes, first_seen, last_seen, n)
		WHERE EXISTS (SELECT 1 FROM talks t WHERE t.id = r.talk_id)
		  AND EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
		ORDER BY r.n
		ON CONFLICT (talk_id, user_id) DO UPDATE SET
			minutes = ARRAY(SELECT DISTINCT m FROM unnest(a.minutes || excluded.minutes) AS m ORDER BY m),
			first_seen = least(a.first_seen, excluded.first_seen),
			last_seen = greatest(a.last_seen, excluded.last_seen)`
	upsertViewers = `INSERT INTO talk_viewers AS v (talk_id, minute, viewers)
		SELECT r.talk_id, r.minute, r.viewers
		FROM unnest($1::bigint[], $2::integer[], $3::integer[]) AS r(talk_id, minute, viewers)
		WHERE EXISTS (SELECT 1 FROM talks t WHERE t.id = r.talk_id)
		ORDER BY r.talk_id, r.minute
		ON CONFLICT (talk_id, minute) DO UPDATE SET viewers = excluded.viewers
		WHERE v.viewers < excluded.viewers`

	// selectRecords lists a talk's attendance; the email of an erased
	// account is no address.
	selectRecords = `SELECT a.user_id, u.display_name,
			CASE WHEN u.deleted_at IS NULL THEN u.email END AS email,
			EXISTS (SELECT 1 FROM registrations r WHERE r.talk_id = a.talk_id AND r.user_id = a.user_id
				AND r.status IN ('confirmed', 'waitlisted')) AS registered,
			a.minutes, a.first_seen, a.last_seen
		FROM attendance a JOIN users u ON u.id = a.user_id
		WHERE a.talk_id = $1
		ORDER BY a.first_seen, a.user_id`
	selectOwn = `SELECT a.user_id, '' AS display_name, NULL AS email, false AS registered, a.minutes, a.first_seen, a.last_seen
		FROM attendance a WHERE a.talk_id = $1 AND a.user_id = $2`
	selectSession = `SELECT id, title, status, live_started_at, live_ended_at, certificate_min_share::float8 AS min_share
		FROM talks WHERE id = $1`
	selectExport = `SELECT a.talk_id, t.title, a.minutes, a.first_seen, a.last_seen, c.code
		FROM attendance a JOIN talks t ON t.id = a.talk_id
		LEFT JOIN certificates c ON c.talk_id = a.talk_id AND c.user_id = a.user_id
		WHERE a.user_id = $1 ORDER BY a.first_seen`

	// A certificate keeps its code; its minutes follow the attendance.
	upsertCertificate = `INSERT INTO certificates (code, talk_id, user_id, minutes) VALUES ($1, $2, $3, $4)
		ON CONFLICT (talk_id, user_id) DO UPDATE SET minutes = excluded.minutes
		RETURNING code`
	selectCertificate = `SELECT c.code, c.talk_id, c.user_id, c.minutes, c.created_at, u.display_name,
			t.title, t.live_started_at, t.live_ended_at
		FROM certificates c JOIN users u ON u.id = c.user_id JOIN talks t ON t.id = c.talk_id
		WHERE c.code = $1 AND u.deleted_at IS NULL AND t.live_started_at IS NOT NULL AND t.live_ended_at IS NOT NULL`
	selectSpeakerNames = `SELECT u.display_name FROM talk_speakers ts JOIN users u ON u.id = ts.user_id
		WHERE ts.talk_id = $1 ORDER BY ts.position, u.id`
)

// Store is the attendance SQL.
type Store struct{}

type seenRows struct {
	talks, users []int64
	minutes      []string
	first, last  []time.Time
}

func (r seenRows) Len() int { return len(r.talks) }
func (r seenRows) Less(i, j int) bool {
	return r.talks[i] < r.talks[j] || r.talks[i] == r.talks[j] && r.users[i] < r.users[j]
}
func (r seenRows) Swap(i, j int) {
	r.talks[i], r.talks[j] = r.talks[j], r.talks[i]
	r.users[i], r.users[j] = r.users[j], r.users[i]
	r.minutes[i], r.minutes[j] = r.minutes[j], r.minutes[i]
	r.first[i], r.first[j] = r.first[j], r.first[i]
	r.last[i], r.last[j] = r.last[j], r.last[i]
}

// liveTalks are those of ids that are live now.
func (Store) liveTalks(ctx context.Context, q sqlx.QueryerContext, ids []int64) ([]int64, error) {
	var live []int64
	if err := sqlx.SelectContext(ctx, q, &live, selectLive, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("live talks: %w", err)
	}
	return live, nil
}

func (Store) upsertSeen(ctx context.Context, q sqlx.ExecerContext, r seenRows) error {
	return dbx.Exec(ctx, q, "attendance marks", upsertSeen,
		pq.Array(r.talks), pq.Array(r.users), pq.Array(r.minutes), pq.Array(r.first), pq.Array(r.last))
}

func (Store) upsertViewers(ctx context.Context, q sqlx.ExecerContext, talks []int64, minutes, viewers []int32) error {
	return dbx.Exec(ctx, q, "room viewers", upsertViewers, pq.Array(talks), pq.Array(minutes), pq.Array(viewers))
}

func (Store) session(ctx context.Context, q sqlx.QueryerContext, talkID int64) (Session, error) {
	return dbx.GetOne[Session](ctx, q, fmt.Sprintf("talk %d", talkID), selectSession, talkID)
}

func (Store) records(ctx context.Context, q sqlx.QueryerContext, talkID int64) ([]Record, error) {
	rs, err := dbx.Select[Record](ctx, q, "attendance", selectRecords, talkID)
	for i := range rs {
		rs[i].Minutes = MinutesPresent(rs[i].Seen)
	}
	return rs, err
}

// own is the user's record of a talk, or nil when they were never seen.
func (Store) own(ctx context.Context, q sqlx.QueryerContext, talkID, userID int64) (*Record, error) {
	rs, err := dbx.Select[Record](ctx, q, "own attendance", selectOwn, talkID, userID)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	rs[0].Minutes = MinutesPresent(rs[0].Seen)
	return &rs[0], nil
}

type exportRow struct {
	TalkID    int64         `db:"talk_id" json:"talk_id"`
	Title     string        `db:"title" json:"talk_title"`
	Seen      pq.Int32Array `db:"minutes" json:"-"`
	Minutes   int           `db:"-" json:"minutes"`
	FirstSeen time.Time     `db:"first_seen" json:"first_seen"`
	LastSeen  time.Time     `db:"last_seen" json:"last_seen"`
	Code      *string       `db:"code" json:"certificate_code"`
}

func (Store) export(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]exportRow, error) {
	rs, err := dbx.Select[exportRow](ctx, q, "attendance export", selectExport, userID)
	for i := range rs {
		rs[i].Minutes = MinutesPresent(rs[i].Seen)
	}
	return rs, err
}

func (Store) issue(ctx context.Context, q sqlx.QueryerContext, code string, talkID, userID int64, minutes int) (string, error) {
	return dbx.Get[string](ctx, q, "issue certificate", upsertCertificate, code, talkID, userID, minutes)
}

func (Store) certificate(ctx context.Context, q sqlx.QueryerContext, code string) (Certificate, error) {
	c, err := dbx.GetOne[Certificate](ctx, q, "certificate", selectCertificate, code)
	if err != nil {
		return c, err
	}
	c.Speakers, err = dbx.Select[string](ctx, q, "speakers", selectSpeakerNames, c.TalkID)
	return c, err
}
