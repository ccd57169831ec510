package realtime

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// twoInstances starts two hubs sharing one database and one Redis prefix.
func twoInstances(t *testing.T, tweak func(*HubConfig)) (*instance, *instance) {
	return twoInstancesEach(t, tweak, tweak)
}

// twoInstancesEach is twoInstances with a tweak of its own for each instance.
func twoInstancesEach(t *testing.T, tweakA, tweakB func(*HubConfig)) (*instance, *instance) {
	db := newDB(t)
	rdb, prefix := testdb.Redis(t)
	a := newInstance(t, db, instanceOpts{rdb: rdb, prefix: prefix, tweak: tweakA})
	b := newInstance(t, db, instanceOpts{rdb: rdb, prefix: prefix, tweak: tweakB})
	return a, b
}

func TestCrossInstanceDelivery(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t, nil)
	onA, onB := dial(t, a.url), dial(t, b.url)
	onA.subscribe("talk:1", nil)
	onB.subscribe("talk:1", nil)
	if f := onB.waitOp("subscribed", "talk:1"); f.Seq != 0 || f.Recovered != nil {
		t.Fatalf("subscribed = %s", f.raw)
	}
	onA.waitOp("subscribed", "talk:1")

	evs := a.publish(t, "talk:1", 20)
	fb := onB.waitSeq("talk:1", 20)
	fa := onA.waitSeq("talk:1", 20)
	checkContiguous(t, "subscriber on B", eventSeqs(fb, "talk:1"), 1, 20)
	checkContiguous(t, "subscriber on A", eventSeqs(fa, "talk:1"), 1, 20)
	// Same seq, same bytes on both instances, equal to what was stored.
	var gotB []wireFrame
	for _, f := range fb {
		if f.Op == "event" {
			gotB = append(gotB, f)
		}
	}
	for i, ev := range evs {
		if want := string(encodeEvent(ev)); gotB[i].raw != want {
			t.Fatalf("B frame %d = %s, want %s", i, gotB[i].raw, want)
		}
	}
	if n := metricValue(a.hub.m.published); n != 20 {
		t.Fatalf("published metric on A = %v", n)
	}
	waitFor(t, "deliveries metric", func() bool { return metricValue(b.hub.m.deliveries) == 20 })
}

// TestDroppedPublishArrivesInOrder: a broker message lost between instances
// (test hook) is fetched from the log before anything after it, and a lost
// last message on an idle channel is found by the position check.
func TestDroppedPublishArrivesInOrder(t *testing.T) {
	t.Parallel()
	var drop sync.Map // seq -> true
	a, b := twoInstances(t, func(c *HubConfig) {
		c.Broker = lossyBroker{Broker: c.Broker, drop: func(topic string, payload []byte) bool {
			seq, _, _ := strings.Cut(string(payload), " ")
			n, _ := strconv.ParseInt(seq, 10, 64)
			_, ok := drop.Load(n)
			return ok && strings.HasPrefix(topic, "ev:")
		}}
	})
	drop.Store(int64(3), true)
	drop.Store(int64(4), true)
	drop.Store(int64(8), true) // the last one: nothing follows to reveal the gap
	onB := dial(t, b.url)
	onB.subscribe("talk:7", nil)
	onB.waitOp("subscribed", "talk:7")
	a.publish(t, "talk:7", 8)
	fs := onB.waitSeq("talk:7", 8)
	checkContiguous(t, "subscriber on B", eventSeqs(fs, "talk:7"), 1, 8)
	if n := metricValue(b.hub.m.gapRepairs); n < 3 {
		t.Fatalf("gap repairs on B = %v, want >= 3", n)
	}
}

// TestConcurrentPublishersSameOrder: two instances publish to one channel at
// once; every client sees one total order by seq.
func TestConcurrentPublishersSameOrder(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t, nil)
	clients := subscribedClients(t, "talk:3", a, b, a, b)
	var wg sync.WaitGroup
	for _, in := range []*instance{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); in.publish(t, "talk:3", 25) }()
	}
	wg.Wait()
	checkEveryClientGot(t, "client", clients, "talk:3", 50)
}

