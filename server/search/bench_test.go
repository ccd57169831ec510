package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/keyset"
)

// BenchmarkSearchLatency runs 1,000 realistic searches against the
// database HUBTALKS_BENCH_SEARCH_URL names (scripts/bench-search.sh fills
// one) and reports their p50, p95 and p99; it prints the plan of the
// slowest (EXPLAIN ANALYZE, BUFFERS) and the size of the search indexes.
//
// The searches are made from the stored text, as people would type them:
// one word (35 %), two (25 %), three or four (15 %) words of one document,
// a quoted phrase of two or three of its consecutive words (15 %), and
// words with the last one still being typed (10 %: its first 3 to 5
// letters). Words shorter than four letters are left out, as people rarely
// search for "the".
func BenchmarkSearchLatency(b *testing.B) {
	url := os.Getenv("HUBTALKS_BENCH_SEARCH_URL")
	if url == "" {
		b.Skip("set HUBTALKS_BENCH_SEARCH_URL (scripts/bench-search.sh does)")
	}
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// One connection, so that its server process's CPU time is the
	// searches' own (backendCPU).
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	ctx := context.Background()
	queries, shapes := benchQueries(b, db, 1050)
	svc := NewService(db)
	cpu := backendCPU(b, db)
	for b.Loop() {
		times := make([]time.Duration, 0, 1000)
		cpus := make([]time.Duration, 0, 1000)
		type timed struct {
			q, shape  string
			took, cpu time.Duration
		}
		var all []timed
		var slowest string
		var worst time.Duration
		results := 0
		for i, q := range queries {
			start, startCPU := time.Now(), cpu()
			items, _, err := svc.store.Search(ctx, db, benchFilter(b, svc, q))
			took, tookCPU := time.Since(start), cpu()-startCPU
			if err != nil {
				b.Fatalf("%q: %v", q, err)
			}
			if i < 50 {
				continue // warming up
			}
			results += len(items)
			times = append(times, took)
			cpus = append(cpus, tookCPU)
			all = append(all, timed{q, shapes[i], took, tookCPU})
			if took > worst {
				worst, slowest = took, q
			}
		}
		slices.Sort(times)
		slices.Sort(cpus)
		pctOf := func(d []time.Duration, p float64) time.Duration { return d[int(p*float64(len(d)-1)+0.5)] }
		pct := func(p float64) time.Duration { return pctOf(times, p) }
		b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(pct(0.95).Microseconds())/1000, "p95-ms")
		b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(results)/float64(len(times)), "results/query")
		fmt.Printf("%d queries: p50 %v, p95 %v, p99 %v, max %v (%q), %.1f results per query (page of 20)\n",
			len(times), pct(0.50), pct(0.95), pct(0.99), worst, slowest, float64(results)/float64(len(times)))
		if cpus[len(cpus)-1] > 0 {
			// The server's CPU time per search: what a quiet machine's
			// latency would be, near enough, whatever else runs here.
			fmt.Printf("server CPU time per search: p50 %v, p95 %v, p99 %v\n",
				pctOf(cpus, 0.50), pctOf(cpus, 0.95), pctOf(cpus, 0.99))
			b.ReportMetric(float64(pctOf(cpus, 0.95).Microseconds())/1000, "p95-cpu-ms")
		}
		// Server CPU by the shape of the search, to see which kind of
		// query holds the tail.
		byShape := map[string][]time.Duration{}
		slowestOf := map[string]timed{}
		for _, t := range all {
			byShape[t.shape] = append(byShape[t.shape], t.cpu)
			if t.cpu > slowestOf[t.shape].cpu {
				slowestOf[t.shape] = t
			}
		}
		for _, shape := range []string{"one word", "two words", "three or four words", "phrase", "prefix"} {
			d := byShape[shape]
			if len(d) == 0 {
				continue
			}
			slices.Sort(d)
			fmt.Printf("  %-20s %4d searches, server CPU p50 %v, p95 %v, max %v (%q)\n", shape, len(d),
				pctOf(d, 0.5), pctOf(d, 0.95), d[len(d)-1], slowestOf[shape].q)
		}
		slices.SortFunc(all, func(a, b timed) int { return int(b.took - a.took) })
		for _, t := range all[:10] {
			fmt.Printf("  slow: %v %q\n", t.took, t.q)
		}
		explainTo(b, svc, slowest)
	}
	benchSizes(b, db)
}

// benchFilter is search q's filter as the service makes it (a frequent
// last word searched whole).
func benchFilter(b testing.TB, svc *Service, q string) filter {
	f, err := svc.filter(context.Background(), nil, Query{Q: q, Page: keyset.Page{Limit: 20}})
	if err != nil {
		b.Fatalf("%q: %v", q, err)
	}
	return f
}

