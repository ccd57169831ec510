// Package idempotency honours the Idempotency-Key header on unsafe requests:
// the first response to a (user, route, key) is stored in PostgreSQL in the
// same transaction as the change it reports, so a retry — on any instance,
// after any restart — gets that response again and changes nothing twice.
//
// Rules: the key is scoped per signed-in user and per route (method and
// path); the same key with the same body replays the stored response (with
// `Idempotent-Replayed: true`); the same key with another body is a 422
// `idempotency_key_reused`; two concurrent requests with one key execute
// once: the second waits on the first's uncommitted key row and then replays
// it. Only successful responses are stored: a failed request changed nothing
// and may be retried with the same key.
//
// Any domain uses it by running its change through Run instead of
// live.Recorder.InTx. A domain that groups many requests in one transaction
// (registrations' batches) uses the pieces instead: KeyOf for each request;
// in the transaction, after the change, Store for all their keys at once,
// and for the keys stored already LookupMany and Record.Replay (the domain
// makes sure that such a request changed nothing twice); Send to answer.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/live"
)

// Header is the request header that carries the key.
const Header = "Idempotency-Key"

// KeyTTL is how long keys are kept (Purge removes older ones).
const KeyTTL = 24 * time.Hour

const (
	// claimKey inserts the key row; a concurrent holder of the same key makes
	// it wait until that transaction ends (then: no row when it committed).
	claimKey = `INSERT INTO idempotency_keys (user_id, route, key, body_hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, route, key) DO NOTHING RETURNING true`
	// selectKeys reads the stored keys among many, in one statement.
	selectKeys = `SELECT k.user_id, k.route, k.key, k.body_hash, k.status, k.content_type, k.response
		FROM unnest($1::bigint[], $2::text[], $3::text[]) AS q (user_id, route, key)
		JOIN idempotency_keys k ON (k.user_id, k.route, k.key) = (q.user_id, q.route, q.key)`
	// claimWithResponse is the go_ahead of a change written in one
	// statement (live.Write): the key and its response are stored together,
	// and a key held by another request makes the change write nothing.
	claimWithResponse = `go_ahead AS (INSERT INTO idempotency_keys (user_id, route, key, body_hash, status, content_type, response)
		VALUES (:key_user, :key_route, :key_value, :key_hash, :key_status, :key_type, :key_response)
		ON CONFLICT (user_id, route, key) DO NOTHING RETURNING true)`
	storeResponse = `UPDATE idempotency_keys SET status = $4, content_type = $5, response = $6
		WHERE user_id = $1 AND route = $2 AND key = $3`
	// storeKeys stores many keys with their responses at once, in key order
	// (two transactions storing the same keys wait for each other instead of
	// deadlocking); a key stored meanwhile by another request is left as it
	// is and not returned.
	storeKeys = `INSERT INTO idempotency_keys (user_id, route, key, body_hash, status, content_type, response)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::int[], $6::text[], $7::bytea[])
		ORDER BY 1, 2, 3
		ON CONFLICT (user_id, route, key) DO NOTHING
		RETURNING user_id, route, key`
	purgeKeys = `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)`
	eraseKeys = `DELETE FROM idempotency_keys WHERE user_id = $1`
)

// Result is what a change answers: a status and a body encoded as JSON
// (nil for no body).
type Result struct {
	Status int
	Body   any
}

// Key is a request's Idempotency-Key in its scope (user and route), with
// the hash of the request's body.
type Key struct {
	UserID   int64
	Route    string
	Value    string
	BodyHash []byte
}

// Response is an answer as it is stored under a key.
type Response struct {
	Status      int
	ContentType string // "" when there is no body
	Body        []byte
	Replayed    bool // read back from the store: a key used before
}

// Record is a key as stored: the hash of the body it came with, and its
// response.
type Record struct {
	Key
	Response
}

type storedKey struct {
	Scope
	BodyHash    []byte  `db:"body_hash"`
	Status      *int    `db:"status"`
	ContentType *string `db:"content_type"`
	Response    []byte  `db:"response"`
}

// KeyOf reads the request's key: nil when it has none or nobody is signed
// in (then the request is not idempotent).
func KeyOf(c *fiber.Ctx) (*Key, error) {
	k := c.Get(Header)
	user := httpx.CurrentUser(c)
	if k == "" || user == nil {
		return nil, nil
	}
	if !validKey(k) {
		return nil, domain.InvalidField(Header, "must be 1 to 255 visible ASCII characters")
	}
	sum := sha256.Sum256(c.Body())
	return &Key{UserID: user.ID, Route: c.Method() + " " + c.Path(), Value: strings.Clone(k), BodyHash: sum[:]}, nil
}

// Scope is what identifies a key: two requests with one Scope are one
// request, sent again.
type Scope struct {
	UserID int64  `db:"user_id"`
	Route  string `db:"route"`
	Value  string `db:"key"`
}

