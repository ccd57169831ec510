package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/attendance"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// fakeClock is the attendance clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// instance is one server of the deployment, stoppable mid-test.
type instance struct {
	env  *testserver.Env
	url  string
	stop func()
}

func startInstance(t *testing.T, env *testserver.Env) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = env.Server.Serve(ctx, ln, 5*time.Second) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return &instance{env: env, url: "http://" + ln.Addr().String(), stop: stop}
}

// inRoom reports whether the instance's hub has user in the talk's room.
func inRoom(hub *realtime.Hub, channel string, user int64) bool {
	for _, r := range hub.Rooms() {
		if r.Channel == channel && slices.Contains(r.Users, user) {
			return true
		}
	}
	return false
}

// Attendance across two instances, with a user moving between them and an
// instance restarting in the middle: minutes within ±1 of the truth, the
// certificate threshold, the staff CSV, the certificate PDF (read back with
// pdftotext) and its verification.
func TestAttendanceAcrossInstancesAndARestart(t *testing.T) {
	clock := &fakeClock{}
	manual := attendance.TrackerConfig{Now: clock.Now, SampleEvery: time.Hour, FlushEvery: time.Hour}
	env := testserver.New(t, testserver.WithRedis(), testserver.WithHub(realtime.HubConfig{}),
		testserver.WithConfig(func(c *server.Config) { c.Attendance = manual }))
	a := startInstance(t, env)
	env.URL = a.url
	b := startInstance(t, env.Peer(realtime.HubConfig{}))

	admin := env.NewUser("admin")
	speaker := env.NewUser("participant")
	lukasz, brief := env.NewUser("participant"), env.NewUser("participant")
	tk := testserver.NewTalk(t, env, admin.Token, map[string]any{"title": "Evidence for mHealth apps"})
	testserver.AddSpeakers(t, env, tk.ID, speaker.ID)
	for _, u := range []testserver.User{lukasz, brief} {
		testserver.Must(t, env.Post(path("/talks/%d/registrations", tk.ID), u.Token, nil), 201)
	}
	testserver.Must(t, env.Patch("/api/v1/me", lukasz.Token, map[string]any{"display_name": "Łukasz Żółć"}), 200)
	testserver.Must(t, env.Post(path("/talks/%d/status", tk.ID), speaker.Token, map[string]any{"status": "live"}), 200)

	// The live session runs 30 minutes of the test's clock.
	t0 := time.Date(2026, 11, 27, 10, 0, 5, 0, time.UTC)
	if _, err := env.DB.Exec(`UPDATE talks SET live_started_at = $2 WHERE id = $1`, tk.ID, t0); err != nil {
		t.Fatal(err)
	}
	channel := fmt.Sprintf("talk:%d", tk.ID)
	join := func(inst *instance, u testserver.User) *watcher {
		w := watch(t, inst.url, u.Token, subscribeFrom(channel, 0))
		w.waitFrame("subscribed", 10*time.Second, func(f frame, _ string) bool { return f.Op == "subscribed" })
		testkit.WaitFor(t, "user in the room", 10*time.Second, func() bool { return inRoom(inst.env.Hub, channel, u.ID) })
		return w
	}
	leave := func(inst *instance, u testserver.User, tabs ...*watcher) {
		for _, w := range tabs {
			w.conn.Close()
		}
		testkit.WaitFor(t, "user out of the room", 10*time.Second, func() bool { return !inRoom(inst.env.Hub, channel, u.ID) })
	}
	ctx := context.Background()
	// tick samples every running instance at minute m, seconds s.
	tick := func(m, s int, insts ...*instance) {
		clock.Set(t0.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second))
		for _, inst := range insts {
			if err := inst.env.Server.Tracker().Sample(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	flush := func(insts ...*instance) {
		for _, inst := range insts {
			if err := inst.env.Server.Tracker().Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Minutes 0–9: Łukasz on A in two tabs, the brief visitor on B.
	onA1, onA2 := join(a, lukasz), join(a, lukasz)
	briefOnB := join(b, brief)
	for m := 0; m < 10; m++ {
		tick(m, 0, a, b)
		tick(m, 30, a, b)
		if m == 4 {
			flush(a) // A writes in batches, several times a session
		}
	}
	leave(b, brief, briefOnB)
	// Minute 10: Łukasz moves to B (a minute unseen: a gap under 2 minutes).
	leave(a, lukasz, onA1, onA2)
	tick(10, 30, a, b)
	onB := join(b, lukasz)
	for m := 11; m < 16; m++ {
		tick(m, 0, a, b)
		tick(m, 30, a, b)
	}
	// Minute 16: B restarts with Łukasz connected; nothing it marked since
	// its last flush is lost (it flushes as it stops). He comes back on the
	// new B at minute 17.
	b.stop()
	_ = onB
	b2 := startInstance(t, env.Peer(realtime.HubConfig{}))
	tick(16, 30, a, b2)
	join(b2, lukasz)
	for m := 17; m < 25; m++ {
		tick(m, 0, a, b2)
		tick(m, 30, a, b2)
	}
	flush(a, b2)
	clock.Set(t0.Add(30 * time.Minute))
	testserver.Must(t, env.Post(path("/talks/%d/status", tk.ID), speaker.Token, map[string]any{"status": "ended"}), 200)
	if _, err := env.DB.Exec(`UPDATE talks SET live_ended_at = $2 WHERE id = $1`, tk.ID, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// The truth: Łukasz present from minute 0 to the end of minute 24 (25
	// minutes, one of them spent moving and one restarting); the visitor 10.
	var mine attendance.Mine
	testserver.Must(t, env.Get(path("/talks/%d/attendance/me", tk.ID), lukasz.Token), 200).JSON(t, &mine)
	if mine.Minutes < 24 || mine.Minutes > 26 || mine.SessionMinutes != 30 || !mine.Eligible {
		t.Fatalf("Łukasz: %+v, want 25±1 of 30 minutes and a certificate", mine)
	}
	testserver.Must(t, env.Get(path("/talks/%d/attendance/me", tk.ID), brief.Token), 200).JSON(t, &mine)
	if mine.Minutes < 9 || mine.Minutes > 11 || mine.Eligible {
		t.Fatalf("visitor: %+v, want 10±1 minutes and no certificate", mine)
	}

	// Staff CSV: moderators and admins see emails, speakers do not.
	rows := readCSV(t, testserver.Must(t, env.Get(path("/talks/%d/attendance.csv", tk.ID), admin.Token), 200).Body)
	if len(rows) != 3 || !slices.Contains(rows[0], "email") || rows[1][1] != "Łukasz Żółć" || rows[1][2] != lukasz.Email || rows[1][3] != "true" {
		t.Fatalf("admin CSV: %q", rows)
	}
	rows = readCSV(t, testserver.Must(t, env.Get(path("/talks/%d/attendance.csv", tk.ID), speaker.Token), 200).Body)
	if slices.Contains(rows[0], "email") || strings.Contains(fmt.Sprint(rows), lukasz.Email) {
		t.Fatalf("speaker CSV shows emails: %q", rows)
	}
	testserver.Must(t, env.Get(path("/talks/%d/attendance.csv", tk.ID), brief.Token), 403)

	// The visitor's 10 of 30 minutes are under the talk's share (50 %).
	if p := testserver.Must(t, env.Get(path("/me/certificates/%d.pdf", tk.ID), brief.Token), 403).Problem(t); p.Code != "not_attended" {
		t.Fatalf("visitor's certificate: %+v", p)
	}
	// …but a talk that asks for a third gives them one.
	testserver.Must(t, env.Patch(path("/talks/%d", tk.ID), admin.Token, map[string]any{"certificate_min_share": 0.3}), 200)
	testserver.Must(t, env.Get(path("/me/certificates/%d.pdf", tk.ID), brief.Token), 200)

	pdf := testserver.Must(t, env.Get(path("/me/certificates/%d.pdf", tk.ID), lukasz.Token), 200)
	if ct := pdf.Header.Get("Content-Type"); ct != "application/pdf" || len(pdf.Body) > 200<<10 {
		t.Fatalf("certificate: %s, %d bytes", ct, len(pdf.Body))
	}
	var code string
	if err := env.DB.Get(&code, `SELECT code FROM certificates WHERE talk_id = $1 AND user_id = $2`, tk.ID, lukasz.ID); err != nil {
		t.Fatal(err)
	}
	text := testkit.PDFText(t, pdf.Body)
	for _, want := range []string{"Łukasz Żółć", code, "Evidence for mHealth apps", "Certificate of attendance"} {
		if !strings.Contains(text, want) {
			t.Fatalf("certificate text lacks %q:\n%s", want, text)
		}
	}
	var cert attendance.Certificate
	testserver.Must(t, env.Get("/api/v1/certificates/"+code, ""), 200).JSON(t, &cert)
	if cert.Name != "Łukasz Żółć" || cert.TalkID != tk.ID || cert.Minutes < 24 || cert.Minutes > 26 || cert.Session != 30 {
		t.Fatalf("verification: %+v", cert)
	}
	// Asking again keeps the code.
	testserver.Must(t, env.Get(path("/me/certificates/%d.pdf", tk.ID), lukasz.Token), 200)
	var again string
	_ = env.DB.Get(&again, `SELECT code FROM certificates WHERE talk_id = $1 AND user_id = $2`, tk.ID, lukasz.ID)
	if again != code {
		t.Fatalf("code changed from %s to %s", code, again)
	}
	for _, bad := range []string{"AAAAAAAAAAAAAAAAAAAAAAAAAA", "nope", strings.ToLower(code[:25]) + map[bool]string{true: "a", false: "b"}[code[25] != 'A']} {
		if p := testserver.Must(t, env.Get("/api/v1/certificates/"+bad, ""), 404).Problem(t); p.Code != "not_found" {
			t.Fatalf("bad code %s: %+v", bad, p)
		}
	}

	// The user's export lists their minutes and certificate.
	export := string(testserver.Must(t, env.Get("/api/v1/me/export", lukasz.Token), 200).Body)
	if !strings.Contains(export, `"attendance"`) || !strings.Contains(export, code) {
		t.Fatalf("export lacks attendance: %s", export)
	}
}

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, body)
	}
	return rows
}
