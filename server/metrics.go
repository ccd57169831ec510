package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type httpMetrics struct {
	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	limiterFailOpen prometheus.Counter
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hubtalks_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hubtalks_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		limiterFailOpen: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hubtalks_rate_limiter_fail_open_total", Help: "Requests let through because the rate limiter's Redis did not answer.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.limiterFailOpen,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// unmatchedRoute labels the answers given without a route: a path nothing
// serves (404), and what is answered before routing (recordUnseen).
const unmatchedRoute = "unmatched"

// metricsSeen marks, in a request's locals, that the middleware counts it.
type metricsSeen struct{}

// middleware records every request under its route template (never the raw
// path, which would give one series per id).
func (m *httpMetrics) middleware(c *fiber.Ctx) error {
	start := time.Now()
	c.Locals(metricsSeen{}, true)
	err := c.Next()
	route := c.Route().Path
	if c.Response().StatusCode() == fiber.StatusNotFound && route == "/" {
		route = unmatchedRoute
	}
	method := c.Method()
	m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().StatusCode())).Inc()
	m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	return err
}

// recordUnseen counts an answer the middleware did not see: the server
// (fasthttp) answers a body over BodyLimit (413), headers too large (431),
// a read timeout (408) or an unreadable request (400) before any handler
// runs, through the error handler alone. Reports whether it counted.
func (m *httpMetrics) recordUnseen(c *fiber.Ctx) bool {
	if seen, _ := c.Locals(metricsSeen{}).(bool); seen {
		return false
	}
	method := c.Method()
	if !knownMethods[method] {
		method = "OTHER" // the request may not have been parsed: keep the label set small
	}
	m.requests.WithLabelValues(method, unmatchedRoute, strconv.Itoa(c.Response().StatusCode())).Inc()
	return true
}

var knownMethods = map[string]bool{
	fiber.MethodGet: true, fiber.MethodHead: true, fiber.MethodPost: true, fiber.MethodPut: true, fiber.MethodPatch: true,
	fiber.MethodDelete: true, fiber.MethodOptions: true, fiber.MethodConnect: true, fiber.MethodTrace: true,
}

func (s *Server) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
}

// ServeMetrics serves /metrics alone on ln until ctx ends: with
// Config.MetricsAddr set the public port does not answer it, so only the
// operator's network sees the numbers.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics: %w", err)
	}
	return nil
}
