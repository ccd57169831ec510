package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/hubtalks/hubtalks/server/groups"
)

// sessionLoader groups the session lookups that miss the cache: the lookups
// that arrive while one query runs wait and go together in the next one
// (token_hash = ANY), so a crowd of new requests (a talk opening, a
// registration rush) costs a few queries instead of one each. A lone
// lookup runs at once; the busier the server, the larger the groups.
type sessionLoader struct {
	fetch func(ctx context.Context, hashes [][]byte) (map[string]sessionUser, error)
	q     *groups.Queue[[]byte, *sessionUser]
}

// maxSessionGroup bounds one query's tokens.
const maxSessionGroup = 256

// sessionFetchTimeout is the deadline of one grouped query: it serves many
// requests, so no single request's context.
const sessionFetchTimeout = 5 * time.Second

func newSessionLoader(fetch func(ctx context.Context, hashes [][]byte) (map[string]sessionUser, error)) *sessionLoader {
	l := &sessionLoader{fetch: fetch}
	l.q = groups.NewQueue(maxSessionGroup, l.serve)
	return l
}

// load returns the session of hash, or nil when there is none.
func (l *sessionLoader) load(ctx context.Context, hash []byte) (*sessionUser, error) {
	su, err := l.q.Do(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("session lookup: %w", err)
	}
	return su, nil
}

// waiting is how many lookups wait for the next group (tests).
func (l *sessionLoader) waiting() int {
	n, _ := l.q.Waiting()
	return n
}

func (l *sessionLoader) serve(hashes [][]byte) []groups.Result[*sessionUser] {
	ctx, cancel := context.WithTimeout(context.Background(), sessionFetchTimeout)
	found, err := l.fetch(ctx, hashes)
	cancel()
	out := make([]groups.Result[*sessionUser], len(hashes))
	for i, h := range hashes {
		if err != nil {
			out[i].Err = err
		} else if su, ok := found[string(h)]; ok {
			out[i].Val = &su
		}
	}
	return out
}
