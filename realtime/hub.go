// Package realtime is the live hub of Hub Talks: it fans events out from the
// PostgreSQL event log to WebSocket subscribers on every instance, with
// gap-free per-channel seqs, replay on reconnect (`since`), a Broker between
// instances (in-process or Redis pub/sub), presence, and graceful shutdown.
// The wire contract is docs/live-protocol.md. It never imports server/.
package realtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// HubConfig configures a Hub. Zero values take the defaults noted.
type HubConfig struct {
	Log    *Log   // the event log (required for replay, gap repair and polling)
	Broker Broker // between instances; nil: NewMemoryBroker()
	Logger *slog.Logger
	// Authorize decides whether p may follow channel; an error refuses it
	// (error frame "forbidden"). nil allows talk:{id} and refuses staff channels.
	Authorize func(ctx context.Context, p Principal, channel string) error
	Registry  prometheus.Registerer // metrics; nil: not registered

	// Redis, when set, holds presence counts so viewers are counted across
	// instances; keys start with RedisPrefix. nil: local counts only.
	Redis       redis.UniversalClient
	RedisPrefix string
	InstanceID  string // default: random

	SendQueueBytes    int           // per connection, default 1 MiB
	SendQueueMessages int           // per connection, default 4096
	CacheSize         int           // recent events kept in memory per channel for replay, default 1024
	MaxReplay         int           // most events one subscribe replays, default 10,000
	Retention         time.Duration // keep events at least this long, default 24h
	RetentionEvents   int64         // and at least this many per channel, default 10,000
	PruneEvery        time.Duration // default 10m
	PollHealthy       time.Duration // log position check while the broker is up, default 5s
	PollUnhealthy     time.Duration // log polling while the broker is down, default 500ms
	PresenceEvery     time.Duration // default 2s
	PingEvery         time.Duration // default 25s
	IdleTimeout       time.Duration // default 60s
	WriteTimeout      time.Duration // deadline of ping/pong control writes, default 10s
	CloseGrace        time.Duration // default 2s: how long a close frame may take before the socket is cut
	QueryTimeout      time.Duration // default 5s
	ReadLimit         int64         // default 16 KiB
	MaxSubscriptions  int           // per connection, default 64
	FrameRate         float64       // client frames per second, default 20
	FrameBurst        float64       // default 40
	FrameExcessLimit  int           // frames over the limit before close 1008, default 50

	// SkipPublish is a test hook: when it returns true for an event, Publish
	// delivers it locally but does not send it to the broker, as if the
	// broker had lost it.
	SkipPublish func(Event) bool
}

func (c *HubConfig) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt(&c.SendQueueBytes, 1<<20)
	defInt(&c.SendQueueMessages, 4096)
	defInt(&c.CacheSize, 1024)
	defInt(&c.MaxReplay, 10000)
	defInt(&c.MaxSubscriptions, 64)
	defInt(&c.FrameExcessLimit, 50)
	if c.RetentionEvents <= 0 {
		c.RetentionEvents = 10000
	}
	def(&c.Retention, 24*time.Hour)
	def(&c.PruneEvery, 10*time.Minute)
	def(&c.PollHealthy, 5*time.Second)
	def(&c.PollUnhealthy, 500*time.Millisecond)
	def(&c.PresenceEvery, 2*time.Second)
	def(&c.PingEvery, 25*time.Second)
	def(&c.IdleTimeout, 60*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.CloseGrace, 2*time.Second)
	def(&c.QueryTimeout, 5*time.Second)
	if c.ReadLimit <= 0 {
		c.ReadLimit = 16 << 10
	}
	if c.FrameRate <= 0 {
		c.FrameRate = 20
	}
	if c.FrameBurst <= 0 {
		c.FrameBurst = 40
	}
	if c.InstanceID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		c.InstanceID = hex.EncodeToString(b)
	}
}

