package server_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// liveEvent is an event frame of a live socket with its payload.
type liveEvent struct {
	Op      string          `json:"op"`
	Channel string          `json:"channel"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
}

// liveServer is a server with a live hub, listening at base.
func liveServer(t *testing.T) (*testserver.Env, string) {
	t.Helper()
	env := testserver.New(t, testserver.WithHub(realtime.HubConfig{}))
	return env, env.Listen()
}

// follow subscribes conn to channel and collects what it receives.
func follow(t *testing.T, conn *websocket.Conn, channel string) *testkit.Inbox[liveEvent] {
	t.Helper()
	if err := conn.WriteJSON(map[string]any{"op": "subscribe", "channel": channel}); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, conn); f.Op != "subscribed" {
		t.Fatalf("subscribe %s: %+v", channel, f)
	}
	return testkit.Receive(conn, func(msg []byte) liveEvent {
		var e liveEvent
		_ = json.Unmarshal(msg, &e)
		return e
	})
}

// waitEvent waits until in holds an event of type typ whose data satisfies ok.
func waitEvent(t *testing.T, in *testkit.Inbox[liveEvent], what, typ string, ok func(data map[string]any) bool) {
	t.Helper()
	testkit.WaitFor(t, what, 10*time.Second, func() bool {
		frames, _ := in.Frames()
		for _, f := range frames {
			var data map[string]any
			if f.Op == "event" && f.Type == typ && json.Unmarshal(f.Data, &data) == nil && ok(data) {
				return true
			}
		}
		return false
	})
}

// joinAsGuest calls POST /auth/guest and returns the new guest's token and id.
func joinAsGuest(t *testing.T, env *testserver.Env, name string) (string, int64) {
	t.Helper()
	var s struct {
		Token string `json:"token"`
		User  struct {
			ID    int64   `json:"id"`
			Role  string  `json:"role"`
			Email *string `json:"email"`
		} `json:"user"`
	}
	testserver.Must(t, env.Post("/api/v1/auth/guest", "", map[string]string{"display_name": name}), 201).JSON(t, &s)
	if s.Token == "" || s.User.Role != "guest" || s.User.Email != nil {
		t.Fatalf("guest session %+v: want a token, role guest and no email", s)
	}
	return s.Token, s.User.ID
}

// Guests join with a name, then ask and vote in a live room that staff
// follow over the live socket; they cannot register for a talk.
func TestGuestsAskAndVoteLiveButCannotRegister(t *testing.T) {
	t.Parallel()
	env, base := liveServer(t)
	mod := env.NewUser("moderator")
	talk := insertTalk(t, env, "live")
	channel := "talk:" + strconv.FormatInt(talk, 10)
	staff := follow(t, liveDial(t, base, mod.Token), channel+":staff")

	asker, askerID := joinAsGuest(t, env, "Ada from row 12")
	voter, _ := joinAsGuest(t, env, "Grace")
	watching := follow(t, liveDial(t, base, voter), channel) // a guest watches the public channel

	var q struct {
		ID     int64 `json:"id"`
		Author struct {
			ID int64 `json:"id"`
		} `json:"author"`
	}
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk), asker, map[string]any{"body": "Will the slides be shared?", "anonymous": false}), 201).JSON(t, &q)
	if q.Author.ID != askerID {
		t.Fatalf("question author %d, want the guest %d", q.Author.ID, askerID)
	}
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk), asker, map[string]any{"body": "And anonymously?", "anonymous": true}), 201)
	isQ := func(d map[string]any) bool { return d["id"] == float64(q.ID) }
	waitEvent(t, staff, "the guest's question on the staff channel", "question.created", isQ)
	waitEvent(t, watching, "the guest's question on the public channel", "question.created", isQ)

	var v struct {
		Votes int  `json:"votes"`
		Voted bool `json:"voted"`
	}
	testserver.Must(t, env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", q.ID), voter, nil), 200).JSON(t, &v)
	if v.Votes != 1 || !v.Voted {
		t.Fatalf("vote answered %+v", v)
	}
	waitEvent(t, staff, "the guest's vote on the staff channel", "question.voted", func(d map[string]any) bool { return isQ(d) && d["votes"] == float64(1) })
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/questions/%d/flags", q.ID), voter, map[string]string{"reason": "duplicate"}), 201)
	var th struct {
		ID int64 `json:"id"`
	}
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/threads", talk), asker, map[string]string{"title": "Slides", "body": "Where?"}), 201).JSON(t, &th)
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), voter, map[string]string{"body": "On the site"}), 201)

	scheduled := insertTalk(t, env, "scheduled")
	p := testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", scheduled), asker, nil), 403).Problem(t)
	if p.Code != "email_required" {
		t.Fatalf("a guest's registration: %+v, want email_required", p)
	}
	var n int
	if err := env.DB.Get(&n, `SELECT count(*) FROM registrations WHERE user_id = $1`, askerID); err != nil || n != 0 {
		t.Fatalf("%d registrations of the guest (%v)", n, err)
	}
	// The guest's own data works without an email.
	testserver.Must(t, env.Get("/api/v1/me", asker), 200)
	testserver.Must(t, env.Get("/api/v1/me/registrations", asker), 200)
	testserver.Must(t, env.Get("/api/v1/me/export", asker), 200)
	testserver.Must(t, env.Get("/api/v1/users?q=Ada", mod.Token), 200)
}

// A talk with qa.allow_guests false refuses every write of a guest with
// guests_not_allowed, and still takes them from participants.
func TestTalkWithoutGuestsRefusesThem(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	admin := env.NewUser("admin")
	participant := env.NewUser("participant")
	guest := env.NewGuest()
	talk := insertTalk(t, env, "live")
	talkPath := fmt.Sprintf("/api/v1/talks/%d", talk)
	var q, th, post struct {
		ID int64 `json:"id"`
	}
	// Written while guests were welcome (the default).
	testserver.Must(t, env.Post(talkPath+"/questions", participant.Token, map[string]any{"body": "A question", "anonymous": false}), 201).JSON(t, &q)
	testserver.Must(t, env.Post(talkPath+"/threads", guest.Token, map[string]string{"title": "A thread", "body": "Its body"}), 201).JSON(t, &th)
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), guest.Token, map[string]string{"body": "A post"}), 201).JSON(t, &post)

	var changed struct {
		QA struct {
			AllowGuests bool `json:"allow_guests"`
		} `json:"qa"`
	}
	testserver.Must(t, env.Patch(talkPath, admin.Token, map[string]any{"qa": map[string]any{"allow_guests": false}}), 200).JSON(t, &changed)
	if changed.QA.AllowGuests {
		t.Fatal("qa.allow_guests still true after the change")
	}
	for _, req := range []testserver.Req{
		{Method: "POST", Path: talkPath + "/questions", Body: map[string]any{"body": "Me too?", "anonymous": true}},
		{Method: "PUT", Path: fmt.Sprintf("/api/v1/questions/%d/vote", q.ID)},
		{Method: "POST", Path: fmt.Sprintf("/api/v1/questions/%d/flags", q.ID), Body: map[string]string{"reason": "spam"}},
		{Method: "POST", Path: talkPath + "/threads", Body: map[string]string{"title": "Another", "body": "thread"}},
		{Method: "POST", Path: fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), Body: map[string]string{"body": "Another post"}},
		{Method: "POST", Path: fmt.Sprintf("/api/v1/posts/%d/flags", post.ID), Body: map[string]string{"reason": "spam"}},
		{Method: "PATCH", Path: fmt.Sprintf("/api/v1/posts/%d", post.ID), Body: map[string]string{"body": "Edited"}},
		{Method: "PATCH", Path: fmt.Sprintf("/api/v1/threads/%d", th.ID), Body: map[string]string{"title": "Retitled"}},
	} {
		req.Token = guest.Token
		if p := testserver.Must(t, env.Do(req), 403).Problem(t); p.Code != "guests_not_allowed" {
			t.Errorf("%s %s as a guest: %+v, want guests_not_allowed", req.Method, req.Path, p)
		}
	}
	// Watching stays open to guests, and participants still take part.
	testserver.Must(t, env.Get(talkPath+"/questions", guest.Token), 200)
	testserver.Must(t, env.Put(fmt.Sprintf("/api/v1/questions/%d/vote", q.ID), participant.Token, nil), 200)
	var n int
	if err := env.DB.Get(&n, `SELECT count(*) FROM questions WHERE talk_id = $1`, talk); err != nil || n != 1 {
		t.Fatalf("%d questions (%v): a refused guest wrote one", n, err)
	}
}

// 500 guests may join from one address within the window (a full venue
// behind one NAT); the 501st is told to wait.
func TestGuestJoinsLimitedPerAddress(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	for i := range env.Config.Accounts.GuestsPerIP {
		testserver.Must(t, env.Post("/api/v1/auth/guest", "", map[string]string{"display_name": fmt.Sprintf("Seat %d", i)}), 201)
	}
	if env.Config.Accounts.GuestsPerIP != 500 {
		t.Fatalf("guests per address %d, want 500", env.Config.Accounts.GuestsPerIP)
	}
	r := testserver.Must(t, env.Post("/api/v1/auth/guest", "", map[string]string{"display_name": "One too many"}), 429)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	for _, bad := range []map[string]string{{"display_name": ""}, {"display_name": "   "}, {"name": "typo"}} {
		if c := env.Post("/api/v1/auth/guest", "", bad).StatusCode; c != 422 {
			t.Errorf("guest %v: %d, want 422", bad, c)
		}
	}
}

// A guest becomes a participant with an email and a password, keeping its
// id, its question and its session; only a guest can.
func TestGuestUpgradeKeepsWhatItWrote(t *testing.T) {
	t.Parallel()
	env, base := liveServer(t)
	token, id := joinAsGuest(t, env, "Linus")
	talk := insertTalk(t, env, "live")
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk), token, map[string]any{"body": "Mine", "anonymous": false}), 201)
	conn := liveDial(t, base, token)
	taken := env.NewUser("participant")

	for _, tc := range []struct {
		body map[string]string
		want int
		code string
	}{
		{map[string]string{"email": "not an email", "password": "a long enough password"}, 422, "validation_failed"},
		{map[string]string{"email": "linus@example.org", "password": "short"}, 422, "validation_failed"},
		{map[string]string{"email": taken.Email, "password": "a long enough password"}, 409, "email_taken"},
	} {
		p := testserver.Must(t, env.Post("/api/v1/me/upgrade", token, tc.body), tc.want).Problem(t)
		if tc.code != "validation_failed" && p.Code != tc.code {
			t.Errorf("upgrade %v: %+v, want %s", tc.body, p, tc.code)
		}
	}
	var u struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	testserver.Must(t, env.Post("/api/v1/me/upgrade", token, map[string]string{"email": "linus@example.org", "password": "a long enough password"}), 200).JSON(t, &u)
	if u.ID != id || u.Role != "participant" || u.Email != "linus@example.org" {
		t.Fatalf("upgraded to %+v", u)
	}
	// The live socket reconnects to carry the new role.
	closedWithin(t, conn, 5*time.Second)
	testkit.WaitFor(t, "the session to carry the new role", 5*time.Second, func() bool {
		var me struct {
			Role string `json:"role"`
		}
		testserver.Must(t, env.Get("/api/v1/me", token), 200).JSON(t, &me)
		return me.Role == "participant"
	})
	var row struct {
		Authored int  `db:"authored"`
		Verified bool `db:"verified"`
	}
	if err := env.DB.Get(&row, `SELECT (SELECT count(*) FROM questions WHERE author_id = $1) AS authored,
		email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1`, id); err != nil || row.Authored != 1 || row.Verified {
		t.Fatalf("after the upgrade %+v (%v): want its question kept and the address unverified", row, err)
	}
	// The new address gets one message: its verification.
	var kinds []string
	if err := env.DB.Select(&kinds, `SELECT kind FROM outbox WHERE user_id = $1`, id); err != nil || len(kinds) != 1 || kinds[0] != accounts.MessageVerify {
		t.Fatalf("messages after the upgrade: %v (%v), want one verification", kinds, err)
	}
	if p := testserver.Must(t, env.Post("/api/v1/me/upgrade", token, map[string]string{"email": "again@example.org", "password": "a long enough password"}), 409).Problem(t); p.Code != "not_guest" {
		t.Fatalf("second upgrade: %+v", p)
	}
	testserver.Must(t, env.Post("/api/v1/auth/login", "", map[string]string{"email": "linus@example.org", "password": "a long enough password"}), 200)
	scheduled := insertTalk(t, env, "scheduled")
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/registrations", scheduled), token, nil), 201)
}

// A guest never holds a staff role or speaks, and erasing a guest works.
func TestGuestsHoldNoRoleAndCanBeErased(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	admin := env.NewUser("admin")
	guest := env.NewGuest()
	if p := testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/users/%d", guest.ID), admin.Token, map[string]string{"role": "moderator"}), 409).Problem(t); p.Code != "guest_has_no_email" {
		t.Fatalf("making a guest a moderator: %+v", p)
	}
	talk := insertTalk(t, env, "scheduled")
	testserver.Must(t, env.Patch(fmt.Sprintf("/api/v1/talks/%d", talk), admin.Token, map[string]any{"speakers": []map[string]int64{{"id": guest.ID}}}), 422)
	testserver.Must(t, env.Post(fmt.Sprintf("/api/v1/talks/%d/questions", talk), guest.Token, map[string]any{"body": "Before I go", "anonymous": false}), 201)
	testserver.Must(t, env.Delete("/api/v1/me", guest.Token), 204)
	testserver.Must(t, env.Get("/api/v1/me", guest.Token), 401)
	var name string
	if err := env.DB.Get(&name, `SELECT display_name FROM users WHERE id = $1 AND deleted_at IS NOT NULL`, guest.ID); err != nil || name != "Former participant" {
		t.Fatalf("erased guest named %q (%v)", name, err)
	}
}
