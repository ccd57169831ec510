// Package live is how domain handlers record live events: each event is
// appended to the event log inside the handler's transaction (so it exists
// exactly when the change does) and handed to the hub after commit.
package live

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/realtime"
)

// Hub is what the server needs of the realtime hub to publish.
type Hub interface {
	Publish(ctx context.Context, events ...realtime.Event)
}

// Recorder runs transactions that may emit events.
type Recorder struct {
	db  *sqlx.DB
	log *realtime.Log
	hub Hub // nil: events are stored but not pushed (commands, some tests)
}

// NewRecorder builds a Recorder; hub may be nil.
func NewRecorder(db *sqlx.DB, hub Hub) *Recorder {
	return &Recorder{db: db, log: realtime.NewLog(db), hub: hub}
}

// Tx is a transaction that collects the events it emits.
type Tx struct {
	*sqlx.Tx
	ctx    context.Context
	log    *realtime.Log
	events []realtime.Event
}

// Emit appends an event to channel's log in this transaction.
func (t *Tx) Emit(channel, eventType string, data any) error {
	ev, err := t.log.Append(t.ctx, t.Tx, channel, eventType, data)
	if err != nil {
		return fmt.Errorf("emit %s on %s: %w", eventType, channel, err)
	}
	t.events = append(t.events, ev)
	return nil
}

// InTx runs fn in a transaction; when fn succeeds and the commit does, the
// emitted events go to the hub. When fn fails nothing is written.
func (r *Recorder) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := r.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: stx, ctx: ctx, log: r.log}
	defer stx.Rollback() //nolint:errcheck
	if err := fn(tx); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if r.hub != nil && len(tx.events) > 0 {
		// The request's context may end as soon as the handler returns.
		r.hub.Publish(context.WithoutCancel(ctx), tx.events...)
	}
	return nil
}

// TalkChannel is the public channel of a talk.
func TalkChannel(talkID int64) string { return fmt.Sprintf("talk:%d", talkID) }

// StaffChannel is the staff-only channel of a talk.
func StaffChannel(talkID int64) string { return fmt.Sprintf("talk:%d:staff", talkID) }

// AwaitDurable returns once everything committed before the call is on disk.
// A hot row's writers commit asynchronously (synchronous_commit off, for
// their transaction only) so that its lock is not held while the disk
// syncs; they call this before answering, so nothing is acknowledged before
// it is durable. It is a transaction with an xid, committed synchronously:
// its commit waits for the WAL up to its own commit record, past every
// earlier commit record.
func AwaitDurable(ctx context.Context, db sqlx.ExecerContext) error {
	if _, err := db.ExecContext(ctx, `SELECT txid_current()`); err != nil {
		return fmt.Errorf("wait for durable commit: %w", err)
	}
	return nil
}
