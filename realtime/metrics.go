package realtime

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connections   prometheus.Gauge
	subscriptions prometheus.Gauge
	published     prometheus.Counter
	deliveries    prometheus.Counter
	slowDrops     prometheus.Counter
	replays       *prometheus.CounterVec
	replayTrue    prometheus.Counter
	replayFalse   prometheus.Counter
	gapRepairs    prometheus.Counter
	brokerHealthy prometheus.Gauge
	brokerDropped prometheus.Counter
	revoked       prometheus.Counter
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

func newMetrics(reg prometheus.Registerer) (*metrics, []error) {
	m := &metrics{
		connections: gauge("hubtalks_live_connections",
			"Open live WebSocket connections on this instance."),
		subscriptions: gauge("hubtalks_live_subscriptions",
			"Channel subscriptions held by connections on this instance."),
		published: counter("hubtalks_live_events_published_total",
			"Events published by this instance (after commit)."),
		deliveries: counter("hubtalks_live_deliveries_total",
			"Event frames queued to subscribers on this instance."),
		slowDrops: counter("hubtalks_live_slow_consumer_drops_total",
			"Connections closed because their send queue overflowed."),
		replays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hubtalks_live_replays_total", Help: "Subscribes with since, by whether every missed event could be replayed."},
			[]string{"recovered"}),
		gapRepairs: counter("hubtalks_live_gap_repairs_total",
			"Events fetched from the log because the broker lost or delayed them."),
		brokerHealthy: gauge("hubtalks_live_broker_healthy",
			"1 when the broker subscription is up, 0 while the hub polls the log instead."),
		brokerDropped: counter("hubtalks_live_broker_publish_failures_total",
			"Broker publishes that failed or were dropped (other instances catch up from the log)."),
		revoked: counter("hubtalks_live_subscriptions_revoked_total",
			"Subscriptions ended because they were no longer allowed (role, speakers or talk status changed)."),
	}
	m.replayTrue = m.replays.WithLabelValues("true")
	m.replayFalse = m.replays.WithLabelValues("false")
	var errs []error
	if reg != nil {
		for _, c := range []prometheus.Collector{m.connections, m.subscriptions, m.published, m.deliveries,
			m.slowDrops, m.replays, m.gapRepairs, m.brokerHealthy, m.brokerDropped, m.revoked} {
			if err := reg.Register(c); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return m, errs
}
