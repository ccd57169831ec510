package live

import "context"

// Txn runs fn in one transaction and returns its value. A service takes
// one where the HTTP layer may make the change idempotent
// (idempotency.TxnOf: a replay answers the stored response without calling
// fn, and returns a zero T); TxnOf is the plain one.
type Txn[T any] func(fn func(tx *Tx) (T, error)) (T, error)

// TxnOf is the Txn of a plain transaction of r.
func TxnOf[T any](ctx context.Context, r *Recorder) Txn[T] {
	return func(fn func(tx *Tx) (T, error)) (T, error) {
		var out T
		err := r.InTx(ctx, func(tx *Tx) error {
			var err error
			out, err = fn(tx)
			return err
		})
		return out, err
	}
}
