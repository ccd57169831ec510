package accounts

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// sessionLoader groups the session lookups that miss the cache: the lookups
// that arrive while one query runs wait and go together in the next one
// (token_hash = ANY), so a crowd of new requests (a talk opening, a
// registration rush) costs a few queries instead of one each. A lone
// lookup runs at once; the busier the server, the larger the groups.
type sessionLoader struct {
	fetch func(ctx context.Context, hashes [][]byte) (map[string]sessionUser, error)

	mu      sync.Mutex
	running bool
	waiting []*sessionLookup
}

type sessionLookup struct {
	hash []byte
	done chan sessionLookupResult // buffered: the loader never blocks on it
}

type sessionLookupResult struct {
	su  *sessionUser // nil: no live session
	err error
}

// maxSessionGroup bounds one query's tokens.
const maxSessionGroup = 256

// sessionFetchTimeout is the deadline of one grouped query: it serves many
// requests, so no single request's context.
const sessionFetchTimeout = 5 * time.Second

// load returns the session of hash, or nil when there is none.
func (l *sessionLoader) load(ctx context.Context, hash []byte) (*sessionUser, error) {
	lk := &sessionLookup{hash: hash, done: make(chan sessionLookupResult, 1)}
	l.mu.Lock()
	l.waiting = append(l.waiting, lk)
	if !l.running {
		l.running = true
		go l.run()
	}
	l.mu.Unlock()
	select {
	case r := <-lk.done:
		return r.su, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for session lookup: %w", ctx.Err())
	}
}

// run serves the queue, one group at a time, until it is empty.
func (l *sessionLoader) run() {
	for {
		l.mu.Lock()
		n := min(len(l.waiting), maxSessionGroup)
		if n == 0 {
			l.running = false
			l.waiting = nil
			l.mu.Unlock()
			return
		}
		group := l.waiting[:n:n]
		l.waiting = l.waiting[n:]
		l.mu.Unlock()
		l.serve(group)
	}
}

func (l *sessionLoader) serve(group []*sessionLookup) {
	hashes := make([][]byte, len(group))
	for i, lk := range group {
		hashes[i] = lk.hash
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionFetchTimeout)
	found, err := l.fetch(ctx, hashes)
	cancel()
	for _, lk := range group {
		if err != nil {
			lk.done <- sessionLookupResult{err: err}
			continue
		}
		var r sessionLookupResult
		if su, ok := found[string(lk.hash)]; ok {
			r.su = &su
		}
		lk.done <- r
	}
}
