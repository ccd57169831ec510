package qa_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

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
	url := fmt.Sprintf("%s/api/v1/questions/%d/vote", base, q.ID)
	// Each client votes and unvotes in turn, so every request changes the count.
	env.HammerCoalesced(b, clients, talk, "question.voted", "votes", func(k int) *http.Request {
		method := http.MethodPut
		if k%2 == 1 {
			method = http.MethodDelete
		}
		req, _ := http.NewRequest(method, url, nil)
		return req
	})
}
