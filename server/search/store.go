package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
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

// The search in SQL, put together for each search (searchSQL) from the
// fragments below: for each kind asked for, how its candidates are found.
// $1 the words and $4 the prefix (search_tsquery), $2 the viewer's id and
// $3 whether the viewer is global staff (talks.AccessVisible), $5..$8 the
// cursor, $9 the limit, $10 the headline options, $11 the rank window, $12
// the query in any language (search_tsquery_any of $1 and $4) and $13 that
// of the whole words alone, $14 the walk budget.
//
// Each kind's candidates are its newest $11 rows that match the query in
// any language; each is then matched with its own talk's language (qs) and
// ranked. A query that matches more rows than the window is ranked among
// its newest matches: ranking every row of a word found in 500,000
// questions costs seconds, and such a query is too vague for its best
// result to mean much. A page is ordered by rank, then kind and id, so a
// cursor (rank, kind, id) pages without gaps or repeats. Snippets
// (ts_headline, the costly part) are made for the page only.
//
// The newest matches are found one of two ways (Service.plan picks, for
// each kind, from the words' statistics):
//   - walking the kind's rows back from the newest, each checked (about a
//     microsecond a row): cheap when the words are common, and bounded by
//     the walk budget ($14 rows), so that a phrase of common words that
//     are rarely side by side costs no more than a common word;
//   - reading the text index (GIN), every match then fetched and sorted
//     (about five microseconds a match, on a page of its own): cheap when
//     the words can match few rows, and then the whole series is searched.
//     ORDER BY id + 0 keeps the planner from walking instead.
const (
	// walkCandidates: the matches among the newest $14 rows.
	walkCandidates = `SELECT %[1]s FROM (SELECT %[1]s FROM %[2]s WHERE %[3]s ORDER BY id DESC LIMIT $14) r
		WHERE search_tsv @@ $12::tsquery ORDER BY id DESC LIMIT $11`
	// indexCandidates: the newest matches in the whole table.
	indexCandidates = `SELECT %[1]s FROM %[2]s WHERE %[3]s AND search_tsv @@ $12::tsquery ORDER BY id + 0 DESC LIMIT $11`
	// wordsIndexCandidates: the same, where the whole words are rare: they
	// alone go to the index, and the word being typed is checked on what
	// they find (ts_match_vq is @@ as a function, which no index takes),
	// rather than every word that starts so gathered from the index.
	wordsIndexCandidates = `SELECT %[1]s FROM %[2]s WHERE %[3]s AND search_tsv @@ $13::tsquery
		AND ts_match_vq(search_tsv, $12::tsquery) ORDER BY id + 0 DESC LIMIT $11`

	// languageQuery is the query in the language of talk k, as x.q: looked
	// up for each candidate after its talk (LATERAL), never matched against
	// every language's query.
	// (OFFSET 0 keeps the planner from flattening it into a join with qs.)
	languageQuery = `CROSS JOIN LATERAL (SELECT qs.q FROM qs WHERE qs.cfg = search_config(k.language) OFFSET 0) x`

	// The hits of each kind, from its candidates (%s).
	talkHits = `SELECT 1 AS kind, k.id, k.id AS talk_id, ts_rank(k.search_tsv, x.q) AS rank
			FROM (%s) c
			JOIN talks k ON k.id = c.id ` + languageQuery + `
			WHERE k.search_tsv @@ x.q AND ` + talks.AccessVisible
	questionHits = `SELECT 2 AS kind, q.id, q.talk_id, ts_rank(q.search_tsv, x.q) AS rank
			FROM (%s) q
			JOIN talks k ON k.id = q.talk_id ` + languageQuery + `
			WHERE q.search_tsv @@ x.q AND ` + talks.AccessVisible
	postHits = `SELECT 3 AS kind, p.id, t.talk_id, ts_rank(p.search_tsv, x.q) AS rank
			FROM (%s) p
			CROSS JOIN LATERAL (SELECT t.talk_id FROM threads t WHERE t.id = p.thread_id AND NOT t.hidden OFFSET 0) t
			JOIN talks k ON k.id = t.talk_id ` + languageQuery + `
			WHERE p.search_tsv @@ x.q AND ` + talks.AccessVisible + `
			  AND NOT EXISTS (SELECT FROM posts pp WHERE pp.id = p.parent_id AND pp.hidden)`
	threadHits = `SELECT 4 AS kind, t.id, t.talk_id, ts_rank(t.search_tsv, x.q) AS rank
			FROM (%s) t
			JOIN talks k ON k.id = t.talk_id ` + languageQuery + `
			WHERE t.search_tsv @@ x.q AND ` + talks.AccessVisible

	// (params names the type of every parameter, for the plans that do not
	// use all of them: never read, so never run.)
	searchHead = `WITH params AS (SELECT $11::integer, $12::tsquery, $13::tsquery, $14::integer),
		qs AS (
			SELECT c.cfg, search_tsquery(c.cfg, $1, $4) AS q
			FROM unnest('{search_english,search_spanish,search_french,search_german,search_italian,search_portuguese,search_simple}'::regconfig[]) AS c(cfg)
		),
		hits AS (
			%s
		),
		page AS (
			SELECT * FROM hits WHERE NOT $5 OR (rank, kind, id) < ($6::real, $7::integer, $8::bigint)
			ORDER BY rank DESC, kind DESC, id DESC LIMIT $9
		)
		SELECT page.kind, page.id, page.rank, k.id AS talk_id, k.slug, k.title AS talk_title, k.starts_at,
			CASE page.kind WHEN 1 THEN k.title WHEN 2 THEN q.body ELSE t.title END AS title,
			ts_headline(x.cfg, replace(translate(CASE page.kind
				WHEN 1 THEN concat_ws(E'\n', nullif(k.search_speakers, ''), nullif(search_tags(k.tags), ''), nullif(k.abstract, ''), k.title)
				WHEN 2 THEN concat_ws(E'\n', q.body,
					(SELECT string_agg(a.body, E'\n' ORDER BY a.created_at, a.id) FROM answers a WHERE a.question_id = q.id))
				WHEN 3 THEN p.body ELSE concat_ws(E'\n', nullif(t.body, ''), t.title) END, E'\uE000\uE001\x01', ''), '<', E'<\x01'), x.q, $10) AS snippet,
			CASE page.kind WHEN 2 THEN recording_second(q.taken_at, k.live_started_at, k.recording_offset_seconds, k.recording_video_id)
				END AS recording_at
		FROM page JOIN talks k ON k.id = page.talk_id JOIN qs x ON x.cfg = search_config(k.language)
		LEFT JOIN questions q ON page.kind = 2 AND q.id = page.id
		LEFT JOIN posts p ON page.kind = 3 AND p.id = page.id
		LEFT JOIN threads t ON t.id = CASE page.kind WHEN 3 THEN p.thread_id WHEN 4 THEN page.id END
		ORDER BY page.rank DESC, page.kind DESC, page.id DESC`
)

