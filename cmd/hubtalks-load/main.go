// Command hubtalks-load measures live fan-out of a running Hub Talks server:
// it opens N WebSocket subscribers on talk:{id} (GET /api/v1/live, frames as
// in docs/live-protocol.md), posts M questions at R per second through
// POST /api/v1/talks/{id}/questions, and reports the connect rate, the
// fan-out latency (question POSTed → event received) over every delivery,
// the same from the event's server-side "at" timestamp (which leaves out the
// HTTP request before the insert), deliveries per second, lost and
// duplicated events by seq, and — with
// -server-pid — the server's memory per connection.
//
// With -mode poll it measures poll.results instead: the subscribers follow
// the talk while -ballots ballots on the open poll -poll arrive at -rate
// per second, each from its own voter (-voters: a file of bearer tokens,
// one per line), and it reports the latency from a ballot's PUT to the
// first poll.results whose count includes it (results are coalesced, so
// this includes the coalescing window), on every subscriber.
//
// It is bounded in count and time and only talks to loopback addresses.
//
//	hubtalks-load -url http://127.0.0.1:3000 -talk 1 -token $TOKEN \
//	    -subscribers 10000 -questions 200 -rate 4 -server-pid $(pgrep -f 'hubtalks serve')
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

type config struct {
	baseURLs    []string // instances: subscribers and questions go round-robin
	talk        int64
	subscribers int
	questions   int
	rate        float64
	token       string
	connectRate float64
	serverPIDs  []int
	settle      time.Duration
	maxDuration time.Duration
	jsonOut     bool
	// Signed-in viewers: subscriber i connects with token i (mod their
	// number) from this file, one token a line; and stays for hold before
	// the questions (attendance is counted from signed-in presence).
	viewerTokens string
	hold         time.Duration
	mode         string // question or poll
	poll         int64
	voters       []string
	// procs > 1: run that many child processes (procs.go); child is set in
	// each of them.
	procs int
	child *childRole
}

const (
	maxSubscribers = 60000
	maxQuestions   = 100000
	marker         = "hubload:"
)

