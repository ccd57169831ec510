// Package keyset pages every list of the API by position, not by offset: a
// store reads limit+1 rows after the cursor's position; Of keeps limit of
// them and makes the next cursor from the last one kept (nil on the last
// page). The cursor is opaque to clients; a forged one is invalid input.
package keyset

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Page is a list request: how many items, and where the previous page ended.
type Page struct {
	Limit  int
	Cursor string
}

// List is the envelope of every list response.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// EncodeCursor makes an opaque cursor of any JSON-able position.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor; a forged one is invalid
// input on the cursor field.
func DecodeCursor(cursor string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return domain.InvalidField("cursor", "is not a cursor this server issued")
	}
	return nil
}

// Of trims rows read with LIMIT limit+1 to one page of items (rendered by
// item) and the cursor of the next page, made by position from the last row
// kept.
func Of[R, T any](rows []R, limit int, item func(R) T, position func(R) any) List[T] {
	out := List[T]{Items: make([]T, 0, min(len(rows), limit))}
	if len(rows) > limit {
		next := EncodeCursor(position(rows[limit-1]))
		out.NextCursor = &next
		rows = rows[:limit]
	}
	for _, r := range rows {
		out.Items = append(out.Items, item(r))
	}
	return out
}

// ByID is one page of rows kept in id order: read gets the id of the
// previous page's last row (0 on the first page) and how many rows to read
// (limit+1), and returns them with their ids.
func ByID[R, T any](page Page, read func(from int64, limit int) ([]R, error), item func(R) T, id func(R) int64) (List[T], error) {
	var from int64
	if page.Cursor != "" {
		if err := DecodeCursor(page.Cursor, &from); err != nil {
			return List[T]{}, err
		}
	}
	rows, err := read(from, page.Limit+1)
	if err != nil {
		return List[T]{}, err
	}
	return Of(rows, page.Limit, item, func(r R) any { return id(r) }), nil
}

// Bound is where a page starts and how many rows its query reads: After
// when the page follows a cursor, Limit one more than the page holds (Of
// keeps the page and makes the next cursor of the extra row).
type Bound struct {
	After bool `db:"after"`
	Limit int  `db:"limit"`
}

// Position is where a keyset page of items ordered by time ends: the time
// and id of its last item (in a cursor, and a query's :at and :id).
type Position struct {
	At time.Time `json:"t" db:"at"`
	ID int64     `json:"i" db:"id"`
}

// BoundOf is the Bound of page, whose cursor, if any, is decoded into
// position (a forged cursor is a 422).
func BoundOf(page Page, position any) (Bound, error) {
	k := Bound{After: page.Cursor != "", Limit: page.Limit + 1}
	if k.After {
		return k, DecodeCursor(page.Cursor, position)
	}
	return k, nil
}
