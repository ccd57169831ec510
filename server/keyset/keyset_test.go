package keyset

import (
	"errors"
	"slices"
	"testing"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Walking a list page by page with ByID visits every row once, in order,
// and the last page has no next cursor.
func TestByIDWalksEveryRowOnce(t *testing.T) {
	ids := []int64{3, 5, 8, 13, 21, 34, 55}
	read := func(from int64, limit int) ([]int64, error) {
		var out []int64
		for _, id := range ids {
			if id > from && len(out) < limit {
				out = append(out, id)
			}
		}
		return out, nil
	}
	same := func(id int64) int64 { return id }
	var seen []int64
	page := Page{Limit: 3}
	for pages := 1; ; pages++ {
		list, err := ByID(page, read, same, same)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, list.Items...)
		if list.NextCursor == nil {
			if pages != 3 {
				t.Fatalf("%d pages for 7 rows of 3 a page", pages)
			}
			break
		}
		page.Cursor = *list.NextCursor
	}
	if !slices.Equal(seen, ids) {
		t.Fatalf("walked %v, want %v", seen, ids)
	}
}

// A full last page is still the last: Of needs the extra row to promise more.
func TestOfNeedsTheExtraRow(t *testing.T) {
	list := Of([]int{1, 2}, 2, func(i int) int { return i }, func(i int) any { return i })
	if list.NextCursor != nil || len(list.Items) != 2 {
		t.Fatalf("page of exactly limit rows: %+v", list)
	}
}

// A cursor the server did not make is invalid input on the cursor field.
func TestForgedCursorIsInvalidInput(t *testing.T) {
	var pos Position
	for _, cursor := range []string{"not base64!", EncodeCursor("a string, not a position")} {
		_, err := BoundOf(Page{Limit: 10, Cursor: cursor}, &pos)
		var invalid *domain.Invalid
		if !errors.As(err, &invalid) || invalid.Fields[0].Field != "cursor" {
			t.Fatalf("cursor %q: %v, want invalid cursor", cursor, err)
		}
	}
	b, err := BoundOf(Page{Limit: 10}, &pos)
	if err != nil || b.After || b.Limit != 11 {
		t.Fatalf("first page: %+v %v", b, err)
	}
}
