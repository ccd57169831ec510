package dbx

import (
	"database/sql/driver"
	"fmt"
)

// Text is a text column that may be NULL, read as "" (a guest's email):
// it stays a string everywhere else, so JSON's omitempty leaves it out.
type Text string

// Scan reads a text column; NULL is "".
func (t *Text) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = ""
	case string:
		*t = Text(v)
	case []byte:
		*t = Text(v)
	default:
		return fmt.Errorf("dbx.Text: cannot scan %T", src)
	}
	return nil
}

// Value writes "" as NULL, so a missing value never becomes an empty one.
func (t Text) Value() (driver.Value, error) {
	if t == "" {
		return nil, nil
	}
	return string(t), nil
}
