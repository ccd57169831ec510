package realtime

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisBroker is the Broker for several instances: Redis pub/sub with one
// pattern subscription (prefix + "*") per instance. Every Redis channel name
// carries the prefix, so deployments (and parallel tests) sharing a Redis do
// not see each other.
//
// Redis pub/sub is at-most-once. go-redis reconnects and resubscribes by
// itself; this broker turns what it sees into health reports: unhealthy on
// a receive or ping error, healthy again when the psubscribe confirmation of
// the new connection arrives.
type RedisBroker struct {
	rdb    redis.UniversalClient
	prefix string
	log    *slog.Logger

	// pingEvery is how long the receive loop waits for a message before it
	// pings, which is how a dead connection is noticed on an idle channel.
	pingEvery time.Duration
}

var _ Broker = (*RedisBroker)(nil)

// NewRedisBroker returns a broker on rdb whose channels all start with prefix.
func NewRedisBroker(rdb redis.UniversalClient, prefix string, log *slog.Logger) *RedisBroker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RedisBroker{rdb: rdb, prefix: prefix, log: log, pingEvery: time.Second}
}

// Publish sends payload on prefix+topic.
func (b *RedisBroker) Publish(ctx context.Context, topic string, payload []byte) error {
	return b.rdb.Publish(ctx, b.prefix+topic, payload).Err()
}

// Subscribe runs the instance's one pattern subscription until ctx is done.
func (b *RedisBroker) Subscribe(ctx context.Context, onMessage func(topic string, payload []byte), onHealth func(bool)) error {
	if onHealth == nil {
		onHealth = func(bool) {}
	}
	pattern := escapeGlob(b.prefix) + "*"
	ps := b.rdb.PSubscribe(ctx, pattern)
	defer ps.Close()
	healthy := false
	set := func(ok bool) {
		if ok != healthy {
			healthy = ok
			onHealth(ok)
		}
	}
	backoff := 50 * time.Millisecond
	for {
		if ctx.Err() != nil {
			return nil
		}
		msg, err := ps.ReceiveTimeout(ctx, b.pingEvery)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				// Idle: ping so a dead connection shows up as an error.
				if perr := ps.Ping(ctx); perr != nil {
					if healthy {
						b.log.Warn("redis broker: ping failed", "err", perr)
					}
					set(false)
				}
				continue
			}
			if healthy {
				b.log.Warn("redis broker: subscription lost, go-redis will reconnect", "err", err)
			}
			set(false)
			// The next ReceiveTimeout redials and resubscribes; back off
			// while Redis is unreachable.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			if backoff < time.Second {
				backoff *= 2
			}
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "psubscribe" {
				if !healthy {
					b.log.Info("redis broker: subscribed", "pattern", m.Channel)
				}
				set(true)
			}
		case *redis.Message:
			topic, ok := strings.CutPrefix(m.Channel, b.prefix)
			if !ok {
				continue
			}
			onMessage(topic, []byte(m.Payload))
		case *redis.Pong:
			set(true)
		}
	}
}

// escapeGlob escapes Redis glob metacharacters so the prefix matches literally.
func escapeGlob(s string) string {
	var sb strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