// TestRedisOutage: Redis stops for a while as both instances publish; every
// subscriber on both ends with every seq exactly once, in order.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	srv := testdb.StartRedisServer(t)
	a := newInstance(t, db, instanceOpts{rdb: srv.Client(), prefix: "x:"})
	b := newInstance(t, db, instanceOpts{rdb: srv.Client(), prefix: "x:"})
	clients := subscribedClients(t, "talk:1", a, a, b, b)
	a.publish(t, "talk:1", 5)
	b.publish(t, "talk:1", 5)

	srv.Stop()
	waitFor(t, "both brokers unhealthy", func() bool { return !a.hub.healthy.Load() && !b.hub.healthy.Load() })
	// Publish from both sides over ~2 s while Redis is down.
	tick := time.NewTicker(100 * time.Millisecond)
	for i := 0; i < 20; i++ {
		<-tick.C
		a.publish(t, "talk:1", 1)
		b.publish(t, "talk:1", 1)
	}
	tick.Stop()
	// Cross-instance delivery already works through log polling.
	checkEveryClientGot(t, "client during outage", clients, "talk:1", 50)
	srv.Start()
	waitFor(t, "both brokers healthy again", func() bool { return a.hub.healthy.Load() && b.hub.healthy.Load() })
	a.publish(t, "talk:1", 5)
	b.publish(t, "talk:1", 5)
	checkEveryClientGot(t, "client", clients, "talk:1", 60)
}

// TestReconnectWithSince: a client that missed events gets exactly those,
// in order, then subscribed recovered:true, then live events — from the
// in-memory cache (instance A) and from the log (instance B, tiny cache).
func TestReconnectWithSince(t *testing.T) {
	t.Parallel()
	a, b := twoInstancesEach(t, nil, func(c *HubConfig) { c.CacheSize = 2 })

	first := dial(t, a.url)
	first.subscribe("talk:1", nil)
	first.waitOp("subscribed", "talk:1")
	a.publish(t, "talk:1", 5)
	first.waitSeq("talk:1", 5)
	first.conn.Close()
	a.publish(t, "talk:1", 5) // 6..10 missed

	for _, in := range []*instance{a, b} {
		c := dial(t, in.url)
		c.subscribe("talk:1", i64(5))
		fs := c.waitUntil("subscribed", func(fs []wireFrame, _ error) bool {
			return len(fs) > 0 && fs[len(fs)-1].Op == "subscribed"
		})
		sub := fs[len(fs)-1]
		if sub.Recovered == nil || !*sub.Recovered || sub.Seq != 10 {
			t.Fatalf("subscribed = %s", sub.raw)
		}
		checkContiguous(t, "replay", eventSeqs(fs, "talk:1"), 6, 10)
	}
	// since == current: nothing replayed, recovered:true.
	c := dial(t, b.url)
	c.subscribe("talk:1", i64(10))
	if f := c.waitOp("subscribed", "talk:1"); f.Recovered == nil || !*f.Recovered || f.Seq != 10 {
		t.Fatalf("subscribed = %s", f.raw)
	}
	a.publish(t, "talk:1", 1)
	fs := c.waitSeq("talk:1", 11)
	checkContiguous(t, "live after since", eventSeqs(fs, "talk:1"), 11, 11)
	if n := metricValue(b.hub.m.replayTrue); n != 2 {
		t.Fatalf("replays recovered=true on B = %v", n)
	}
}