func main() {
	var cfg config
	urls := flag.String("url", "http://127.0.0.1:3000", "server base URLs, comma-separated (loopback only): "+
		"subscribers and questions are spread over them round-robin")
	flag.Int64Var(&cfg.talk, "talk", 1, "talk id: subscribers follow talk:{id}, questions are posted to it")
	flag.IntVar(&cfg.subscribers, "subscribers", 100, "WebSocket subscribers to open")
	flag.IntVar(&cfg.questions, "questions", 20, "questions to post")
	flag.Float64Var(&cfg.rate, "rate", 4, "questions per second")
	flag.StringVar(&cfg.token, "token", "", "bearer token of a signed-in user, for posting questions")
	flag.Float64Var(&cfg.connectRate, "connect-rate", 2000, "new WebSocket connections per second")
	pids := flag.String("server-pid", "", "server process ids, comma-separated: read their VmRSS before and after connecting")
	flag.DurationVar(&cfg.settle, "settle", 10*time.Second, "how long to wait for the last deliveries after the last post")
	flag.DurationVar(&cfg.maxDuration, "max-duration", 15*time.Minute, "hard limit on the whole run")
	flag.BoolVar(&cfg.jsonOut, "json", false, "print the report as JSON")
	flag.StringVar(&cfg.viewerTokens, "viewer-tokens", "", "file of bearer tokens, one a line: subscribers connect as these users (signed-in viewers)")
	flag.DurationVar(&cfg.hold, "hold", 0, "keep every subscriber connected this long after all subscribed, before posting")
	flag.StringVar(&cfg.mode, "mode", "question", "question: post questions; poll: cast ballots on -poll and follow poll.results")
	flag.Int64Var(&cfg.poll, "poll", 0, "poll mode: the open poll's id")
	ballots := flag.Int("ballots", 0, "poll mode: ballots to cast (one per voter), at -rate per second")
	votersFile := flag.String("voters", "", "poll mode: file of voters' bearer tokens, one per line")
	flag.IntVar(&cfg.procs, "procs", 1, "processes to spread the subscribers over (each has its own open-file limit); the first posts")
	childFlag := flag.String("child", "", "internal: index:run id:result file of a child of -procs")
	flag.Parse()
	cfg.baseURLs = strings.Split(*urls, ",")
	if *childFlag != "" {
		role, err := parseChild(*childFlag)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hubtalks-load:", err)
			os.Exit(2)
		}
		cfg.child = role
	}
	for _, p := range strings.Split(*pids, ",") {
		if pid, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && pid > 0 {
			cfg.serverPIDs = append(cfg.serverPIDs, pid)
		}
	}
	if cfg.mode == "poll" {
		cfg.questions = *ballots
		if err := cfg.readVoters(*votersFile); err != nil {
			fmt.Fprintln(os.Stderr, "hubtalks-load:", err)
			os.Exit(2)
		}
	}

	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "hubtalks-load:", err)
		os.Exit(2)
	}
	// With -procs the children hold the sockets, each raising its own limit.
	if lim, err := raiseNoFile(uint64(cfg.subscribers/cfg.procs) + 1024); err != nil {
		fmt.Fprintf(os.Stderr, "hubtalks-load: raise RLIMIT_NOFILE: %v (limit %d)\n", err, lim)
		if lim < uint64(cfg.subscribers/cfg.procs)+64 {
			os.Exit(1)
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelMax := context.WithTimeout(ctx, cfg.maxDuration)
	defer cancelMax()

	var rep *report
	var err error
	switch {
	case cfg.procs > 1:
		rep, err = runProcs(ctx, cfg, os.Args[1:])
	case cfg.child != nil:
		err = runChild(ctx, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hubtalks-load:", err)
			os.Exit(1)
		}
		return
	default:
		rep, _, err = run(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hubtalks-load:", err)
	}
	if rep != nil {
		rep.print(os.Stdout, cfg.jsonOut)
	}
	if err != nil || (rep != nil && (rep.Lost > 0 || rep.Duplicated > 0 || rep.PostErrors > 0)) {
		os.Exit(1)
	}
}

func (c *config) validate() error {
	if c.mode == "" {
		c.mode = "question"
	}
	if c.procs == 0 {
		c.procs = 1
	}
	if len(c.baseURLs) == 0 {
		return errors.New("-url: no server")
	}
	for _, raw := range c.baseURLs {
		if err := loopbackURL(raw); err != nil {
			return err
		}
	}
	switch {
	case c.talk <= 0:
		return errors.New("-talk must be a positive id")
	case c.subscribers < 1 || c.subscribers > maxSubscribers:
		return fmt.Errorf("-subscribers must be 1..%d", maxSubscribers)
	case c.questions < 0 || c.questions > maxQuestions:
		return fmt.Errorf("-questions must be 0..%d", maxQuestions)
	case c.questions > 0 && (c.rate <= 0 || c.rate > 10000):
		return errors.New("-rate must be in (0, 10000]")
	case c.questions > 0 && c.token == "":
		return errors.New("-token is required to post questions")
	case c.connectRate <= 0:
		return errors.New("-connect-rate must be > 0")
	case c.mode != "question" && c.mode != "poll":
		return errors.New("-mode must be question or poll")
	case c.mode == "poll" && c.poll <= 0:
		return errors.New("-poll must be the open poll's id")
	case c.mode == "poll" && len(c.voters) < c.questions:
		return fmt.Errorf("-voters holds %d tokens for %d ballots (one ballot per voter)", len(c.voters), c.questions)
	case c.hold < 0 || c.hold >= c.maxDuration:
		return errors.New("-hold must be in [0, -max-duration)")
	case c.procs < 1 || c.procs > 16 || c.procs > c.subscribers:
		return errors.New("-procs must be 1..16 and at most -subscribers")
	case c.procs > 1 && c.mode != "question":
		return errors.New("-procs works in question mode only")
	}
	return nil
}

// loopbackURL checks that raw is an http(s) URL of this machine.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want http(s)://host:port", raw)
	}
	host := u.Hostname()
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("-url host %q does not resolve", host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("-url host %q is not a loopback address: this tool only loads the local machine", host)
		}
	}
	return nil
}

