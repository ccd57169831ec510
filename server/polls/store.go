package polls

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
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/talks"
)

const (
	pollColumns = `p.id, p.question, p.kind, p.options, p.max_choices, p.results, p.status, p.opened_at, p.closed_at`

	insertPoll = `INSERT INTO polls (talk_id, question, kind, options, max_choices, results, created_by, created_at)
		VALUES (:talk_id, :question, :kind, :options, :max_choices, :results, :created_by, :created_at) RETURNING id`
	// selectAccess is a poll with what deciding who may do what needs: $1
	// the poll, $2 the caller (talks.AccessColumns).
	selectAccess = `SELECT ` + pollColumns + `, k.language, ` + talks.AccessColumns + `
		FROM polls p JOIN talks k ON k.id = p.talk_id WHERE p.id = $1`
	// lockPoll takes the poll's row lock for a change of the poll. FOR
	// UPDATE conflicts with the FOR KEY SHARE of ballots in flight
	// (poll_ballot_fits), so a close waits for them, and ballots after it
	// see it closed.
	lockPoll = `SELECT ` + pollColumns + `, p.talk_id, k.status AS talk_status FROM polls p JOIN talks k ON k.id = p.talk_id
		WHERE p.id = $1 FOR UPDATE OF p`
	// lockResults serialises the flushes of one poll's results (so they
	// take their seqs in the order of what they read) without holding up
	// ballots: FOR NO KEY UPDATE does not conflict with FOR KEY SHARE.
	lockResults = `SELECT ` + pollColumns + `, p.talk_id, k.status AS talk_status FROM polls p JOIN talks k ON k.id = p.talk_id
		WHERE p.id = $1 FOR NO KEY UPDATE OF p`
	listPolls = `SELECT ` + pollColumns + ` FROM polls p
		WHERE p.talk_id = $1 AND ($2 OR p.status <> 'draft') AND ($3::bigint = 0 OR p.id < $3)
		ORDER BY p.id DESC LIMIT $4`
	updateDraft = `UPDATE polls SET question = :question, kind = :kind, options = :options, max_choices = :max_choices,
		results = :results WHERE id = :id`
	openPoll  = `UPDATE polls SET status = 'open', opened_at = $2 WHERE id = $1`
	closePoll = `UPDATE polls SET status = 'closed', closed_at = $2 WHERE id = $1`

	// castBallot adds or replaces the caller's ballot in one statement;
	// poll_ballot_fits checks it against the poll.
	castBallot = `INSERT INTO poll_ballots (poll_id, user_id, choices, words, terms, rating, created_at, updated_at)
		VALUES (:poll_id, :user_id, :choices, :words, :terms, :rating, :at, :at)
		ON CONFLICT (poll_id, user_id) DO UPDATE SET choices = EXCLUDED.choices, words = EXCLUDED.words,
			terms = EXCLUDED.terms, rating = EXCLUDED.rating, updated_at = EXCLUDED.updated_at`
	selectBallots = `SELECT poll_id, choices, words, rating FROM poll_ballots WHERE user_id = $1 AND poll_id = ANY($2)`
	countBallots  = `SELECT count(*) FROM poll_ballots WHERE poll_id = $1`
	// tally counts a poll's answers, most common first: option indexes,
	// normalised words or ratings, as text (one kind per poll); $2 limits
	// the rows (NULL: all).
	tally = `SELECT k AS key, count(*) AS n FROM (
			SELECT unnest(choices)::text AS k FROM poll_ballots WHERE poll_id = $1 AND choices IS NOT NULL
			UNION ALL SELECT unnest(terms) FROM poll_ballots WHERE poll_id = $1 AND terms IS NOT NULL
			UNION ALL SELECT rating::text FROM poll_ballots WHERE poll_id = $1 AND rating IS NOT NULL) a
		GROUP BY k ORDER BY n DESC, k LIMIT $2`

	exportBallots = `SELECT b.poll_id, p.talk_id, p.question, p.kind, p.options, b.choices, b.words, b.rating, b.created_at, b.updated_at
		FROM poll_ballots b JOIN polls p ON p.id = b.poll_id WHERE b.user_id = $1 ORDER BY b.created_at, b.poll_id`
)

