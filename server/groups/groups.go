// Package groups serves requests in groups: the requests that arrive while
// a group is being served wait and go together in the next one, so a crowd
// (a talk opening, a registration rush) costs a few round trips instead of
// one each, while a lone request is served at once. Session lookups and
// registrations use it.
package groups

import (
	"context"
	"sync"
)

// Queue groups requests of type Req into calls of Serve. The zero value is
// not usable: set Serve (and Max).
type Queue[Req, Res any] struct {
	// Serve answers one group, one result per request in the same order.
	// It runs on the queue's own goroutine, one group at a time.
	Serve func(group []Req) []Result[Res]
	// Max bounds a group's size (0: no bound).
	Max int

	mu      sync.Mutex
	running bool
	waiting []*item[Req, Res]
	served  int // groups served (tests)
}

// Result is what one request is told.
type Result[Res any] struct {
	Val Res
	Err error
}

type item[Req, Res any] struct {
	req  Req
	done chan Result[Res] // buffered: the queue never blocks on it
}

// Do queues req and waits for its result, or for ctx to end (the request
// is still served with its group; the answer is dropped).
func (q *Queue[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	it := &item[Req, Res]{req: req, done: make(chan Result[Res], 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, it)
	if !q.running {
		q.running = true
		go q.run()
	}
	q.mu.Unlock()
	select {
	case r := <-it.done:
		return r.Val, r.Err
	case <-ctx.Done():
		var zero Res
		return zero, ctx.Err()
	}
}

// Waiting reports how many requests wait and how many groups were served.
func (q *Queue[Req, Res]) Waiting() (waiting, served int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting), q.served
}

// run serves the queue, one group at a time, until it is empty.
func (q *Queue[Req, Res]) run() {
	for {
		q.mu.Lock()
		n := len(q.waiting)
		if q.Max > 0 {
			n = min(n, q.Max)
		}
		if n == 0 {
			q.running = false
			q.waiting = nil
			q.mu.Unlock()
			return
		}
		group := q.waiting[:n:n]
		q.waiting = q.waiting[n:]
		q.served++
		q.mu.Unlock()
		reqs := make([]Req, len(group))
		for i, it := range group {
			reqs[i] = it.req
		}
		results := q.Serve(reqs)
		for i, it := range group {
			it.done <- results[i]
		}
	}
}
