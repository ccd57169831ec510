package realtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoSharesCallsAndResults(t *testing.T) {
	t.Parallel()
	m := &Memo[string, int]{TTL: time.Hour}
	var calls atomic.Int32
	release := make(chan struct{})
	slow := func() (int, error) { calls.Add(1); <-release; return 42, nil }
	var wg sync.WaitGroup
	results := make([]int, 50)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], _ = m.Do(context.Background(), "k", slow) }()
	}
	waitFor(t, "one call running", func() bool { return calls.Load() == 1 })
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d calls for 50 concurrent callers", calls.Load())
	}
	for _, r := range results {
		if r != 42 {
			t.Fatalf("a caller got %d", r)
		}
	}
	if v, _ := m.Do(context.Background(), "k", func() (int, error) { calls.Add(1); return 7, nil }); v != 42 || calls.Load() != 1 {
		t.Fatalf("within TTL: %d after %d calls", v, calls.Load())
	}
	m.Forget(func(k string) bool { return k == "k" })
	if v, _ := m.Do(context.Background(), "k", func() (int, error) { return 7, nil }); v != 7 {
		t.Fatalf("after Forget: %d", v)
	}
	boom := errors.New("boom")
	if _, err := m.Do(context.Background(), "e", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if v, err := m.Do(context.Background(), "e", func() (int, error) { return 1, nil }); err != nil || v != 1 {
		t.Fatalf("an error was kept: %d %v", v, err)
	}
	expiring := &Memo[string, int]{TTL: time.Nanosecond}
	expiring.Do(context.Background(), "k", func() (int, error) { return 1, nil })
	time.Sleep(time.Millisecond) // past the TTL
	if v, _ := expiring.Do(context.Background(), "k", func() (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("after TTL: %d", v)
	}
}