func (c *config) readVoters(path string) error {
	if path == "" {
		return errors.New("-voters is required in poll mode")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	c.voters = strings.Fields(string(b))
	return nil
}

// raiseNoFile raises the soft RLIMIT_NOFILE to at least want (up to the
// hard limit, raising that too when allowed) and returns the new soft limit.
func raiseNoFile(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	if lim.Max < want {
		// Root may raise the hard limit.
		try := syscall.Rlimit{Cur: want, Max: want}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &try); err == nil {
			return want, nil
		}
		lim.Cur = lim.Max
	} else {
		lim.Cur = want
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim.Cur, err
	}
	if lim.Cur < want {
		return lim.Cur, fmt.Errorf("hard limit %d is below the %d needed", lim.Max, want)
	}
	return lim.Cur, nil
}

// subscriber is one WebSocket connection's bookkeeping. Only its own read
// goroutine writes it until the run ends.
type subscriber struct {
	conn       *websocket.Conn
	subscribed chan struct{}
	lastSeq    int64    // -1 until subscribed
	lat        []uint32 // µs from POST sent to receipt
	latAt      []uint32 // µs from the event's server-side "at" to receipt
	got        []uint8  // per question number: times received
	lost       int64
	dup        int64
	events     int64
	closeErr   error
	closeCode  int
	ballots    int64 // poll mode: the highest count a poll.results carried
}

type report struct {
	Instances        int     `json:"instances"`
	Mode             string  `json:"mode"` // questions, or ballots (poll mode: latency to the first poll.results counting a ballot)
	Subscribers      int     `json:"subscribers"`
	Connected        int     `json:"connected"`
	ConnectSeconds   float64 `json:"connect_seconds"`
	ConnectPerSecond float64 `json:"connect_per_second"`
	Questions        int     `json:"questions"`
	Posted           int     `json:"posted"`
	PostErrors       int     `json:"post_errors"`
	PostP50Ms        float64 `json:"post_p50_ms"`
	PostP99Ms        float64 `json:"post_p99_ms"`
	Deliveries       int64   `json:"deliveries"`
	Expected         int64   `json:"expected_deliveries"`
	DeliveriesPerSec float64 `json:"deliveries_per_second"`
	LatencyP50Ms     float64 `json:"fanout_p50_ms"`
	LatencyP90Ms     float64 `json:"fanout_p90_ms"`
	LatencyP99Ms     float64 `json:"fanout_p99_ms"`
	LatencyMaxMs     float64 `json:"fanout_max_ms"`
	HubP50Ms         float64 `json:"hub_p50_ms"`
	HubP90Ms         float64 `json:"hub_p90_ms"`
	HubP99Ms         float64 `json:"hub_p99_ms"`
	HubMaxMs         float64 `json:"hub_max_ms"`
	Lost             int64   `json:"lost"`
	Duplicated       int64   `json:"duplicated"`
	SeqGaps          int64   `json:"seq_gaps"`
	SeqDuplicates    int64   `json:"seq_duplicates"`
	Disconnected     int     `json:"disconnected"`
	ServerRSSBefore  int64   `json:"server_rss_before_kib,omitempty"`
	ServerRSSAfter   int64   `json:"server_rss_after_kib,omitempty"`
	KiBPerConnection float64 `json:"server_kib_per_connection,omitempty"`
}

