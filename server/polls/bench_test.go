package polls_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/server"
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
	url := fmt.Sprintf("%s/api/v1/polls/%d/ballot", base, p.ID)
	// Each client moves its ballot to the next option every time.
	env.HammerCoalesced(b, clients, talk, "poll.results", "ballots", func(k int) *http.Request {
		req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader([]byte(fmt.Sprintf(`{"choices":[%d]}`, k%4))))
		req.Header.Set("Content-Type", "application/json")
		return req
	})
}