// way is how a kind's candidates are found.
type way int

const (
	walk       way = iota // walkCandidates
	index                 // indexCandidates
	wordsIndex            // wordsIndexCandidates
)

func (w way) String() string {
	return [...]string{walk: "walk", index: "index", wordsIndex: "words index"}[w]
}

// source is where a kind's candidates come from: its table, the columns
// its hits read and which rows are searchable.
type source struct {
	table, columns, searchable, hits string
}

var sources = map[string]source{
	KindTalk:     {"talks", "id, search_tsv", "true", talkHits},
	KindQuestion: {"questions", "id, talk_id, search_tsv", "status = 'answered'", questionHits},
	KindPost:     {"posts", "id, thread_id, parent_id, search_tsv", "NOT hidden", postHits},
	KindThread:   {"threads", "id, talk_id, search_tsv", "NOT hidden", threadHits},
}

// searchSQL is the search of the kinds in plan, each found its way. Only
// the constants above go into it.
func searchSQL(plan map[string]way) string {
	var hits []string
	for _, kind := range []string{KindTalk, KindQuestion, KindPost, KindThread} {
		w, ok := plan[kind]
		if !ok {
			continue
		}
		src := sources[kind]
		candidates := [...]string{walk: walkCandidates, index: indexCandidates, wordsIndex: wordsIndexCandidates}[w]
		hits = append(hits, fmt.Sprintf(src.hits, fmt.Sprintf(candidates, src.columns, src.table, src.searchable)))
	}
	return fmt.Sprintf(searchHead, strings.Join(hits, "\n\t\t\tUNION ALL\n\t\t\t"))
}

