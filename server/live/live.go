// Package live is how domain handlers record live events: each event is
// appended to the event log inside the handler's transaction (so it exists
// exactly when the change does) and handed to the hub after commit.
package live

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/dbx"
)

// Hub is what the server needs of the realtime hub to publish.
type Hub interface {
	Publish(ctx context.Context, events ...realtime.Event)
	Redacted(reds ...realtime.Redaction)
	Recheck(channels ...string)
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

// DB is the database r writes to.
func (r *Recorder) DB() *sqlx.DB { return r.db }

// Tx is a transaction that collects the events it emits, the stored
// events it rewrites and the channels whose subscribers it may have taken
// away, for the hub after commit.
type Tx struct {
	*sqlx.Tx
	ctx        context.Context
	log        *realtime.Log
	events     []realtime.Event
	redactions []realtime.Redaction
	rechecks   []string
}

// Subject names the resource an event is about, e.g. Subject("question", 17).
func Subject(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// Emit appends an event about subject to channel's log in this transaction.
func (t *Tx) Emit(channel, eventType, subject string, data any) error {
	ev, err := t.log.Append(t.ctx, t.Tx, channel, eventType, subject, data)
	if err != nil {
		return fmt.Errorf("emit %s on %s: %w", eventType, channel, err)
	}
	t.events = append(t.events, ev)
	return nil
}

// EmitAll appends one event to each of several distinct channels in one
// statement, in the order given.
func (t *Tx) EmitAll(drafts ...realtime.Draft) error {
	evs, err := t.log.AppendAll(t.ctx, t.Tx, drafts)
	if err != nil {
		return fmt.Errorf("emit %s: %w", drafts[0].Type, err)
	}
	t.events = append(t.events, evs...)
	return nil
}

// Restate rewrites the stored events of the given subjects on channel into
// what the channel's viewers see of them now (a replay must not show what a
// moderator has since hidden).
func (t *Tx) Restate(channel string, rs ...realtime.Restatement) error {
	red, changed, err := t.log.Restate(t.ctx, t.Tx, channel, rs)
	if err != nil {
		return err
	}
	if changed {
		t.redactions = append(t.redactions, red)
	}
	return nil
}

// RenamePerson gives user userID the display name name in every stored
// event that names them (account erasure).
func (t *Tx) RenamePerson(userID int64, name string) error {
	reds, err := t.log.RenamePerson(t.ctx, t.Tx, userID, name)
	if err != nil {
		return err
	}
	t.redactions = append(t.redactions, reds...)
	return nil
}

// Recheck asks every instance, after commit, to authorise the channels'
// subscriptions again.
func (t *Tx) Recheck(channels ...string) { t.rechecks = append(t.rechecks, channels...) }

// InTx runs fn in a transaction; when fn succeeds and the commit does, the
// emitted events go to the hub. When fn fails nothing is written.
func (r *Recorder) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var tx *Tx
	err := dbx.InTx(ctx, r.db, nil, "change", func(stx *sqlx.Tx) error {
		tx = &Tx{Tx: stx, ctx: ctx, log: r.log}
		return fn(tx)
	})
	if err != nil {
		return err
	}
	r.committed(ctx, tx.redactions, tx.events, tx.rechecks)
	return nil
}

// committed hands the hub what a committed transaction did, in the order
// instances must learn it: rewritten events first (so no cache keeps their
// old form past the new events), then the new events, then rechecks.
func (r *Recorder) committed(ctx context.Context, reds []realtime.Redaction, events []realtime.Event, rechecks []string) {
	if r.hub == nil {
		return
	}
	if len(reds) > 0 {
		r.hub.Redacted(reds...)
	}
	if len(events) > 0 {
		// The request's context may end as soon as the handler returns.
		r.hub.Publish(context.WithoutCancel(ctx), events...)
	}
	if len(rechecks) > 0 {
		r.hub.Recheck(rechecks...)
	}
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
