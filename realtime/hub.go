// Package realtime is the live hub of Hub Talks: it fans events out from the
// PostgreSQL event log to WebSocket subscribers on every instance, with
// gap-free per-channel seqs, paged replay on reconnect (`since`), a Broker
// between instances (in-process or Redis pub/sub), presence, re-authorised
// subscriptions and graceful shutdown. The wire contract is
// docs/live-protocol.md. It never imports server/.
//
// Files by concept: config.go (HubConfig), hub.go (the hub and its
// connections), bridge.go (the broker and its wire format), stream.go
// (per-channel ordering and cache), recovery.go (gap repair and log
// polling), replay.go (subscribe with since), redact.go (rewriting the log),
// recheck.go (authorisation that stays true), conn.go (one socket),
// queue.go (its send budget), frames.go (what a client may send).
package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Hub fans events out to this instance's subscribers. Each channel with
// local subscribers tracks the last seq it delivered; events reach it from
// local Publish calls and from the broker, in any order and possibly twice:
// duplicates are dropped and gaps are filled from the log before anything
// later is delivered, so every subscriber sees each seq once, in order.
type Hub struct {
	cfg       HubConfig
	log       *slog.Logger
	broker    Broker
	presence  Presence
	reactions Reactions
	m         *metrics

	ctx    context.Context // hub lifetime: cancelled by Shutdown
	cancel context.CancelFunc

	mu       sync.Mutex
	channels map[string]*channel
	clients  map[*client]struct{}
	byUser   map[int64]map[*client]struct{}
	byAddr   map[string]int
	closing  bool
	conns    sync.WaitGroup

	pubq     chan pubItem
	healthy  atomic.Bool
	pollNow  chan struct{}
	recheckq chan string

	replaySem     chan struct{}
	replays       *Memo[replayKey, []*frame]
	replayQueries atomic.Int64 // log reads for replay (tests)

	presenceKeys map[string]bool // channels whose presence field this instance wrote; Run's goroutine only
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
	if cfg.Presence == nil {
		cfg.Presence = NewMemoryPresence(cfg.presenceFresh())
	}
	if cfg.Reactions == nil {
		cfg.Reactions = NewMemoryReactions()
	}
	m, errs := newMetrics(cfg.Registry)
	for _, err := range errs {
		cfg.Logger.Warn("live hub: metric not registered", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{
		cfg:          cfg,
		log:          cfg.Logger,
		broker:       cfg.Broker,
		presence:     cfg.Presence,
		reactions:    cfg.Reactions,
		m:            m,
		ctx:          ctx,
		cancel:       cancel,
		channels:     make(map[string]*channel),
		clients:      make(map[*client]struct{}),
		byUser:       make(map[int64]map[*client]struct{}),
		byAddr:       make(map[string]int),
		pubq:         make(chan pubItem, 8192),
		pollNow:      make(chan struct{}, 1),
		recheckq:     make(chan string, 256),
		replaySem:    make(chan struct{}, 4),
		replays:      &Memo[replayKey, []*frame]{TTL: replayShare, Max: maxSharedReplays},
		presenceKeys: make(map[string]bool),
	}
}

func (h *Hub) authorize(ctx context.Context, p Principal, name string) error {
	if h.cfg.Authorize != nil {
		return h.cfg.Authorize(ctx, p, name)
	}
	if _, staff, _ := ParseChannel(name); staff {
		return fmt.Errorf("staff channel: %w", ErrForbidden)
	}
	return nil
}

// Run connects the hub to the broker and runs its background work until ctx
// is done: the one broker subscription, the broker publisher, log polling
// (fast while the broker is unhealthy, a slow position check otherwise, which
// also catches a lost last event on an idle channel), retention pruning,
// re-authorisation, presence and reactions.
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(6)
	go func() { defer wg.Done(); h.publishLoop(ctx) }()
	go func() { defer wg.Done(); h.pingLoop(ctx) }()
	go func() { defer wg.Done(); h.subscribeLoop(ctx) }()
	go func() { defer wg.Done(); h.presenceLoop(ctx) }()
	go func() { defer wg.Done(); h.reactionsLoop(ctx) }()
	go func() { defer wg.Done(); h.recheckLoop(ctx) }()

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
			h.prune(ctx)
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

// prune deletes what the retention no longer keeps.
func (h *Hub) prune(ctx context.Context) {
	if h.cfg.History == nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	n, err := h.cfg.History.Prune(pctx, h.cfg.retention())
	cancel()
	if err != nil {
		h.log.Warn("live hub: pruning the event log failed", "err", err)
	} else if n > 0 {
		h.log.Info("live hub: pruned the event log", "deleted", n)
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
			all = h.allClients(all[:0])
			for _, c := range all {
				c.requestPing(now)
			}
			clear(all)
		}
	}
}

// allClients appends every connection to buf.
func (h *Hub) allClients(buf []*client) []*client {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		buf = append(buf, c)
	}
	return buf
}

// ErrTooManySockets refuses a connection over a per-user or per-address cap.
var ErrTooManySockets = errors.New("too many live connections")

// Admit reports whether p may open one more live socket on this instance
// (MaxSocketsPerUser for a signed-in user, MaxSocketsPerAddr per client
// address). Call it before the upgrade so the refusal can be a 429; the
// connection is counted again when it registers.
func (h *Hub) Admit(p Principal) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.admitLocked(p)
}

func (h *Hub) admitLocked(p Principal) error {
	if p.UserID != 0 && len(h.byUser[p.UserID]) >= h.cfg.MaxSocketsPerUser {
		return ErrTooManySockets
	}
	if p.Addr != "" && h.byAddr[p.Addr] >= h.cfg.MaxSocketsPerAddr {
		return ErrTooManySockets
	}
	return nil
}

// register adds c to the hub; it fails while shutting down or when c is
// over a socket cap (sockets that raced past Admit).
func (h *Hub) register(c *client) (bool, Disconnect) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false, DisconnectShutdown
	}
	if h.admitLocked(c.p) != nil {
		return false, DisconnectTooMany
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
	if c.p.Addr != "" {
		h.byAddr[c.p.Addr]++
	}
	h.m.connections.Inc()
	return true, Disconnect{}
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
	if c.p.Addr != "" {
		if h.byAddr[c.p.Addr]--; h.byAddr[c.p.Addr] <= 0 {
			delete(h.byAddr, c.p.Addr)
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
	h.publishControl(ctlDisconnect, userID)
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
