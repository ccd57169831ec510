//go:build faults

package faults

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// liveClient follows one channel like the web app does: it reconnects by
// itself with jittered exponential backoff to any live instance and
// subscribes with `since`, and it records everything it sees so the test
// can check order, gaps and duplicates.
type liveClient struct {
	channel string
	pick    func() string // base URL of an instance to (re)connect to

	mu          sync.Mutex
	seqs        []int64 // every event seq received, in arrival order
	startSeq    int64   // the channel's seq when the client first subscribed
	lastSeq     int64
	subscribed  int // "subscribed" frames received
	recovered   []bool
	closeCodes  []int
	reconnectAt []time.Time // when each reconnect attempt succeeded
	conn        *websocket.Conn
	connected   bool
	stopped     bool
	wake        chan struct{}
}

func newLiveClient(channel string, pick func() string) *liveClient {
	c := &liveClient{channel: channel, pick: pick, wake: make(chan struct{}, 1)}
	go c.loop()
	return c
}

func (c *liveClient) loop() {
	attempt := 0
	for {
		c.mu.Lock()
		stopped := c.stopped
		c.mu.Unlock()
		if stopped {
			return
		}
		base := c.pick()
		url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/live"
		conn, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			attempt++
			time.Sleep(backoff(attempt))
			continue
		}
		c.mu.Lock()
		c.conn, c.connected = conn, true
		since := c.lastSeq
		hadSeen := c.subscribed > 0
		if hadSeen {
			c.reconnectAt = append(c.reconnectAt, time.Now())
		}
		c.mu.Unlock()
		sub := map[string]any{"op": "subscribe", "channel": c.channel}
		if hadSeen {
			sub["since"] = since
		}
		if err := conn.WriteJSON(sub); err == nil {
			attempt = 0
			c.read(conn)
		}
		conn.Close()
		c.mu.Lock()
		c.connected = false
		c.mu.Unlock()
		attempt++
		time.Sleep(backoff(attempt))
	}
}

// backoff is full jitter over an exponential ceiling (250 ms … 5 s), so a
// whole room that lost its instance does not come back in the same instant.
func backoff(attempt int) time.Duration {
	ceiling := 250 * time.Millisecond << min(attempt, 5)
	if ceiling > 5*time.Second {
		ceiling = 5 * time.Second
	}
	return time.Duration(rand.Int64N(int64(ceiling))) + 50*time.Millisecond
}

type wireFrame struct {
	Op        string `json:"op"`
	Channel   string `json:"channel"`
	Seq       int64  `json:"seq"`
	Type      string `json:"type"`
	Recovered *bool  `json:"recovered"`
}

func (c *liveClient) read(conn *websocket.Conn) {
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				c.mu.Lock()
				c.closeCodes = append(c.closeCodes, ce.Code)
				c.mu.Unlock()
			}
			return
		}
		var f wireFrame
		if json.Unmarshal(msg, &f) != nil {
			continue
		}
		c.mu.Lock()
		switch f.Op {
		case "event":
			if f.Type != "presence" {
				c.seqs = append(c.seqs, f.Seq)
				if f.Seq > c.lastSeq {
					c.lastSeq = f.Seq
				}
			}
		case "subscribed":
			if c.subscribed == 0 {
				c.startSeq, c.lastSeq = f.Seq, f.Seq // a first subscribe starts from the current seq
			}
			c.subscribed++
			if f.Recovered != nil && c.subscribed > 1 {
				c.recovered = append(c.recovered, *f.Recovered)
			}
		}
		c.mu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

func (c *liveClient) stop() {
	c.mu.Lock()
	c.stopped = true
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// dropConnection closes the socket from the client side (a network blip).
func (c *liveClient) dropConnection() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

func (c *liveClient) snapshot() (seqs []int64, last int64, recovered []bool, codes []int, subscribed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.seqs...), c.lastSeq, append([]bool(nil), c.recovered...), append([]int(nil), c.closeCodes...), c.subscribed
}

// problems describes what is wrong with what the client saw, given that the
// channel's events from first+1 to head exist: a gap, a duplicate, or an
// event out of order.
func (c *liveClient) problems(head int64) string {
	seqs, _, _, _, _ := c.snapshot()
	c.mu.Lock()
	first := c.startSeq
	c.mu.Unlock()
	seen := map[int64]bool{}
	prev := first
	for _, s := range seqs {
		if seen[s] {
			return "duplicate seq " + itoa(s)
		}
		seen[s] = true
		if s != prev+1 {
			return "seq " + itoa(s) + " after " + itoa(prev)
		}
		prev = s
	}
	if prev != head {
		return "ends at seq " + itoa(prev) + ", head is " + itoa(head)
	}
	return ""
}
