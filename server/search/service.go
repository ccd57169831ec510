package search

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/keyset"
)

// Service runs searches.
type Service struct {
	db    *sqlx.DB
	store Store
	stats wordStats
	// WalkBudget and IndexRows shape each kind's plan (see Service.plan).
	WalkBudget int
	IndexRows  float64
}

// A walk reads at most WalkBudget rows of a kind (about 10 ms); the index
// is read when the words can match at most IndexRows rows of it (about as
// long, each match being fetched on its own page). Measured on the bench
// of scripts/bench-search.sh: a walk costs about a microsecond a row, a
// match read from the index five.
const (
	WalkBudget = 10_000
	IndexRows  = 2_500
)

// NewService builds the search on db.
func NewService(db *sqlx.DB) *Service {
	return &Service{db: db, WalkBudget: WalkBudget, IndexRows: IndexRows}
}

// Search is one page of what q finds that viewer may see, best first.
func (s *Service) Search(ctx context.Context, viewer *domain.User, q Query) (keyset.List[Result], error) {
	f, err := s.filter(ctx, viewer, q)
	if err != nil {
		return keyset.List[Result]{}, err
	}
	items, next, err := s.store.Search(ctx, s.db, f)
	if err != nil {
		return keyset.List[Result]{}, err
	}
	return keyset.List[Result]{Items: items, NextCursor: next}, nil
}

// filter is q as the store searches it: checked, a last word that is a
// frequent whole word searched as one (see wordStats), and planned.
func (s *Service) filter(ctx context.Context, viewer *domain.User, q Query) (filter, error) {
	f, err := q.filter(viewer)
	if err != nil {
		return f, err
	}
	stats, err := s.stats.load(ctx, &s.store, s.db)
	if err != nil {
		return f, fmt.Errorf("search: %w", err)
	}
	typed, err := stem(ctx, &s.store, s.db, f.Words, f.Prefix)
	if err != nil {
		return f, fmt.Errorf("search: %w", err)
	}
	if typed.finished(stats) {
		f.Words, f.Prefix = dbx.SearchTerms(strings.TrimLeft(q.Q, " \t\r\n") + " ")
		if typed, err = stem(ctx, &s.store, s.db, f.Words, f.Prefix); err != nil {
			return f, fmt.Errorf("search: %w", err)
		}
	}
	if f.Any, f.AnyWords, err = s.store.queries(ctx, s.db, f.Words, f.Prefix); err != nil {
		return f, fmt.Errorf("search: %w", err)
	}
	f.Plan = s.plan(f.Kinds, typed, stats)
	f.WalkBudget = s.WalkBudget
	return f, nil
}

// plan picks how each kind finds its newest matches: from the text index
// when the words can match few of its rows (the whole words alone, with
// the word being typed checked after, when they are rare enough), else by
// walking its newest rows back.
func (s *Service) plan(kinds []string, typed typedWords, stats map[string]*tableStats) map[string]way {
	plan := make(map[string]way, len(kinds))
	for _, kind := range kinds {
		t := stats[kind]
		words, all := typed.share(t, false)*t.rows, typed.share(t, true)*t.rows
		switch {
		case typed.prefix != nil && typed.wordsBound() && words <= s.IndexRows:
			plan[kind] = wordsIndex
		case all <= s.IndexRows:
			plan[kind] = index
		default:
			plan[kind] = walk
		}
	}
	return plan
}

// filter checks a request and makes it the store's filter.
func (q Query) filter(viewer *domain.User) (filter, error) {
	f := filter{Viewer: viewer, Limit: q.Page.Limit, Kinds: []string{KindTalk, KindQuestion, KindThread, KindPost}}
	var v domain.Checker
	text := strings.TrimLeft(q.Q, " \t\r\n")
	v.Check(strings.TrimSpace(text) != "", "q", "is required: the words to search for")
	v.Check(utf8.RuneCountInString(text) <= MaxQuery, "q", "must be at most 200 characters")
	v.Check(utf8.ValidString(text) && !strings.ContainsRune(text, 0), "q", "must be text")
	f.Words, f.Prefix = dbx.SearchTerms(text)
	switch q.Type {
	case "":
	case KindTalk, KindQuestion, KindThread, KindPost:
		f.Kinds = []string{q.Type}
	default:
		v.Add("type", "must be talk, question, thread or post")
	}
	if err := v.Err(); err != nil {
		return f, err
	}
	if q.Page.Cursor != "" {
		var cur cursor
		if err := keyset.DecodeCursor(q.Page.Cursor, &cur); err != nil {
			return f, err
		}
		f.After = &cur
	}
	return f, nil
}