// Hub fans events out to this instance's subscribers. Each channel with
// local subscribers tracks the last seq it delivered; events reach it from
// local Publish calls and from the broker, in any order and possibly twice:
// duplicates are dropped and gaps are filled from the log before anything
// later is delivered, so every subscriber sees each seq once, in order.
type Hub struct {
	cfg    HubConfig
	log    *slog.Logger
	broker Broker
	m      *metrics

	ctx    context.Context // hub lifetime: cancelled by Shutdown
	cancel context.CancelFunc

	mu       sync.Mutex
	channels map[string]*channel
	clients  map[*client]struct{}
	byUser   map[int64]map[*client]struct{}
	closing  bool
	conns    sync.WaitGroup

	pubq    chan pubItem
	healthy atomic.Bool
	pollNow chan struct{}

	replaySem     chan struct{}
	replayMu      sync.Mutex
	replays       map[replayKey]*replayCall
	replayQueries atomic.Int64 // log reads for replay (tests)

	presenceKeys map[string]bool // channels whose presence field this instance wrote; Run's goroutine only
}

type pubItem struct {
	topic   string
	payload []byte
}

// frame is one encoded event, shared by every subscriber.
type frame struct {
	seq int64
	b   []byte
}

type sub struct {
	c     *client
	after int64 // events with seq <= after are not sent (already replayed or seen)
}

// channel is the per-instance state of one channel with local subscribers.
type channel struct {
	name   string
	public bool
	refs   int // guarded by Hub.mu: subscribers plus subscribes in progress

	ready chan struct{} // closed when init is done
	err   error         // init error, set before ready closes

	mu        sync.Mutex
	inited    bool
	last      int64 // last seq delivered on this instance
	subs      []*sub
	cache     []*frame // ring of the newest events, contiguous, ending at last
	cacheHead int      // index of the oldest cached frame
	cacheLen  int
	pending   map[int64]*frame // arrived ahead of a gap
	target    int64            // head seen in the log by polling
	repairing bool
	viewers   int  // last presence count sent
	joined    bool // a subscriber joined since the last presence event
}

// NewHub returns a hub; call Run to connect it to the broker.
func NewHub(cfg HubConfig) *Hub {
	cfg.defaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Broker == nil {
		cfg.Broker = NewMemoryBroker()
	}
	m, errs := newMetrics(cfg.Registry)
	for _, err := range errs {
		cfg.Logger.Warn("live hub: metric not registered", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg:          cfg,
		log:          cfg.Logger,
		broker:       cfg.Broker,
		m:            m,
		ctx:          ctx,
		cancel:       cancel,
		channels:     make(map[string]*channel),
		clients:      make(map[*client]struct{}),
		byUser:       make(map[int64]map[*client]struct{}),
		pubq:         make(chan pubItem, 8192),
		pollNow:      make(chan struct{}, 1),
		replaySem:    make(chan struct{}, 4),
		replays:      make(map[replayKey]*replayCall),
		presenceKeys: make(map[string]bool),
	}
	return h
}

func (h *Hub) authorize(ctx context.Context, p Principal, name string) error {
	if h.cfg.Authorize != nil {
		return h.cfg.Authorize(ctx, p, name)
	}
	if _, staff, _ := ParseChannel(name); staff {
		return errors.New("staff channel")
	}
	return nil
}

// Run connects the hub to the broker and runs its background work until ctx
// is done: the one broker subscription, the broker publisher, log polling
// (fast while the broker is unhealthy, a slow position check otherwise, which
// also catches a lost last event on an idle channel), retention pruning and
// presence.
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); h.publishLoop(ctx) }()
	go func() { defer wg.Done(); h.pingLoop(ctx) }()
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			err := h.broker.Subscribe(ctx, h.onBrokerMessage, h.onBrokerHealth)
			if err != nil && ctx.Err() == nil {
				h.log.Error("live hub: broker subscription failed", "err", err)
				h.onBrokerHealth(false)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
	go func() { defer wg.Done(); h.presenceLoop(ctx) }()

	prune := time.NewTicker(h.cfg.PruneEvery)
	defer prune.Stop()
	poll := time.NewTimer(h.cfg.PollUnhealthy)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-prune.C:
			if h.cfg.Log != nil {
				pctx, cancel := context.WithTimeout(ctx, time.Minute)
				n, err := h.cfg.Log.Prune(pctx, h.cfg.Retention, h.cfg.RetentionEvents)
				cancel()
				if err != nil {
					h.log.Warn("live hub: pruning the event log failed", "err", err)
				} else if n > 0 {
					h.log.Info("live hub: pruned the event log", "deleted", n)
				}
			}
		case <-h.pollNow:
			h.pollHeads(ctx)
		case <-poll.C:
			h.pollHeads(ctx)
			next := h.cfg.PollHealthy
			if !h.healthy.Load() {
				next = h.cfg.PollUnhealthy
			}
			poll.Reset(next)
		}
	}
}

