package search

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// How a search finds each kind's candidates rests on how many rows its
// words can match, which the planner's own statistics tell (pg_stats of the
// search vectors: the share of rows of their 10,000 most common words each,
// since migration 0016), read again every statsMaxAge.
//
// A word still being typed matches as a prefix, but a frequent whole word
// ("patient", "salud") is almost always finished, and its stem also finds
// its other forms, so it is searched as a whole word: as a prefix it would
// gather every word that starts so. Frequent means in at least
// frequentShare of the questions or the posts, the tables that grow.
const (
	frequentShare = 0.005
	statsMaxAge   = 10 * time.Minute
	// prefixSlack is how many unlisted words (each in fewer rows than the
	// least common listed one) a prefix is taken to match besides the
	// listed ones. Few: a prefix that many words start with has common
	// ones among them, which are listed; and a rare word being typed
	// ("zebrafis") must stay a search of the whole series, not of the
	// newest rows.
	prefixSlack = 3
)

// tableStats is what the statistics say of one table's search vectors.
type tableStats struct {
	rows   float64
	words  []string  // listed words, sorted
	shares []float64 // shares[i]: the share of rows with words[i]
	floor  float64   // at most the share of an unlisted word (1 with no statistics)
}

// share is the share of rows with word w, at most.
func (t *tableStats) share(w string) float64 {
	i := sort.SearchStrings(t.words, w)
	if i < len(t.words) && t.words[i] == w {
		return t.shares[i]
	}
	return t.floor
}

// prefixShare is the share of rows with a word that starts with p, at most
// (but for more than prefixSlack unlisted such words).
func (t *tableStats) prefixShare(p string) float64 {
	sum := t.floor * prefixSlack
	for i := sort.SearchStrings(t.words, p); i < len(t.words) && strings.HasPrefix(t.words[i], p); i++ {
		sum += t.shares[i]
	}
	return math.Min(sum, 1)
}

// wordStats holds the statistics of every searched table, cached.
type wordStats struct {
	mu     sync.Mutex
	tables map[string]*tableStats // by kind
	loaded time.Time
}

func (ws *wordStats) load(ctx context.Context, store *Store, db *sqlx.DB) (map[string]*tableStats, error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.tables != nil && time.Since(ws.loaded) < statsMaxAge {
		return ws.tables, nil
	}
	listed, rows, err := store.wordStatistics(ctx, db)
	if err != nil {
		return nil, err
	}
	byTable := map[string]*tableStats{}
	ws.tables = map[string]*tableStats{}
	for kind, src := range sources {
		t := &tableStats{rows: rows[src.table], floor: 1}
		byTable[src.table], ws.tables[kind] = t, t
	}
	sort.Slice(listed, func(i, j int) bool { return listed[i].Word < listed[j].Word })
	for _, l := range listed {
		t := byTable[l.Table]
		if len(t.words) == 0 || l.Share < t.floor {
			t.floor = l.Share
		}
		t.words, t.shares = append(t.words, l.Word), append(t.shares, l.Share)
	}
	ws.loaded = time.Now()
	return ws.tables, nil
}

// typedWords is a search's words as each configuration stems them: what
// the statistics are read with.
type typedWords struct {
	// words[i][cfg] are the stems of the i-th whole word that bounds the
	// search (not a -word, not in an "or" or a -"phrase").
	words []map[string][]string
	// free: the search has whole words that do not bound it ("or", a
	// -"phrase"): every configuration's query may match any row.
	free bool
	// prefix[cfg] are the stems of the word being typed (none: no prefix).
	prefix map[string][]string
}

// configs are the search configurations (search_config's values).
var configs = []string{"search_english", "search_spanish", "search_french", "search_german", "search_italian", "search_portuguese", "search_simple"}

// stem reads a search's words and prefix in every configuration.
func stem(ctx context.Context, store *Store, db *sqlx.DB, words, prefix string) (typedWords, error) {
	list := []string{prefix}
	// With "or", or inside a -"phrase", a word no longer bounds what the
	// search finds.
	free := strings.Contains(words, `-"`) || containsOr(words)
	if !free {
		for _, w := range strings.Fields(strings.ReplaceAll(words, `"`, " ")) {
			if !strings.HasPrefix(w, "-") {
				list = append(list, w)
			}
		}
	}
	stems, err := store.stems(ctx, db, list)
	if err != nil {
		return typedWords{}, err
	}
	byWord := make([]map[string][]string, len(list))
	for i := range byWord {
		byWord[i] = map[string][]string{}
	}
	for _, s := range stems {
		byWord[s.I-1][s.Config] = append(byWord[s.I-1][s.Config], s.Stem)
	}
	tw := typedWords{words: byWord[1:], free: free}
	if prefix != "" {
		tw.prefix = byWord[0]
	}
	return tw, nil
}

func containsOr(words string) bool {
	for _, w := range strings.Fields(words) {
		if strings.EqualFold(w, "or") {
			return true
		}
	}
	return false
}

// finished reports whether the word being typed is a frequent whole word
// in the questions or the posts.
func (tw typedWords) finished(stats map[string]*tableStats) bool {
	for _, stems := range tw.prefix {
		for _, s := range stems {
			for _, kind := range []string{KindQuestion, KindPost} {
				if t := stats[kind]; t.floor < 1 && t.share(s) >= frequentShare {
					return true
				}
			}
		}
	}
	return false
}

// wordsBound reports whether every configuration's query has one of the
// whole words (one that no configuration drops as a stop word): then a row
// that matches the query matches the whole words alone too, so these can
// go to the index without the word being typed.
func (tw typedWords) wordsBound() bool {
	for _, w := range tw.words {
		if len(w) == len(configs) {
			return true
		}
	}
	return false
}

// share is the share of t's rows that the search can match, at most; with
// withPrefix false, the search of its whole words alone. The search is
// every configuration's query ORed (search_tsquery_any), so its share is
// at most the sum of theirs, each distinct query counted once. In one
// configuration a query is its words ANDed, so its share is at most the
// rarest word's (a word being the rarest of its stems: a compound word is
// a phrase of them); a word the configuration drops (a stop word there)
// does not bound it, and a configuration that drops every word has no
// query at all ("como" alone is no Spanish query).
func (tw typedWords) share(t *tableStats, withPrefix bool) float64 {
	seen := map[string]bool{}
	sum := 0.0
	for _, cfg := range configs {
		least, has := 1.0, tw.free
		var key strings.Builder
		for _, w := range tw.words {
			if stems := w[cfg]; len(stems) > 0 {
				least, has = math.Min(least, rarest(stems, t.share)), true
				key.WriteString(strings.Join(stems, "&") + " ")
			}
		}
		if stems := tw.prefix[cfg]; withPrefix && len(stems) > 0 {
			least, has = math.Min(least, rarest(stems, t.prefixShare)), true
			key.WriteString(strings.Join(stems, "&") + ":*")
		}
		if has && !seen[key.String()] {
			seen[key.String()] = true
			sum += least
		}
	}
	return math.Min(sum, 1)
}

// rarest is the share of the rarest of stems.
func rarest(stems []string, share func(string) float64) float64 {
	least := 1.0
	for _, s := range stems {
		least = math.Min(least, share(s))
	}
	return least
}
