package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/moderation/modtest"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// The live record keeps moderators' and users' decisions: a replay shows
// what HTTP shows now (live-protocol.md, "What a replay may show"), on every
// instance, with seq still gap-free.

// watcher follows channels on one socket and keeps every frame it reads.
type watcher struct {
	t     *testing.T
	conn  *websocket.Conn
	inbox *testkit.Inbox[rawFrame]
}

// rawFrame is a frame as decoded and as sent.
type rawFrame struct {
	frame
	raw string
}

func watch(t *testing.T, base, token string, subs ...map[string]any) *watcher {
	t.Helper()
	conn := liveDial(t, base, token)
	w := &watcher{t: t, conn: conn, inbox: testkit.Receive(conn, func(msg []byte) rawFrame {
		var f frame
		_ = json.Unmarshal(msg, &f)
		return rawFrame{frame: f, raw: string(msg)}
	})}
	for _, s := range subs {
		if err := w.conn.WriteJSON(s); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func subscribeFrom(channel string, since int64) map[string]any {
	return map[string]any{"op": "subscribe", "channel": channel, "since": since}
}

// waitFrame waits until some frame satisfies ok and returns its index in
// frames.
func (w *watcher) waitFrame(what string, d time.Duration, ok func(f frame, raw string) bool) int {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for {
		fs, err := w.inbox.Frames()
		for i, f := range fs {
			if ok(f.frame, f.raw) {
				return i
			}
		}
		if err != nil || time.Now().After(deadline) {
			w.t.Fatalf("%s: not seen (socket error %v)", what, err)
		}
		time.Sleep(10 * time.Millisecond) // polling frames read by the goroutine
	}
}

// frames is every frame read so far, in order; indexes from waitFrame stay
// valid.
func (w *watcher) frames() []rawFrame {
	fs, _ := w.inbox.Frames()
	return fs
}

// replay subscribes a fresh socket with since 0 and returns what it
// replayed before "subscribed", as text, after checking recovered:true and
// seqs 1..head without gap.
func replay(t *testing.T, base, token, channel string, head int64) string {
	t.Helper()
	w := watch(t, base, token, subscribeFrom(channel, 0))
	end := w.waitFrame("subscribed to "+channel, 10*time.Second, func(f frame, _ string) bool {
		return f.Op == "subscribed" || f.Op == "error"
	})
	fs := w.frames()
	if f := fs[end].raw; !strings.Contains(f, `"recovered":true`) {
		t.Fatalf("replay of %s ended with %s", channel, f)
	}
	var b strings.Builder
	for i := 0; i < end; i++ {
		if fs[i].Seq != int64(i+1) {
			t.Fatalf("replay of %s: frame %d has seq %d (gap or duplicate): %s", channel, i, fs[i].Seq, fs[i].raw)
		}
		b.WriteString(fs[i].raw)
		b.WriteByte('\n')
	}
	if int64(end) != head {
		t.Fatalf("replay of %s: %d events, head is %d", channel, end, head)
	}
	_ = w.conn.Close()
	return b.String()
}

func channelHead(t *testing.T, env *modtest.Env, channel string) int64 {
	t.Helper()
	var head int64
	if err := env.DB.Get(&head, `SELECT coalesce(max(seq), 0) FROM channel_seqs WHERE channel = $1`, channel); err != nil {
		t.Fatal(err)
	}
	return head
}

func idOf(t *testing.T, r *testserver.Response) int64 {
	t.Helper()
	var v struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &v)
	return v.ID
}

func path(format string, args ...any) string { return "/api/v1" + fmt.Sprintf(format, args...) }

// twoInstances is a deployment of two instances sharing PostgreSQL and
// Redis, both listening.
func twoInstances(t *testing.T, hubCfg realtime.HubConfig) (env *modtest.Env, a, b string) {
	env = modtest.New(t, nil, testserver.WithRedis(), testserver.WithHub(hubCfg))
	a = env.Listen()
	b = env.Env.Peer(hubCfg).Listen()
	return env, a, b
}

func TestReplayObeysModerationOnEveryInstance(t *testing.T) {
	t.Parallel()
	env, a, b := twoInstances(t, realtime.HubConfig{})
	mod := env.NewUser("moderator")
	alice := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	public := "talk:" + strconv.FormatInt(talk, 10)
	// b follows the talk from the start: its memory holds every original frame.
	onB := watch(t, b, "", subscribeFrom(public, 0))

	testserver.Must(t, env.Post(path("/talks/%d/questions", talk), alice.Token, map[string]any{"body": "A question that stays"}), 201)
	abusive := idOf(t, testserver.Must(t, env.Post(path("/talks/%d/questions", talk), alice.Token, map[string]any{"body": "ABUSIVE-QUESTION"}), 201))
	testserver.Must(t, env.Post(path("/questions/%d/answers", abusive), mod.Token, map[string]any{"body": "ANSWER-TO-ABUSE"}), 201)
	thread := idOf(t, testserver.Must(t, env.Post(path("/talks/%d/threads", talk), alice.Token, map[string]any{"title": "Open thread", "body": "fine"}), 201))
	doxx := idOf(t, testserver.Must(t, env.Post(path("/threads/%d/posts", thread), alice.Token, map[string]any{"body": "DOXXING-POST"}), 201))
	testserver.Must(t, env.Post(path("/threads/%d/posts", thread), alice.Token, map[string]any{"body": "REPLY-UNDER-DOXX", "parent_id": doxx}), 201)
	testserver.Must(t, env.Post(path("/threads/%d/posts", thread), alice.Token, map[string]any{"body": "A post that stays"}), 201)
	hiddenThread := idOf(t, testserver.Must(t, env.Post(path("/talks/%d/threads", talk), alice.Token, map[string]any{"title": "HIDDEN-THREAD-TITLE", "body": "HIDDEN-THREAD-BODY"}), 201))
	testserver.Must(t, env.Post(path("/threads/%d/posts", hiddenThread), alice.Token, map[string]any{"body": "POST-IN-HIDDEN-THREAD"}), 201)

	secrets := []string{"ABUSIVE-QUESTION", "ANSWER-TO-ABUSE", "DOXXING-POST", "REPLY-UNDER-DOXX", "HIDDEN-THREAD-TITLE", "HIDDEN-THREAD-BODY", "POST-IN-HIDDEN-THREAD"}
	// b replays what it has delivered: wait until that is everything.
	head := channelHead(t, env, public)
	onB.waitFrame("b delivered the head", 10*time.Second, func(f frame, _ string) bool { return f.Seq == head })
	before := replay(t, b, "", public, head)
	for _, s := range secrets {
		if !strings.Contains(before, s) {
			t.Fatalf("replay before moderation lacks %q: the test would prove nothing", s)
		}
	}

	testserver.Must(t, env.Patch(path("/questions/%d", abusive), mod.Token, map[string]any{"status": "dismissed"}), 200)
	testserver.Must(t, env.Patch(path("/posts/%d", doxx), mod.Token, map[string]any{"hidden": true}), 200)
	testserver.Must(t, env.Patch(path("/threads/%d", hiddenThread), mod.Token, map[string]any{"hidden": true}), 200)
	// Staff may still reply under the hidden post: the public sees neither.
	testserver.Must(t, env.Post(path("/threads/%d/posts", thread), mod.Token, map[string]any{"body": "STAFF-REPLY-UNDER-HIDDEN", "parent_id": doxx}), 201)
	secrets = append(secrets, "STAFF-REPLY-UNDER-HIDDEN")
	head = channelHead(t, env, public)
	onB.waitFrame("b delivered the moderation", 10*time.Second, func(f frame, _ string) bool { return f.Seq == head })

	for name, base := range map[string]string{"a": a, "b": b} {
		after := replay(t, base, "", public, head)
		for _, s := range secrets {
			if strings.Contains(after, s) {
				t.Errorf("instance %s replays %q after moderation", name, s)
			}
		}
		for _, keep := range []string{"A question that stays", "A post that stays"} {
			if !strings.Contains(after, keep) {
				t.Errorf("instance %s lost %q", name, keep)
			}
		}
	}
	// Staff still see what they moderated, as over HTTP.
	staff := replay(t, a, mod.Token, public+":staff", channelHead(t, env, public+":staff"))
	if !strings.Contains(staff, "DOXXING-POST") {
		t.Error("the staff channel lost the hidden post's text, which moderators see over HTTP")
	}
	// Unhiding brings the thread's posts back in the replay too.
	testserver.Must(t, env.Patch(path("/threads/%d", hiddenThread), mod.Token, map[string]any{"hidden": false}), 200)
	if again := replay(t, a, "", public, channelHead(t, env, public)); !strings.Contains(again, "POST-IN-HIDDEN-THREAD") {
		t.Error("after unhiding, the replay still hides the thread's post")
	}
}

func TestErasureLeavesNoNameInTheRecord(t *testing.T) {
	t.Parallel()
	env, a, b := twoInstances(t, realtime.HubConfig{})
	mod := env.NewUser("moderator")
	alice := env.NewUser("participant")
	if _, err := env.DB.Exec(`UPDATE users SET display_name = 'Zyxwv Erasable' WHERE id = $1`, alice.ID); err != nil {
		t.Fatal(err)
	}
	talk := env.MakeTalk(modtest.TalkOpts{Speakers: []int64{alice.ID}})
	public := "talk:" + strconv.FormatInt(talk, 10)
	onB := watch(t, b, "", subscribeFrom(public, 0))
	q := idOf(t, testserver.Must(t, env.Post(path("/talks/%d/questions", talk), alice.Token, map[string]any{"body": "Who am I?"}), 201))
	testserver.Must(t, env.Post(path("/questions/%d/answers", q), alice.Token, map[string]any{"body": "A speaker's answer"}), 201)
	thread := idOf(t, testserver.Must(t, env.Post(path("/talks/%d/threads", talk), alice.Token, map[string]any{"title": "Mine", "body": "text"}), 201))
	testserver.Must(t, env.Post(path("/threads/%d/posts", thread), alice.Token, map[string]any{"body": "a post"}), 201)
	testserver.Must(t, env.Patch(path("/talks/%d", talk), mod.Token, map[string]any{"title": "Retitled, naming speakers"}), 200)
	head := channelHead(t, env, public)
	onB.waitFrame("b delivered everything", 10*time.Second, func(f frame, _ string) bool { return f.Seq == head })
	if !strings.Contains(replay(t, b, "", public, head), "Zyxwv") {
		t.Fatal("the name is not in the record before erasure: the test would prove nothing")
	}

	testserver.Must(t, env.Delete("/api/v1/me", alice.Token), 204)
	if s := replay(t, a, "", public, head); strings.Contains(s, "Zyxwv") || !strings.Contains(s, "Former participant") {
		t.Errorf("instance a replays after erasure: %.400s", s)
	}
	if s := replay(t, a, mod.Token, public+":staff", channelHead(t, env, public+":staff")); strings.Contains(s, "Zyxwv") {
		t.Error("the staff channel still names the erased account")
	}
	// b learns of the rewrite through the broker (or its log poll).
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(replay(t, b, "", public, head), "Zyxwv") {
		if time.Now().After(deadline) {
			t.Fatal("instance b still replays the erased name")
		}
		time.Sleep(100 * time.Millisecond) // waiting for b to learn of the rewrite
	}
}

func TestDraftEditsNeverReachThePublicRecord(t *testing.T) {
	t.Parallel()
	env, a, _ := twoInstances(t, realtime.HubConfig{})
	mod := env.NewUser("moderator")
	talk := env.MakeTalk(modtest.TalkOpts{Status: "draft"})
	public := "talk:" + strconv.FormatInt(talk, 10)
	testserver.Must(t, env.Patch(path("/talks/%d", talk), mod.Token, map[string]any{"abstract": "CONFIDENTIAL-DRAFT-ABSTRACT"}), 200)
	testserver.Must(t, env.Patch(path("/talks/%d", talk), mod.Token, map[string]any{"abstract": "The published abstract"}), 200)
	if head := channelHead(t, env, public); head != 0 {
		t.Fatalf("a draft emitted %d events on its public channel", head)
	}
	testserver.Must(t, env.Patch(path("/talks/%d", talk), mod.Token, map[string]any{"status": "scheduled"}), 200)
	s := replay(t, a, "", public, 1)
	if strings.Contains(s, "CONFIDENTIAL") || !strings.Contains(s, "The published abstract") {
		t.Errorf("public replay after publishing: %s", s)
	}
	if staff := replay(t, a, mod.Token, public+":staff", channelHead(t, env, public+":staff")); !strings.Contains(staff, "CONFIDENTIAL") {
		t.Error("staff lost the draft's history on their channel")
	}
}

func TestSubscriptionsEndWhenNoLongerAllowed(t *testing.T) {
	t.Parallel()
	env, a, b := twoInstances(t, realtime.HubConfig{})
	mod := env.NewUser("moderator")
	speaker := env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{Status: "scheduled", Speakers: []int64{speaker.ID}})
	public := "talk:" + strconv.FormatInt(talk, 10)
	staffOnB := watch(t, b, speaker.Token, subscribeFrom(public+":staff", 0))
	viewerOnB := watch(t, b, "", subscribeFrom(public, 0))
	staffOnB.waitFrame("speaker subscribed", 10*time.Second, func(f frame, _ string) bool { return f.Op == "subscribed" })
	viewerOnB.waitFrame("viewer subscribed", 10*time.Second, func(f frame, _ string) bool { return f.Op == "subscribed" })
	_ = a

	start := time.Now()
	testserver.Must(t, env.Patch(path("/talks/%d", talk), mod.Token, map[string]any{"speakers": []any{}}), 200)
	staffOnB.waitFrame("speaker's staff channel revoked", 10*time.Second, func(f frame, _ string) bool {
		return f.Op == "error" && f.Code == "forbidden" && f.Channel == public+":staff"
	})
	t.Logf("speaker removed: staff channel ended on the other instance after %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	testserver.Must(t, env.Patch(path("/talks/%d", talk), mod.Token, map[string]any{"status": "draft"}), 200)
	viewerOnB.waitFrame("viewer's public channel revoked", 10*time.Second, func(f frame, _ string) bool {
		return f.Op == "error" && f.Code == "forbidden" && f.Channel == public
	})
	t.Logf("back to draft: public channel ended on the other instance after %s", time.Since(start).Round(time.Millisecond))
}

func TestLiveSocketCaps(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithHub(realtime.HubConfig{MaxSocketsPerUser: 3, MaxSocketsPerAddr: 6}))
	base := env.Listen()
	u := env.NewUser("participant")
	dialStatus := func(token string) int {
		url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/live"
		if token != "" {
			url += "?token=" + token
		}
		conn, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"http://hubtalks.test"}})
		if err == nil {
			t.Cleanup(func() { conn.Close() })
			// A pong means the hub has registered the socket (it counts
			// toward the caps from then on).
			if err := conn.WriteJSON(map[string]string{"op": "ping"}); err != nil {
				t.Fatal(err)
			}
			if f := readFrame(t, conn); f.Op != "pong" {
				t.Fatalf("after the upgrade: %+v", f)
			}
			return resp.StatusCode
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode == 429 && !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("429 with content type %q", ct)
		}
		return resp.StatusCode
	}
	for i := 0; i < 3; i++ {
		if got := dialStatus(u.Token); got != 101 {
			t.Fatalf("socket %d of the user: %d", i+1, got)
		}
	}
	if got := dialStatus(u.Token); got != 429 {
		t.Fatalf("4th socket of one user: %d, want 429", got)
	}
	for i := 0; i < 3; i++ {
		if got := dialStatus(""); got != 101 {
			t.Fatalf("anonymous socket %d: %d", i+1, got)
		}
	}
	if got := dialStatus(""); got != 429 {
		t.Fatalf("7th socket from one address: %d, want 429", got)
	}
}

