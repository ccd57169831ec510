package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
)

// The loader's grouping, with a fetch that holds the first query open: the
// lookups that arrive meanwhile go together in one next query, and each
// gets its own answer.
func TestSessionLoaderGroupsWaitingLookups(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var groups [][]string
	l := newSessionLoader(func(ctx context.Context, hashes [][]byte) (map[string]sessionUser, error) {
		mu.Lock()
		var g []string
		for _, h := range hashes {
			g = append(g, string(h))
		}
		groups = append(groups, g)
		first := len(groups) == 1
		mu.Unlock()
		if first {
			<-release
		}
		found := map[string]sessionUser{}
		for i, h := range hashes {
			if string(h) != "unknown" {
				found[string(h)] = sessionUser{ID: int64(i + 1), DisplayName: string(h)}
			}
		}
		return found, nil
	})
	type answer struct {
		name string
		su   *sessionUser
		err  error
	}
	answers := make(chan answer, 20)
	ask := func(name string) {
		su, err := l.load(context.Background(), []byte(name))
		answers <- answer{name, su, err}
	}
	go ask("first")
	waitFor(t, "the first query", func() bool { mu.Lock(); defer mu.Unlock(); return len(groups) == 1 })
	for i := 0; i < 10; i++ {
		go ask(fmt.Sprintf("user%d", i))
	}
	go ask("unknown")
	waitFor(t, "11 waiting lookups", func() bool { return l.waiting() == 11 })
	close(release)
	for i := 0; i < 12; i++ {
		a := <-answers
		switch {
		case a.err != nil:
			t.Errorf("%s: %v", a.name, a.err)
		case a.name == "unknown" && a.su != nil:
			t.Errorf("unknown token found: %+v", *a.su)
		case a.name != "unknown" && (a.su == nil || a.su.DisplayName != a.name):
			t.Errorf("%s answered with %+v", a.name, a.su)
		}
	}
	if len(groups) != 2 || len(groups[1]) != 11 {
		t.Fatalf("queries %v: want the first alone, then the 11 that waited together", groups)
	}
}

func TestSessionLoaderErrorsAndDeadlines(t *testing.T) {
	boom := errors.New("database down")
	block := make(chan struct{})
	l := newSessionLoader(func(ctx context.Context, hashes [][]byte) (map[string]sessionUser, error) {
		if string(hashes[0]) == "slow" {
			<-block
		}
		return nil, boom
	})
	if _, err := l.load(context.Background(), []byte("a")); !errors.Is(err, boom) {
		t.Fatalf("err %v, want the fetch's", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.load(ctx, []byte("slow")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the caller's deadline", err)
	}
	close(block)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, what, 5*time.Second, cond)
}

// A lookup that was under way when a session was revoked (logout, role
// change) must not put what it read into the cache.
func TestSessionCacheSkipsLookupsOverlappingAnEviction(t *testing.T) {
	c := newSessionCache(time.Minute)
	mark := c.mark()
	c.evict(7, 0)
	c.put([]byte("a"), sessionUser{SessionID: 7, ID: 1}, mark)
	if _, ok := c.get([]byte("a")); ok {
		t.Fatal("a lookup that overlapped an eviction was cached")
	}
	c.put([]byte("a"), sessionUser{SessionID: 7, ID: 1}, c.mark())
	if _, ok := c.get([]byte("a")); !ok {
		t.Fatal("a lookup with no eviction meanwhile was not cached")
	}
}
