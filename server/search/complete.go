package search

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A word still being typed matches as a prefix, and the text index answers
// a prefix by gathering every row of every word that starts so before it
// combines them with the other words: 'patient':* is most of a million
// questions, 140 ms of index work for "povaer patient" where the rare
// "povaer" alone answers in a few rows. A frequent word that is a whole
// word already ("patient", "salud") is almost always finished, and its
// stem also finds its other forms (patients, patient's), so it is searched
// as a whole word; a rare or unfinished one ("pat", "telemedic") stays a
// prefix, which the index answers quickly for a rare start. And when a
// whole word typed before it is rare ("golention pati"), the rare word
// finds a few rows and the prefix is checked on them, not gathered from
// the index ('pat':* is half the series).
//
// Frequent means in at least frequentShare of the questions or the posts,
// the tables that grow (a word in 30 of 2,000 talks is not costly), by the
// planner's own statistics (pg_stats of the search vectors, 10,000 words
// each since migration 0016), read again every statsMaxAge.
const (
	searchConfigs = 7 // the configurations in stemsSQL
	frequentShare = 0.005
	statsMaxAge   = 10 * time.Minute
)

// frequentSQL lists the words of the questions' and posts' search vectors
// in at least $1 of their table's rows. most_common_elem_freqs has three more values than
// there are words (minimum, maximum, nulls): unnest pairs them with NULL.
const frequentSQL = `SELECT DISTINCT e.word FROM pg_stats s,
		unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(word, share)
	WHERE s.schemaname = current_schema() AND s.attname = 'search_tsv'
	  AND s.tablename IN ('questions', 'posts') AND e.word IS NOT NULL AND e.share >= $1`

// stemsSQL is each word of $1 (by its position) as each search
// configuration stems it; a stop word has no stem there.
const stemsSQL = `SELECT w.i, c.cfg::text AS cfg, l FROM unnest($1::text[]) WITH ORDINALITY AS w(word, i),
		unnest('{search_english,search_spanish,search_french,search_german,search_italian,search_portuguese,search_simple}'::regconfig[]) AS c(cfg),
		unnest(tsvector_to_array(to_tsvector(c.cfg, w.word))) AS l`

// frequentWords is the cached list of frequent stems.
type frequentWords struct {
	mu     sync.Mutex
	words  map[string]bool
	loaded time.Time
}

// typed is what judge learns of a search's words.
type typed struct {
	// PrefixFinished: the word being typed is a frequent whole word in some
	// language, so it is searched as a whole word.
	PrefixFinished bool
	// WordRare: a whole word typed before it is rare in every language, so
	// the search finds at most that word's few rows.
	WordRare bool
	// PrefixRare: no frequent word starts as the word being typed does, so
	// the prefix alone finds few rows.
	PrefixRare bool
}

// judge reads a search's whole words and the word being typed against the
// frequent words. -words and "or" are not judged.
func (fw *frequentWords) judge(ctx context.Context, db *sqlx.DB, words, prefix string) (typed, error) {
	frequent, err := fw.load(ctx, db)
	if err != nil || len(frequent) == 0 {
		return typed{}, err
	}
	list := []string{prefix}
	// With "or", or inside a -"phrase", a rare word no longer bounds what
	// the search finds.
	bounds := !strings.Contains(words, `-"`)
	for _, w := range strings.Fields(strings.ReplaceAll(words, `"`, " ")) {
		if strings.EqualFold(w, "or") {
			bounds = false
		} else if !strings.HasPrefix(w, "-") {
			list = append(list, w)
		}
	}
	var stems []struct {
		I      int    `db:"i"`
		Config string `db:"cfg"`
		Stem   string `db:"l"`
	}
	if err := db.SelectContext(ctx, &stems, stemsSQL, pq.Array(list)); err != nil {
		return typed{}, fmt.Errorf("stem %q: %w", list, err)
	}
	// A word bounds the search only if every language's query has it: a
	// stop word ("para", "what") is missing from some, and there the other
	// words alone decide.
	configs := map[int]map[string]bool{} // the configurations where a word has a stem
	common := map[int]bool{}             // words with a frequent stem
	var prefixStems []string
	for _, s := range stems {
		if configs[s.I] == nil {
			configs[s.I] = map[string]bool{}
		}
		configs[s.I][s.Config] = true
		if frequent[s.Stem] {
			common[s.I] = true
		}
		if s.I == 1 {
			prefixStems = append(prefixStems, s.Stem)
		}
	}
	everywhere := func(i int) bool { return len(configs[i]) == searchConfigs }
	var t typed
	for i := 2; i <= len(list); i++ { // 1 is the prefix
		if bounds && everywhere(i) && !common[i] {
			t.WordRare = true
		}
	}
	t.PrefixFinished = common[1]
	t.PrefixRare = everywhere(1) && !startsFrequent(frequent, prefixStems)
	return t, nil
}

// startsFrequent reports whether a frequent word starts with one of stems.
func startsFrequent(frequent map[string]bool, stems []string) bool {
	for w := range frequent {
		for _, s := range stems {
			if strings.HasPrefix(w, s) {
				return true
			}
		}
	}
	return false
}

func (fw *frequentWords) load(ctx context.Context, db *sqlx.DB) (map[string]bool, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.words != nil && time.Since(fw.loaded) < statsMaxAge {
		return fw.words, nil
	}
	var list []string
	if err := db.SelectContext(ctx, &list, frequentSQL, frequentShare); err != nil {
		return nil, fmt.Errorf("frequent words: %w", err)
	}
	fw.words = make(map[string]bool, len(list))
	for _, w := range list {
		fw.words[w] = true
	}
	fw.loaded = time.Now()
	return fw.words, nil
}