// run runs one process's part of the test. detail is what a child sends
// its parent to merge (procs.go).
func run(ctx context.Context, cfg config) (rep *report, detail *childResult, err error) {
	bases := make([]*url.URL, len(cfg.baseURLs))
	wsURLs := make([]string, len(cfg.baseURLs))
	for i, raw := range cfg.baseURLs {
		bases[i], _ = url.Parse(raw)
		wsURL := *bases[i]
		if wsURL.Scheme == "https" {
			wsURL.Scheme = "wss"
		} else {
			wsURL.Scheme = "ws"
		}
		wsURL.Path = strings.TrimSuffix(wsURL.Path, "/") + "/api/v1/live"
		wsURLs[i] = wsURL.String()
	}
	channel := "talk:" + strconv.FormatInt(cfg.talk, 10)
	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	if cfg.child != nil {
		runID = cfg.child.runID
	}

	rep = &report{Instances: len(bases), Mode: "questions", Subscribers: cfg.subscribers, Questions: cfg.questions}
	if cfg.mode == "poll" {
		rep.Mode = "ballots"
	}
	if len(cfg.serverPIDs) > 0 {
		rep.ServerRSSBefore = readRSS(cfg.serverPIDs)
	}

	// Connect at the configured rate.
	dialer := &websocket.Dialer{
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   2048,
		WriteBufferSize:  256,
		NetDialContext:   (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	var tokens []string
	if cfg.viewerTokens != "" {
		b, err := os.ReadFile(cfg.viewerTokens)
		if err != nil {
			return nil, nil, fmt.Errorf("viewer tokens: %w", err)
		}
		tokens = strings.Fields(string(b))
		if len(tokens) == 0 {
			return nil, nil, errors.New("viewer tokens: the file has none")
		}
	}
	subs := make([]*subscriber, cfg.subscribers)
	var wg sync.WaitGroup
	var connectErrs atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	interval := time.Duration(float64(time.Second) / cfg.connectRate)
	sem := make(chan struct{}, 256) // dials in flight
	for i := range subs {
		if ctx.Err() != nil {
			break
		}
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := wsURLs[i%len(wsURLs)]
			if len(tokens) > 0 {
				u += "?token=" + url.QueryEscape(tokens[i%len(tokens)])
			}
			s, err := connect(ctx, dialer, u, channel, cfg.questions)
			if err != nil {
				connectErrs.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			subs[i] = s
		}()
	}
	wg.Wait()
	rep.ConnectSeconds = time.Since(start).Seconds()
	var live []*subscriber
	for _, s := range subs {
		if s != nil {
			live = append(live, s)
		}
	}
	rep.Connected = len(live)
	rep.ConnectPerSecond = float64(rep.Connected) / rep.ConnectSeconds
	defer func() {
		for _, s := range live {
			s.conn.Close()
		}
	}()
	if n := connectErrs.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "hubtalks-load: %d connections failed; first error: %v\n", n, firstErr.Load())
	}
	if len(live) == 0 {
		return rep, nil, errors.New("no subscriber connected")
	}

	// Every subscriber reads from here on. sent[i] is when ballot i was
	// sent (poll mode), in Unix ns.
	sent := make([]atomic.Int64, cfg.questions)
	var readers sync.WaitGroup
	for _, s := range live {
		readers.Add(1)
		go func() {
			defer readers.Done()
			if cfg.mode == "poll" {
				s.read(s.pollResults(cfg.poll, sent))
			} else {
				s.read(s.questionCreated(runID))
			}
		}()
	}
	deadline := time.After(60 * time.Second)
	for _, s := range live {
		select {
		case <-s.subscribed:
		case <-deadline:
			return rep, nil, errors.New("not every subscriber got its subscribed frame within 60 s")
		case <-ctx.Done():
			return rep, nil, ctx.Err()
		}
	}
	if len(cfg.serverPIDs) > 0 {
		rep.ServerRSSAfter = readRSS(cfg.serverPIDs)
		if rep.ServerRSSAfter > 0 && rep.ServerRSSBefore > 0 {
			rep.KiBPerConnection = float64(rep.ServerRSSAfter-rep.ServerRSSBefore) / float64(rep.Connected)
		}
	}

	if cfg.hold > 0 {
		fmt.Fprintf(os.Stderr, "hubtalks-load: %d subscribers connected; holding for %s\n", len(live), cfg.hold)
		select {
		case <-time.After(cfg.hold):
		case <-ctx.Done():
			return rep, nil, ctx.Err()
		}
	}

	if cfg.child != nil {
		if err := cfg.child.ready(); err != nil {
			return rep, nil, err
		}
	}

	// Post the questions at the configured rate (in a child of -procs,
	// only the first posts: the others take every question as posted and
	// wait as long as posting takes).
	postStart := time.Now()
	var postLat []uint32
	var postedOK []bool
	var posted, postErrs int
	switch {
	case cfg.mode == "poll":
		postLat, postedOK, posted, postErrs = castBallots(ctx, cfg, bases, sent)
	case cfg.child != nil && cfg.child.index > 0:
		postedOK, posted = make([]bool, cfg.questions), cfg.questions
		for i := range postedOK {
			postedOK[i] = true
		}
		select {
		case <-time.After(time.Duration(float64(cfg.questions) / cfg.rate * float64(time.Second))):
		case <-ctx.Done():
		}
	default:
		postLat, postedOK, posted, postErrs = postQuestions(ctx, cfg, bases, runID)
	}
	rep.Posted, rep.PostErrors = posted, postErrs
	post := summarise(postLat)
	rep.PostP50Ms, rep.PostP99Ms = post.p50, post.p99

	// Wait until every subscriber has every posted question, or settle.
	expected := int64(posted) * int64(len(live))
	settle := time.NewTimer(cfg.settle)
	defer settle.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var lastDelivery time.Time
wait:
	for {
		var total int64
		for _, s := range live {
			total += atomic.LoadInt64(&s.events)
		}
		if total >= expected {
			lastDelivery = time.Now()
			break
		}
		select {
		case <-tick.C:
		case <-settle.C:
			lastDelivery = time.Now()
			break wait
		case <-ctx.Done():
			lastDelivery = time.Now()
			break wait
		}
	}
	for _, s := range live {
		s.conn.Close()
	}
	readersDone := make(chan struct{})
	go func() { readers.Wait(); close(readersDone) }()
	select {
	case <-readersDone:
	case <-time.After(10 * time.Second):
		return rep, nil, errors.New("subscriber readers did not stop within 10 s of closing their sockets")
	}

	var all, allAt []uint32
	detail = &childResult{PostedOK: postedOK, Missing: make([]int32, cfg.questions), PostLat: postLat}
	for _, s := range live {
		all = append(all, s.lat...)
		allAt = append(allAt, s.latAt...)
		rep.SeqGaps += s.lost
		rep.SeqDuplicates += s.dup
		for q, n := range s.got {
			switch {
			case n == 0 && postedOK[q]:
				rep.Lost++
				detail.Missing[q]++
			case n > 1:
				rep.Duplicated += int64(n - 1)
			}
		}
		if s.closeCode != 0 {
			rep.Disconnected++
		}
	}
	rep.Deliveries = int64(len(all))
	rep.Expected = expected
	if d := lastDelivery.Sub(postStart).Seconds(); d > 0 {
		rep.DeliveriesPerSec = float64(rep.Deliveries) / d
	}
	fanout := summarise(all)
	rep.LatencyP50Ms, rep.LatencyP90Ms, rep.LatencyP99Ms, rep.LatencyMaxMs = fanout.p50, fanout.p90, fanout.p99, fanout.max
	hub := summarise(allAt)
	rep.HubP50Ms, rep.HubP90Ms, rep.HubP99Ms, rep.HubMaxMs = hub.p50, hub.p90, hub.p99, hub.max
	detail.Lat, detail.LatAt, detail.Seconds = all, allAt, lastDelivery.Sub(postStart).Seconds()
	return rep, detail, nil
}

