package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Listen serves on ln until ctx is cancelled, then shuts down gracefully:
// /readyz turns 503, live sockets are closed (1012) by beforeShutdown, the
// listener stops accepting, and in-flight requests finish (up to grace).
func (s *Server) Listen(ctx context.Context, ln net.Listener, grace time.Duration, beforeShutdown func(context.Context)) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if beforeShutdown != nil {
		beforeShutdown(sctx)
	}
	if err := s.app.ShutdownWithContext(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
