package registrations_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// serverWithTalk is a server with a moderator and one talk (extra: fields
// of the talk beyond testserver.NewTalk's).
func serverWithTalk(t testing.TB, extra map[string]any) (*testserver.Env, testserver.User, talks.Talk) {
	t.Helper()
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	return env, mod, testserver.NewTalk(t, env, mod.Token, extra)
}

// countRows runs a query that counts.
func countRows(t testing.TB, env *testserver.Env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := env.DB.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// client is a real HTTP client (keep-alive) for a listening server.
type client struct {
	base string
	http *http.Client
}

func newClient(env *testserver.Env) *client {
	base := env.Listen()
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

type result struct {
	status   int
	body     []byte
	err      error
	replayed bool // Idempotent-Replayed: true
}

func (c *client) do(method, path, token string, header map[string]string) result {
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: b, err: err, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
}

// users makes n participants, several at a time.
func users(t testing.TB, env *testserver.Env, n int) []testserver.User {
	out := make([]testserver.User, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = env.NewUser("participant")
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

type regRow struct {
	UserID      int64      `db:"user_id"`
	Status      string     `db:"status"`
	Seq         int64      `db:"seq"`
	CreatedAt   time.Time  `db:"created_at"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
}

func rowsBySeq(t testing.TB, env *testserver.Env, talkID int64) []regRow {
	t.Helper()
	var rs []regRow
	if err := env.DB.Select(&rs, `SELECT user_id, status, seq, created_at, confirmed_at FROM registrations
		WHERE talk_id = $1 AND status <> 'cancelled' ORDER BY seq`, talkID); err != nil {
		t.Fatal(err)
	}
	return rs
}

// checkFIFO asserts the waitlist invariant: every confirmed registration
// arrived before every waitlisted one, and positions are 1..n in arrival order.
func checkFIFO(t testing.TB, env *testserver.Env, talkID int64, mod string) {
	t.Helper()
	rs := rowsBySeq(t, env, talkID)
	seenWaitlisted := false
	for _, r := range rs {
		if r.Status == "waitlisted" {
			seenWaitlisted = true
		} else if seenWaitlisted {
			t.Fatalf("user %d (seq %d) is confirmed after a waitlisted registration arrived before it", r.UserID, r.Seq)
		}
	}
	var list struct{ Items []registrations.Registrant }
	testserver.Must(t, env.Get(fmt.Sprintf("/api/v1/talks/%d/registrations", talkID), mod), 200).JSON(t, &list)
	pos := 0
	for _, r := range list.Items {
		if r.Status != "waitlisted" {
			continue
		}
		pos++
		if r.WaitlistPosition == nil || *r.WaitlistPosition != pos {
			t.Fatalf("waitlist position of user %d: %v, want %d", r.UserID, r.WaitlistPosition, pos)
		}
	}
}

func counts(t testing.TB, env *testserver.Env, talkID int64) (confirmed, waitlisted, counterC, counterW int) {
	t.Helper()
	err := env.DB.QueryRow(`SELECT
		(SELECT count(*) FROM registrations WHERE talk_id = $1 AND status = 'confirmed'),
		(SELECT count(*) FROM registrations WHERE talk_id = $1 AND status = 'waitlisted'),
		confirmed_count, waitlist_count FROM talks WHERE id = $1`, talkID).Scan(&confirmed, &waitlisted, &counterC, &counterW)
	if err != nil {
		t.Fatal(err)
	}
	return
}

// TestTwoHundredRegistrationsForTwentyFiveSeats: 200 distinct users at once.
// Arrival order is the order of the talk's batch queue: batches take the
// talk's row lock one after the other, and within a batch rows are inserted
// in queue order, so registrations.seq is that order (created_at, the clock
// read as each row is inserted, never goes back on it; rows of one batch
// may share a microsecond). In seq order the first 25 are confirmed and the
// other 175 have positions 1…175, as each was told.
func TestTwoHundredRegistrationsForTwentyFiveSeats(t *testing.T) {
	env := testserver.New(t)
	c := newClient(env)
	mod := env.NewUser("moderator")
	const runs, n, seats = 5, 200, 25
	for run := 0; run < runs; run++ {
		tk := testserver.NewTalk(t, env, mod.Token, map[string]any{"capacity": seats, "title": fmt.Sprintf("Telemedicine at scale, part %d", run+1)})
		us := users(t, env, n)
		results := make([]result, n)
		testkit.AtOnce(n, func(i int) {
			results[i] = c.do("POST", fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), us[i].Token, nil)
		})
		told := map[int64]registrations.Registration{}
		for i, r := range results {
			if r.err != nil || r.status != 201 {
				t.Fatalf("run %d user %d: %d %v %s", run, i, r.status, r.err, r.body)
			}
			var reg registrations.Registration
			if err := json.Unmarshal(r.body, &reg); err != nil {
				t.Fatal(err)
			}
			told[reg.UserID] = reg
		}
		conf, wait, cc, cw := counts(t, env, tk.ID)
		if conf != seats || wait != n-seats || cc != seats || cw != n-seats {
			t.Fatalf("run %d: %d confirmed, %d waitlisted (counters %d/%d)", run, conf, wait, cc, cw)
		}
		rs := rowsBySeq(t, env, tk.ID)
		for i, r := range rs {
			if i > 0 && (r.Seq <= rs[i-1].Seq || r.CreatedAt.Before(rs[i-1].CreatedAt)) {
				t.Fatalf("run %d: created_at does not follow seq at %d", run, i)
			}
			want := "confirmed"
			var pos *int
			if i >= seats {
				want = "waitlisted"
				p := i - seats + 1
				pos = &p
			}
			got := told[r.UserID]
			if r.Status != want || got.Status != want || (pos == nil) != (got.WaitlistPosition == nil) ||
				(pos != nil && *pos != *got.WaitlistPosition) {
				t.Fatalf("run %d arrival %d: db %s, response %+v, want %s %v", run, i+1, r.Status, got, want, pos)
			}
		}
		checkFIFO(t, env, tk.ID, mod.Token)
		msgs := countRows(t, env, `SELECT count(*) FROM outbox WHERE talk_id = $1 AND kind = 'registration.confirmed'`, tk.ID)
		if msgs != seats {
			t.Fatalf("run %d: %d confirmation messages", run, msgs)
		}
	}
}

func TestSameUserTwentyTimesAtOnce(t *testing.T) {
	env := testserver.New(t)
	c := newClient(env)
	mod := env.NewUser("moderator")
	u := env.NewUser("participant")
	tk := testserver.NewTalk(t, env, mod.Token, map[string]any{"capacity": 5})
	results := make([]result, 20)
	testkit.AtOnce(len(results), func(i int) {
		results[i] = c.do("POST", fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, nil)
	})
	created := 0
	var first registrations.Registration
	for _, r := range results {
		if r.err != nil || (r.status != 201 && r.status != 200) {
			t.Fatalf("%d %v %s", r.status, r.err, r.body)
		}
		if r.status == 201 {
			created++
		}
		var reg registrations.Registration
		_ = json.Unmarshal(r.body, &reg)
		if first.UserID == 0 {
			first = reg
		}
		if reg.UserID != u.ID || reg.Status != "confirmed" || !reg.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("different registration: %+v vs %+v", reg, first)
		}
	}
	var rows, msgs int
	_ = env.DB.Get(&rows, `SELECT count(*) FROM registrations WHERE talk_id = $1`, tk.ID)
	_ = env.DB.Get(&msgs, `SELECT count(*) FROM outbox WHERE talk_id = $1`, tk.ID)
	if created != 1 || rows != 1 || msgs != 1 {
		t.Fatalf("%d created, %d rows, %d messages", created, rows, msgs)
	}
	_, _, cc, _ := counts(t, env, tk.ID)
	if cc != 1 {
		t.Fatalf("confirmed_count %d", cc)
	}
}

// TestCancellationsRacingRegistrations: while registrants cancel and new
// users register, a sampler checks that confirmed never exceeds capacity and
// that the waitlist stays first come, first served; promotions happen in
// arrival order.
func TestCancellationsRacingRegistrations(t *testing.T) {
	env := testserver.New(t)
	c := newClient(env)
	mod := env.NewUser("moderator")
	const seats = 10
	for run := 0; run < 3; run++ {
		tk := testserver.NewTalk(t, env, mod.Token, map[string]any{"capacity": seats})
		first := users(t, env, 30)
		for _, u := range first {
			if r := c.do("POST", fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, nil); r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}
		later := users(t, env, 40)
		stop := make(chan struct{})
		samples := 0
		var sampleErr error
		var sw sync.WaitGroup
		sw.Add(1)
		go func() {
			defer sw.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var s struct {
					Confirmed   int   `db:"confirmed"`
					Capacity    int   `db:"capacity"`
					MaxConfSeq  int64 `db:"max_conf"`
					MinWaitSeq  int64 `db:"min_wait"`
					CounterConf int   `db:"confirmed_count"`
				}
				err := env.DB.Get(&s, `SELECT
					(SELECT count(*) FROM registrations WHERE talk_id = $1 AND status = 'confirmed') AS confirmed,
					(SELECT coalesce(max(seq), 0) FROM registrations WHERE talk_id = $1 AND status = 'confirmed') AS max_conf,
					(SELECT coalesce(min(seq), 9223372036854775807) FROM registrations WHERE talk_id = $1 AND status = 'waitlisted') AS min_wait,
					capacity, confirmed_count FROM talks WHERE id = $1`, tk.ID)
				if err == nil && (s.Confirmed > s.Capacity || s.CounterConf != s.Confirmed || s.MaxConfSeq > s.MinWaitSeq) {
					err = fmt.Errorf("sample %d: %+v", samples, s)
				}
				if err != nil {
					sampleErr = err
					return
				}
				samples++
			}
		}()
		var wg sync.WaitGroup
		bad := make(chan string, 100)
		for i := 0; i < 15; i++ { // 5 confirmed and 10 waitlisted cancel
			u := first[i*2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := c.do("DELETE", fmt.Sprintf("/api/v1/talks/%d/registrations/me", tk.ID), u.Token, nil); r.status != 204 {
					bad <- fmt.Sprintf("cancel: %d %s", r.status, r.body)
				}
			}()
		}
		for _, u := range later {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := c.do("POST", fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, nil); r.status != 201 {
					bad <- fmt.Sprintf("register: %d %s", r.status, r.body)
				}
			}()
		}
		wg.Wait()
		close(stop)
		sw.Wait()
		close(bad)
		for b := range bad {
			t.Fatal(b)
		}
		if sampleErr != nil {
			t.Fatal(sampleErr)
		}
		if samples == 0 {
			t.Fatal("no samples taken")
		}
		conf, wait, _, _ := counts(t, env, tk.ID)
		if conf != seats || wait != 30+40-15-seats {
			t.Fatalf("%d confirmed, %d waitlisted", conf, wait)
		}
		checkFIFO(t, env, tk.ID, mod.Token)
		// Promotions went out in arrival order.
		var promotedSeqs []int64
		if err := env.DB.Select(&promotedSeqs, `SELECT r.seq FROM outbox o JOIN registrations r ON r.talk_id = o.talk_id AND r.user_id = o.user_id
			WHERE o.talk_id = $1 AND o.kind = 'registration.promoted' ORDER BY o.id`, tk.ID); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(promotedSeqs); i++ {
			if promotedSeqs[i] < promotedSeqs[i-1] {
				t.Fatalf("promotions out of order: %v", promotedSeqs)
			}
		}
		t.Logf("run %d: %d samples, %d promotions", run, samples, len(promotedSeqs))
	}
}

func TestDatabaseRejectsOverbookingSQL(t *testing.T) {
	env, _, tk := serverWithTalk(t, map[string]any{"capacity": 1})
	a, b := env.NewUser("participant"), env.NewUser("participant")
	if _, err := env.DB.Exec(`INSERT INTO registrations (talk_id, user_id, status, confirmed_at) VALUES ($1, $2, 'confirmed', now())`, tk.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := env.DB.Exec(`INSERT INTO registrations (talk_id, user_id, status, confirmed_at) VALUES ($1, $2, 'confirmed', now())`, tk.ID, b.ID)
	if err == nil || !strings.Contains(err.Error(), "talks_confirmed_within_capacity") {
		t.Fatalf("overbooking insert: %v", err)
	}
	if _, err := env.DB.Exec(`INSERT INTO registrations (talk_id, user_id, status) VALUES ($1, $2, 'waitlisted')`, tk.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	_, err = env.DB.Exec(`UPDATE registrations SET status = 'confirmed', confirmed_at = now() WHERE talk_id = $1 AND user_id = $2`, tk.ID, b.ID)
	if err == nil || !strings.Contains(err.Error(), "talks_confirmed_within_capacity") {
		t.Fatalf("overbooking update: %v", err)
	}
	_, err = env.DB.Exec(`UPDATE talks SET capacity = 0 WHERE id = $1`, tk.ID)
	if err == nil {
		t.Fatal("capacity lowered below the confirmed count")
	}
	conf, wait, cc, cw := counts(t, env, tk.ID)
	if conf != 1 || wait != 1 || cc != 1 || cw != 1 {
		t.Fatalf("%d/%d counters %d/%d", conf, wait, cc, cw)
	}
}

func TestCapacityChangesAndCancel(t *testing.T) {
	env, mod, tk := serverWithTalk(t, map[string]any{"capacity": 2})
	us := users(t, env, 6)
	for _, u := range us {
		testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), u.Token, nil), 201)
	}
	// Repeating answers 200 with the same registration.
	var again registrations.Registration
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), us[4].Token, nil), 200).JSON(t, &again)
	if again.Status != "waitlisted" || *again.WaitlistPosition != 3 {
		t.Fatalf("repeat: %+v", again)
	}
	// Lowering below the confirmed count: 422 naming capacity, nothing changed.
	r := env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"capacity": 1})
	if r.StatusCode != 422 || r.Problem(t).Errors[0].Field != "capacity" {
		t.Fatalf("lower capacity: %d %s", r.StatusCode, r.Body)
	}
	// Raising confirms the next ones in order.
	var p talks.Talk
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"capacity": 4}), 200).JSON(t, &p)
	if p.RegisteredCount != 4 || p.WaitlistCount != 2 {
		t.Fatalf("after raise: %d/%d", p.RegisteredCount, p.WaitlistCount)
	}
	rs := rowsBySeq(t, env, tk.ID)
	for i, r := range rs {
		if (i < 4) != (r.Status == "confirmed") || r.UserID != us[i].ID {
			t.Fatalf("after raise, arrival %d: %+v", i, r)
		}
	}
	// Cancelling a confirmed one confirms the head of the waitlist.
	testserver.Must(t, env.Delete(fmt.Sprintf("/api/v1/talks/%d/registrations/me", tk.ID), us[1].Token), 204)
	var st string
	_ = env.DB.Get(&st, `SELECT status FROM registrations WHERE talk_id = $1 AND user_id = $2`, tk.ID, us[4].ID)
	if st != "confirmed" {
		t.Fatalf("head of waitlist is %s", st)
	}
	var mine struct{ Items []registrations.Registration }
	testserver.Must(t, env.Get("/api/v1/me/registrations", us[5].Token), 200).JSON(t, &mine)
	if len(mine.Items) != 1 || *mine.Items[0].WaitlistPosition != 1 || mine.Items[0].Talk == nil || mine.Items[0].Talk.ID != tk.ID {
		t.Fatalf("me/registrations: %s", must(json.Marshal(mine)))
	}
	// Unlimited: everyone confirmed.
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/talks/%d", tk.ID), mod.Token, map[string]any{"capacity": nil}), 200)
	if conf, wait, _, _ := counts(t, env, tk.ID); conf != 5 || wait != 0 {
		t.Fatalf("unlimited: %d/%d", conf, wait)
	}
	// CSV for staff; participants get 403.
	if r := env.Get(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), us[0].Token); r.StatusCode != 403 {
		t.Fatalf("participant list: %d", r.StatusCode)
	}
	csvResp := testserver.Must(t, env.Do(testserver.Req{Method: "GET", Path: fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID),
		Token: mod.Token, Header: map[string]string{"Accept": "text/csv"}}), 200)
	recs, err := csv.NewReader(bytes.NewReader(csvResp.Body)).ReadAll()
	if err != nil || len(recs) != 6 || recs[0][2] != "email" || recs[1][2] != us[0].Email {
		t.Fatalf("csv %v %q", err, csvResp.Body)
	}

	// Cancelling the talk ends registrations and tells every registrant.
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/cancel", tk.ID), mod.Token, nil), 200)
	var ended, told int
	_ = env.DB.Get(&ended, `SELECT count(*) FROM registrations WHERE talk_id = $1 AND status = 'cancelled'`, tk.ID)
	_ = env.DB.Get(&told, `SELECT count(*) FROM outbox WHERE talk_id = $1 AND kind = 'talk.cancelled'`, tk.ID)
	if ended != 5 || told != 5 {
		t.Fatalf("%d registrations ended, %d told", ended, told)
	}
	r = env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), us[0].Token, nil)
	if r.StatusCode != 409 || r.Problem(t).Code != "registration_closed" {
		t.Fatalf("register for cancelled: %d %s", r.StatusCode, r.Body)
	}
}

func must(b []byte, _ error) string { return string(b) }

func TestRegistrationClosed(t *testing.T) {
	env := testserver.New(t)
	mod := env.NewUser("moderator")
	u := env.NewUser("participant")
	closedDeadline := testserver.NewTalk(t, env, mod.Token, map[string]any{"registration_closes_at": testserver.At(-time.Hour), "starts_at": testserver.At(-2 * time.Hour), "ends_at": testserver.At(time.Hour)})
	ended := testserver.NewTalk(t, env, mod.Token, map[string]any{"starts_at": testserver.At(-3 * time.Hour), "ends_at": testserver.At(-2 * time.Hour)})
	for _, id := range []int64{closedDeadline.ID, ended.ID} {
		r := env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", id), u.Token, nil)
		if r.StatusCode != 409 || r.Problem(t).Code != "registration_closed" {
			t.Fatalf("talk %d: %d %s", id, r.StatusCode, r.Body)
		}
	}
	if r := env.Post("/api/v1/talks/424242/registrations", u.Token, nil); r.StatusCode != 404 {
		t.Fatalf("missing talk: %d", r.StatusCode)
	}
	if r := env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", ended.ID), "", nil); r.StatusCode != 401 {
		t.Fatalf("anonymous: %d", r.StatusCode)
	}
	n := countRows(t, env, `SELECT count(*) FROM registrations`)
	if n != 0 {
		t.Fatalf("%d registrations", n)
	}
}

func TestErasurePromotesAndExport(t *testing.T) {
	env, _, tk := serverWithTalk(t, map[string]any{"capacity": 1})
	a, b := env.NewUser("participant"), env.NewUser("participant")
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), a.Token, nil), 201)
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", tk.ID), b.Token, nil), 201)
	var export struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	testserver.Must(t, env.Get("/api/v1/me/export", a.Token), 200).JSON(t, &export)
	var exported []registrations.Registration
	_ = json.Unmarshal(export.Data["registrations"], &exported)
	if len(exported) != 1 || exported[0].TalkID != tk.ID {
		t.Fatalf("export: %+v", export)
	}
	testserver.Must(t, env.Delete("/api/v1/me", a.Token), 204)
	var st string
	_ = env.DB.Get(&st, `SELECT status FROM registrations WHERE talk_id = $1 AND user_id = $2`, tk.ID, b.ID)
	left := countRows(t, env, `SELECT count(*) FROM registrations WHERE user_id = $1`, a.ID)
	if st != "confirmed" || left != 0 {
		t.Fatalf("after erasure: b is %q, a has %d registrations", st, left)
	}
}
