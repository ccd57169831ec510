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
// live.Recorder.InTx.
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
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

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
	selectKey = `SELECT body_hash, status, content_type, response FROM idempotency_keys
		WHERE user_id = $1 AND route = $2 AND key = $3`
	storeResponse = `UPDATE idempotency_keys SET status = $4, content_type = $5, response = $6
		WHERE user_id = $1 AND route = $2 AND key = $3`
	purgeKeys = `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)`
	eraseKeys = `DELETE FROM idempotency_keys WHERE user_id = $1`
)

// Result is what a change answers: a status and a body encoded as JSON
// (nil for no body).
type Result struct {
	Status int
	Body   any
}

type storedKey struct {
	BodyHash    []byte  `db:"body_hash"`
	Status      *int    `db:"status"`
	ContentType *string `db:"content_type"`
	Response    []byte  `db:"response"`
}

// Run runs fn in one transaction of rec and answers its Result. With an
// Idempotency-Key from a signed-in user, the key is claimed and the response
// stored in that same transaction, or a stored response is replayed.
func Run(c *fiber.Ctx, rec *live.Recorder, fn func(tx *live.Tx) (Result, error)) error {
	return RunWith(c, rec, Options{}, fn)
}

// Options tune RunWith.
type Options struct {
	// AfterCommit runs after a successful commit and before the response is
	// written (and not for a replay); its error is the request's error.
	AfterCommit func(ctx context.Context) error
}

// RunWith is Run with options.
func RunWith(c *fiber.Ctx, rec *live.Recorder, opts Options, fn func(tx *live.Tx) (Result, error)) error {
	ctx := httpx.Ctx(c)
	after := func() error {
		if opts.AfterCommit == nil {
			return nil
		}
		return opts.AfterCommit(ctx)
	}
	key := c.Get(Header)
	user := httpx.CurrentUser(c)
	if key == "" || user == nil {
		var res Result
		err := rec.InTx(ctx, func(tx *live.Tx) error {
			var err error
			res, err = fn(tx)
			return err
		})
		if err != nil {
			return err
		}
		if err := after(); err != nil {
			return err
		}
		return write(c, res)
	}
	if !validKey(key) {
		return domain.InvalidField(Header, "must be 1 to 255 visible ASCII characters")
	}
	sum := sha256.Sum256(c.Body())
	route := c.Method() + " " + c.Path()
	var (
		replay *storedKey
		res    Result
		body   []byte
	)
	err := rec.InTx(ctx, func(tx *live.Tx) error {
		var claimed bool
		err := tx.GetContext(ctx, &claimed, claimKey, user.ID, route, key, sum[:])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if !claimed {
			var k storedKey
			if err := tx.GetContext(ctx, &k, selectKey, user.ID, route, key); err != nil {
				return fmt.Errorf("read idempotency key: %w", err)
			}
			if !bytes.Equal(k.BodyHash, sum[:]) {
				return httpx.NewProblem(http.StatusUnprocessableEntity, "idempotency_key_reused",
					"this Idempotency-Key was used with another request body")
			}
			replay = &k
			return nil
		}
		if res, err = fn(tx); err != nil {
			return err
		}
		ct := fiber.MIMEApplicationJSON
		if res.Body != nil {
			if body, err = json.Marshal(res.Body); err != nil {
				return fmt.Errorf("encode response: %w", err)
			}
		} else {
			ct = ""
		}
		if _, err := tx.ExecContext(ctx, storeResponse, user.ID, route, key, res.Status, ct, body); err != nil {
			return fmt.Errorf("store idempotent response: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if replay != nil {
		c.Set("Idempotent-Replayed", "true")
		if replay.Status == nil {
			return fmt.Errorf("idempotency key %q has no stored response", key)
		}
		if replay.ContentType != nil && *replay.ContentType != "" {
			c.Set(fiber.HeaderContentType, *replay.ContentType)
		}
		return c.Status(*replay.Status).Send(replay.Response)
	}
	if err := after(); err != nil {
		return err
	}
	if body == nil {
		return c.SendStatus(res.Status)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(res.Status).Send(body)
}

func write(c *fiber.Ctx, res Result) error {
	if res.Body == nil {
		return c.SendStatus(res.Status)
	}
	return c.Status(res.Status).JSON(res.Body)
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
