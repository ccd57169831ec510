package search

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

// Service runs searches.
type Service struct {
	db       *sqlx.DB
	store    Store
	frequent frequentWords
}

// NewService builds the search on db.
func NewService(db *sqlx.DB) *Service { return &Service{db: db} }

// Search is one page of what q finds that viewer may see, best first.
func (s *Service) Search(ctx context.Context, viewer *domain.User, q Query) (httpx.List[Result], error) {
	f, err := s.filter(ctx, viewer, q)
	if err != nil {
		return httpx.List[Result]{}, err
	}
	items, next, err := s.store.Search(ctx, s.db, f)
	if err != nil {
		return httpx.List[Result]{}, err
	}
	return httpx.List[Result]{Items: items, NextCursor: next}, nil
}

// filter is q as the store searches it: checked, a last word that is a
// frequent whole word searched as one, and a prefix after a rare word
// checked after the index (see frequentWords).
func (s *Service) filter(ctx context.Context, viewer *domain.User, q Query) (filter, error) {
	f, err := q.filter(viewer)
	if err != nil {
		return f, err
	}
	typed, err := s.frequent.judge(ctx, s.db, f.Words, f.Prefix)
	if err != nil {
		return f, fmt.Errorf("search: %w", err)
	}
	if typed.PrefixFinished {
		f.Words, f.Prefix = dbx.SearchTerms(strings.TrimLeft(q.Q, " \t\r\n") + " ")
	}
	f.PrefixAfter = typed.WordRare && f.Prefix != ""
	f.Selective = typed.WordRare || typed.PrefixRare && f.Prefix != ""
	return f, nil
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
		if err := httpx.DecodeCursor(q.Page.Cursor, &cur); err != nil {
			return f, err
		}
		f.After = &cur
	}
	return f, nil
}
