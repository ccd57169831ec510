package groups

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// TestQueueGroupsWhatArrivesMeanwhile: requests that arrive while a group
// is served go together in the next one, each gets its own answer, and a
// group never exceeds Max.
func TestQueueGroupsWhatArrivesMeanwhile(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	first := true
	var sizes []int
	q := NewQueue(30, func(group []int) []Result[int] {
		if first {
			first = false
			<-release // hold the first group while the others queue up
		}
		sizes = append(sizes, len(group))
		out := make([]Result[int], len(group))
		for i, v := range group {
			out[i] = Result[int]{Val: v * 2}
		}
		return out
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); q.Do(context.Background(), 0) }()
	for {
		if _, served := q.Waiting(); served == 1 {
			break
		}
		runtime.Gosched()
	}
	got := make([]int, 100)
	for i := 1; i <= 100; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); got[i-1], _ = q.Do(context.Background(), i) }()
	}
	for {
		if waiting, _ := q.Waiting(); waiting == 100 {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	for i, v := range got {
		if v != 2*(i+1) {
			t.Fatalf("request %d got %d", i+1, v)
		}
	}
	if len(sizes) != 1+4 || sizes[1] != 30 || sizes[4] != 10 {
		t.Fatalf("group sizes %v, want [1 30 30 30 10]", sizes)
	}
}

// TestLanesServeEachKeyOnItsOwn: a held group of one key does not hold up
// another key; a request that gives up while waiting is not served; a lane
// goes once it is empty.
func TestLanesServeEachKeyOnItsOwn(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	served := map[string][]int{}
	l := &Lanes[string, int, int]{Serve: func(key string, group []int, answer func([]Result[int])) {
		if key == "held" && group[0] == 0 {
			<-release
		}
		mu.Lock()
		served[key] = append(served[key], group...)
		mu.Unlock()
		answer(make([]Result[int], len(group)))
	}}
	heldDone := make(chan struct{})
	go func() { l.Do(context.Background(), "held", 0); close(heldDone) }()
	for {
		if _, _, n, _ := l.Waiting("held"); n == 1 {
			break
		}
		runtime.Gosched()
	}
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() { _, err := l.Do(ctx, "held", 1); gaveUp <- err }()
	for {
		if w, _, _, _ := l.Waiting("held"); w == 1 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-gaveUp; err != context.Canceled {
		t.Fatalf("a request that gave up got %v", err)
	}
	if _, err := l.Do(context.Background(), "free", 7); err != nil {
		t.Fatalf("another key: %v", err)
	}
	close(release)
	<-heldDone
	for l.Len() != 0 {
		runtime.Gosched()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(served["held"]) != 1 || served["free"][0] != 7 {
		t.Fatalf("served %v: the request that gave up must not be served", served)
	}
}