// The constraints whose violation is the caller's doing.
const (
	constraintOneOpen = "polls_one_open_per_talk"
	constraintOpen    = "poll_ballots_poll_open"
)

// Store is the polls' SQL.
type Store struct{}

// pollRow is a poll as stored, without its talk id (the query's caller
// knows it) and results.
type pollRow struct {
	ID         int64          `db:"id"`
	Question   string         `db:"question"`
	Kind       string         `db:"kind"`
	Options    pq.StringArray `db:"options"`
	MaxChoices int            `db:"max_choices"`
	Results    string         `db:"results"`
	Status     string         `db:"status"`
	OpenedAt   *time.Time     `db:"opened_at"`
	ClosedAt   *time.Time     `db:"closed_at"`
}

func (r pollRow) poll(talkID int64) Poll {
	p := Poll{ID: r.ID, TalkID: talkID, Question: r.Question, Kind: r.Kind, Options: []string(r.Options),
		MaxChoices: r.MaxChoices, Results: r.Results, Status: r.Status, OpenedAt: utc(r.OpenedAt), ClosedAt: utc(r.ClosedAt)}
	if p.Options == nil {
		p.Options = []string{}
	}
	return p
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// access is a poll with the caller's access to its talk.
type access struct {
	pollRow
	talks.Access
	Language string `db:"language"`
}

// locked is a poll read under its row lock, with its talk's status.
type locked struct {
	pollRow
	TalkID     int64  `db:"talk_id"`
	TalkStatus string `db:"talk_status"`
}

// Access reads poll id and u's access to its talk.
func (Store) Access(ctx context.Context, q sqlx.QueryerContext, id int64, u *domain.User) (access, error) {
	return moderation.GetItem[access](ctx, q, "poll", id, u, selectAccess)
}

// Lock reads poll id under its row lock for a change (FOR UPDATE).
func (Store) Lock(ctx context.Context, q sqlx.QueryerContext, id int64) (locked, error) {
	return dbx.GetOne[locked](ctx, q, moderation.Name("poll", id), lockPoll, id)
}

// LockResults reads poll id under the lock that serialises its flushes.
func (Store) LockResults(ctx context.Context, q sqlx.QueryerContext, id int64) (locked, error) {
	return dbx.GetOne[locked](ctx, q, moderation.Name("poll", id), lockResults, id)
}

// List reads limit polls of a talk, newest first, before poll before (0:
// from the newest); drafts only when withDrafts.
func (Store) List(ctx context.Context, q sqlx.QueryerContext, talkID int64, withDrafts bool, before int64, limit int) ([]pollRow, error) {
	return dbx.Select[pollRow](ctx, q, "list polls", listPolls, talkID, withDrafts, before, limit)
}

// draftRow is what a new or changed draft writes.
type draftRow struct {
	ID         int64          `db:"id"`
	TalkID     int64          `db:"talk_id"`
	Question   string         `db:"question"`
	Kind       string         `db:"kind"`
	Options    pq.StringArray `db:"options"`
	MaxChoices int            `db:"max_choices"`
	Results    string         `db:"results"`
	CreatedBy  int64          `db:"created_by"`
	CreatedAt  time.Time      `db:"created_at"`
}

// Insert stores a new draft and returns its id.
func (Store) Insert(ctx context.Context, q sqlx.ExtContext, d draftRow) (int64, error) {
	return dbx.GetNamed[int64](ctx, q, "insert poll", insertPoll, d)
}

// UpdateDraft writes a draft's fields.
func (Store) UpdateDraft(ctx context.Context, q sqlx.ExtContext, d draftRow) error {
	return dbx.ExecNamed(ctx, q, "update poll", updateDraft, d)
}

// Open opens poll id; another open poll of its talk is ErrAlreadyOpen.
func (Store) Open(ctx context.Context, q sqlx.ExecerContext, id int64, at time.Time) error {
	_, err := q.ExecContext(ctx, openPoll, id, at)
	if isConstraint(err, constraintOneOpen) {
		return ErrAlreadyOpen
	}
	if err != nil {
		return fmt.Errorf("open poll %d: %w", id, err)
	}
	return nil
}

// Close closes poll id.
func (Store) Close(ctx context.Context, q sqlx.ExecerContext, id int64, at time.Time) error {
	return dbx.Exec(ctx, q, "close poll", closePoll, id, at)
}

// ballotRow is a ballot as stored.
type ballotRow struct {
	PollID  int64          `db:"poll_id"`
	UserID  int64          `db:"user_id"`
	Choices pq.Int64Array  `db:"choices"`
	Words   pq.StringArray `db:"words"`
	Terms   pq.StringArray `db:"terms"`
	Rating  sql.NullInt64  `db:"rating"`
	At      time.Time      `db:"at"`
}

func (r ballotRow) ballot() Ballot {
	b := Ballot{PollID: r.PollID, Words: []string(r.Words)}
	for _, c := range r.Choices {
		b.Choices = append(b.Choices, int(c))
	}
	if r.Rating.Valid {
		n := int(r.Rating.Int64)
		b.Rating = &n
	}
	return b
}

// Cast adds or replaces a ballot; a poll that is not open (any more) is
// ErrClosed.
func (Store) Cast(ctx context.Context, q sqlx.ExtContext, r ballotRow) error {
	err := dbx.ExecNamed(ctx, q, "cast ballot", castBallot, r)
	if isConstraint(err, constraintOpen) {
		return ErrClosed
	}
	return err
}

// Ballots reads userID's ballots of the polls, by poll.
func (Store) Ballots(ctx context.Context, q sqlx.QueryerContext, userID int64, pollIDs []int64) (map[int64]Ballot, error) {
	rows, err := dbx.Select[ballotRow](ctx, q, "read ballots", selectBallots, userID, pq.Array(pollIDs))
	out := make(map[int64]Ballot, len(rows))
	for _, r := range rows {
		out[r.PollID] = r.ballot()
	}
	return out, err
}

// tallyRow is one answer's count.
type tallyRow struct {
	Key string `db:"key"`
	N   int    `db:"n"`
}

// Tally reads how many ballots poll id has and its answers' counts, most
// common first, at most limit of them (0: all).
func (Store) Tally(ctx context.Context, q sqlx.QueryerContext, id int64, limit int) (int, []tallyRow, error) {
	n, err := dbx.Get[int](ctx, q, "count ballots", countBallots, id)
	if err != nil {
		return 0, nil, err
	}
	lim := sql.NullInt64{Int64: int64(limit), Valid: limit > 0}
	rows, err := dbx.Select[tallyRow](ctx, q, "tally ballots", tally, id, lim)
	return n, rows, err
}

// exportRow is one of a user's ballots with its poll, for the data export.
type exportRow struct {
	PollID    int64          `db:"poll_id" json:"poll_id"`
	TalkID    int64          `db:"talk_id" json:"talk_id"`
	Question  string         `db:"question" json:"question"`
	Kind      string         `db:"kind" json:"kind"`
	Options   pq.StringArray `db:"options" json:"options"`
	Choices   pq.Int64Array  `db:"choices" json:"choices"`
	Words     pq.StringArray `db:"words" json:"words"`
	Rating    sql.NullInt64  `db:"rating" json:"-"`
	RatingOut *int64         `db:"-" json:"rating"`
	CreatedAt time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt time.Time      `db:"updated_at" json:"updated_at"`
}

// Export reads every ballot of userID with its poll.
func (Store) Export(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]exportRow, error) {
	rows, err := dbx.Select[exportRow](ctx, q, "export ballots", exportBallots, userID)
	for i := range rows {
		if rows[i].Options == nil {
			rows[i].Options = pq.StringArray{}
		}
		if rows[i].Rating.Valid {
			rows[i].RatingOut = &rows[i].Rating.Int64
		}
		rows[i].CreatedAt, rows[i].UpdatedAt = rows[i].CreatedAt.UTC(), rows[i].UpdatedAt.UTC()
	}
	if rows == nil {
		rows = []exportRow{}
	}
	return rows, err
}

func isConstraint(err error, name string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Constraint == name
}