// benchQueries makes n searches from documents picked at random (the same
// ones on every run), with the shape of each.
func benchQueries(b *testing.B, db *sqlx.DB, n int) (queries, shapes []string) {
	r := rand.New(rand.NewPCG(19, 2026))
	var docs []string
	for len(docs) < n {
		var text string
		var err error
		switch k := r.IntN(100); {
		case k < 45:
			err = db.Get(&text, `SELECT body FROM questions WHERE id = $1`, 1+r.IntN(1_000_000))
		case k < 55:
			err = db.Get(&text, `SELECT body FROM answers WHERE question_id = $1`, 1+r.IntN(1_000_000))
		case k < 90:
			err = db.Get(&text, `SELECT body FROM posts WHERE id = $1`, 1+r.IntN(1_000_000))
		default:
			err = db.Get(&text, `SELECT title || ' ' || abstract FROM talks WHERE slug = $1`, fmt.Sprintf("bench-%d", 1+r.IntN(2000)))
		}
		if err != nil {
			b.Fatalf("pick a document: %v", err)
		}
		docs = append(docs, text)
	}
	out := make([]string, 0, n)
	shapes = make([]string, 0, n)
	for _, doc := range docs {
		all := strings.FieldsFunc(doc, func(c rune) bool { return strings.ContainsRune(" .?,", c) })
		var words []string
		for _, w := range all {
			if utf8.RuneCountInString(w) >= 4 {
				words = append(words, w)
			}
		}
		if len(words) < 4 {
			words = append(words, all...)
		}
		pick := func(k int) string {
			var ws []string
			for range k {
				ws = append(ws, words[r.IntN(len(words))])
			}
			return strings.Join(ws, " ")
		}
		switch k := r.IntN(100); {
		case k < 35:
			out, shapes = append(out, pick(1)), append(shapes, "one word")
		case k < 60:
			out, shapes = append(out, pick(2)), append(shapes, "two words")
		case k < 75:
			out, shapes = append(out, pick(3+r.IntN(2))), append(shapes, "three or four words")
		case k < 90:
			m := 2 + r.IntN(2)
			at := r.IntN(max(1, len(all)-m))
			out, shapes = append(out, `"`+strings.Join(all[at:min(len(all), at+m)], " ")+`"`), append(shapes, "phrase")
		default:
			last := []rune(words[r.IntN(len(words))])
			out, shapes = append(out, pick(r.IntN(2))+" "+string(last[:min(len(last), 3+r.IntN(3))])), append(shapes, "prefix")
		}
	}
	return out, shapes
}

// backendCPU reads the CPU time that the server process of db's one
// connection has used so far, from /proc when the server runs on this
// machine (a function that reads 0 otherwise). /proc/PID/schedstat's first
// field is the time on a CPU in nanoseconds.
func backendCPU(b *testing.B, db *sqlx.DB) func() time.Duration {
	var pid int
	if err := db.Get(&pid, `SELECT pg_backend_pid()`); err != nil {
		b.Fatal(err)
	}
	path := fmt.Sprintf("/proc/%d/schedstat", pid)
	return func() time.Duration {
		stat, err := os.ReadFile(path)
		if err != nil {
			return 0
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(stat) + " 0")[0], 10, 64)
		return time.Duration(ns)
	}
}

// explainTo prints the plan of search q as Store.Search runs it: the
// statement prepared, with its generic plan.
func explainTo(b testing.TB, svc *Service, q string) {
	f := benchFilter(b, svc, q)
	tx, err := svc.db.Beginx()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	if _, err := tx.Exec(searchSettings + `; PREPARE explained AS ` + searchSQL(f.Plan)); err != nil {
		b.Fatal(err)
	}
	var plan []string
	// EXPLAIN takes no parameters: the values are written out.
	lit := pq.QuoteLiteral
	err = tx.Select(&plan, fmt.Sprintf(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE explained(%s, 0, false, %s, false, 0, 0, 0, %d, %s, %d, %s, %s, %d)`,
		lit(f.Words), lit(f.Prefix), f.Limit+1, lit(headlineOptions), RankWindow, lit(f.Any), lit(f.AnyWords), f.WalkBudget))
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("EXPLAIN (ANALYZE, BUFFERS) of %q, planned %v, generic plan:\n", q, f.Plan)
	for _, line := range plan {
		fmt.Println("  " + line)
	}
}

func benchSizes(b *testing.B, db *sqlx.DB) {
	var sizes []struct {
		Name string `db:"name"`
		Size string `db:"size"`
	}
	err := db.Select(&sizes, `SELECT c.relname AS name, pg_size_pretty(pg_relation_size(c.oid)) AS size FROM pg_class c
		WHERE c.relname IN ('talks_search_idx', 'questions_search_idx', 'threads_search_idx', 'posts_search_idx', 'questions', 'threads', 'posts', 'answers')
		ORDER BY c.relname`)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range sizes {
		fmt.Printf("size of %s: %s\n", s.Name, s.Size)
	}
}

// BenchmarkSearchExplain prints the plan of one search,
// HUBTALKS_BENCH_SEARCH_Q, on HUBTALKS_BENCH_SEARCH_URL's database: to
// look into a slow query of BenchmarkSearchLatency.
func BenchmarkSearchExplain(b *testing.B) {
	url, q := os.Getenv("HUBTALKS_BENCH_SEARCH_URL"), os.Getenv("HUBTALKS_BENCH_SEARCH_Q")
	if url == "" || q == "" {
		b.Skip("set HUBTALKS_BENCH_SEARCH_URL and HUBTALKS_BENCH_SEARCH_Q")
	}
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		explainTo(b, NewService(db), q)
	}
}