// TestReplayRacesLiveEvents: subscribes with since while events are being
// published (R5): each client gets every seq after since once, in order.
func TestReplayRacesLiveEvents(t *testing.T) {
	t.Parallel()
	a, b := twoInstancesEach(t, nil, func(c *HubConfig) { c.CacheSize = 3 })
	a.publish(t, "talk:2", 10)
	stop := make(chan struct{})
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for {
			select {
			case <-stop:
				return
			default:
				a.publish(t, "talk:2", 1)
			}
		}
	}()
	var clients []*wsClient
	for i := 0; i < 10; i++ {
		in := []*instance{a, b}[i%2]
		c := dial(t, in.url)
		c.subscribe("talk:2", i64(int64(i)))
		clients = append(clients, c)
	}
	for _, c := range clients {
		c.waitOp("subscribed", "talk:2")
	}
	close(stop)
	<-pubDone
	head, _, err := a.log.Tail(context.Background(), "talk:2", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		fs := c.waitSeq("talk:2", head.Seq)
		checkContiguous(t, "client", eventSeqs(fs, "talk:2"), int64(i)+1, head.Seq)
	}
}

func TestSinceOlderThanRetention(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	appendEvents(t, db, l, "talk:4", 10)
	if n, err := l.Prune(context.Background(), Retention{KeepEvents: 3, MaxAge: 24 * time.Hour}); err != nil || n != 7 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	in := newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) { c.CacheSize = 2 }})

	old := dial(t, in.url)
	old.subscribe("talk:4", i64(2))
	fs := old.waitUntil("subscribed", func(fs []wireFrame, _ error) bool { return len(fs) > 0 })
	if f := fs[0]; f.Op != "subscribed" || f.Recovered == nil || *f.Recovered || f.Seq != 10 {
		t.Fatalf("first frame = %s, want subscribed recovered:false seq 10", f.raw)
	}
	// Still subscribed live from now on.
	in.publish(t, "talk:4", 1)
	checkContiguous(t, "after recovered:false", eventSeqs(old.waitSeq("talk:4", 11), "talk:4"), 11, 11)

	// since 7 is still within what is kept: 8..11 replayed.
	ok := dial(t, in.url)
	ok.subscribe("talk:4", i64(7))
	fs = ok.waitOp2("subscribed")
	if f := fs[len(fs)-1]; f.Recovered == nil || !*f.Recovered || f.Seq != 11 {
		t.Fatalf("subscribed = %s", f.raw)
	}
	checkContiguous(t, "kept replay", eventSeqs(fs, "talk:4"), 8, 11)

	// since ahead of the log: recovered:false.
	ahead := dial(t, in.url)
	ahead.subscribe("talk:4", i64(99))
	if f := ahead.waitOp("subscribed", "talk:4"); f.Recovered == nil || *f.Recovered || f.Seq != 11 {
		t.Fatalf("since ahead: %s", f.raw)
	}
	if n := metricValue(in.hub.m.replayFalse); n != 2 {
		t.Fatalf("replays recovered=false = %v", n)
	}
}

// waitOp2 waits for op and returns every frame up to and including it.
func (c *wsClient) waitOp2(op string) []wireFrame {
	c.t.Helper()
	fs := c.waitUntil(op, func(fs []wireFrame, _ error) bool {
		for _, f := range fs {
			if f.Op == op {
				return true
			}
		}
		return false
	})
	for i, f := range fs {
		if f.Op == op {
			return fs[:i+1]
		}
	}
	return fs
}

