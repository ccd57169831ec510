package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// liveDial opens a live socket as token's user ("" for anonymous).
func liveDial(t *testing.T, base, token string) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/live"
	if token != "" {
		url += "?token=" + token
	}
	conn, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"http://hubtalks.test"}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

type frame struct {
	Op      string `json:"op"`
	Channel string `json:"channel"`
	Code    string `json:"code"`
	Seq     int64  `json:"seq"`
}

func readFrame(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(msg, &f); err != nil {
		t.Fatalf("frame %q: %v", msg, err)
	}
	return f
}

// closedWithin waits for the server to close c and returns the close code.
func closedWithin(t *testing.T, c *websocket.Conn, d time.Duration) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if ok := asCloseError(err, &ce); ok {
			return ce.Code
		}
		t.Fatalf("socket not closed by the server within %s: %v", d, err)
	}
}

func asCloseError(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

func insertTalk(t *testing.T, env *testserver.Env, status string, speakers ...int64) int64 {
	t.Helper()
	var id int64
	err := env.DB.Get(&id, `INSERT INTO talks (slug, title, starts_at, ends_at, status)
		VALUES ('t-' || md5(random()::text), 'A talk', now() + interval '1 hour', now() + interval '2 hours', $1) RETURNING id`, status)
	if err != nil {
		t.Fatal(err)
	}
	testserver.AddSpeakers(t, env, id, speakers...)
	return id
}

func TestSocketsClosedOnLogoutRoleChangeAndErasure(t *testing.T) {
	t.Parallel()
	env, base := liveServer(t)
	admin := env.NewUser("admin")
	talk := insertTalk(t, env, "scheduled")

	for _, tc := range []struct {
		name string
		role string
		act  func(u testserver.User)
	}{
		{"logout", "participant", func(u testserver.User) { testserver.Must(t, env.Post("/api/v1/auth/logout", u.Token, nil), 204) }},
		{"role removed", "moderator", func(u testserver.User) {
			testserver.Must(t, env.Patch("/api/v1/users/"+strconv.FormatInt(u.ID, 10), admin.Token, map[string]string{"role": "participant"}), 200)
		}},
		{"account erased", "participant", func(u testserver.User) { testserver.Must(t, env.Delete("/api/v1/me", u.Token), 204) }},
	} {
		u := env.NewUser(tc.role)
		conn := liveDial(t, base, u.Token)
		if err := conn.WriteJSON(map[string]any{"op": "subscribe", "channel": "talk:" + strconv.FormatInt(talk, 10)}); err != nil {
			t.Fatal(err)
		}
		if f := readFrame(t, conn); f.Op != "subscribed" {
			t.Fatalf("%s: first frame %+v", tc.name, f)
		}
		start := time.Now()
		tc.act(u)
		code := closedWithin(t, conn, 5*time.Second)
		t.Logf("%s: closed with %d after %s", tc.name, code, time.Since(start).Round(time.Millisecond))
	}
}

func TestStaffChannelOnlyForStaffOfThatTalk(t *testing.T) {
	t.Parallel()
	env, base := liveServer(t)
	speaker := env.NewUser("participant")
	otherSpeaker := env.NewUser("participant")
	talk := insertTalk(t, env, "scheduled", speaker.ID)
	insertTalk(t, env, "scheduled", otherSpeaker.ID)
	draft := insertTalk(t, env, "draft")
	staff := "talk:" + strconv.FormatInt(talk, 10) + ":staff"
	for _, tc := range []struct {
		name, token, channel, want string
	}{
		{"anonymous", "", staff, "error"},
		{"participant", env.NewUser("participant").Token, staff, "error"},
		{"speaker of another talk", otherSpeaker.Token, staff, "error"},
		{"speaker", speaker.Token, staff, "subscribed"},
		{"moderator", env.NewUser("moderator").Token, staff, "subscribed"},
		{"admin", env.NewUser("admin").Token, staff, "subscribed"},
		{"anonymous on a draft", "", "talk:" + strconv.FormatInt(draft, 10), "error"},
		{"anonymous on a public talk", "", "talk:" + strconv.FormatInt(talk, 10), "subscribed"},
	} {
		conn := liveDial(t, base, tc.token)
		if err := conn.WriteJSON(map[string]any{"op": "subscribe", "channel": tc.channel}); err != nil {
			t.Fatal(err)
		}
		f := readFrame(t, conn)
		if f.Op != tc.want || (f.Op == "error" && f.Code != "forbidden") {
			t.Errorf("%s on %s: %+v, want %s", tc.name, tc.channel, f, tc.want)
		}
	}
	// A bad token is refused before the upgrade.
	url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/live?token=not-a-token"
	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("bad token: %v, %+v", err, resp)
	}
}

func TestForwardedForOnlyBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	login := func(base, xff string) int {
		return testserver.LoginFrom(t, base, xff, "x@example.org", "wrong password")
	}
	limits := func(c *server.Config) {
		c.Accounts.LoginAttemptsPerIP = 3
		c.Accounts.LoginFailuresPerAccount = 1000
	}
	// Untrusted peer: a spoofed header does not give a fresh budget.
	env := testserver.New(t, testserver.WithConfig(limits))
	base := env.Listen()
	codes := []int{}
	for i := 0; i < 5; i++ {
		codes = append(codes, login(base, "10.0.0."+strconv.Itoa(i)))
	}
	if codes[3] != 429 || codes[4] != 429 {
		t.Fatalf("spoofed X-Forwarded-For changed the limiter key: %v", codes)
	}
	// Behind a trusted proxy, each forwarded client has its own budget.
	env = testserver.New(t, testserver.WithConfig(limits), testserver.WithConfig(func(c *server.Config) {
		c.TrustedProxies = []string{"127.0.0.1"}
	}))
	base = env.Listen()
	for i := 0; i < 5; i++ {
		if got := login(base, "192.0.2."+strconv.Itoa(i)); got != 401 {
			t.Fatalf("forwarded client %d: %d, want 401", i, got)
		}
	}
	for i := 0; i < 3; i++ {
		login(base, "198.51.100.7")
	}
	if got := login(base, "198.51.100.7"); got != 429 {
		t.Fatalf("one forwarded client over its budget: %d", got)
	}
}