func TestPresenceCountsASignedInUserOnce(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithHub(realtime.HubConfig{PresenceEvery: 100 * time.Millisecond}))
	base := env.Listen()
	u := env.NewUser("participant")
	talk := insertTalk(t, env, "scheduled")
	public := "talk:" + strconv.FormatInt(talk, 10)
	var ws []*watcher
	for i := 0; i < 4; i++ {
		ws = append(ws, watch(t, base, u.Token, subscribeFrom(public, 0)))
	}
	anon := watch(t, base, "", subscribeFrom(public, 0))
	for _, w := range ws {
		w.waitFrame("subscribed", 10*time.Second, func(f frame, _ string) bool { return f.Op == "subscribed" })
	}
	anon.waitFrame("subscribed", 10*time.Second, func(f frame, _ string) bool { return f.Op == "subscribed" })
	// Every viewer joined before this presence event: it counts them all.
	var viewers int
	anon.waitFrame("presence after everyone joined", 10*time.Second, func(f frame, raw string) bool {
		var ev struct {
			Type string `json:"type"`
			Data struct {
				Viewers int `json:"viewers"`
			} `json:"data"`
		}
		if f.Op != "event" || json.Unmarshal([]byte(raw), &ev) != nil || ev.Type != "presence" {
			return false
		}
		viewers = ev.Data.Viewers
		return viewers >= 2
	})
	if viewers != 2 {
		t.Fatalf("presence says %d viewers for one user with 4 sockets and one anonymous viewer, want 2", viewers)
	}
}