// Publish delivers committed events: to local subscribers at once, and to
// the other instances through the broker (asynchronously, in order). Call it
// after the transaction that appended them has committed. It never blocks
// on the broker: if the broker is down or behind, the other instances catch
// up from the log.
func (h *Hub) Publish(ctx context.Context, events ...Event) {
	for _, ev := range events {
		if ev.Seq <= 0 || !ValidChannel(ev.Channel) {
			h.log.Error("live hub: publish of an event without seq or with a bad channel", "channel", ev.Channel, "seq", ev.Seq)
			continue
		}
		f := &frame{seq: ev.Seq, b: encodeEvent(ev)}
		h.m.published.Inc()
		h.ingest(ev.Channel, f)
		if h.cfg.SkipPublish != nil && h.cfg.SkipPublish(ev) {
			continue
		}
		payload := make([]byte, 0, 21+len(f.b))
		payload = strconv.AppendInt(payload, ev.Seq, 10)
		payload = append(payload, ' ')
		payload = append(payload, f.b...)
		h.enqueuePublish(pubItem{topic: "ev:" + ev.Channel, payload: payload})
	}
}

func (h *Hub) enqueuePublish(it pubItem) {
	select {
	case h.pubq <- it:
	default:
		h.m.brokerDropped.Inc()
	}
}

// pingLoop asks every connection for a ping once per PingEvery (25 s:
// below the 30-60 s idle timeouts of common proxies and load balancers),
// from one goroutine for all connections instead of a ticker each.
func (h *Hub) pingLoop(ctx context.Context) {
	t := time.NewTicker(min(time.Second, h.cfg.PingEvery/5))
	defer t.Stop()
	var all []*client
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.mu.Lock()
			all = all[:0]
			for c := range h.clients {
				all = append(all, c)
			}
			h.mu.Unlock()
			for _, c := range all {
				c.requestPing(now)
			}
			clear(all)
		}
	}
}

// publishLoop sends to the broker from one goroutine, so one instance's
// messages keep their order.
func (h *Hub) publishLoop(ctx context.Context) {
	var lastWarn time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-h.pubq:
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := h.broker.Publish(pctx, it.topic, it.payload)
			cancel()
			if err != nil && ctx.Err() == nil {
				h.m.brokerDropped.Inc()
				if time.Since(lastWarn) > 10*time.Second {
					lastWarn = time.Now()
					h.log.Warn("live hub: broker publish failed; other instances will catch up from the log", "err", err)
				}
			}
		}
	}
}

func (h *Hub) onBrokerMessage(topic string, payload []byte) {
	if name, ok := strings.CutPrefix(topic, "ev:"); ok {
		sp := bytes.IndexByte(payload[:min(len(payload), 24)], ' ')
		if sp <= 0 {
			return
		}
		seq, err := strconv.ParseInt(string(payload[:sp]), 10, 64)
		if err != nil || seq <= 0 {
			return
		}
		h.ingest(name, &frame{seq: seq, b: payload[sp+1:]})
		return
	}
	if topic == "ctl" {
		if id, ok := strings.CutPrefix(string(payload), "disconnect:"); ok {
			if uid, err := strconv.ParseInt(id, 10, 64); err == nil {
				h.disconnectLocal(uid)
			}
		}
	}
}

func (h *Hub) onBrokerHealth(ok bool) {
	h.healthy.Store(ok)
	if ok {
		h.m.brokerHealthy.Set(1)
		// Catch up on whatever was published while the subscription was down.
		select {
		case h.pollNow <- struct{}{}:
		default:
		}
	} else {
		h.m.brokerHealthy.Set(0)
	}
}

