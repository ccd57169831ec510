package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
)

// Reactions sent to two instances are summed per second over both: each
// instance's viewers get the same reactions event for each second, and the
// seconds add up to exactly what was sent. Nothing is stored.
func TestReactionsSumAcrossInstances(t *testing.T) {
	t.Parallel()
	env, a, b := twoInstances(t, realtime.HubConfig{})
	talk := env.MakeTalk(modtest.TalkOpts{})
	channel := fmt.Sprintf("talk:%d", talk)
	var viewers []*testkit.Inbox[liveEvent]
	for _, base := range []string{a, b} {
		viewers = append(viewers, follow(t, liveDial(t, base, ""), channel))
	}
	const users, each = 12, 4 // within the limit of 5 a second per user
	emojis := []string{"👏", "❤️", "😂", "🤔", "💡"}
	testkit.AtOnce(users, func(i int) {
		u := env.NewUser("participant")
		base := []string{a, b}[i%2]
		for j := range each {
			body, _ := json.Marshal(map[string]string{"emoji": emojis[(i+j)%len(emojis)]})
			req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/talks/%d/reactions", base, talk), bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+u.Token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("reaction answered %d", resp.StatusCode)
			}
		}
	})
	const sent = users * each
	seconds := func(in *testkit.Inbox[liveEvent]) (per []map[string]int, total int) {
		frames, _ := in.Frames()
		for _, f := range frames {
			if f.Op != "event" || f.Type != "reactions" {
				continue
			}
			var d struct{ Counts map[string]int }
			if err := json.Unmarshal(f.Data, &d); err != nil {
				t.Fatal(err)
			}
			per = append(per, d.Counts)
			for _, n := range d.Counts {
				total += n
			}
		}
		return per, total
	}
	testkit.WaitFor(t, "every reaction on both instances", 10*time.Second, func() bool {
		_, ta := seconds(viewers[0])
		_, tb := seconds(viewers[1])
		return ta >= sent && tb >= sent
	})
	pa, ta := seconds(viewers[0])
	pb, tb := seconds(viewers[1])
	if ta != sent || tb != sent {
		t.Fatalf("instances delivered %d and %d reactions, %d were sent", ta, tb, sent)
	}
	if len(pa) != len(pb) {
		t.Fatalf("instance a sent %d reactions events, b %d: %v / %v", len(pa), len(pb), pa, pb)
	}
	for i := range pa {
		if !maps.Equal(pa[i], pb[i]) {
			t.Fatalf("second %d: a %v, b %v", i, pa[i], pb[i])
		}
	}
	var stored int
	if err := env.DB.Get(&stored, `SELECT count(*) FROM events WHERE type = 'reactions'`); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Fatalf("%d reactions events stored", stored)
	}
}