func TestFlagEventsNameNoReporter(t *testing.T) {
	t.Parallel()
	env := modtest.New(t, nil, testserver.WithHub(realtime.HubConfig{}))
	base := env.Listen()
	speaker := env.NewUser("participant")
	reporter := env.NewUser("participant")
	if _, err := env.DB.Exec(`UPDATE users SET display_name = 'Quorble Reporter' WHERE id = $1`, reporter.ID); err != nil {
		t.Fatal(err)
	}
	mod := env.NewUser("moderator")
	talk := env.MakeTalk(modtest.TalkOpts{Speakers: []int64{speaker.ID}})
	staffCh := "talk:" + strconv.FormatInt(talk, 10) + ":staff"
	onStaff := watch(t, base, speaker.Token, map[string]any{"op": "subscribe", "channel": staffCh})
	onStaff.waitFrame("subscribed", 10*time.Second, func(f frame, _ string) bool { return f.Op == "subscribed" })
	q := idOf(t, testserver.Must(t, env.Post(path("/talks/%d/questions", talk), speaker.Token, map[string]any{"body": "flag me"}), 201))
	testserver.Must(t, env.Post(path("/questions/%d/flags", q), reporter.Token, map[string]any{"reason": "spam"}), 201)
	i := onStaff.waitFrame("flag.created", 10*time.Second, func(_ frame, raw string) bool { return strings.Contains(raw, `"flag.created"`) })
	raw := onStaff.frames()[i].raw
	if strings.Contains(raw, "reporter") || strings.Contains(raw, "Quorble") {
		t.Errorf("the staff channel tells speakers who reported: %s", raw)
	}
	if r := testserver.Must(t, env.Get("/api/v1/moderation/flags", mod.Token), 200); !strings.Contains(string(r.Body), "Quorble") {
		t.Errorf("moderators no longer see the reporter over HTTP: %s", r.Body)
	}
}

