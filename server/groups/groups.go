// Package groups serves requests in groups: the requests that arrive while
// a group is being served wait and go together in the next one, so a crowd
// (a talk opening, a registration rush) costs a few round trips instead of
// one each, while a lone request is served at once. Session lookups and
// registrations (one lane per talk) use it.
package groups

import (
	"context"
	"sync"
)

// Result is what one request is told.
type Result[Res any] struct {
	Val Res
	Err error
}

// Lanes groups requests of type Req per key: each key has its own lane,
// served one group at a time by its own goroutine, which exists while the
// lane has requests. The zero value is not usable: set Serve (and Max).
type Lanes[K comparable, Req, Res any] struct {
	// Serve serves one group of key's lane. It must call answer exactly
	// once, with one result per request in the same order; it may do so
	// later, from another goroutine, so that the next group can start
	// meanwhile (a durability wait, say).
	Serve func(key K, group []Req, answer func([]Result[Res]))
	// Max bounds a group's size (0: no bound).
	Max int

	mu    sync.Mutex
	lanes map[K]*lane[Req, Res]
}

type lane[Req, Res any] struct {
	waiting []*item[Req, Res]
	taken   int // requests taken into groups since the lane was made (tests)
	served  int // groups served (tests)
}

type item[Req, Res any] struct {
	ctx  context.Context
	req  Req
	done chan Result[Res] // buffered: the lane never blocks on it
}

// Do queues req in key's lane and waits for its result. A request whose
// ctx ends while it still waits leaves the lane unserved; once taken into
// a group it is served, whatever happens to ctx (the answer is dropped).
func (l *Lanes[K, Req, Res]) Do(ctx context.Context, key K, req Req) (Res, error) {
	return l.DoAll(ctx, key, []Req{req})[0].unwrap()
}

// DoAll queues reqs in key's lane at once and in order (so that they go in
// one group when none is being served), and waits for their results.
func (l *Lanes[K, Req, Res]) DoAll(ctx context.Context, key K, reqs []Req) []Result[Res] {
	items := make([]*item[Req, Res], len(reqs))
	for i, r := range reqs {
		items[i] = &item[Req, Res]{ctx: ctx, req: r, done: make(chan Result[Res], 1)}
	}
	l.mu.Lock()
	if l.lanes == nil {
		l.lanes = map[K]*lane[Req, Res]{}
	}
	ln := l.lanes[key]
	if ln == nil {
		ln = &lane[Req, Res]{}
		l.lanes[key] = ln
		go l.run(key, ln)
	}
	ln.waiting = append(ln.waiting, items...)
	l.mu.Unlock()
	out := make([]Result[Res], len(items))
	for i, it := range items {
		select {
		case out[i] = <-it.done:
		case <-ctx.Done():
			select { // answered meanwhile: that answer wins
			case out[i] = <-it.done:
			default:
				out[i].Err = ctx.Err()
			}
		}
	}
	return out
}

func (r Result[Res]) unwrap() (Res, error) { return r.Val, r.Err }

// Waiting reports how many requests wait in key's lane, how many were taken
// into its groups since it was made, how many groups it served, and
// whether it exists.
func (l *Lanes[K, Req, Res]) Waiting(key K) (waiting, taken, served int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln := l.lanes[key]
	if ln == nil {
		return 0, 0, 0, false
	}
	return len(ln.waiting), ln.taken, ln.served, true
}

// Len is the number of lanes (each has one goroutine).
func (l *Lanes[K, Req, Res]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lanes)
}

// run serves key's lane, one group at a time, until it is empty; then it
// removes the lane.
func (l *Lanes[K, Req, Res]) run(key K, ln *lane[Req, Res]) {
	for {
		l.mu.Lock()
		var group []*item[Req, Res]
		for len(ln.waiting) > 0 && (l.Max <= 0 || len(group) < l.Max) {
			it := ln.waiting[0]
			ln.waiting[0] = nil
			ln.waiting = ln.waiting[1:]
			if it.ctx.Err() == nil { // gone while waiting: not served
				group = append(group, it)
			}
		}
		if len(ln.waiting) == 0 {
			ln.waiting = nil
		}
		if len(group) == 0 {
			delete(l.lanes, key)
			l.mu.Unlock()
			return
		}
		ln.taken += len(group)
		ln.served++
		l.mu.Unlock()
		reqs := make([]Req, len(group))
		for i, it := range group {
			reqs[i] = it.req
		}
		l.Serve(key, reqs, func(results []Result[Res]) {
			for i, it := range group {
				it.done <- results[i]
			}
		})
	}
}

// Queue is a single lane: requests of type Req grouped into calls of Serve,
// which answers by returning, one group at a time.
type Queue[Req, Res any] struct {
	lanes Lanes[struct{}, Req, Res]
}

// NewQueue makes a queue of groups of at most max requests (0: no bound).
func NewQueue[Req, Res any](max int, serve func(group []Req) []Result[Res]) *Queue[Req, Res] {
	q := &Queue[Req, Res]{}
	q.lanes.Max = max
	q.lanes.Serve = func(_ struct{}, group []Req, answer func([]Result[Res])) { answer(serve(group)) }
	return q
}

// Do queues req and waits for its result (see Lanes.Do).
func (q *Queue[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	return q.lanes.Do(ctx, struct{}{}, req)
}

// Waiting reports how many requests wait and how many groups were served.
func (q *Queue[Req, Res]) Waiting() (waiting, served int) {
	waiting, _, served, _ = q.lanes.Waiting(struct{}{})
	return waiting, served
}
