package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	fws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// instance is one "server instance": a hub and a Fiber app serving /live on
// 127.0.0.1:0, as the server package will wire it.
type instance struct {
	hub *Hub
	url string
	db  *sqlx.DB
	log *Log
}

type instanceOpts struct {
	rdb    redis.UniversalClient
	prefix string
	tweak  func(*HubConfig)
}

func newInstance(t *testing.T, db *sqlx.DB, o instanceOpts) *instance {
	t.Helper()
	log := NewLog(db)
	cfg := HubConfig{
		History:       log,
		Registry:      prometheus.NewRegistry(),
		PollHealthy:   time.Second,
		PollUnhealthy: 100 * time.Millisecond,
		Authorize: func(_ context.Context, p Principal, channel string) error {
			if _, staff, _ := ParseChannel(channel); staff && p.Role != "moderator" {
				return fmt.Errorf("staff only: %w", ErrForbidden)
			}
			return nil
		},
	}
	if o.rdb != nil {
		b := NewRedisBroker(o.rdb, o.prefix, nil)
		b.pingEvery = 100 * time.Millisecond
		cfg.Broker = b
	}
	if o.tweak != nil {
		o.tweak(&cfg)
	}
	h := NewHub(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() { defer close(runDone); _ = h.Run(ctx) }()

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/live", fws.New(func(c *fws.Conn) {
		uid, _ := strconv.ParseInt(c.Query("uid"), 10, 64)
		h.ServeConn(c, Principal{UserID: uid, Role: c.Query("role")})
	}))
	t.Cleanup(func() { cancel(); <-runDone }) // after the app and hub stop
	addr := testkit.ServeOnLoopback(t, app, h)
	inst := &instance{hub: h, url: "ws://" + addr + "/live", db: db, log: log}
	waitFor(t, "broker healthy", func() bool { return h.healthy.Load() })
	return inst
}

// publish appends n events to channel on this instance and publishes each
// after its commit, as an HTTP handler does.
func (in *instance) publish(t testing.TB, channel string, n int) []Event {
	t.Helper()
	evs := make([]Event, 0, n)
	for i := 0; i < n; i++ {
		ev, err := appendOne(context.Background(), in.db, in.log, channel, map[string]any{"body": "q", "i": i})
		if err != nil {
			t.Fatal(err)
		}
		in.hub.Publish(context.Background(), ev)
		evs = append(evs, ev)
	}
	return evs
}

// lossyBroker loses the messages drop picks, as a broker outage would.
type lossyBroker struct {
	Broker
	drop func(topic string, payload []byte) bool
}

func (b lossyBroker) Publish(ctx context.Context, topic string, payload []byte) error {
	if b.drop(topic, payload) {
		return nil
	}
	return b.Broker.Publish(ctx, topic, payload)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, what, 15*time.Second, cond)
}

