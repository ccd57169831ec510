package dbx

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// InTx runs fn in a transaction of db with opts (nil: the defaults),
// committed when fn succeeds and rolled back otherwise. what names the work
// in the begin and commit errors; fn's own error is returned as it is.
// Changes that emit live events use live.Recorder.InTx, which is this plus
// the events.
func InTx(ctx context.Context, db *sqlx.DB, opts *sql.TxOptions, what string, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin %s: %w", what, err)
	}
	defer tx.Rollback() //nolint:errcheck // after a commit it does nothing
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", what, err)
	}
	return nil
}
