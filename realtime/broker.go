package realtime

import "context"

// Broker carries messages between hub instances. The hub uses one
// subscription per instance (never one per client) and two kinds of topic:
// "ev:{channel}" for encoded events and "ctl" for control messages.
//
// Guarantees every implementation gives (checked by the shared contract
// suite in broker_test.go):
//   - Publish is at-most-once: while the transport is down a message may be
//     lost, and Publish may fail; it is never delivered twice by the broker.
//     The hub repairs losses from the PostgreSQL event log by seq.
//   - Messages that one instance publishes on one topic reach each
//     subscriber in publish order.
//   - Every subscriber receives every message published after its
//     Subscribe reported healthy, including its own instance's messages.
//   - onMessage never sees the publisher's buffer: the publisher may reuse
//     it as soon as Publish returns. onMessage must not modify the payload
//     (it may be shared between subscribers) but may keep it.
//   - Subscribe calls onMessage from a single goroutine, so messages are
//     handled one at a time; onMessage must not block for long.
//   - Subscribe reports transport health through onHealth: true once the
//     subscription is in place (again after every reconnect, which the
//     broker performs by itself), false when it knows messages may be lost.
//     The hub polls the log while unhealthy and catches up after each true.
//   - Subscribe returns when ctx is done (nil) or on a fatal setup error.
type Broker interface {
	Publish(ctx context.Context, topic string, payload []byte) error
	Subscribe(ctx context.Context, onMessage func(topic string, payload []byte), onHealth func(healthy bool)) error
}
