package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Marks that ts_headline puts around a match: private-use characters,
// removed from the text first, so that after escaping the text they alone
// become <mark> and </mark>. ts_headline drops what looks like an HTML tag,
// so the text goes in with a tagBreak after each "<" (and none of its own),
// and comes out without.
const (
	markStart = "\uE000"
	markStop  = "\uE001"
	tagBreak  = "\x01"
)

// The search in SQL. $1 the words, $4 the prefix (search_tsquery), $2 the
// viewer's id and $3 whether the viewer is global staff (talks.AccessVisible),
// $5 the kinds asked for, $6..$9 the cursor, $10 the limit, $11 the
// headline options, $12 the rank window, $13 whether the prefix is checked
// after the index (filter.PrefixAfter).
//
// Each kind's candidates are its newest $12 rows that match the query in
// any language (search_tsquery_any, a constant to the planner: see
// Search); each candidate is then matched with its own talk's language
// (qs) and ranked. A query that matches more rows than the window is
// ranked among its newest matches:
// ranking every row of a word found in 500,000 questions costs seconds,
// and such a query is too vague for its best result to mean much. A page
// is ordered by rank, then kind and id, so a cursor (rank, kind, id) pages
// without gaps or repeats. Snippets (ts_headline, the costly part) are
// made for the page only.
const (
	// languageQuery is the query in the language of talk k, as x.q: looked
	// up for each candidate after its talk (LATERAL), never matched against
	// every language's query.
	// (OFFSET 0 keeps the planner from flattening it into a join with qs.)
	languageQuery = `CROSS JOIN LATERAL (SELECT qs.q FROM qs WHERE qs.cfg = search_config(k.language) OFFSET 0) x`

	// candidateMatch picks a kind's candidates: the query in any language.
	// With $13 (a rare whole word is typed: see Service.filter) the word
	// still being typed ($4) is left out of the index's condition and
	// checked on the rows the rest finds; ts_match_vq is @@ as a function,
	// which no index takes. Without whole words, or with only -words,
	// the prefix stays in the index's condition. All of it folds to
	// constants when the search is planned.
	candidateMatch = `search_tsv @@ (CASE WHEN $13 AND search_tsquery_any($1, '') <> ''::tsquery
			THEN search_tsquery_any($1, '') ELSE search_tsquery_any($1, $4) END)
		AND (NOT $13 OR $4 = '' OR search_tsquery_any($1, '') = ''::tsquery
			OR ts_match_vq(search_tsv, search_tsquery_any($1, $4)))`

	searchQuery = `WITH qs AS (
			SELECT c.cfg, search_tsquery(c.cfg, $1, $4) AS q
			FROM unnest('{search_english,search_spanish,search_french,search_german,search_italian,search_portuguese,search_simple}'::regconfig[]) AS c(cfg)
		),
		hits AS (
			SELECT 1 AS kind, k.id, k.id AS talk_id, ts_rank(k.search_tsv, x.q) AS rank
			FROM (SELECT id FROM talks WHERE 'talk' = ANY($5) AND ` + candidateMatch + `
				ORDER BY id DESC LIMIT $12) c
			JOIN talks k ON k.id = c.id ` + languageQuery + `
			WHERE k.search_tsv @@ x.q AND ` + talks.AccessVisible + `
			UNION ALL
			SELECT 2, q.id, q.talk_id, ts_rank(q.search_tsv, x.q)
			FROM (SELECT id, talk_id, search_tsv FROM questions
				WHERE 'question' = ANY($5) AND status = 'answered' AND ` + candidateMatch + `
				ORDER BY id DESC LIMIT $12) q
			JOIN talks k ON k.id = q.talk_id ` + languageQuery + `
			WHERE q.search_tsv @@ x.q AND ` + talks.AccessVisible + `
			UNION ALL
			SELECT 3, p.id, t.talk_id, ts_rank(p.search_tsv, x.q)
			FROM (SELECT id, thread_id, parent_id, search_tsv FROM posts
				WHERE 'post' = ANY($5) AND NOT hidden AND ` + candidateMatch + `
				ORDER BY id DESC LIMIT $12) p
			CROSS JOIN LATERAL (SELECT t.talk_id FROM threads t WHERE t.id = p.thread_id AND NOT t.hidden OFFSET 0) t
			JOIN talks k ON k.id = t.talk_id ` + languageQuery + `
			WHERE p.search_tsv @@ x.q AND ` + talks.AccessVisible + `
			  AND NOT EXISTS (SELECT FROM posts pp WHERE pp.id = p.parent_id AND pp.hidden)
			UNION ALL
			SELECT 4, t.id, t.talk_id, ts_rank(t.search_tsv, x.q)
			FROM (SELECT id, talk_id, search_tsv FROM threads
				WHERE 'thread' = ANY($5) AND NOT hidden AND ` + candidateMatch + `
				ORDER BY id DESC LIMIT $12) t
			JOIN talks k ON k.id = t.talk_id ` + languageQuery + `
			WHERE t.search_tsv @@ x.q AND ` + talks.AccessVisible + `
		),
		page AS (
			SELECT * FROM hits WHERE NOT $6 OR (rank, kind, id) < ($7::real, $8::integer, $9::bigint)
			ORDER BY rank DESC, kind DESC, id DESC LIMIT $10
		)
		SELECT page.kind, page.id, page.rank, k.id AS talk_id, k.slug, k.title AS talk_title, k.starts_at,
			CASE page.kind WHEN 1 THEN k.title WHEN 2 THEN q.body ELSE t.title END AS title,
			ts_headline(x.cfg, replace(translate(CASE page.kind
				WHEN 1 THEN concat_ws(E'\n', nullif(k.search_speakers, ''), nullif(search_tags(k.tags), ''), nullif(k.abstract, ''), k.title)
				WHEN 2 THEN concat_ws(E'\n', q.body,
					(SELECT string_agg(a.body, E'\n' ORDER BY a.created_at, a.id) FROM answers a WHERE a.question_id = q.id))
				WHEN 3 THEN p.body ELSE concat_ws(E'\n', nullif(t.body, ''), t.title) END, E'\uE000\uE001\x01', ''), '<', E'<\x01'), x.q, $11) AS snippet,
			CASE page.kind WHEN 2 THEN recording_second(q.taken_at, k.live_started_at, k.recording_offset_seconds, k.recording_video_id)
				END AS recording_at
		FROM page JOIN talks k ON k.id = page.talk_id JOIN qs x ON x.cfg = search_config(k.language)
		LEFT JOIN questions q ON page.kind = 2 AND q.id = page.id
		LEFT JOIN posts p ON page.kind = 3 AND p.id = page.id
		LEFT JOIN threads t ON t.id = CASE page.kind WHEN 3 THEN p.thread_id WHEN 4 THEN page.id END
		ORDER BY page.rank DESC, page.kind DESC, page.id DESC`
)

