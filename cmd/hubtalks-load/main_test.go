package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	fws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/migrations"
	"github.com/hubtalks/hubtalks/migrations/testdb"
	"github.com/hubtalks/hubtalks/realtime"
)

// stubServer serves the two endpoints the load tool uses, with the real hub
// and event log behind them: GET /api/v1/live and a minimal
// POST /api/v1/talks/{id}/questions that stores a question.created event and
// publishes it after commit (the real Q&A handler is server/'s).
// stubTraffic counts what one stub instance was sent.
type stubTraffic struct{ sockets, questions atomic.Int64 }

func stubServer(db *sqlx.DB, broker realtime.Broker, traffic *stubTraffic) (*fiber.App, *realtime.Hub, context.CancelFunc) {
	log := realtime.NewLog(db)
	hub := realtime.NewHub(realtime.HubConfig{History: log, Broker: broker, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	ctx, cancel := context.WithCancel(context.Background())
	go hub.Run(ctx) //nolint:errcheck
	var nextID atomic.Int64
	app := fiber.New(fiber.Config{DisableStartupMessage: true, Immutable: true})
	app.Get("/api/v1/live", fws.New(func(c *fws.Conn) {
		traffic.sockets.Add(1)
		hub.ServeConn(c, realtime.Principal{})
	}))
	app.Post("/api/v1/talks/:id/questions", func(c *fiber.Ctx) error {
		if !strings.HasPrefix(c.Get("Authorization"), "Bearer ") {
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		traffic.questions.Add(1)
		talk, err := strconv.ParseInt(c.Params("id"), 10, 64)
		if err != nil {
			return c.SendStatus(fiber.StatusNotFound)
		}
		var in struct {
			Body      string `json:"body"`
			Anonymous bool   `json:"anonymous"`
		}
		if err := json.Unmarshal(c.Body(), &in); err != nil || in.Body == "" || len(in.Body) > 500 {
			return c.SendStatus(fiber.StatusUnprocessableEntity)
		}
		now := time.Now().UTC()
		q := map[string]any{"id": nextID.Add(1), "talk_id": talk, "body": in.Body, "author": nil,
			"anonymous": in.Anonymous, "status": "approved", "pinned": false, "votes": 0, "voted": false,
			"answers": []any{}, "created_at": now, "updated_at": now}
		rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer rcancel()
		tx, err := db.BeginTxx(rctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck
		ev, err := log.Append(rctx, tx, "talk:"+strconv.FormatInt(talk, 10), "question.created", fmt.Sprintf("question:%v", q["id"]), q)
		if err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		hub.Publish(rctx, ev)
		return c.Status(fiber.StatusCreated).JSON(q)
	})
	return app, hub, cancel
}

// TestLoadToolAgainstStub drives two stub instances that share a broker,
// as two servers share Redis: half the subscribers and half the questions
// go to each, and every subscriber still gets every question.
func TestLoadToolAgainstStub(t *testing.T) {
	db := testdb.New(t)
	db.SetMaxOpenConns(8) // the PostgreSQL server is shared with other tests
	broker := realtime.NewMemoryBroker()
	var urls []string
	traffic := make([]stubTraffic, 2)
	for i := range traffic {
		app, hub, cancel := stubServer(db, broker, &traffic[i])
		t.Cleanup(cancel) // after the app and hub stop
		urls = append(urls, "http://"+testkit.ServeOnLoopback(t, app, hub))
	}
	cfg := config{
		baseURLs: urls, talk: 3, subscribers: 50, questions: 20, rate: 50,
		token: "x", connectRate: 1000, serverPIDs: []int{os.Getpid()}, settle: 10 * time.Second, maxDuration: time.Minute,
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	rep, _, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Instances != 2 || rep.Connected != 50 || rep.Posted != 20 || rep.Deliveries != 1000 || rep.Lost != 0 || rep.Duplicated != 0 ||
		rep.SeqGaps != 0 || rep.SeqDuplicates != 0 || rep.LatencyP99Ms <= 0 || rep.ServerRSSAfter == 0 {
		t.Fatalf("report = %+v", rep)
	}
	for i := range traffic {
		if n, q := traffic[i].sockets.Load(), traffic[i].questions.Load(); n != 25 || q != 10 {
			t.Errorf("instance %d got %d subscribers and %d questions, want 25 and 10", i, n, q)
		}
	}
	var sb strings.Builder
	rep.print(&sb, false)
	t.Log("\n" + sb.String())
}

// TestLoadToolInProcesses: with -procs the subscribers are spread over
// child processes of the built tool, one of which posts; the parent's
// report adds them up, and every subscriber gets every question.
func TestLoadToolInProcesses(t *testing.T) {
	db := testdb.New(t)
	db.SetMaxOpenConns(8)
	broker := realtime.NewMemoryBroker()
	var urls []string
	traffic := make([]stubTraffic, 2)
	for i := range traffic {
		app, hub, cancel := stubServer(db, broker, &traffic[i])
		t.Cleanup(cancel)
		urls = append(urls, "http://"+testkit.ServeOnLoopback(t, app, hub))
	}
	bin := filepath.Join(t.TempDir(), "hubtalks-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-url", strings.Join(urls, ","), "-talk", "3", "-subscribers", "41", "-questions", "12",
		"-rate", "50", "-token", "x", "-connect-rate", "1000", "-procs", "3", "-json").Output()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	var rep report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report %s: %v", out, err)
	}
	if rep.Connected != 41 || rep.Posted != 12 || rep.Deliveries != 41*12 || rep.Expected != 41*12 || rep.Lost != 0 ||
		rep.Duplicated != 0 || rep.SeqGaps != 0 || rep.LatencyP99Ms <= 0 {
		t.Fatalf("report = %+v", rep)
	}
	sockets := traffic[0].sockets.Load() + traffic[1].sockets.Load()
	questions := traffic[0].questions.Load() + traffic[1].questions.Load()
	if sockets != 41 || questions != 12 {
		t.Fatalf("the instances saw %d sockets and %d questions, want 41 and 12", sockets, questions)
	}
}

func TestValidateRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://8.8.8.8:3000", "ftp://127.0.0.1", "http://"} {
		c := config{baseURLs: []string{"http://127.0.0.1:3000", u}, talk: 1, subscribers: 1, connectRate: 1}
		if err := c.validate(); err == nil {
			t.Errorf("validate(%q) accepted", u)
		}
	}
}

// TestMain doubles as a stand-alone stub server for measuring with the
// load tool in a separate process:
//
//	go test -c -o /tmp/loadstub ./cmd/hubtalks-load
//	HUBTALKS_LOAD_STUB_ADDR=127.0.0.1:3999 DATABASE_URL=postgres://… /tmp/loadstub
//
// DATABASE_URL must point at a database with the migrations applied (the
// stub applies them itself).
func TestMain(m *testing.M) {
	addr := os.Getenv("HUBTALKS_LOAD_STUB_ADDR")
	if addr == "" {
		os.Exit(m.Run())
	}
	db, err := sqlx.Open("postgres", os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	db.SetMaxOpenConns(20)
	if _, err := migrations.Up(context.Background(), db.DB, nil); err != nil {
		panic(err)
	}
	app, hub, cancel := stubServer(db, nil, new(stubTraffic))
	if pp := os.Getenv("HUBTALKS_LOAD_STUB_PPROF"); pp != "" {
		go http.ListenAndServe(pp, nil) //nolint:errcheck // net/http/pprof on loopback, for profiling runs
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		hub.Shutdown(ctx)
		c()
		_ = app.Shutdown()
		cancel()
	}()
	if err := app.Listen(addr); err != nil {
		panic(err)
	}
}

// pollResults counts a ballot as delivered by the first poll.results of
// the poll whose count includes it, with one latency sample per event.
func TestPollResultsCountsBallots(t *testing.T) {
	s := &subscriber{got: make([]uint8, 5)}
	sent := make([]atomic.Int64, 5)
	for i := range sent {
		sent[i].Store(time.Now().Add(-time.Second).UnixNano())
	}
	on := s.pollResults(7, sent)
	at := time.Now().UTC().Format(time.RFC3339Nano)
	frame := func(poll, ballots int) []byte {
		return []byte(fmt.Sprintf(`{"op":"event","channel":"talk:1","seq":3,"type":"poll.results","at":"%s","data":{"id":%d,"ballots":%d,"counts":[1,1]}}`, at, poll, ballots))
	}
	on(frame(8, 5), time.Now()) // another poll
	on(frame(7, 2), time.Now())
	on(frame(7, 2), time.Now()) // nothing new
	on(frame(7, 9), time.Now()) // more than were sent
	if s.events != 5 || len(s.lat) != 2 || s.lat[0] < 900_000 || s.got[4] != 1 || s.ballots != 5 {
		t.Fatalf("events %d, samples %v, got %v, ballots %d", s.events, s.lat, s.got, s.ballots)
	}
}
