package realtime

import (
	"context"
	"sync"
	"time"
)

// Memo shares the result of a call among the callers that ask for the same
// key while it runs, and for TTL after it finished, so that a crowd asking
// at once (a reconnect storm: thousands of replays of one page, thousands
// of authorisations of one talk) costs one call. Errors are not kept.
// At most Max finished results are kept (0: no bound).
type Memo[K comparable, V any] struct {
	TTL time.Duration
	Max int

	mu    sync.Mutex
	calls map[K]*memoCall[V]
}

type memoCall[V any] struct {
	done    chan struct{}
	val     V
	err     error
	expires time.Time // zero while running
}

// Do returns fn's result for key, calling fn only if no call for key is
// running or finished within TTL. fn runs with the first caller's context;
// a later caller whose ctx ends stops waiting.
func (m *Memo[K, V]) Do(ctx context.Context, key K, fn func() (V, error)) (V, error) {
	now := time.Now()
	m.mu.Lock()
	if m.calls == nil {
		m.calls = make(map[K]*memoCall[V])
	}
	if c, ok := m.calls[key]; ok && (c.expires.IsZero() || now.Before(c.expires)) {
		m.mu.Unlock()
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	for k, c := range m.calls {
		if !c.expires.IsZero() && now.After(c.expires) {
			delete(m.calls, k)
		}
	}
	c := &memoCall[V]{done: make(chan struct{})}
	m.calls[key] = c
	m.mu.Unlock()

	c.val, c.err = fn()
	m.mu.Lock()
	if c.err != nil || (m.Max > 0 && len(m.calls) > m.Max) {
		if m.calls[key] == c {
			delete(m.calls, key)
		}
	}
	c.expires = time.Now().Add(m.TTL)
	m.mu.Unlock()
	close(c.done)
	return c.val, c.err
}

// Forget drops the calls whose key matches, running or finished, so the
// next caller runs fn again (what they were computed from has changed).
func (m *Memo[K, V]) Forget(match func(K) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.calls {
		if match(k) {
			delete(m.calls, k)
		}
	}
}