// headlineOptions shape the snippets: up to two fragments of a sentence or
// so around the matches.
const headlineOptions = `StartSel=` + markStart + `, StopSel=` + markStop +
	`, MaxWords=24, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`

// RankWindow is how many of the newest matches of each kind are ranked.
const RankWindow = 300

// kindNames are the kinds in the order of the query's kind column.
var kindNames = [...]string{1: KindTalk, 2: KindQuestion, 3: KindPost, 4: KindThread}

// Store is the search's SQL.
type Store struct{}

// filter is a search request, checked (Query.filter).
type filter struct {
	Viewer        *domain.User
	Words, Prefix string
	Kinds         []string
	After         *cursor
	Limit         int
	// PrefixAfter checks the prefix on what the whole words find, rather
	// than in the index (Service.filter sets it when one of them is rare).
	PrefixAfter bool
	// Selective: a rare word (or a rare start) bounds what the search can
	// find, so the text index answers it whatever the planner guesses.
	Selective bool
}

// cursor is the position of a page's last result.
type cursor struct {
	Rank float32 `json:"r"`
	Kind int     `json:"k"`
	ID   int64   `json:"i"`
}

// resultRow is a result as the query returns it.
type resultRow struct {
	Kind        int       `db:"kind"`
	ID          int64     `db:"id"`
	Rank        float32   `db:"rank"`
	TalkID      int64     `db:"talk_id"`
	Slug        string    `db:"slug"`
	TalkTitle   string    `db:"talk_title"`
	StartsAt    time.Time `db:"starts_at"`
	Title       string    `db:"title"`
	Snippet     string    `db:"snippet"`
	RecordingAt *int      `db:"recording_at"`
}