// headlineOptions shape the snippets: up to two fragments of a sentence or
// so around the matches.
const headlineOptions = `StartSel=` + markStart + `, StopSel=` + markStop +
	`, MaxWords=24, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`

// RankWindow is how many of the newest matches of each kind are ranked.
const RankWindow = 300

// kindNames are the kinds in the order of the query's kind column.
var kindNames = [...]string{1: KindTalk, 2: KindQuestion, 3: KindPost, 4: KindThread}

// Store is the search's SQL. Its statements are prepared once each and
// planned once (plan_cache_mode = force_generic_plan in searchSettings):
// planning the search took about 6 ms, a fifth of a typical search, and
// its plan does not depend on the words, since the way each kind finds its
// candidates is in the text (searchSQL).
type Store struct {
	statements sync.Map // SQL text → *sqlx.Stmt
}

// statement is sql prepared on db, once.
func (s *Store) statement(ctx context.Context, db *sqlx.DB, sql string) (*sqlx.Stmt, error) {
	if st, ok := s.statements.Load(sql); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := db.PreparexContext(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("prepare search: %w", err)
	}
	if prior, loaded := s.statements.LoadOrStore(sql, st); loaded {
		st.Close() //nolint:errcheck // a twin prepared at the same time
		return prior.(*sqlx.Stmt), nil
	}
	return st, nil
}

