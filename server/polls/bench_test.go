package polls_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// BenchmarkHotPollBallots: 64 concurrent HTTP clients, each a distinct
// user, cast and change their ballot on one open poll (each request
// replaces the client's ballot with another option) through a real
// listener: the figure to set beside BenchmarkHotQuestionVotes. Reports
// ballots/s and ballots per poll.results event on the public channel.
//
//	go test -run '^$' -bench HotPollBallots -benchtime 5s -count 3 ./server/polls/
func BenchmarkHotPollBallots(b *testing.B) {
	const clients = 64
	env := modtest.New(b, nil, testserver.WithConfig(func(c *server.Config) {
		c.Polls.BallotRate = moderation.Rate{N: 1 << 30, Per: time.Minute}
	}))
	base := env.Listen()
	speaker := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{Speakers: []int64{speaker.ID}})
	var p struct{ ID int64 }
	testserver.Must(b, env.Post(fmt.Sprintf("/api/v1/talks/%d/polls", talk), speaker.Token,
		map[string]any{"question": "Hot?", "kind": "single", "options": []string{"A", "B", "C", "D"}}), 201).JSON(b, &p)
	testserver.Must(b, env.Patch(fmt.Sprintf("/api/v1/polls/%d", p.ID), speaker.Token, map[string]any{"status": "open"}), 200)
	users := make([]testserver.User, clients)
	for i := range users {
		users[i] = env.NewUser("participant")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	url := fmt.Sprintf("%s/api/v1/polls/%d/ballot", base, p.ID)
	countEvents := func() int {
		var n int
		if err := env.DB.Get(&n, `SELECT count(*) FROM events WHERE channel = $1 AND type = 'poll.results'`, live.TalkChannel(talk)); err != nil {
			b.Fatal(err)
		}
		return n
	}
	eventsBefore := countEvents()
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(u testserver.User) {
			defer wg.Done()
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader([]byte(fmt.Sprintf(`{"choices":[%d]}`, n%4))))
				req.Header.Set("Authorization", "Bearer "+u.Token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if failed.Add(1) == 1 {
						b.Logf("ballot: %v", err)
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && failed.Add(1) == 1 {
					b.Logf("ballot answered %d: %s", resp.StatusCode, body)
				}
			}
		}(users[i])
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d failed ballots", f)
	}
	_ = env.Server.App().Shutdown() // publishes the last coalesced results
	events := countEvents() - eventsBefore
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ballots/s")
	if events > 0 {
		b.ReportMetric(float64(b.N)/float64(events), "ballots/event")
	}
	b.ReportMetric(float64(events), "events")
}