// A search first runs as the planner likes: for a word in half the series
// it walks the newest rows back until the window is full, for a rare word
// it reads the GIN index. That choice rests on the planner's guess of how
// many rows match, which for a last word typed as a prefix can be far off
// ('dans':* guessed at 0.9 % of a million rows, found in none: the backward
// walk read them all, 1.4 s). So the first try has plannedTimeout; past it,
// the search runs again with bitmapsOnly, which reads the GIN index
// whatever the guess (fast for a rare word, slow for a common one: hence
// not the first try). Since migration 0016 keeps statistics of 10,000 words
// per vector, such guesses are rare, and the limit is a second: at 100 ms a
// busy server (a load average of 25 on two cores, the bench of 2026-12-02)
// timed out one search in two, and retried common words with bitmaps for
// seconds ("mobile": 7.3 s, where the planned search took 124 ms).
//
// The planner prices a page read at random as four in order
// (random_page_cost 4), which is the price of a disk: a bitmap scan of
// 1,749 matches on as many pages looked dearer than walking 150,000 rows
// in order, and took 28 ms where the walk took 190 ms. The search reads
// what the cache holds, so it prices a random read near an ordered one
// (1.1, the usual setting for memory and SSDs); on the bench's 1,000
// searches the server's CPU per search went from p50 49 / p95 298 ms to
// 43 / 244 ms.
const (
	plannedTimeout = `SET LOCAL statement_timeout = 1000; SET LOCAL random_page_cost = 1.1`
	bitmapsOnly    = `SET LOCAL statement_timeout TO DEFAULT; SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off`
)

// Search runs f in a read-only transaction of db: one page of results and
// the cursor of the next (nil on the last page).
func (s Store) Search(ctx context.Context, db *sqlx.DB, f filter) ([]Result, *string, error) {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to keep
	if f.Selective {
		// The planner's guess for a phrase or a prefix can be far off; a
		// rare word makes the index's answer small whatever it guesses.
		if _, err := tx.ExecContext(ctx, plannedTimeout+`; `+bitmapsOnly); err != nil {
			return nil, nil, fmt.Errorf("search: %w", err)
		}
		return s.search(ctx, tx, f)
	}
	if _, err := tx.ExecContext(ctx, plannedTimeout+`; SAVEPOINT planned`); err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	items, next, err := s.search(ctx, tx, f)
	var pqErr *pq.Error
	if err == nil || ctx.Err() != nil || !errors.As(err, &pqErr) || pqErr.Code != "57014" { // query_canceled
		return items, next, err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT planned; `+bitmapsOnly); err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	return s.search(ctx, tx, f)
}

func (Store) search(ctx context.Context, q sqlx.QueryerContext, f filter) ([]Result, *string, error) {
	after := f.After != nil
	var cur cursor
	if after {
		cur = *f.After
	}
	var rows []resultRow
	err := sqlx.SelectContext(ctx, q, &rows, searchQuery, f.Words, domain.IDOf(f.Viewer), f.Viewer.IsModerator(), f.Prefix,
		pq.Array(f.Kinds), after, cur.Rank, cur.Kind, cur.ID, f.Limit+1, headlineOptions, RankWindow, f.PrefixAfter)
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	var next *string
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		c := httpx.EncodeCursor(cursor{Rank: last.Rank, Kind: last.Kind, ID: last.ID})
		next = &c
	}
	items := make([]Result, len(rows))
	for i, r := range rows {
		items[i] = Result{
			Type: kindNames[r.Kind], ID: r.ID, Title: r.Title, Snippet: Highlight(r.Snippet), RecordingAt: r.RecordingAt,
			Talk: TalkRef{ID: r.TalkID, Slug: r.Slug, Title: r.TalkTitle, StartsAt: r.StartsAt.UTC()},
		}
	}
	return items, next, nil
}

// Highlight makes a headline HTML: the text escaped, the marks <mark>.
func Highlight(headline string) string {
	s := html.EscapeString(headline)
	return strings.NewReplacer(markStart, "<mark>", markStop, "</mark>", tagBreak, "").Replace(s)
}
