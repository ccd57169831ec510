// Package modtest holds what the qa, threads and moderation tests share:
// a server with a test moderation config, talks made directly in the
// database, snapshots of the tables these domains own, and the stored
// events of a channel.
package modtest

import (
	"encoding/json"
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
	"github.com/hubtalks/hubtalks/server/testserver"
)

// Clock is a test clock that can be moved forward.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the real time plus the offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Env is a test server with its clock.
type Env struct {
	*testserver.Env
	Clock *Clock
}

// New builds a server whose moderation config has generous rate limits and
// the test clock; change lets a test adjust it further. The server is shut
// down (publishing coalesced votes) before the database goes away.
func New(t testing.TB, change func(*moderation.Config), opts ...testserver.Option) *Env {
	t.Helper()
	clock := &Clock{}
	opts = append(opts, testserver.WithConfig(func(c *server.Config) {
		c.Moderation = moderation.Config{
			QuestionRate: moderation.Rate{N: 1000, Per: time.Minute},
			PostRate:     moderation.Rate{N: 1000, Per: time.Minute},
			VoteRate:     moderation.Rate{N: 1000, Per: time.Minute},
			FlagRate:     moderation.Rate{N: 1000, Per: time.Minute},
			Now:          clock.Now,
		}
		if change != nil {
			change(&c.Moderation)
		}
	}))
	env := testserver.New(t, opts...)
	t.Cleanup(func() { _ = env.Server.App().Shutdown() })
	return &Env{Env: env, Clock: clock}
}

// TalkOpts describe a talk made by MakeTalk.
type TalkOpts struct {
	Status         string // default live
	Moderation     string // default post
	AllowAnonymous *bool  // default true
	Open           *bool  // default true
	Speakers       []int64
}

var talkSeq atomic.Int64

// MakeTalk inserts a talk and its speakers and returns its id.
func (e *Env) MakeTalk(o TalkOpts) int64 {
	e.T.Helper()
	if o.Status == "" {
		o.Status = "live"
	}
	if o.Moderation == "" {
		o.Moderation = "post"
	}
	anon, open := true, true
	if o.AllowAnonymous != nil {
		anon = *o.AllowAnonymous
	}
	if o.Open != nil {
		open = *o.Open
	}
	var id int64
	err := e.DB.Get(&id, `INSERT INTO talks (slug, title, starts_at, ends_at, status, qa_moderation, qa_allow_anonymous, qa_open)
		VALUES ($1, 'A talk', now(), now() + interval '1 hour', $2, $3, $4, $5) RETURNING id`,
		fmt.Sprintf("talk-%d-%d", talkSeq.Add(1), time.Now().UnixNano()), o.Status, o.Moderation, anon, open)
	if err != nil {
		e.T.Fatalf("make talk: %v", err)
	}
	testserver.AddSpeakers(e.T, e.Env, id, o.Speakers...)
	return id
}

// Snapshot is the content of every row these domains keep about one talk
// (its questions, votes, answers, threads, posts, flags, log entries,
// events, and the talk itself), as text.
func (e *Env) Snapshot(talkID int64) string {
	e.T.Helper()
	var out string
	for _, q := range []string{
		`SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM questions t WHERE talk_id = $1`,
		`SELECT coalesce(json_agg(t ORDER BY question_id, user_id), '[]') FROM question_votes t
			WHERE question_id IN (SELECT id FROM questions WHERE talk_id = $1)`,
		`SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM answers t WHERE question_id IN (SELECT id FROM questions WHERE talk_id = $1)`,
		`SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM threads t WHERE talk_id = $1`,
		`SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM posts t WHERE thread_id IN (SELECT id FROM threads WHERE talk_id = $1)`,
		`SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM flags t WHERE talk_id = $1`,
		`SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM moderation_log t WHERE talk_id = $1`,
		`SELECT coalesce(json_agg(t ORDER BY channel, seq), '[]') FROM events t WHERE channel IN ('talk:' || $1, 'talk:' || $1 || ':staff')`,
		`SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM talks t WHERE id = $1`,
	} {
		var s string
		if err := e.DB.Get(&s, q, talkID); err != nil {
			e.T.Fatalf("snapshot: %v", err)
		}
		out += s + "\n"
	}
	return out
}

// Event is a stored event.
type Event struct {
	Seq  int64           `db:"seq"`
	Type string          `db:"type"`
	Data json.RawMessage `db:"data"`
}

// Events returns channel's stored events in order.
func (e *Env) Events(channel string) []Event {
	e.T.Helper()
	var rows []struct {
		Seq  int64  `db:"seq"`
		Type string `db:"type"`
		Data string `db:"data"`
	}
	if err := e.DB.Select(&rows, `SELECT seq, type, data::text AS data FROM events WHERE channel = $1 ORDER BY seq`, channel); err != nil {
		e.T.Fatalf("events of %s: %v", channel, err)
	}
	evs := make([]Event, len(rows))
	for i, r := range rows {
		evs[i] = Event{Seq: r.Seq, Type: r.Type, Data: json.RawMessage(r.Data)}
	}
	return evs
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// HammerCoalesced measures a coalesced live count: clients new
// participants, one concurrent HTTP client each, make b.N requests to the
// listening server (request builds a client's k-th, k = 0, 1, …; any answer
// but 200 fails the benchmark); then the server shuts down, publishing the
// last coalesced event, and the benchmark reports unit/s, unit/event and
// the events of type typ stored on talk's public channel.
func (e *Env) HammerCoalesced(b *testing.B, clients int, talk int64, typ, unit string, request func(k int) *http.Request) {
	users := make([]testserver.User, clients)
	for i := range users {
		users[i] = e.NewUser("participant")
	}
	before := e.CountEvents(live.TalkChannel(talk), typ)
	elapsed := e.hammer(b, users, http.StatusOK, request)
	_ = e.Server.App().Shutdown()
	events := e.CountEvents(live.TalkChannel(talk), typ) - before
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit+"/s")
	if events > 0 {
		b.ReportMetric(float64(b.N)/float64(events), unit+"/event")
	}
	b.ReportMetric(float64(events), "events")
}

// hammer makes b.N requests to the listening server from one concurrent
// HTTP client per user, each request built by request for that
// client's own count k (0, 1, …); any answer but want fails the
// benchmark. It returns how long the requests took.
func (e *Env) hammer(b *testing.B, users []testserver.User, want int, request func(k int) *http.Request) time.Duration {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(users)}}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; next.Add(1) <= int64(b.N); k++ {
				req := request(k)
				req.Header.Set("Authorization", "Bearer "+u.Token)
				resp, err := client.Do(req)
				if err != nil {
					if failed.Add(1) == 1 {
						b.Logf("%s %s: %v", req.Method, req.URL.Path, err)
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want && failed.Add(1) == 1 {
					b.Logf("%s %s answered %d: %s", req.Method, req.URL.Path, resp.StatusCode, body)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d failed requests", f)
	}
	return elapsed
}

// CountEvents is how many events of type typ channel has stored.
func (e *Env) CountEvents(channel, typ string) int {
	e.T.Helper()
	var n int
	if err := e.DB.Get(&n, `SELECT count(*) FROM events WHERE channel = $1 AND type = $2`, channel, typ); err != nil {
		e.T.Fatalf("count %s events of %s: %v", typ, channel, err)
	}
	return n
}
