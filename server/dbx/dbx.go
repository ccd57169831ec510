// Package dbx is what every domain's store shares around sqlx: reading one
// row with "not found" as a domain error, and attaching children loaded
// with one query.
package dbx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
)

// GetOne reads one row of query into a T; no row is domain.ErrNotFound
// (wrapped with what).
func GetOne[T any](ctx context.Context, q sqlx.QueryerContext, what, query string, args ...any) (T, error) {
	var v T
	err := sqlx.GetContext(ctx, q, &v, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%s: %w", what, domain.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("load %s: %w", what, err)
	}
	return v, nil
}

// Attach loads the children of items with one query, whose $1 is the
// items' ids (`WHERE parent_id = ANY($1)`), and hands each child row to its
// item: a list of talks gets its speakers, of questions their answers.
func Attach[T, R any](ctx context.Context, q sqlx.QueryerContext, items []T, id func(*T) int64, query string,
	parent func(R) int64, add func(*T, R)) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, len(items))
	byID := make(map[int64]*T, len(items))
	for i := range items {
		ids[i] = id(&items[i])
		byID[ids[i]] = &items[i]
	}
	var rows []R
	if err := sqlx.SelectContext(ctx, q, &rows, query, pq.Array(ids)); err != nil {
		return fmt.Errorf("load children of %d items: %w", len(items), err)
	}
	for _, r := range rows {
		if it := byID[parent(r)]; it != nil {
			add(it, r)
		}
	}
	return nil
}
