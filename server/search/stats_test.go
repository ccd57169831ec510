package search

import (
	"math"
	"testing"
)

// stemsEverywhere is a word that every configuration stems to stem.
func stemsEverywhere(stem string) map[string][]string {
	m := map[string][]string{}
	for _, cfg := range configs {
		m[cfg] = []string{stem}
	}
	return m
}

func TestPlanFromStatistics(t *testing.T) {
	questions := &tableStats{rows: 1_000_000, floor: 0.0003,
		words:  []string{"dat", "mobil", "nesiiti", "nesiity", "salud", "zebr"},
		shares: []float64{0.30, 0.50, 0.004, 0.001, 0.30, 0.0005}}
	stats := map[string]*tableStats{KindQuestion: questions, KindPost: {rows: 100, floor: 1}}
	svc := &Service{WalkBudget: WalkBudget, IndexRows: IndexRows}

	stopWord := stemsEverywhere("para")
	delete(stopWord, "search_spanish") // a stop word in Spanish
	nesiity := stemsEverywhere("nesiity")
	nesiity["search_english"] = []string{"nesiiti"}

	cases := []struct {
		name   string
		typed  typedWords
		share  float64 // of the questions, at most
		plan   way
		finish bool
	}{
		{"common word", typedWords{words: []map[string][]string{stemsEverywhere("mobil")}}, 0.50, walk, false},
		{"phrase of common words", typedWords{words: []map[string][]string{stemsEverywhere("mobil"), stemsEverywhere("salud")}}, 0.30, walk, false},
		{"a word's stems add up over the languages", typedWords{words: []map[string][]string{nesiity}}, 0.005, walk, false},
		{"rare word", typedWords{words: []map[string][]string{stemsEverywhere("zebr")}}, 0.0005, index, false},
		{"a word nobody counted", typedWords{words: []map[string][]string{stemsEverywhere("quokka")}}, 0.0003, index, false},
		// "para" is no Spanish query: the others find the rare word 'para'.
		{"a word that is a stop word in one language", typedWords{words: []map[string][]string{stopWord}}, 0.0003, index, false},
		{"a stop word does not bound the others' query", typedWords{words: []map[string][]string{stopWord, stemsEverywhere("mobil")}}, 0.0003 + 0.5, walk, false},
		{"or: the words bound nothing", typedWords{words: nil, free: true}, 1, walk, false},
		{"rare word, then a prefix", typedWords{words: []map[string][]string{stemsEverywhere("zebr")}, prefix: stemsEverywhere("mob")}, 0.0005, wordsIndex, false},
		{"rare start", typedWords{prefix: stemsEverywhere("zeb")}, 0.0005 + 3*0.0003, index, false},
		{"a rare word being typed", typedWords{prefix: stemsEverywhere("zebr")}, 0.0005 + 3*0.0003, index, false},
		{"common start", typedWords{prefix: stemsEverywhere("sal")}, 0.30 + 3*0.0003, walk, false},
		{"a frequent whole word is finished", typedWords{prefix: stemsEverywhere("salud")}, 0.30 + 3*0.0003, walk, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			share := c.typed.share(questions, true)
			if math.Abs(share-c.share) > 1e-9 {
				t.Errorf("share %v, want %v", share, c.share)
			}
			plan := svc.plan([]string{KindQuestion, KindPost}, c.typed, stats)
			if plan[KindQuestion] != c.plan {
				t.Errorf("questions: %v, want %v", plan[KindQuestion], c.plan)
			}
			// 100 posts, no statistics yet: the index, whatever the words.
			if plan[KindPost] == walk {
				t.Errorf("posts without statistics: %v", plan[KindPost])
			}
			if got := c.typed.finished(stats); got != c.finish {
				t.Errorf("finished %v, want %v", got, c.finish)
			}
		})
	}
}