// TestEditedQuestionLeavesNoOldTextInTheRecord: when an author edits their
// question, a replay shows only the new text, on both channels, while the
// answer and vote that share the question's subject keep theirs.
func TestEditedQuestionLeavesNoOldTextInTheRecord(t *testing.T) {
	t.Parallel()
	env, a, _ := twoInstances(t, realtime.HubConfig{})
	mod := env.NewUser("moderator")
	alice, bob := env.NewUser("participant"), env.NewUser("participant")
	talk := env.MakeTalk(modtest.TalkOpts{})
	public := "talk:" + strconv.FormatInt(talk, 10)
	q := idOf(t, testserver.Must(t, env.Post(path("/talks/%d/questions", talk), alice.Token, map[string]any{"body": "MY-PHONE-IS-0123"}), 201))
	testserver.Must(t, env.Post(path("/questions/%d/answers", q), mod.Token, map[string]any{"body": "AN-ANSWER-THAT-STAYS"}), 201)
	testserver.Must(t, env.Put(path("/questions/%d/vote", q), bob.Token, nil), 200)
	// The vote's count goes out coalesced, a moment later.
	testkit.WaitFor(t, "the vote in the record", 10*time.Second, func() bool {
		var n int
		return env.DB.Get(&n, `SELECT count(*) FROM events WHERE channel = $1 AND type = 'question.voted'`, public) == nil && n > 0
	})
	before := replay(t, a, "", public, channelHead(t, env, public))
	if !strings.Contains(before, "MY-PHONE-IS-0123") {
		t.Fatalf("replay before the edit lacks the text: the test would prove nothing: %.300s", before)
	}

	testserver.Must(t, env.Patch(path("/questions/%d", q), alice.Token, map[string]any{"body": "What does it cost?"}), 200)
	for channel, token := range map[string]string{public: "", public + ":staff": mod.Token} {
		s := replay(t, a, token, channel, channelHead(t, env, channel))
		if strings.Contains(s, "MY-PHONE-IS-0123") || !strings.Contains(s, "What does it cost?") || !strings.Contains(s, "AN-ANSWER-THAT-STAYS") ||
			!strings.Contains(s, "question.voted") {
			t.Errorf("%s replays after the edit: %.600s", channel, s)
		}
	}
}
