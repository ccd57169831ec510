package realtime

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"
)

// The broker carries two kinds of topic: "ev:{channel}" with "{seq} {frame}"
// payloads, and "ctl" with control messages "{kind}:{argument}":
//
//	disconnect:{user id}                  close the user's sockets
//	redact:{channel} {count} {head}       the channel's stored events were rewritten
//	recheck:{channel}                     authorise the channel's subscriptions again
//
// One instance publishes everything from one goroutine, in order, and both
// brokers keep one instance's messages in order across topics, so a
// redaction published before an event arrives before it.
const (
	ctlDisconnect = "disconnect:"
	ctlRedact     = "redact:"
	ctlRecheck    = "recheck:"
)

type pubItem struct {
	topic   string
	payload []byte
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
		payload := make([]byte, 0, 21+len(f.b))
		payload = strconv.AppendInt(payload, ev.Seq, 10)
		payload = append(payload, ' ')
		payload = append(payload, f.b...)
		h.enqueuePublish(pubItem{topic: "ev:" + ev.Channel, payload: payload})
	}
}

// Redacted tells every instance that stored events were rewritten
// (Log.Restate, Log.RenamePerson): this one at once, the others through the
// broker (and, should it lose the message, by their next log poll). Call it
// after the rewriting transaction commits, before publishing its events.
func (h *Hub) Redacted(reds ...Redaction) {
	for _, r := range reds {
		h.applyRedaction(r)
		h.publishControl(ctlRedact, r.Channel+" "+strconv.FormatInt(r.Count, 10)+" "+strconv.FormatInt(r.Head, 10))
	}
}

// Recheck authorises every subscription of the channels again, on every
// instance (this one at once): call it after a change that may take a
// channel away from someone (a talk back to draft, a speaker removed).
// Without it the periodic recheck catches up within RecheckEvery.
func (h *Hub) Recheck(channels ...string) {
	for _, name := range channels {
		h.recheckChannel(name)
		h.publishControl(ctlRecheck, name)
	}
}

func (h *Hub) publishControl(kind string, arg any) {
	var s string
	switch v := arg.(type) {
	case int64:
		s = strconv.FormatInt(v, 10)
	case string:
		s = v
	}
	h.enqueuePublish(pubItem{topic: "ctl", payload: []byte(kind + s)})
}

func (h *Hub) enqueuePublish(it pubItem) {
	select {
	case h.pubq <- it:
	default:
		h.m.brokerDropped.Inc()
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

// subscribeLoop holds the instance's one broker subscription, re-opening it
// after a fatal error.
func (h *Hub) subscribeLoop(ctx context.Context) {
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
	if topic != "ctl" {
		return
	}
	msg := string(payload)
	switch {
	case strings.HasPrefix(msg, ctlDisconnect):
		if uid, err := strconv.ParseInt(msg[len(ctlDisconnect):], 10, 64); err == nil {
			h.disconnectLocal(uid)
		}
	case strings.HasPrefix(msg, ctlRedact):
		if r, ok := parseRedaction(msg[len(ctlRedact):]); ok {
			h.applyRedaction(r)
		}
	case strings.HasPrefix(msg, ctlRecheck):
		if name := msg[len(ctlRecheck):]; ValidChannel(name) {
			h.recheckChannel(name)
		}
	}
}

func parseRedaction(s string) (Redaction, bool) {
	f := strings.Fields(s)
	if len(f) != 3 || !ValidChannel(f[0]) {
		return Redaction{}, false
	}
	count, err1 := strconv.ParseInt(f[1], 10, 64)
	head, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Redaction{}, false
	}
	return Redaction{Channel: f[0], Count: count, Head: head}, true
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
