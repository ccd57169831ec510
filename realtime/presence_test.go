package realtime

import (
	"context"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// TestPresenceContract: both presences count a signed-in user once over all
// instances, sum anonymous sockets, withdraw what an instance says is gone,
// and stop counting an instance that stops reporting.
func TestPresenceContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const fresh = 300 * time.Millisecond
	rdb, prefix := testdb.Redis(t)
	for name, p := range map[string]Presence{
		"memory": NewMemoryPresence(fresh),
		"redis":  NewRedisPresence(rdb, prefix, fresh),
	} {
		t.Run(name, func(t *testing.T) {
			report := func(instance string, local map[string]Viewers, gone ...string) map[string]int {
				t.Helper()
				totals, err := p.Report(ctx, instance, local, gone)
				if err != nil {
					t.Fatal(err)
				}
				return totals
			}
			report("a", map[string]Viewers{"talk:1": {Anonymous: 2, Users: []int64{1, 2}}})
			got := report("b", map[string]Viewers{"talk:1": {Anonymous: 1, Users: []int64{2, 3}}, "talk:2": {Users: []int64{1}}})
			if got["talk:1"] != 6 || got["talk:2"] != 1 {
				t.Fatalf("totals %v, want talk:1 6 (3 anonymous + users 1, 2, 3) and talk:2 1", got)
			}
			// a leaves talk:1: its anonymous sockets stop counting at once.
			report("a", map[string]Viewers{}, "talk:1")
			got = report("b", map[string]Viewers{"talk:1": {Anonymous: 1, Users: []int64{2, 3}}})
			if got["talk:1"] > 4 || got["talk:1"] < 3 {
				t.Fatalf("after a left: %v (1 anonymous + users 2, 3, and user 1 until fresh)", got)
			}
			// An instance that stops reporting stops counting after fresh.
			report("c", map[string]Viewers{"talk:3": {Anonymous: 5, Users: []int64{9}}})
			time.Sleep(2 * fresh) // letting c's report go stale is the point
			if got = report("b", map[string]Viewers{"talk:3": {Anonymous: 1}}); got["talk:3"] != 1 {
				t.Fatalf("stale instance still counted: %v", got)
			}
		})
	}
}