func connect(ctx context.Context, d *websocket.Dialer, u, channel string, questions int) (*subscriber, error) {
	conn, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	msg := `{"op":"subscribe","channel":"` + channel + `"}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return &subscriber{
		conn:       conn,
		subscribed: make(chan struct{}),
		lastSeq:    -1,
		got:        make([]uint8, questions),
		lat:        make([]uint32, 0, questions),
		latAt:      make([]uint32, 0, questions),
	}, nil
}

// read consumes frames until the connection ends, checking seqs, and hands
// each sequenced event to onEvent. It scans bytes instead of decoding JSON
// so the load generator stays cheap next to the server.
func (s *subscriber) read(onEvent func(msg []byte, now time.Time)) {
	subscribedSent := false
	buf := make([]byte, 0, 2048) // reused: the reader allocates nothing per frame
	for {
		msg, err := readFrame(s.conn, buf[:0])
		buf = msg[:0]
		now := time.Now()
		if err != nil {
			s.closeErr = err
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				s.closeCode = ce.Code
			}
			if !subscribedSent {
				close(s.subscribed)
			}
			return
		}
		op := field(msg, `"op":"`)
		switch string(op) {
		case "subscribed":
			if seq, ok := intField(msg, `"seq":`); ok {
				s.lastSeq = seq
			}
			if !subscribedSent {
				subscribedSent = true
				close(s.subscribed)
			}
		case "event":
			seq, hasSeq := intField(msg, `"seq":`)
			if !hasSeq || s.lastSeq < 0 {
				continue // presence, reactions, or before subscribed
			}
			switch {
			case seq <= s.lastSeq:
				s.dup++
				continue
			case seq > s.lastSeq+1:
				s.lost += seq - s.lastSeq - 1
			}
			s.lastSeq = seq
			onEvent(msg, now)
		}
	}
}

