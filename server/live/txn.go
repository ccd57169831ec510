package live

import (
	"context"
	"fmt"

	"github.com/hubtalks/hubtalks/realtime"
)

// Txn is how a service writes a change whose request the HTTP layer may
// make idempotent (idempotency.TxnOf: a replay answers the stored response
// without writing, and returns a zero T); TxnOf is the plain one.
type Txn[T any] interface {
	// Run runs fn in one transaction and returns its value.
	Run(fn func(tx *Tx) (T, error)) (T, error)
	// Write stores w and its events in one statement, without a
	// transaction of its own, and returns v: the value w makes, which the
	// service built beforehand (so nothing is read back).
	Write(w Write, v T) (T, error)
}

// Write is a change and its events as one statement: w.CTEs writes the
// change (see realtime.Along) in a CTE named along, which must insert only
// when the CTE go_ahead, put before it, returns a row ("… WHERE EXISTS
// (SELECT FROM go_ahead)"): an idempotent request's go_ahead claims its key.
type Write struct {
	realtime.Along
	Events []realtime.Draft
}

// GoAhead is the go_ahead of a plain Write.
const GoAhead = `go_ahead AS (SELECT true)`

// Write runs w after the CTE goAhead in one autocommitted statement and,
// when it wrote, hands its events to the hub. written is false when
// go_ahead (so along) returned no row.
func (r *Recorder) Write(ctx context.Context, goAhead string, args map[string]any, w Write) (written bool, err error) {
	a := realtime.Along{CTEs: goAhead + ", " + w.CTEs, Args: w.Args}
	if len(args) > 0 {
		a.Args = make(map[string]any, len(w.Args)+len(args))
		for k, v := range w.Args {
			a.Args[k] = v
		}
		for k, v := range args {
			a.Args[k] = v
		}
	}
	events, err := r.log.AppendAllAlong(ctx, r.db, a, w.Events)
	if err != nil {
		return false, fmt.Errorf("write %s: %w", w.Events[0].Type, err)
	}
	r.committed(ctx, nil, events, nil)
	return len(events) > 0, nil
}

type plainTxn[T any] struct {
	ctx context.Context
	r   *Recorder
}

// TxnOf is the Txn of r without an idempotency key.
func TxnOf[T any](ctx context.Context, r *Recorder) Txn[T] { return plainTxn[T]{ctx, r} }

func (p plainTxn[T]) Run(fn func(tx *Tx) (T, error)) (T, error) {
	var out T
	err := p.r.InTx(p.ctx, func(tx *Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

func (p plainTxn[T]) Write(w Write, v T) (T, error) {
	written, err := p.r.Write(p.ctx, GoAhead, nil, w)
	if err == nil && !written {
		err = fmt.Errorf("write %s: nothing written", w.Events[0].Type)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
