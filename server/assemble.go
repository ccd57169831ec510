package server

import (
	"context"
	"net"
	"time"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server/attendance"
)

// NewWithHub builds the server together with its realtime hub: the Redis
// broker (and Redis presence) when deps.Redis is set, else in-process.
// hubCfg may tune the hub (tests); its History, Broker, Authorize and Registry
// are filled in here.
func NewWithHub(cfg Config, deps Deps, hubCfg realtime.HubConfig) (*Server, *realtime.Hub) {
	var s *Server
	hubCfg.History = realtime.NewLog(deps.DB)
	hubCfg.Logger = deps.Log
	if deps.Redis != nil {
		hubCfg.Broker = realtime.NewRedisBroker(deps.Redis, cfg.RedisPrefix, deps.Log)
		hubCfg.Presence = realtime.NewRedisPresence(deps.Redis, cfg.RedisPrefix, realtime.PresenceFresh(hubCfg))
		hubCfg.Reactions = realtime.NewRedisReactions(deps.Redis, cfg.RedisPrefix)
	} else {
		hubCfg.Broker = realtime.NewMemoryBroker()
	}
	hubCfg.Authorize = func(ctx context.Context, p realtime.Principal, channel string) error {
		return s.AuthorizeChannel(ctx, p, channel)
	}
	reg := newRegistry()
	hubCfg.Registry = reg
	hub := realtime.NewHub(hubCfg)
	deps.Hub = hub
	s = newServer(cfg, deps, reg)
	s.tracker = attendance.NewTracker(deps.DB, hub, cfg.Attendance, deps.Log)
	return s, hub
}

// Serve runs the hub (if any) and the HTTP server on ln until ctx ends, then
// shuts down: /readyz 503, every live socket closed with 1012, in-flight
// requests finished within grace.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	hubDone := make(chan struct{})
	if h, ok := s.hub.(*realtime.Hub); ok && h != nil {
		go func() {
			defer close(hubDone)
			if err := h.Run(hubCtx); err != nil && hubCtx.Err() == nil {
				s.log.Error("live hub stopped", "err", err)
			}
		}()
	} else {
		close(hubDone)
	}
	go s.pruneSessions(hubCtx)
	go s.playlistSync.Run(hubCtx) // every Config.Playlists.Interval, if any
	trackerDone := make(chan struct{})
	if s.tracker != nil {
		go func() { defer close(trackerDone); s.tracker.Run(hubCtx) }()
	} else {
		close(trackerDone)
	}
	var before func(context.Context)
	if s.hub != nil {
		before = s.hub.Shutdown
	}
	err := s.Listen(ctx, ln, grace, before)
	stopHub()
	<-hubDone
	<-trackerDone // its last flush: an instance that restarts keeps its marks
	return err
}

// Tracker is the instance's attendance tracker (nil without a live hub);
// tests call its Sample and Flush with their own clock.
func (s *Server) Tracker() *attendance.Tracker { return s.tracker }

// pruneSessions deletes expired and idle sessions every hour until ctx ends.
func (s *Server) pruneSessions(ctx context.Context) {
	if s.cfg.Accounts.SessionIdle <= 0 {
		return // no idle limit configured: nothing is "idle"
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		if _, err := s.accounts.Store().PruneSessions(pctx, s.cfg.Accounts.SessionIdle); err != nil && ctx.Err() == nil {
			s.log.Warn("prune sessions", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
