package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HubConfig configures a Hub. Zero values take the defaults noted.
type HubConfig struct {
	History History // the event log (required for replay, gap repair and polling); a *Log in production
	Broker  Broker  // between instances; nil: NewMemoryBroker()
	Logger  *slog.Logger
	// Authorize decides whether p may follow channel; an error refuses it
	// (error frame "forbidden"). It is asked again for every subscription
	// every RecheckEvery and on Recheck. nil allows talk:{id} and refuses
	// staff channels.
	Authorize func(ctx context.Context, p Principal, channel string) error
	Registry  prometheus.Registerer // metrics; nil: not registered

	// Presence counts viewers over the instances that share it
	// (RedisPresence); nil: this instance alone.
	Presence   Presence
	InstanceID string // default: random
	// Reactions sums reactions over the instances that share it
	// (RedisReactions); nil: this instance alone.
	Reactions Reactions

	SendQueueBytes    int           // per connection, replay included, default 1 MiB
	SendQueueMessages int           // per connection, default 4096
	CacheSize         int           // recent events kept in memory per channel for replay, default 1024
	MaxReplay         int           // most events one subscribe replays, default 10,000
	ReplayPage        int           // events read from the log per replay page, default 128
	Retention         time.Duration // keep events at least this long, default 24h
	RetentionEvents   int64         // and at least this many per channel, default 10,000
	MaxRetention      time.Duration // but never longer than this (EVENT_RETENTION), default 7 days
	PruneEvery        time.Duration // default 10m
	PollHealthy       time.Duration // log position check while the broker is up, default 5s
	PollUnhealthy     time.Duration // log polling while the broker is down, default 500ms
	PresenceEvery     time.Duration // default 2s
	ReactionsEvery    time.Duration // reactions are summed and sent per this period, default 1s
	RecheckEvery      time.Duration // every subscription is authorised again this often, default 3s
	PingEvery         time.Duration // default 25s
	IdleTimeout       time.Duration // default 60s
	WriteTimeout      time.Duration // a write blocked this long closes the connection, default 10s
	CloseGrace        time.Duration // default 2s: how long a close frame may take before the socket is cut
	QueryTimeout      time.Duration // default 5s
	ReadLimit         int64         // default 16 KiB
	MaxSubscriptions  int           // per connection, default 64
	FrameRate         float64       // client frames per second, default 20
	FrameBurst        float64       // default 40
	FrameExcessLimit  int           // frames over the limit before close 1008, default 50
	SubscribeRate     float64       // subscribes and unsubscribes per second per connection, default 2
	SubscribeBurst    float64       // default 16
	MaxSocketsPerUser int           // live sockets of one signed-in user on this instance, default 20
	MaxSocketsPerAddr int           // live sockets from one client address on this instance, default 2,000
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
	defFloat := func(d *float64, v float64) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt(&c.SendQueueBytes, 1<<20)
	defInt(&c.SendQueueMessages, 4096)
	defInt(&c.CacheSize, 1024)
	defInt(&c.MaxReplay, 10000)
	defInt(&c.ReplayPage, 128)
	defInt(&c.MaxSubscriptions, 64)
	defInt(&c.FrameExcessLimit, 50)
	defInt(&c.MaxSocketsPerUser, 20)
	defInt(&c.MaxSocketsPerAddr, 2000)
	if c.RetentionEvents <= 0 {
		c.RetentionEvents = 10000
	}
	def(&c.Retention, 24*time.Hour)
	def(&c.MaxRetention, 7*24*time.Hour)
	def(&c.PruneEvery, 10*time.Minute)
	def(&c.PollHealthy, 5*time.Second)
	def(&c.PollUnhealthy, 500*time.Millisecond)
	def(&c.PresenceEvery, 2*time.Second)
	def(&c.ReactionsEvery, time.Second)
	def(&c.RecheckEvery, 3*time.Second)
	def(&c.PingEvery, 25*time.Second)
	def(&c.IdleTimeout, 60*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.CloseGrace, 2*time.Second)
	def(&c.QueryTimeout, 5*time.Second)
	if c.ReadLimit <= 0 {
		c.ReadLimit = 16 << 10
	}
	defFloat(&c.FrameRate, 20)
	defFloat(&c.FrameBurst, 40)
	defFloat(&c.SubscribeRate, 2)
	defFloat(&c.SubscribeBurst, 16)
	if c.InstanceID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		c.InstanceID = hex.EncodeToString(b)
	}
}

// presenceFresh is how long a viewer counts without being reported again:
// a few presence intervals.
func (c *HubConfig) presenceFresh() time.Duration { return 3*c.PresenceEvery + 5*time.Second }

// retention is the log's retention from the config.
func (c *HubConfig) retention() Retention {
	return Retention{KeepAge: c.Retention, KeepEvents: c.RetentionEvents, MaxAge: c.MaxRetention}
}

// replayLowWater is the queue level below which a replay reads its next page.
func (c *HubConfig) replayLowWater() int { return c.SendQueueBytes / 4 }