// TestSlowConsumerDropped: a client that never reads is disconnected once
// its queue overflows; the other subscribers get everything, and publishing
// never waits for it.
func TestSlowConsumerDropped(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	in := newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) {
		c.SendQueueBytes = 64 << 10
		c.CloseGrace = 200 * time.Millisecond
	}})
	// The slow client never reads.
	slow, _, err := websocket.DefaultDialer.Dial(in.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.WriteMessage(websocket.TextMessage, []byte(`{"op":"subscribe","channel":"talk:1"}`)); err != nil {
		t.Fatal(err)
	}
	fast := subscribedClients(t, "talk:1", slices.Repeat([]*instance{in}, 4)...)
	waitFor(t, "slow client subscribed", func() bool { return metricValue(in.hub.m.subscriptions) == 5 })

	// Events published straight to the hub (no log rows needed: they are
	// contiguous), 4 KiB each, in batches of 8 that the fast clients read
	// before the next batch: far more than every socket buffer in total.
	data, _ := json.Marshal(map[string]string{"body": strings.Repeat("x", 4096)})
	const batch, maxEvents = 8, 8000
	seq := int64(0)
	for metricValue(in.hub.m.slowDrops) == 0 {
		if seq >= maxEvents {
			t.Fatalf("published %d events and the stuck client is still connected", seq)
		}
		start := time.Now()
		for i := 0; i < batch; i++ {
			seq++
			in.hub.Publish(context.Background(), Event{Channel: "talk:1", Seq: seq, Type: "question.created", At: time.Now(), Data: data})
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("publishing %d events took %v: the stuck client held up the fan-out", batch, d)
		}
		for _, c := range fast {
			c.waitSeq("talk:1", seq)
		}
	}
	n := seq + batch
	for i := 0; i < batch; i++ {
		seq++
		in.hub.Publish(context.Background(), Event{Channel: "talk:1", Seq: seq, Type: "question.created", At: time.Now(), Data: data})
	}
	checkEveryClientGot(t, "fast client", fast, "talk:1", n)
	t.Logf("stuck client dropped after %d events of 4 KiB", n-batch)
	if d := metricValue(in.hub.m.slowDrops); d != 1 {
		t.Fatalf("slow drops = %v, want 1 (only the stuck client)", d)
	}
	// The slow client's socket is gone: reading drains what was buffered and
	// then fails.
	waitFor(t, "slow connection unregistered", func() bool { return metricValue(in.hub.m.connections) == 4 })
	_ = slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("slow client still connected")
			}
			break
		}
	}
	waitFor(t, "slow connection unregistered", func() bool { return metricValue(in.hub.m.connections) == 4 })
}

func TestFrameTooBigCloses1009(t *testing.T) {
	t.Parallel()
	in := newInstance(t, newDB(t), instanceOpts{})
	c := dial(t, in.url)
	c.send(map[string]string{"op": "ping"})
	c.waitOp("pong", "")
	big := `{"op":"subscribe","channel":"` + strings.Repeat("x", 17<<10) + `"}`
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	if code := c.waitClose(); code != 1009 {
		t.Fatalf("close code = %d, want 1009", code)
	}
	// Exactly at the limit is fine.
	ok := dial(t, in.url)
	pad := 16<<10 - len(`{"op":"ping","pad":""}`)
	ok.conn.WriteMessage(websocket.TextMessage, []byte(`{"op":"ping","pad":"`+strings.Repeat("y", pad)+`"}`))
	ok.waitOp("pong", "")
}

