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

func newMetrics(reg prometheus.Registerer) (*metrics, []error) {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hubtalks_live_connections", Help: "Open live WebSocket connections on this instance."}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hubtalks_live_subscriptions", Help: "Channel subscriptions held by connections on this instance."}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hubtalks_live_events_published_total", Help: "Events published by this instance (after commit)."}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hubtalks_live_deliveries_total", Help: "Event frames queued to subscribers on this instance."}),
		slowDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hubtalks_live_slow_consumer_drops_total", Help: "Connections closed because their send queue overflowed."}),
		replays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hubtalks_live_replays_total", Help: "Subscribes with since, by whether every missed event could be replayed."},
			[]string{"recovered"}),
		gapRepairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hubtalks_live_gap_repairs_total", Help: "Events fetched from the log because the broker lost or delayed them."}),
		brokerHealthy: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hubtalks_live_broker_healthy", Help: "1 when the broker subscription is up, 0 while the hub polls the log instead."}),
		brokerDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hubtalks_live_broker_publish_failures_total", Help: "Broker publishes that failed or were dropped (other instances catch up from the log)."}),
		revoked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hubtalks_live_subscriptions_revoked_total", Help: "Subscriptions ended because they were no longer allowed (role, speakers or talk status changed)."}),
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