// deliver records the first receipt of item q (a question, a ballot) sent
// at sent.
func (s *subscriber) deliver(msg []byte, now time.Time, q int, sent int64) {
	if s.got[q] < 255 {
		s.got[q]++
	}
	if s.got[q] != 1 {
		return
	}
	us := now.Sub(time.Unix(0, sent)).Microseconds()
	s.lat = append(s.lat, uint32(min(max(us, 0), 1<<32-1)))
	if at, err := time.Parse(time.RFC3339Nano, string(field(msg, `"at":"`))); err == nil {
		s.latAt = append(s.latAt, uint32(min(max(now.Sub(at).Microseconds(), 0), 1<<32-1)))
	}
	atomic.AddInt64(&s.events, 1)
}

// questionCreated handles question.created: our questions carry
// "hubload:<run>:<n>:<unix ns>" in the body.
func (s *subscriber) questionCreated(runID string) func(msg []byte, now time.Time) {
	prefix := []byte(marker + runID + ":")
	return func(msg []byte, now time.Time) {
		i := bytes.Index(msg, prefix)
		if i < 0 || string(field(msg, `"type":"`)) != "question.created" {
			return
		}
		rest := msg[i+len(prefix):]
		colon := bytes.IndexByte(rest, ':')
		if colon < 0 {
			return
		}
		q, err1 := strconv.Atoi(string(rest[:colon]))
		end := colon + 1
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		sent, err2 := strconv.ParseInt(string(rest[colon+1:end]), 10, 64)
		if err1 != nil || err2 != nil || q < 0 || q >= len(s.got) {
			return
		}
		s.deliver(msg, now, q, sent)
	}
}