// wireFrame is any server frame.
type wireFrame struct {
	Op        string          `json:"op"`
	Channel   string          `json:"channel"`
	Seq       int64           `json:"seq"`
	Type      string          `json:"type"`
	At        string          `json:"at"`
	Data      json.RawMessage `json:"data"`
	Recovered *bool           `json:"recovered"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	raw       string
}

// wsClient is a test client: its inbox decodes frames into a list that the
// test waits on.
type wsClient struct {
	t     testing.TB
	conn  *websocket.Conn
	inbox *testkit.Inbox[wireFrame]
}

func dial(t testing.TB, url string) *wsClient {
	t.Helper()
	return dialWith(t, url, nil)
}

// dialWith lets setup configure the conn before its read loop starts.
func dialWith(t testing.TB, url string, setup func(*websocket.Conn)) *wsClient {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial: status %d", resp.StatusCode)
	}
	if setup != nil {
		setup(conn)
	}
	c := &wsClient{t: t, conn: conn, inbox: testkit.Receive(conn, decodeWireFrame)}
	t.Cleanup(func() { conn.Close(); <-c.inbox.Done() })
	return c
}

// decodeWireFrame keeps a frame that is not JSON as op "invalid-json".
func decodeWireFrame(msg []byte) wireFrame {
	var f wireFrame
	if err := json.Unmarshal(msg, &f); err != nil {
		f = wireFrame{Op: "invalid-json"}
	}
	f.raw = string(msg)
	return f
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *wsClient) subscribe(channel string, since *int64) {
	m := map[string]any{"op": "subscribe", "channel": channel}
	if since != nil {
		m["since"] = *since
	}
	c.send(m)
}

// waitUntil waits until cond holds over the frames received so far.
func (c *wsClient) waitUntil(what string, cond func(fs []wireFrame, closeErr error) bool) []wireFrame {
	c.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		fs, cerr := c.inbox.Frames()
		if cond(fs, cerr) {
			return fs
		}
		select {
		case <-c.inbox.Changed():
		case <-deadline:
			c.t.Fatalf("timed out waiting for %s; have %d frames (last %v), close %v", what, len(fs), lastRaw(fs), cerr)
		}
	}
}

func lastRaw(fs []wireFrame) string {
	if len(fs) == 0 {
		return ""
	}
	raw := fs[len(fs)-1].raw
	if len(raw) > 300 {
		raw = raw[:300] + "…"
	}
	return raw
}

func (c *wsClient) waitOp(op, channel string) wireFrame {
	c.t.Helper()
	var found wireFrame
	c.waitUntil("op "+op, func(fs []wireFrame, _ error) bool {
		for _, f := range fs {
			if f.Op == op && (channel == "" || f.Channel == channel) {
				found = f
				return true
			}
		}
		return false
	})
	return found
}

// waitSeq waits for event seq on channel and returns all frames.
func (c *wsClient) waitSeq(channel string, seq int64) []wireFrame {
	c.t.Helper()
	return c.waitUntil(fmt.Sprintf("%s seq %d", channel, seq), func(fs []wireFrame, _ error) bool {
		for _, f := range fs {
			if f.Op == "event" && f.Channel == channel && f.Seq >= seq {
				return true
			}
		}
		return false
	})
}

// waitClose waits for the connection to end and returns the close code
// (0 when it ended without a close frame).
func (c *wsClient) waitClose() int {
	c.t.Helper()
	var cerr error
	c.waitUntil("close", func(_ []wireFrame, e error) bool { cerr = e; return e != nil })
	var ce *websocket.CloseError
	if errors.As(cerr, &ce) {
		return ce.Code
	}
	return 0
}

// eventSeqs returns the seqs of the sequenced events of channel, in order.
func eventSeqs(fs []wireFrame, channel string) []int64 {
	var out []int64
	for _, f := range fs {
		if f.Op == "event" && f.Channel == channel && f.Type != PresenceType {
			out = append(out, f.Seq)
		}
	}
	return out
}

// checkContiguous fails unless seqs is exactly from..to.
func checkContiguous(t testing.TB, who string, seqs []int64, from, to int64) {
	t.Helper()
	if int64(len(seqs)) != to-from+1 {
		t.Fatalf("%s: got %d events %v, want seq %d..%d", who, len(seqs), seqs, from, to)
	}
	for i, s := range seqs {
		if s != from+int64(i) {
			t.Fatalf("%s: event %d has seq %d, want %d (all: %v)", who, i, s, from+int64(i), seqs)
		}
	}
}

// subscribedClients dials one client per instance given (an instance may
// repeat) and waits until each is subscribed to channel.
func subscribedClients(t testing.TB, channel string, on ...*instance) []*wsClient {
	t.Helper()
	clients := make([]*wsClient, 0, len(on))
	for _, in := range on {
		c := dial(t, in.url)
		c.subscribe(channel, nil)
		c.waitOp("subscribed", channel)
		clients = append(clients, c)
	}
	return clients
}

// checkEveryClientGot waits until each client has seq to on channel and
// fails unless each got exactly 1..to; who names the clients ("client 0").
func checkEveryClientGot(t testing.TB, who string, clients []*wsClient, channel string, to int64) {
	t.Helper()
	for i, c := range clients {
		fs := c.waitSeq(channel, to)
		checkContiguous(t, who+" "+string(rune('0'+i)), eventSeqs(fs, channel), 1, to)
	}
}

func i64(v int64) *int64 { return &v }

// inTx runs fn in a transaction of db and commits it; any error fails the test.
func inTx(t testing.TB, db *sqlx.DB, fn func(tx *sqlx.Tx) error) {
	t.Helper()
	tx, err := db.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	if err := fn(tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// newDB is a fresh migrated database with a small pool: the PostgreSQL
// server is shared with other packages' tests.
func newDB(t testing.TB) *sqlx.DB {
	db := testdb.New(t)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	return db
}

// writeConcurrently runs writers goroutines of each transactions on db:
// write does transaction i of writer w and says whether to commit it (or
// roll it back); done, when not nil, runs once it is committed.
func writeConcurrently(t *testing.T, db *sqlx.DB, writers, each int,
	write func(ctx context.Context, tx *sqlx.Tx, w, i int) (commit bool, done func(), err error)) {
	t.Helper()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				ctx := context.Background()
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					t.Error(err)
					return
				}
				commit, done, err := write(ctx, tx, w, i)
				if err != nil {
					t.Error(err)
					tx.Rollback()
					return
				}
				if !commit {
					tx.Rollback()
					continue
				}
				if err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
				if done != nil {
					done()
				}
			}
		})
	}
	wg.Wait()
}