// filter is a search request, checked (Query.filter), then planned
// (Service.plan).
type filter struct {
	Viewer        *domain.User
	Words, Prefix string
	Kinds         []string
	After         *cursor
	Limit         int
	// Plan is how each kind asked for finds its candidates.
	Plan map[string]way
	// Any is the query in any language (search_tsquery_any), AnyWords that
	// of the whole words alone.
	Any, AnyWords string
	// WalkBudget is how many of a kind's newest rows a walk reads at most.
	WalkBudget int
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

// A search reads what the cache holds, so it prices a random page read
// near an ordered one (random_page_cost 1.1, the usual setting for memory
// and SSDs, where the default 4 is a disk's), and never scans a whole table
// where the plan reads the text index. The plan rests on statistics, which
// can be wrong about a word nobody counted: a search that reads the index
// and passes indexTimeout runs again walking every kind, which is bounded.
const (
	searchSettings = `SET LOCAL random_page_cost = 1.1; SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_generic_plan`
	indexTimeout   = `SET LOCAL statement_timeout = 1000`
	noTimeout      = `SET LOCAL statement_timeout TO DEFAULT`
)

// Search runs f in a read-only transaction of db: one page of results and
// the cursor of the next (nil on the last page).
func (s *Store) Search(ctx context.Context, db *sqlx.DB, f filter) ([]Result, *string, error) {
	walks := make(map[string]way, len(f.Plan))
	for kind := range f.Plan {
		walks[kind] = walk
	}
	// Prepared before the transaction takes a connection: preparing takes
	// one too, and the pool may have no other.
	planned, err := s.statement(ctx, db, searchSQL(f.Plan))
	if err != nil {
		return nil, nil, err
	}
	walked, err := s.statement(ctx, db, searchSQL(walks))
	if err != nil {
		return nil, nil, err
	}
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to keep
	if planned == walked {
		if _, err := tx.ExecContext(ctx, searchSettings); err != nil {
			return nil, nil, fmt.Errorf("search: %w", err)
		}
		return s.search(ctx, tx, planned, f)
	}
	if _, err := tx.ExecContext(ctx, searchSettings+`; `+indexTimeout+`; SAVEPOINT planned`); err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	items, next, err := s.search(ctx, tx, planned, f)
	var pqErr *pq.Error
	if err == nil || ctx.Err() != nil || !errors.As(err, &pqErr) || pqErr.Code != "57014" { // query_canceled
		return items, next, err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT planned; `+noTimeout); err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	return s.search(ctx, tx, walked, f)
}

func (s *Store) search(ctx context.Context, tx *sqlx.Tx, st *sqlx.Stmt, f filter) ([]Result, *string, error) {
	after := f.After != nil
	var cur cursor
	if after {
		cur = *f.After
	}
	var rows []resultRow
	err := tx.StmtxContext(ctx, st).SelectContext(ctx, &rows, f.Words, domain.IDOf(f.Viewer), f.Viewer.IsModerator(), f.Prefix,
		after, cur.Rank, cur.Kind, cur.ID, f.Limit+1, headlineOptions, RankWindow, f.Any, f.AnyWords, f.WalkBudget)
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	var next *string
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		c := keyset.EncodeCursor(cursor{Rank: last.Rank, Kind: last.Kind, ID: last.ID})
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

// statsSQL is each search vector's listed words with the share of its
// table's rows they are in. most_common_elem_freqs has three more values
// than there are words (minimum, maximum, nulls): unnest pairs them with
// NULL.
const statsSQL = `SELECT s.tablename AS tbl, e.word, e.share FROM pg_stats s,
		unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(word, share)
	WHERE s.schemaname = current_schema() AND s.attname = 'search_tsv'
	  AND s.tablename IN ('talks', 'questions', 'threads', 'posts') AND e.word IS NOT NULL`

// rowsSQL is how many rows each searched table has, as the planner knows.
const rowsSQL = `SELECT c.relname AS tbl, greatest(c.reltuples, 0) AS rows FROM pg_class c
	WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('talks', 'questions', 'threads', 'posts')`

// listedWord is a word of a table's statistics (statsSQL).
type listedWord struct {
	Table string  `db:"tbl"`
	Word  string  `db:"word"`
	Share float64 `db:"share"`
}

// wordStatistics reads the searched tables' statistics: their listed
// words, and their rows by table.
func (*Store) wordStatistics(ctx context.Context, db *sqlx.DB) ([]listedWord, map[string]float64, error) {
	var listed []listedWord
	if err := db.SelectContext(ctx, &listed, statsSQL); err != nil {
		return nil, nil, fmt.Errorf("word statistics: %w", err)
	}
	var sizes []struct {
		Table string  `db:"tbl"`
		Rows  float64 `db:"rows"`
	}
	if err := db.SelectContext(ctx, &sizes, rowsSQL); err != nil {
		return nil, nil, fmt.Errorf("table sizes: %w", err)
	}
	rows := make(map[string]float64, len(sizes))
	for _, s := range sizes {
		rows[s.Table] = s.Rows
	}
	return listed, rows, nil
}

// stemsSQL is each word of $1 (by its position) as each configuration of
// $2 stems it; a stop word has no stem there.
const stemsSQL = `SELECT w.i, c.cfg::text AS cfg, l FROM unnest($1::text[]) WITH ORDINALITY AS w(word, i),
		unnest($2::regconfig[]) AS c(cfg), unnest(tsvector_to_array(to_tsvector(c.cfg, w.word))) AS l`

// stemRow is a stem of the i-th word (from 1) in one configuration.
type stemRow struct {
	I      int    `db:"i"`
	Config string `db:"cfg"`
	Stem   string `db:"l"`
}

// stems reads each word of list as every configuration stems it.
func (*Store) stems(ctx context.Context, db *sqlx.DB, list []string) ([]stemRow, error) {
	var stems []stemRow
	if err := db.SelectContext(ctx, &stems, stemsSQL, pq.Array(list), pq.Array(configs)); err != nil {
		return nil, fmt.Errorf("stem %q: %w", list, err)
	}
	return stems, nil
}

// queriesSQL is a search's query in any language, with and without the
// word being typed.
const queriesSQL = `SELECT search_tsquery_any($1, $2)::text AS any, search_tsquery_any($1, '')::text AS words`

// queries reads f's query in any language (filter.Any, filter.AnyWords).
func (*Store) queries(ctx context.Context, db *sqlx.DB, words, prefix string) (anyQuery, wordsQuery string, err error) {
	var q struct {
		Any   string `db:"any"`
		Words string `db:"words"`
	}
	if err := db.GetContext(ctx, &q, queriesSQL, words, prefix); err != nil {
		return "", "", fmt.Errorf("search query of %q %q: %w", words, prefix, err)
	}
	return q.Any, q.Words, nil
}

// Highlight makes a headline HTML: the text escaped, the marks <mark>.
func Highlight(headline string) string {
	s := html.EscapeString(headline)
	return strings.NewReplacer(markStart, "<mark>", markStop, "</mark>", tagBreak, "").Replace(s)
}