// Scope of k.
func (k Key) Scope() Scope { return Scope{k.UserID, k.Route, k.Value} }

// Replay answers k from r: r's response, marked replayed, or a 422 when k
// came with another body than the one r answered.
func (r Record) Replay(k Key) (Response, error) {
	if !bytes.Equal(r.BodyHash, k.BodyHash) {
		return Response{}, httpx.NewProblem(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was used with another request body")
	}
	res := r.Response
	res.Replayed = true
	return res, nil
}

// JSON encodes a response with a JSON body (none when body is nil).
func JSON(status int, body any) (Response, error) {
	if body == nil {
		return Response{Status: status}, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Response{}, fmt.Errorf("encode response: %w", err)
	}
	return Response{Status: status, ContentType: fiber.MIMEApplicationJSON, Body: b}, nil
}

// Lookup reads the record of k; nil when k is not stored.
func Lookup(ctx context.Context, q sqlx.QueryerContext, k Key) (*Record, error) {
	rs, err := LookupMany(ctx, q, []Key{k})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// LookupMany reads the records of ks in one statement: rs[i] is ks[i]'s,
// nil when it is not stored.
func LookupMany(ctx context.Context, q sqlx.QueryerContext, ks []Key) (rs []*Record, err error) {
	users, routes, values := make([]int64, len(ks)), make([]string, len(ks)), make([]string, len(ks))
	for i, k := range ks {
		users[i], routes[i], values[i] = k.UserID, k.Route, k.Value
	}
	var found []storedKey
	if err := sqlx.SelectContext(ctx, q, &found, selectKeys, pq.Array(users), pq.Array(routes), pq.Array(values)); err != nil {
		return nil, fmt.Errorf("read %d idempotency keys: %w", len(ks), err)
	}
	byScope := make(map[Scope]storedKey, len(found))
	for _, s := range found {
		byScope[s.Scope] = s
	}
	rs = make([]*Record, len(ks))
	for i, k := range ks {
		s, ok := byScope[k.Scope()]
		if !ok {
			continue
		}
		if s.Status == nil { // stored in the transaction that claimed it: never committed without
			return nil, fmt.Errorf("idempotency key %q has no stored response", k.Value)
		}
		r := &Record{Key: k, Response: Response{Status: *s.Status, Body: s.Response}}
		r.BodyHash = s.BodyHash
		if s.ContentType != nil {
			r.ContentType = *s.ContentType
		}
		rs[i] = r
	}
	return rs, nil
}

// Store stores records in q (the transaction of the change they answer),
// in one statement. stored[i] is false when rs[i]'s key was stored
// meanwhile by another request (Lookup reads what it answered).
func Store(ctx context.Context, q sqlx.QueryerContext, rs []Record) (stored []bool, err error) {
	cols := struct {
		users             []int64
		routes, keys, cts []string
		hashes, bodies    [][]byte
		statuses          []int64
	}{}
	for _, r := range rs {
		cols.users = append(cols.users, r.UserID)
		cols.routes = append(cols.routes, r.Route)
		cols.keys = append(cols.keys, r.Value)
		cols.hashes = append(cols.hashes, r.BodyHash)
		cols.statuses = append(cols.statuses, int64(r.Status))
		cols.cts = append(cols.cts, r.ContentType)
		cols.bodies = append(cols.bodies, r.Body)
	}
	var done []Scope
	if err := sqlx.SelectContext(ctx, q, &done, storeKeys, pq.Array(cols.users), pq.Array(cols.routes), pq.Array(cols.keys),
		pq.ByteaArray(cols.hashes), pq.Array(cols.statuses), pq.Array(cols.cts), pq.ByteaArray(cols.bodies)); err != nil {
		return nil, fmt.Errorf("store %d idempotent responses: %w", len(rs), err)
	}
	ok := make(map[Scope]bool, len(done))
	for _, d := range done {
		ok[d] = true
	}
	stored = make([]bool, len(rs))
	for i, r := range rs {
		stored[i] = ok[r.Scope()]
	}
	return stored, nil
}

// Send writes res, saying so when it is a replay.
func Send(c *fiber.Ctx, res Response) error {
	if res.Replayed {
		c.Set("Idempotent-Replayed", "true")
	} else if res.Body == nil {
		return c.SendStatus(res.Status)
	}
	if res.ContentType != "" {
		c.Set(fiber.HeaderContentType, res.ContentType)
	}
	return c.Status(res.Status).Send(res.Body)
}

// Run runs fn in one transaction of rec and answers its Result. With an
// Idempotency-Key from a signed-in user, the key is claimed and the response
// stored in that same transaction, or a stored response is replayed.
func Run(c *fiber.Ctx, rec *live.Recorder, fn func(tx *live.Tx) (Result, error)) error {
	ctx := httpx.Ctx(c)
	k, err := KeyOf(c)
	if err != nil {
		return err
	}
	if k == nil {
		var res Result
		err := rec.InTx(ctx, func(tx *live.Tx) error {
			var err error
			res, err = fn(tx)
			return err
		})
		if err != nil {
			return err
		}
		if res.Body == nil {
			return c.SendStatus(res.Status)
		}
		return c.Status(res.Status).JSON(res.Body)
	}
	var out Response
	err = rec.InTx(ctx, func(tx *live.Tx) error {
		var claimed bool
		err := tx.GetContext(ctx, &claimed, claimKey, k.UserID, k.Route, k.Value, k.BodyHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if !claimed {
			r, err := Lookup(ctx, tx, *k)
			if err != nil {
				return err
			}
			if r == nil {
				return fmt.Errorf("idempotency key %q vanished", k.Value)
			}
			out, err = r.Replay(*k)
			return err
		}
		res, err := fn(tx)
		if err != nil {
			return err
		}
		if out, err = JSON(res.Status, res.Body); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, storeResponse, k.UserID, k.Route, k.Value, out.Status, out.ContentType, out.Body); err != nil {
			return fmt.Errorf("store idempotent response: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return Send(c, out)
}

func validKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Purge removes keys older than ttl.
func Purge(ctx context.Context, db sqlx.ExecerContext, ttl time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, purgeKeys, ttl.Seconds())
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}

// Erase removes a user's keys (their stored responses may hold personal data).
func Erase(ctx context.Context, tx *sqlx.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, eraseKeys, userID); err != nil {
		return fmt.Errorf("erase idempotency keys of user %d: %w", userID, err)
	}
	return nil
}

// TxnOf is the live.Txn of a request: it runs the change under the
// request's Idempotency-Key and answers status with the value. A replay
// does not write and returns a zero T; the response is written either way.
func TxnOf[T any](c *fiber.Ctx, rec *live.Recorder, status int) live.Txn[T] {
	return requestTxn[T]{c, rec, status}
}

type requestTxn[T any] struct {
	c      *fiber.Ctx
	rec    *live.Recorder
	status int
}

func (t requestTxn[T]) Run(fn func(tx *live.Tx) (T, error)) (T, error) {
	var out T
	err := Run(t.c, t.rec, func(tx *live.Tx) (Result, error) {
		var err error
		out, err = fn(tx)
		return Result{Status: t.status, Body: out}, err
	})
	return out, err
}

// Write claims the key and stores the response in the change's own
// statement (go_ahead); when the key was taken already, nothing is written
// and the stored response is replayed.
func (t requestTxn[T]) Write(w live.Write, v T) (T, error) {
	var zero T
	ctx := httpx.Ctx(t.c)
	k, err := KeyOf(t.c)
	if err != nil {
		return zero, err
	}
	if k == nil {
		if _, err := live.TxnOf[T](ctx, t.rec).Write(w, v); err != nil {
			return zero, err
		}
		return v, t.c.Status(t.status).JSON(v)
	}
	res, err := JSON(t.status, v)
	if err != nil {
		return zero, err
	}
	written, err := t.rec.Write(ctx, claimWithResponse, map[string]any{"key_user": k.UserID, "key_route": k.Route,
		"key_value": k.Value, "key_hash": k.BodyHash, "key_status": res.Status, "key_type": res.ContentType, "key_response": res.Body}, w)
	if err != nil {
		return zero, err
	}
	if written {
		return v, Send(t.c, res)
	}
	r, err := Lookup(ctx, t.rec.DB(), *k)
	if err == nil && r == nil {
		err = fmt.Errorf("idempotency key %q vanished", k.Value)
	}
	if err == nil {
		res, err = r.Replay(*k)
	}
	if err != nil {
		return zero, err
	}
	return zero, Send(t.c, res)
}

// Change is a route that changes or adds to item :id with a body of type B
// in the request's Txn (TxnOf): with an Idempotency-Key, a retry replays
// the first response (status) and changes nothing twice.
func Change[B, T any](rec *live.Recorder, status int, call func(ctx context.Context, u *domain.User, id int64, change B, txn live.Txn[T]) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, body, err := httpx.BindID[B](c, false)
		if err != nil {
			return err
		}
		_, err = call(httpx.Ctx(c), httpx.CurrentUser(c), id, body, TxnOf[T](c, rec, status))
		return err
	}
}

// Act is a route that acts on item :id in the request's Txn, answering
// status: with an Idempotency-Key, a retry replays the first response.
func Act[T any](rec *live.Recorder, status int, call func(ctx context.Context, u *domain.User, id int64, txn live.Txn[T]) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpx.ID(c, "id")
		if err != nil {
			return err
		}
		_, err = call(httpx.Ctx(c), httpx.CurrentUser(c), id, TxnOf[T](c, rec, status))
		return err
	}
}