// pollResults handles poll.results of the poll: a count of B ballots
// delivers ballots 0..B-1 (each voter casts one ballot, in order, so the
// count grows in about the order they were sent). One latency sample per
// event and subscriber, that of the oldest ballot it newly covers (the
// longest wait among them): 2,000 ballots at 10,000 subscribers would
// otherwise be 20 million samples, and the load generator would compete
// with the server for the CPU.
func (s *subscriber) pollResults(poll int64, sent []atomic.Int64) func(msg []byte, now time.Time) {
	id := []byte(`"id":` + strconv.FormatInt(poll, 10) + `,`)
	return func(msg []byte, now time.Time) {
		if string(field(msg, `"type":"`)) != "poll.results" || !bytes.Contains(msg, id) {
			return
		}
		d := bytes.Index(msg, []byte(`"data":`))
		n, ok := intField(msg[d+7:], `"ballots":`)
		n = min(n, int64(len(s.got)))
		if !ok || n <= s.ballots {
			return
		}
		s.deliver(msg, now, int(s.ballots), sent[s.ballots].Load())
		for q := s.ballots + 1; q < n; q++ {
			s.got[q] = 1
		}
		atomic.AddInt64(&s.events, n-s.ballots-1)
		s.ballots = n
	}
}

// readFrame reads the next message into buf (growing it when needed).
func readFrame(conn *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := conn.NextReader()
	if err != nil {
		return buf, err
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// field returns the string value after key (up to the next quote).
func field(msg []byte, key string) []byte {
	i := bytes.Index(msg, []byte(key))
	if i < 0 {
		return nil
	}
	rest := msg[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil
	}
	return rest[:j]
}

// intField returns the integer after key, in the frame's envelope (the
// envelope fields come before "data", which may contain anything).
func intField(msg []byte, key string) (int64, bool) {
	env := msg
	if d := bytes.Index(msg, []byte(`"data":`)); d >= 0 {
		env = msg[:d]
	}
	i := bytes.Index(env, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := env[i+len(key):]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	v, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return v, err == nil
}

// sendAtRate makes cfg.questions requests at cfg.rate per second, each in
// its own goroutine so a slow response does not delay the schedule:
// request(i) builds request i and wantStatus is the answer of success.
// before(i) runs just before request i goes out.
func sendAtRate(ctx context.Context, cfg config, what string, wantStatus int, request func(i int) *http.Request, before func(i int)) (lat []uint32, ok []bool, posted, failed int) {
	ok = make([]bool, cfg.questions)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	interval := time.Duration(float64(time.Second) / cfg.rate)
	start := time.Now()
	for i := 0; i < cfg.questions; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return lat, ok, posted, failed + cfg.questions - i
			case <-time.After(d):
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := request(i)
			req.Header.Set("Content-Type", "application/json")
			sent := time.Now()
			if before != nil {
				before(i)
			}
			resp, err := client.Do(req)
			took := time.Since(sent)
			if err == nil {
				msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				resp.Body.Close()
				if resp.StatusCode != wantStatus {
					err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
					fmt.Fprintf(os.Stderr, "hubtalks-load: %s: %v\n", what, err)
				}
				return
			}
			posted++
			ok[i] = true
			lat = append(lat, uint32(min(took.Microseconds(), 1<<32-1)))
		}()
	}
	wg.Wait()
	return lat, ok, posted, failed
}

// postQuestions posts cfg.questions questions at cfg.rate per second; each
// body carries its number and the time it was sent.
// postQuestions posts cfg.questions questions, question q through
// instance q mod len(bases).
func postQuestions(ctx context.Context, cfg config, bases []*url.URL, runID string) (lat []uint32, ok []bool, posted, failed int) {
	endpoints := make([]string, len(bases))
	for i, base := range bases {
		endpoints[i] = strings.TrimSuffix(base.String(), "/") + "/api/v1/talks/" + strconv.FormatInt(cfg.talk, 10) + "/questions"
	}
	return sendAtRate(ctx, cfg, "post question", http.StatusCreated, func(q int) *http.Request {
		body, _ := json.Marshal(map[string]any{
			"body":      fmt.Sprintf("Load test question %d %s%s:%d:%d", q, marker, runID, q, time.Now().UnixNano()),
			"anonymous": false,
		})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoints[q%len(endpoints)], bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cfg.token)
		return req
	}, nil)
}

