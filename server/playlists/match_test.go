package playlists

import (
	"fmt"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"Hub Talks | Évaluer les apps – Dr X":    " hub talks evaluer les apps dr x ",
		"  mHealth & COVID-19—contact-tracing  ": " mhealth covid 19 contact tracing ",
		"Łódź, Zoë and Ærø: naïve café":          " łodz zoe and ærø naive cafe ",
		"ÀLL CAPS!!!":                            " all caps ",
		"":                                       " ",
		"---":                                    " ",
		"Ａｐｐｓ (full width), ﬁle":                 " apps full width file ",
		"Αλέξανδρος":                             " αλεξανδρος ",
	}
	for in, want := range cases {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchEntry(t *testing.T) {
	talks := []matchTalk{
		{ID: 1, Slug: "assessing-health-apps", Title: "Assessing health apps"},
		{ID: 2, Slug: "health-apps", Title: "Health apps"},
		{ID: 3, Slug: "evaluation-des-applications", Title: "Évaluation des applications"},
		{ID: 4, Slug: "ai-triage", Title: "AI"},
		{ID: 5, Slug: "data-spaces", Title: "Data spaces"},
		{ID: 6, Slug: "data-spaces-2", Title: "Data spaces"},
		{ID: 7, Slug: "wearables-in-the-clinic", Title: "Wearables at work"},
		{ID: 8, Slug: "covid-contact-tracing", Title: "Contact tracing apps", HasRecording: true},
		{ID: 9, Slug: "digital-literacy", Title: "Digital health literacy"},
		{ID: 10, Slug: "privacy-by-design", Title: "Privacy by design"},
	}
	cases := []struct {
		title      string
		want       int64   // the talk linked, 0 for none
		candidates []int64 // when ambiguous
	}{
		// Real titles carry more than the talk's title.
		{"Hub Talks | Assessing health apps – Dr A. Example", 1, nil},
		// Case, punctuation and dashes do not matter.
		{"HUB TALK #2: ASSESSING—HEALTH-APPS!", 1, nil},
		// Nor do accents.
		{"Hub Talks | Evaluation des applications – Zoë Martin", 3, nil},
		// "Health apps" alone is another talk.
		{"Health apps – a panel", 2, nil},
		// A short title matches only as the whole title…
		{"AI", 4, nil},
		{"Hub Talks: AI in the wild", 0, nil},
		// …but the slug, long enough, does.
		{"Hub Talk #4 (ai-triage) – Dr B", 4, nil},
		{"Hub Talk #3: Wearables in the clinic", 7, nil},
		// Two talks of one title: a moderator confirms.
		{"Hub Talks | Data spaces – panel", 0, []int64{5, 6}},
		// …unless the slug makes one of them longer and so more specific.
		{"Hub Talks | data-spaces-2", 6, nil},
		// Two different talks named in one title: ambiguous, never both.
		{"Digital health literacy and Privacy by design", 0, []int64{9, 10}},
		// A talk that has its recording is not matched again.
		{"Hub Talks | Contact tracing apps", 0, nil},
		// Whole words only.
		{"Hub Talks | Unassessing health appsy", 0, nil},
		{"", 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.title, func(t *testing.T) {
			m := matchEntry(tc.title, slices.Clone(talks))
			var got int64
			if m.talk != nil {
				got = m.talk.ID
			}
			var cands []int64
			for _, c := range m.candidates {
				cands = append(cands, c.ID)
			}
			if got != tc.want || fmt.Sprint(cands) != fmt.Sprint(tc.candidates) {
				t.Fatalf("matchEntry(%q) = talk %d, candidates %v; want %d, %v", tc.title, got, cands, tc.want, tc.candidates)
			}
			if m.talk != nil && len(m.candidates) > 0 {
				t.Fatal("a link and candidates at once")
			}
		})
	}
}
