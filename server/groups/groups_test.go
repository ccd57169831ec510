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
	q := &Queue[int, int]{Max: 30, Serve: func(group []int) []Result[int] {
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
	}}
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
