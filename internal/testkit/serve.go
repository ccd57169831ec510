package testkit

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Shutdowner is what a live hub offers to close its sockets.
type Shutdowner interface {
	Shutdown(ctx context.Context)
}

// ServeOnLoopback serves app on 127.0.0.1 at a free port until the test
// ends and returns the address (host:port). At the end it first shuts hub
// down, so the sockets close before the app stops; cleanups registered
// before this call run after it.
func ServeOnLoopback(t testing.TB, app *fiber.App, hub Shutdowner) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hub.Shutdown(ctx)
		_ = app.ShutdownWithTimeout(5 * time.Second)
	})
	return ln.Addr().String()
}
