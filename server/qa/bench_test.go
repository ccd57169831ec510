package qa_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// BenchmarkHotQuestionVotes: 64 concurrent HTTP clients, each a distinct
// user, vote and unvote one question (each request changes the count)
// through a real listener. Reports votes/s and votes per question.voted
// event on the public channel.
//
//	go test -run '^$' -bench HotQuestionVotes -benchtime 5s -count 3 ./server/qa/
func BenchmarkHotQuestionVotes(b *testing.B) {
	const clients = 64
	env := modtest.New(b, func(c *moderation.Config) { c.VoteRate = moderation.Rate{N: 1 << 30, Per: time.Minute} })
	base := env.Listen()
	talk := env.MakeTalk(modtest.TalkOpts{})
	asker := env.NewUser("participant")
	var q struct{ ID int64 }
	testserver.Must(b, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk), asker.Token, map[string]any{"body": "hot"}), 201).JSON(b, &q)
	users := make([]testserver.User, clients)
	for i := range users {
		users[i] = env.NewUser("participant")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	url := fmt.Sprintf("%s/api/v1/questions/%d/vote", base, q.ID)
	countEvents := func() int {
		var n int
		if err := env.DB.Get(&n, `SELECT count(*) FROM events WHERE channel = $1 AND type = 'question.voted'`, live.TalkChannel(talk)); err != nil {
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
			on := true
			for next.Add(1) <= int64(b.N) {
				method := http.MethodPut
				if !on {
					method = http.MethodDelete
				}
				req, _ := http.NewRequest(method, url, nil)
				req.Header.Set("Authorization", "Bearer "+u.Token)
				resp, err := client.Do(req)
				if err != nil {
					if failed.Add(1) == 1 {
						b.Logf("vote: %v", err)
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					if failed.Add(1) == 1 {
						b.Logf("vote answered %d: %s", resp.StatusCode, body)
					}
				}
				on = !on
			}
		}(users[i])
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d failed votes", f)
	}
	_ = env.Server.App().Shutdown() // publishes the last coalesced count
	events := countEvents() - eventsBefore
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "votes/s")
	if events > 0 {
		b.ReportMetric(float64(b.N)/float64(events), "votes/event")
	}
	b.ReportMetric(float64(events), "events")
}