// ingest takes an event for channel name from any source.
func (h *Hub) ingest(name string, f *frame) {
	h.mu.Lock()
	ch := h.channels[name]
	h.mu.Unlock()
	if ch == nil {
		return // nobody here follows it
	}
	ch.mu.Lock()
	h.acceptLocked(ch, f)
	ch.mu.Unlock()
}

// acceptLocked delivers f if it is the next seq, drops it if already
// delivered, and otherwise parks it and starts a gap repair.
func (h *Hub) acceptLocked(ch *channel, f *frame) {
	if !ch.inited {
		ch.pending[f.seq] = f
		return
	}
	switch {
	case f.seq <= ch.last:
		return
	case f.seq == ch.last+1:
		h.deliverLocked(ch, f)
		h.drainPendingLocked(ch)
	default:
		ch.pending[f.seq] = f
		h.startRepairLocked(ch)
	}
}

func (h *Hub) drainPendingLocked(ch *channel) {
	for len(ch.pending) > 0 {
		f, ok := ch.pending[ch.last+1]
		if !ok {
			break
		}
		delete(ch.pending, f.seq)
		h.deliverLocked(ch, f)
	}
	if len(ch.pending) > 0 {
		for seq := range ch.pending {
			if seq <= ch.last {
				delete(ch.pending, seq)
			}
		}
	}
}

// deliverLocked hands f to every subscriber's queue. Enqueueing never
// blocks (a full queue closes that one connection), so holding ch.mu here
// keeps replay+subscribe atomic with respect to live events without letting
// one client slow the rest.
func (h *Hub) deliverLocked(ch *channel, f *frame) {
	ch.last = f.seq
	ch.pushCache(f)
	n := 0
	for _, s := range ch.subs {
		if f.seq > s.after {
			s.c.enqueue(f.b, false)
			n++
		}
	}
	if n > 0 {
		h.m.deliveries.Add(float64(n))
	}
}

func (ch *channel) pushCache(f *frame) {
	if len(ch.cache) == 0 {
		return
	}
	if ch.cacheLen < len(ch.cache) {
		ch.cache[(ch.cacheHead+ch.cacheLen)%len(ch.cache)] = f
		ch.cacheLen++
		return
	}
	ch.cache[ch.cacheHead] = f
	ch.cacheHead = (ch.cacheHead + 1) % len(ch.cache)
}

func (ch *channel) resetCache() {
	clear(ch.cache)
	ch.cacheHead, ch.cacheLen = 0, 0
}

// cacheFirst is the oldest cached seq (last+1 when the cache is empty).
func (ch *channel) cacheFirst() int64 {
	return ch.last - int64(ch.cacheLen) + 1
}

// cacheAfter calls fn for each cached frame with seq > after, oldest first.
func (ch *channel) cacheAfter(after int64, fn func(*frame)) {
	for i := 0; i < ch.cacheLen; i++ {
		f := ch.cache[(ch.cacheHead+i)%len(ch.cache)]
		if f.seq > after {
			fn(f)
		}
	}
}

func (ch *channel) addSubLocked(s *sub) {
	ch.subs = append(ch.subs, s)
	ch.joined = true
}

func (ch *channel) removeSub(s *sub) {
	for i, x := range ch.subs {
		if x == s {
			last := len(ch.subs) - 1
			ch.subs[i] = ch.subs[last]
			ch.subs[last] = nil
			ch.subs = ch.subs[:last]
			return
		}
	}
}

func (h *Hub) startRepairLocked(ch *channel) {
	if ch.repairing || h.cfg.Log == nil {
		return
	}
	ch.repairing = true
	go h.repair(ch)
}

