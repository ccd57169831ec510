package dbx

import (
	"database/sql"
	"time"
)

// The pointers the API shows for nullable columns: nil for NULL.

// StringPtr is s as a pointer, nil when NULL.
func StringPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// TimePtr is t in UTC as a pointer, nil when NULL.
func TimePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// Int64Ptr is n as a pointer, nil when NULL.
func Int64Ptr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}
