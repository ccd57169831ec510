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

// Get reads one row of query into a T; errors are wrapped with what (a row
// that does not exist is sql.ErrNoRows: see GetOne for a domain "not found").
func Get[T any](ctx context.Context, q sqlx.QueryerContext, what, query string, args ...any) (T, error) {
	var v T
	if err := sqlx.GetContext(ctx, q, &v, query, args...); err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// Select reads the rows of query into Ts; errors are wrapped with what.
func Select[T any](ctx context.Context, q sqlx.QueryerContext, what, query string, args ...any) ([]T, error) {
	var vs []T
	if err := sqlx.SelectContext(ctx, q, &vs, query, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return vs, nil
}

// Exec runs statement query; errors are wrapped with what.
func Exec(ctx context.Context, q sqlx.ExecerContext, what, query string, args ...any) error {
	if _, err := q.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// The named forms take a query's :name parameters from arg's db tags: the
// content domains name the parameters of every query that has more than
// four.

// GetNamed is Get for a query with :name parameters.
func GetNamed[T any](ctx context.Context, q sqlx.ExtContext, what, query string, arg any) (T, error) {
	bound, args, err := q.BindNamed(query, arg)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: bind named parameters: %w", what, err)
	}
	return Get[T](ctx, q, what, bound, args...)
}

// SelectNamed is Select for a query with :name parameters.
func SelectNamed[T any](ctx context.Context, q sqlx.ExtContext, what, query string, arg any) ([]T, error) {
	bound, args, err := q.BindNamed(query, arg)
	if err != nil {
		return nil, fmt.Errorf("%s: bind named parameters: %w", what, err)
	}
	return Select[T](ctx, q, what, bound, args...)
}

// ExecNamed is Exec for a statement with :name parameters.
func ExecNamed(ctx context.Context, q sqlx.ExtContext, what, query string, arg any) error {
	if _, err := sqlx.NamedExecContext(ctx, q, query, arg); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