// repair fetches from the log every event between what ch delivered and
// the highest seq it knows of, then delivers them and whatever was parked.
func (h *Hub) repair(ch *channel) {
	backoff := 100 * time.Millisecond
	for {
		ch.mu.Lock()
		from, to := ch.last, ch.target
		for seq := range ch.pending {
			to = max(to, seq)
		}
		if to <= from || h.ctx.Err() != nil {
			ch.repairing = false
			ch.mu.Unlock()
			return
		}
		ch.mu.Unlock()

		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.QueryTimeout)
		evs, err := h.cfg.Log.Range(ctx, ch.name, from, to)
		cancel()
		if err != nil {
			h.log.Warn("live hub: gap repair failed, retrying", "channel", ch.name, "from", from, "to", to, "err", err)
			select {
			case <-h.ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond

		ch.mu.Lock()
		if ch.last == from && (len(evs) == 0 || evs[0].Seq != from+1) {
			// The log no longer has from+1 (pruned): a gap-free stream is
			// impossible. Disconnect this channel's subscribers so they
			// reconnect with since and learn recovered:false.
			h.log.Error("live hub: events missing from the log; resetting channel", "channel", ch.name, "from", from, "to", to)
			for _, s := range ch.subs {
				s.c.close(DisconnectInternal)
			}
			ch.last = to
			if len(evs) > 0 {
				ch.last = evs[0].Seq - 1
			}
			ch.resetCache()
		}
		for _, ev := range evs {
			if ev.Seq == ch.last+1 {
				h.m.gapRepairs.Inc()
				h.deliverLocked(ch, &frame{seq: ev.Seq, b: encodeEvent(ev)})
			}
		}
		h.drainPendingLocked(ch)
		ch.mu.Unlock()
	}
}

// pollHeads compares every local channel with the log and repairs the ones
// that are behind. While the broker is healthy this is a cheap safety net
// (one query per instance per PollHealthy); while it is not, it is how
// events from other instances arrive.
func (h *Hub) pollHeads(ctx context.Context) {
	if h.cfg.Log == nil {
		return
	}
	h.mu.Lock()
	names := make([]string, 0, len(h.channels))
	for name := range h.channels {
		names = append(names, name)
	}
	h.mu.Unlock()
	if len(names) == 0 {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, h.cfg.QueryTimeout)
	heads, err := h.cfg.Log.Heads(qctx, names)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live hub: polling the event log failed", "err", err)
		}
		return
	}
	for name, head := range heads {
		h.mu.Lock()
		ch := h.channels[name]
		h.mu.Unlock()
		if ch == nil {
			continue
		}
		ch.mu.Lock()
		if ch.inited && head > ch.last {
			ch.target = max(ch.target, head)
			h.startRepairLocked(ch)
		}
		ch.mu.Unlock()
	}
}

// acquire returns the state of channel name, creating and loading it (head
// plus the newest CacheSize events, one query) for the first subscriber.
// Every acquire is paired with a release.
func (h *Hub) acquire(ctx context.Context, name string) (*channel, error) {
	h.mu.Lock()
	ch := h.channels[name]
	if ch != nil {
		ch.refs++
		h.mu.Unlock()
		select {
		case <-ch.ready:
		case <-ctx.Done():
			h.release(ch)
			return nil, ctx.Err()
		}
		if ch.err != nil {
			h.release(ch)
			return nil, ch.err
		}
		return ch, nil
	}
	_, staff, _ := ParseChannel(name)
	ch = &channel{
		name:    name,
		public:  !staff,
		refs:    1,
		ready:   make(chan struct{}),
		pending: make(map[int64]*frame),
		cache:   make([]*frame, h.cfg.CacheSize),
	}
	h.channels[name] = ch
	h.mu.Unlock()

	var head int64
	var evs []Event
	var err error
	if h.cfg.Log != nil {
		// Not the subscriber's ctx: others may be waiting on this load.
		lctx, cancel := context.WithTimeout(h.ctx, h.cfg.QueryTimeout)
		head, evs, err = h.cfg.Log.Tail(lctx, name, h.cfg.CacheSize)
		cancel()
	}
	if err != nil {
		ch.err = fmt.Errorf("load channel %s: %w", name, err)
		h.mu.Lock()
		if h.channels[name] == ch {
			delete(h.channels, name)
		}
		h.mu.Unlock()
		close(ch.ready)
		h.release(ch)
		return nil, ch.err
	}
	ch.mu.Lock()
	ch.last = head
	if len(evs) > 0 && evs[len(evs)-1].Seq == head {
		for i, ev := range evs {
			if i > 0 && ev.Seq != evs[i-1].Seq+1 {
				ch.resetCache() // not contiguous: keep only what follows
			}
			ch.pushCache(&frame{seq: ev.Seq, b: encodeEvent(ev)})
		}
	}
	ch.inited = true
	h.drainPendingLocked(ch)
	if len(ch.pending) > 0 {
		h.startRepairLocked(ch)
	}
	ch.mu.Unlock()
	close(ch.ready)
	return ch, nil
}