func TestShutdownCloses1012(t *testing.T) {
	t.Parallel()
	in := newInstance(t, newDB(t), instanceOpts{})
	cs := subscribedClients(t, "talk:1", slices.Repeat([]*instance{in}, 5)...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { in.hub.Shutdown(ctx); close(done) }()
	for _, c := range cs {
		if code := c.waitClose(); code != 1012 {
			t.Fatalf("close code = %d, want 1012", code)
		}
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return")
	}
	if n := metricValue(in.hub.m.connections); n != 0 {
		t.Fatalf("connections after shutdown = %v", n)
	}
	// A connection after shutdown is refused with 1012 too.
	late := dial(t, in.url)
	if code := late.waitClose(); code != 1012 {
		t.Fatalf("late close code = %d", code)
	}
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	in := newInstance(t, newDB(t), instanceOpts{})
	c := dial(t, in.url)
	expectErr := func(code, channel string) {
		t.Helper()
		f := c.waitUntil("error "+code, func(fs []wireFrame, _ error) bool {
			return len(fs) > 0 && fs[len(fs)-1].Op == "error"
		})
		last := f[len(f)-1]
		if last.Code != code || last.Channel != channel {
			t.Fatalf("got %s, want code %s channel %q", last.raw, code, channel)
		}
		c.inbox.Clear()
	}
	c.send(map[string]string{"op": "dance"})
	expectErr(CodeUnknownOp, "")
	c.conn.WriteMessage(websocket.TextMessage, []byte(`{"op":`))
	expectErr(CodeBadRequest, "")
	c.subscribe("talk:abc", nil)
	expectErr(CodeBadChannel, "talk:abc")
	c.subscribe("talk:1:staff", nil)
	expectErr(CodeForbidden, "talk:1:staff")
	c.send(map[string]string{"op": "unsubscribe", "channel": "talk:1"})
	expectErr(CodeNotSubscribed, "talk:1")
	c.subscribe("talk:1", nil)
	c.waitOp("subscribed", "talk:1")
	c.subscribe("talk:1", nil)
	expectErr(CodeAlreadySubscribed, "talk:1")
	// Still open after all of that.
	c.send(map[string]string{"op": "ping"})
	c.waitOp("pong", "")

	staff := dial(t, in.url+"?role=moderator&uid=3")
	staff.subscribe("talk:1:staff", nil)
	staff.waitOp("subscribed", "talk:1:staff")
	// After unsubscribe no more events arrive on that channel.
	staff.send(map[string]string{"op": "unsubscribe", "channel": "talk:1:staff"})
	staff.subscribe("talk:2", nil)
	staff.waitOp("subscribed", "talk:2")
	in.publish(t, "talk:1:staff", 1)
	in.publish(t, "talk:2", 1)
	fs := staff.waitSeq("talk:2", 1)
	if n := len(eventSeqs(fs, "talk:1:staff")); n != 0 {
		t.Fatalf("got %d staff events after unsubscribe", n)
	}
}

func TestRateLimitCloses1008(t *testing.T) {
	t.Parallel()
	in := newInstance(t, newDB(t), instanceOpts{})
	c := dial(t, in.url)
	for i := 0; i < 200; i++ {
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(`{"op":"ping"}`)); err != nil {
			break // already closed
		}
	}
	c.waitOp("error", "")
	if code := c.waitClose(); code != 1008 {
		t.Fatalf("close code = %d, want 1008", code)
	}
	fs := c.waitUntil("frames", func([]wireFrame, error) bool { return true })
	pongs := 0
	for _, f := range fs {
		if f.Op == "pong" {
			pongs++
		}
	}
	if pongs > 45 {
		t.Fatalf("%d pongs: limit not applied", pongs)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	in := newInstance(t, newDB(t), instanceOpts{tweak: func(c *HubConfig) { c.IdleTimeout = 300 * time.Millisecond }})
	c := dial(t, in.url)
	if code := c.waitClose(); code != 1001 {
		t.Fatalf("close code = %d, want 1001", code)
	}
}

func TestPingsKeepIdleClientAlive(t *testing.T) {
	t.Parallel()
	in := newInstance(t, newDB(t), instanceOpts{tweak: func(c *HubConfig) {
		c.IdleTimeout = 400 * time.Millisecond
		c.PingEvery = 50 * time.Millisecond
	}})
	var pings atomic.Int32
	c := dialWith(t, in.url, func(conn *websocket.Conn) {
		conn.SetPingHandler(func(data string) error {
			pings.Add(1)
			return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
	})
	waitFor(t, "20 pings", func() bool { return pings.Load() >= 20 }) // 1 s: > 2 idle timeouts
	c.send(map[string]string{"op": "ping"})
	c.waitOp("pong", "")
}

// TestDisconnectUserEverywhere: DisconnectUser on A closes that user's
// sockets on B, and only that user's.
func TestDisconnectUserEverywhere(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t, nil)
	victimA := dial(t, a.url+"?uid=7")
	victimB := dial(t, b.url+"?uid=7")
	bystander := dial(t, b.url+"?uid=8")
	for _, c := range []*wsClient{victimA, victimB, bystander} {
		c.send(map[string]string{"op": "ping"})
		c.waitOp("pong", "")
	}
	a.hub.DisconnectUser(7)
	if code := victimA.waitClose(); code != 1008 {
		t.Fatalf("A close = %d", code)
	}
	if code := victimB.waitClose(); code != 1008 {
		t.Fatalf("B close = %d", code)
	}
	bystander.send(map[string]string{"op": "ping"})
	fs := bystander.waitUntil("second pong", func(fs []wireFrame, _ error) bool { return len(fs) >= 2 })
	if fs[1].Op != "pong" {
		t.Fatalf("bystander got %s", fs[1].raw)
	}
}

// TestPresenceAcrossInstances: viewers are counted over both instances
// through Redis; presence has no seq.
func TestPresenceAcrossInstances(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	rdb, prefix := testdb.Redis(t)
	tweak := func(c *HubConfig) {
		c.PresenceEvery = 100 * time.Millisecond
		c.Presence = NewRedisPresence(rdb, prefix, PresenceFresh(*c))
	}
	a := newInstance(t, db, instanceOpts{rdb: rdb, prefix: prefix, tweak: tweak})
	b := newInstance(t, db, instanceOpts{rdb: rdb, prefix: prefix, tweak: tweak})
	cs := subscribedClients(t, "talk:5", a, a, b)
	staff := dial(t, a.url+"?role=moderator")
	staff.subscribe("talk:5:staff", nil)
	staff.waitOp("subscribed", "talk:5:staff")
	for _, c := range cs {
		c.waitUntil("presence 3", func(fs []wireFrame, _ error) bool {
			for _, f := range fs {
				if f.Type == PresenceType {
					if strings.Contains(f.raw, `"seq"`) {
						t.Errorf("presence with a seq: %s", f.raw)
					}
					if string(f.Data) == `{"viewers":3}` {
						return true
					}
				}
			}
			return false
		})
	}
	// The staff channel gets no presence.
	staff.send(map[string]string{"op": "ping"})
	for _, f := range staff.waitOp2("pong") {
		if f.Type == PresenceType {
			t.Fatalf("presence on the staff channel: %s", f.raw)
		}
	}
}

// metricValue reads a counter or gauge.
func metricValue(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var pb dto.Metric
	if err := (<-ch).Write(&pb); err != nil {
		panic(err)
	}
	if pb.Counter != nil {
		return pb.Counter.GetValue()
	}
	return pb.Gauge.GetValue()
}

// TestMassReconnectSharesReplayReads: many clients coming back with the same
// since (beyond the in-memory cache) cost the log one read, not one each.
func TestMassReconnectSharesReplayReads(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	appendEvents(t, db, l, "talk:8", 30)
	in := newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) { c.CacheSize = 4 }})
	const n = 60
	clients := make([]*wsClient, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); clients[i] = dial(t, in.url) }()
	}
	wg.Wait()
	for _, c := range clients {
		c.subscribe("talk:8", i64(10))
	}
	for _, c := range clients {
		fs := c.waitOp2("subscribed")
		if f := fs[len(fs)-1]; f.Recovered == nil || !*f.Recovered || f.Seq != 30 {
			t.Fatalf("subscribed = %s", f.raw)
		}
		checkContiguous(t, "replay", eventSeqs(fs, "talk:8"), 11, 30)
	}
	if q := in.hub.replayQueries.Load(); q > 3 {
		t.Fatalf("%d clients caused %d replay queries", n, q)
	}
}

// TestRunPrunesTheLog: the hub's background job applies retention.
func TestRunPrunesTheLog(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	l := NewLog(db)
	appendEvents(t, db, l, "talk:6", 20)
	newInstance(t, db, instanceOpts{tweak: func(c *HubConfig) {
		c.PruneEvery = 50 * time.Millisecond
		c.Retention = time.Millisecond
		c.RetentionEvents = 5
	}})
	waitFor(t, "pruned to the newest 5", func() bool {
		evs, err := l.Page(context.Background(), "talk:6", 0, 100)
		return err == nil && len(evs) == 5 && evs[0].Seq == 16
	})
}
