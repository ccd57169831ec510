package playlists

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// minMatchLen is the shortest normalised talk title or slug that may match
// inside a longer video title: shorter ones ("apps", "ai") would match by
// accident. A title equal to the whole video title always matches.
const minMatchLen = 8

// matchTalk is a talk an imported entry may be linked to.
type matchTalk struct {
	ID           int64  `db:"id"`
	Slug         string `db:"slug"`
	Title        string `db:"title"`
	HasRecording bool   `db:"has_recording"`
}

// foldAccents takes accents off letters and folds compatibility forms (full
// width letters, ligatures): NFKD, drop the combining marks, NFC.
var foldAccents = transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// normalize makes titles comparable: accents off, lower case, and every run
// of punctuation, dashes, symbols and spaces one space; the result has a
// space at each end, so a whole-word search is a plain substring search.
// "Hub Talks | Évaluer les apps – Dr X" is " hub talks evaluer les apps dr x ".
func normalize(s string) string {
	folded, _, err := transform.String(foldAccents, s)
	if err != nil {
		folded = s
	}
	var b strings.Builder
	b.Grow(len(folded) + 2)
	b.WriteByte(' ')
	space := true
	for _, r := range folded {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// entryMatch is what matching an entry title against the talks found: the
// one talk it records, or the talks it might record (ambiguous), or nothing.
type entryMatch struct {
	talk       *matchTalk
	candidates []*matchTalk
}

// matchEntry finds the talk a video title names. A talk matches when the
// normalised video title contains its normalised title or its slug (as
// whole words, at least minMatchLen long unless it is the whole title).
// Talks that already have a recording are not candidates, so one talk gets
// one video; one video gets at most one talk: a talk whose title is the
// whole video title wins, a match contained in another match ("Health apps"
// in "Assessing health apps") gives way to it, and two or more matches left
// are ambiguous — none is linked, they are the candidates a moderator picks
// from.
func matchEntry(title string, talks []matchTalk) entryMatch {
	video := normalize(title)
	type hit struct {
		t   *matchTalk
		key string // the normalised title or slug that matched (the longer one)
	}
	var hits []hit
	var exact []*matchTalk
	for i := range talks {
		t := &talks[i]
		if t.HasRecording {
			continue
		}
		key := ""
		if nt := normalize(t.Title); nt == video && len(nt) > 2 {
			exact = append(exact, t)
			continue
		} else if len(nt)-2 >= minMatchLen && strings.Contains(video, nt) {
			key = nt
		}
		if ns := normalize(t.Slug); len(ns)-2 >= minMatchLen && len(ns) > len(key) && strings.Contains(video, ns) {
			key = ns
		}
		if key != "" {
			hits = append(hits, hit{t, key})
		}
	}
	switch {
	case len(exact) == 1:
		return entryMatch{talk: exact[0]}
	case len(exact) > 1:
		return entryMatch{candidates: exact}
	}
	var left []*matchTalk
	for i, h := range hits {
		covered := false
		for j, o := range hits {
			if i != j && len(o.key) > len(h.key) && strings.Contains(o.key, h.key) {
				covered = true
				break
			}
		}
		if !covered {
			left = append(left, h.t)
		}
	}
	switch len(left) {
	case 0:
		return entryMatch{}
	case 1:
		return entryMatch{talk: left[0]}
	}
	return entryMatch{candidates: left}
}