// release drops one reference; the last one removes the channel.
func (h *Hub) release(ch *channel) {
	h.mu.Lock()
	ch.refs--
	if ch.refs == 0 && h.channels[ch.name] == ch {
		delete(h.channels, ch.name)
	}
	h.mu.Unlock()
}

// join adds s to ch and queues, in this order: the replayed events after
// since, the subscribed frame, then (from deliverLocked) live events. The
// replay and the switch to live happen under ch.mu, so nothing slips
// between them and nothing is sent twice.
func (h *Hub) join(ctx context.Context, ch *channel, s *sub, since *int64) error {
	c := s.c
	if since == nil {
		ch.mu.Lock()
		s.after = ch.last
		ch.addSubLocked(s)
		c.enqueue(encodeSubscribed(ch.name, ch.last, nil), true)
		ch.mu.Unlock()
		return nil
	}
	S := *since
	var fetched []Event // (S, through] read from the log
	through := S
	for attempt := 0; ; attempt++ {
		ch.mu.Lock()
		L := ch.last
		switch {
		case S > L:
			// The client has seen more than this instance has delivered
			// (it came from a faster instance), or since is bogus.
			ch.mu.Unlock()
			heads, err := h.cfg.logOrNil().headsOf(ctx, ch.name)
			if err != nil {
				return err
			}
			ch.mu.Lock()
			if S > heads {
				h.joinUnrecoveredLocked(ch, s)
				ch.mu.Unlock()
				return nil
			}
			if S <= ch.last {
				ch.mu.Unlock()
				continue
			}
			s.after = S
			ch.addSubLocked(s)
			c.enqueue(encodeSubscribed(ch.name, S, ptr(true)), true)
			ch.target = max(ch.target, heads)
			h.startRepairLocked(ch)
			ch.mu.Unlock()
			h.m.replayTrue.Inc()
			return nil

		case through >= L || ch.cacheFirst() <= through+1:
			// What was fetched plus the cache covers (S, L].
			for _, ev := range fetched {
				c.enqueue(encodeEvent(ev), true)
			}
			ch.cacheAfter(through, func(f *frame) { c.enqueue(f.b, true) })
			s.after = max(L, through)
			ch.addSubLocked(s)
			c.enqueue(encodeSubscribed(ch.name, s.after, ptr(true)), true)
			if through > L {
				ch.target = max(ch.target, through)
				h.startRepairLocked(ch)
			}
			ch.mu.Unlock()
			h.m.replayTrue.Inc()
			return nil
		}
		ch.mu.Unlock()

		if h.cfg.Log == nil || len(fetched) >= h.cfg.MaxReplay || attempt > 10 {
			ch.mu.Lock()
			h.joinUnrecoveredLocked(ch, s)
			ch.mu.Unlock()
			return nil
		}
		evs, err := h.replayRead(ctx, ch.name, through)
		if err != nil {
			return err
		}
		if len(evs) == 0 || evs[0].Seq != through+1 {
			// Pruned: the log cannot give everything after since.
			ch.mu.Lock()
			h.joinUnrecoveredLocked(ch, s)
			ch.mu.Unlock()
			return nil
		}
		fetched = append(fetched, evs...)
		through = evs[len(evs)-1].Seq
		if len(fetched) > h.cfg.MaxReplay {
			ch.mu.Lock()
			h.joinUnrecoveredLocked(ch, s)
			ch.mu.Unlock()
			return nil
		}
	}
}

// joinUnrecoveredLocked subscribes s from now on and tells the client it
// must reload state over HTTP.
func (h *Hub) joinUnrecoveredLocked(ch *channel, s *sub) {
	s.after = ch.last
	ch.addSubLocked(s)
	s.c.enqueue(encodeSubscribed(ch.name, ch.last, ptr(false)), true)
	h.m.replayFalse.Inc()
}

func ptr[T any](v T) *T { return &v }

func (c *HubConfig) logOrNil() *Log { return c.Log }