// castBallots casts cfg.questions ballots on cfg.poll at cfg.rate per
// second, ballot i by voter i (choosing option i mod 2); sent[i] is set
// just before ballot i goes out; ballot i goes through instance i mod
// len(bases).
func castBallots(ctx context.Context, cfg config, bases []*url.URL, sent []atomic.Int64) (lat []uint32, ok []bool, posted, failed int) {
	endpoints := make([]string, len(bases))
	for i, base := range bases {
		endpoints[i] = strings.TrimSuffix(base.String(), "/") + "/api/v1/polls/" + strconv.FormatInt(cfg.poll, 10) + "/ballot"
	}
	return sendAtRate(ctx, cfg, "cast ballot", http.StatusOK, func(i int) *http.Request {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, endpoints[i%len(endpoints)], bytes.NewReader([]byte(`{"choices":[`+strconv.Itoa(i%2)+`]}`)))
		req.Header.Set("Authorization", "Bearer "+cfg.voters[i])
		return req
	}, func(i int) { sent[i].Store(time.Now().UnixNano()) })
}

// latencySummary is a set of latencies in milliseconds.
type latencySummary struct{ p50, p90, p99, max float64 }

// summarise sorts latencies in µs and summarises them (all zero when empty).
func summarise(micros []uint32) latencySummary {
	if len(micros) == 0 {
		return latencySummary{}
	}
	sort.Slice(micros, func(i, j int) bool { return micros[i] < micros[j] })
	ms := func(us uint32) float64 { return float64(us) / 1000 }
	return latencySummary{
		p50: ms(pct(micros, 0.50)), p90: ms(pct(micros, 0.90)), p99: ms(pct(micros, 0.99)), max: ms(micros[len(micros)-1]),
	}
}

func pct(sorted []uint32, p float64) uint32 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// readRSS returns VmRSS of pid in KiB (0 if unreadable).
// readRSS sums the resident memory of the processes, in KiB.
func readRSS(pids []int) int64 {
	var total int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				total += n
			}
		}
	}
	return total
}

func (r *report) print(w io.Writer, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
		return
	}
	fmt.Fprintf(w, "subscribers      %d connected of %d in %.2fs (%.0f/s), over %d instance(s)\n", r.Connected, r.Subscribers, r.ConnectSeconds, r.ConnectPerSecond, r.Instances)
	fmt.Fprintf(w, "%-16s %d posted, %d failed (request p50 %.1f ms, p99 %.1f ms)\n", r.Mode, r.Posted, r.PostErrors, r.PostP50Ms, r.PostP99Ms)
	if r.Mode == "ballots" {
		fmt.Fprintf(w, "results events   %d latency samples (one per poll.results and subscriber: its oldest newly counted ballot)\n", r.Deliveries)
	} else {
		fmt.Fprintf(w, "deliveries       %d of %d expected, %.0f/s\n", r.Deliveries, r.Expected, r.DeliveriesPerSec)
	}
	fmt.Fprintf(w, "fan-out latency  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n", r.LatencyP50Ms, r.LatencyP90Ms, r.LatencyP99Ms, r.LatencyMaxMs)
	fmt.Fprintf(w, "  from event at  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms (server-stamped, ms resolution: store+publish+fan-out)\n", r.HubP50Ms, r.HubP90Ms, r.HubP99Ms, r.HubMaxMs)
	fmt.Fprintf(w, "lost             %d questions (seq gaps %d)\n", r.Lost, r.SeqGaps)
	fmt.Fprintf(w, "duplicated       %d questions (seq repeats %d)\n", r.Duplicated, r.SeqDuplicates)
	fmt.Fprintf(w, "disconnected     %d subscribers closed by the server\n", r.Disconnected)
	if r.ServerRSSAfter > 0 {
		fmt.Fprintf(w, "server memory    RSS %d → %d KiB: %.1f KiB per connection\n", r.ServerRSSBefore, r.ServerRSSAfter, r.KiBPerConnection)
	}
}
