package realtime

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// TestReactionsContract: both twins give every taker of a second the same
// counts, and put each reaction in exactly one second, while reactions
// arrive during the takes.
func TestReactionsContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := testdb.Redis(t)
	for name, r := range map[string]Reactions{
		"memory": NewMemoryReactions(),
		"redis":  NewRedisReactions(rdb, prefix),
	} {
		t.Run(name, func(t *testing.T) {
			const adders, each, seconds = 4, 150, 30
			emojis := []string{"👏", "💡", "❤️"}
			var wg sync.WaitGroup
			for a := range adders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						if err := r.Add(ctx, "talk:1", emojis[(a+i)%len(emojis)]); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			// Two "instances" take every second, racing the adders.
			seen := [2][]map[string]int{}
			var takers sync.WaitGroup
			for inst := range 2 {
				takers.Add(1)
				go func() {
					defer takers.Done()
					for sec := int64(1); sec <= seconds; sec++ {
						got, err := r.Take(ctx, []string{"talk:1", "talk:2"}, sec)
						if err != nil {
							t.Error(err)
							return
						}
						if len(got["talk:2"]) != 0 {
							t.Errorf("talk:2 has reactions %v", got["talk:2"])
						}
						seen[inst] = append(seen[inst], got["talk:1"])
					}
				}()
			}
			wg.Wait()
			takers.Wait()
			last, err := r.Take(ctx, []string{"talk:1"}, seconds+1)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for sec := range seconds {
				if !maps.Equal(seen[0][sec], seen[1][sec]) {
					t.Fatalf("second %d: instance a saw %v, b %v", sec+1, seen[0][sec], seen[1][sec])
				}
				for _, n := range seen[0][sec] {
					total += n
				}
			}
			for _, n := range last["talk:1"] {
				total += n
			}
			if total != adders*each {
				t.Fatalf("seconds sum to %d reactions, %d were sent", total, adders*each)
			}
		})
	}
}