func (l *Log) headsOf(ctx context.Context, name string) (int64, error) {
	if l == nil {
		return 0, nil
	}
	heads, err := l.Heads(ctx, []string{name})
	if err != nil {
		return 0, err
	}
	return heads[name], nil
}

type replayKey struct {
	channel string
	after   int64
}

type replayCall struct {
	done    chan struct{}
	evs     []Event
	err     error
	expires time.Time // set when done: until then later callers reuse the result
}

// replayShare is how long a finished replay read keeps serving callers with
// the same since. Reusing an older read is safe: join continues from its
// last seq (through the in-memory cache, or another read) up to the live
// position.
const replayShare = 2 * time.Second

// replayRead reads events after `after` from the log for a subscribe.
// Reads of the same range share one query (concurrent ones, and for
// replayShare after it finished), and at most four run at once, so a mass
// reconnect costs PostgreSQL a handful of queries rather than one per client.
func (h *Hub) replayRead(ctx context.Context, name string, after int64) ([]Event, error) {
	key := replayKey{name, after}
	now := time.Now()
	h.replayMu.Lock()
	for k, call := range h.replays {
		if !call.expires.IsZero() && now.After(call.expires) {
			delete(h.replays, k)
		}
	}
	if call, ok := h.replays[key]; ok {
		h.replayMu.Unlock()
		select {
		case <-call.done:
			return call.evs, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	call := &replayCall{done: make(chan struct{})}
	h.replays[key] = call
	h.replayMu.Unlock()

	defer func() {
		h.replayMu.Lock()
		if call.err != nil {
			delete(h.replays, key)
		} else {
			call.expires = time.Now().Add(replayShare)
		}
		h.replayMu.Unlock()
		close(call.done)
	}()
	select {
	case h.replaySem <- struct{}{}:
	case <-ctx.Done():
		call.err = ctx.Err()
		return nil, call.err
	}
	defer func() { <-h.replaySem }()
	h.replayQueries.Add(1)
	call.evs, call.err = h.cfg.Log.Since(ctx, name, after, h.cfg.MaxReplay+1)
	return call.evs, call.err
}

func (h *Hub) register(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns.Add(1)
	h.clients[c] = struct{}{}
	if c.p.UserID != 0 {
		set := h.byUser[c.p.UserID]
		if set == nil {
			set = make(map[*client]struct{})
			h.byUser[c.p.UserID] = set
		}
		set[c] = struct{}{}
	}
	h.m.connections.Inc()
	return true
}

func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	if set := h.byUser[c.p.UserID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.byUser, c.p.UserID)
		}
	}
	h.mu.Unlock()
	h.m.connections.Dec()
	h.conns.Done()
}

// DisconnectUser closes every socket of userID on every instance (through
// a broker control message; locally at once). Use it on logout, role change
// and account deletion.
func (h *Hub) DisconnectUser(userID int64) {
	if userID == 0 {
		return
	}
	h.disconnectLocal(userID)
	h.enqueuePublish(pubItem{topic: "ctl", payload: []byte("disconnect:" + strconv.FormatInt(userID, 10))})
}

func (h *Hub) disconnectLocal(userID int64) {
	h.mu.Lock()
	var victims []*client
	for c := range h.byUser[userID] {
		victims = append(victims, c)
	}
	h.mu.Unlock()
	for _, c := range victims {
		c.close(DisconnectSessionEnded)
	}
}

// Shutdown refuses new connections, closes every tracked socket with 1012
// (fasthttp does not track hijacked connections, so app.Shutdown alone
// would leave them open) and waits until every ServeConn has returned or
// ctx is done, in which case the remaining sockets are cut (and Shutdown
// returns at most CloseGrace later).
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.closing = true
	all := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		all = append(all, c)
	}
	h.mu.Unlock()
	for _, c := range all {
		c.close(DisconnectShutdown)
	}
	done := make(chan struct{})
	go func() { h.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range all {
			c.hardClose()
		}
		// Cut sockets make every handler return at once; do not hang the
		// process on one that does not.
		select {
		case <-done:
		case <-time.After(h.cfg.CloseGrace):
			h.mu.Lock()
			n := len(h.clients)
			h.mu.Unlock()
			h.log.Error("live hub: connections still open after shutdown", "count", n)
		}
	}
	h.cancel()
}
