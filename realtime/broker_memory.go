package realtime

import (
	"context"
	"sync"
)

// MemoryBroker is the in-process Broker for a single instance (REDIS_URL
// unset). Publish hands each subscriber a copy in a bounded per-subscriber
// queue; a subscriber that lets its queue fill loses messages (at-most-once,
// as with Redis) instead of blocking the publisher.
type MemoryBroker struct {
	mu   sync.Mutex
	subs map[*memorySub]struct{}
}

var _ Broker = (*MemoryBroker)(nil)

type memorySub struct {
	ch chan memoryMsg
}

type memoryMsg struct {
	topic   string
	payload []byte
}

// memoryQueue is the per-subscriber queue length.
const memoryQueue = 16384

// NewMemoryBroker returns an in-process broker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{subs: make(map[*memorySub]struct{})}
}

// Publish delivers a copy of payload to every current subscriber.
func (b *MemoryBroker) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg := memoryMsg{topic: topic, payload: append([]byte(nil), payload...)}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- msg:
		default: // subscriber far behind: drop, like Redis would
		}
	}
	return nil
}

// Subscribe delivers every message to onMessage until ctx is done. The
// in-process broker is always healthy.
func (b *MemoryBroker) Subscribe(ctx context.Context, onMessage func(topic string, payload []byte), onHealth func(bool)) error {
	s := &memorySub{ch: make(chan memoryMsg, memoryQueue)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
	}()
	if onHealth != nil {
		onHealth(true)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-s.ch:
			onMessage(m.topic, m.payload)
		}
	}
}
