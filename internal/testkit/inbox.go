package testkit

import (
	"sync"

	"github.com/fasthttp/websocket"
)

// Inbox keeps every message a WebSocket receives, decoded, for a test to
// wait on. A goroutine reads until the socket fails or is closed.
type Inbox[F any] struct {
	mu      sync.Mutex
	frames  []F
	err     error
	changed chan struct{}
	done    chan struct{}
}

// Receive starts reading conn into a new inbox, decoding each message with
// decode. Close conn to stop it; Done says when it has stopped.
func Receive[F any](conn *websocket.Conn, decode func(msg []byte) F) *Inbox[F] {
	in := &Inbox[F]{changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(in.done)
		for {
			_, msg, err := conn.ReadMessage()
			in.mu.Lock()
			if err != nil {
				in.err = err
				in.mu.Unlock()
				in.poke()
				return
			}
			in.frames = append(in.frames, decode(msg))
			in.mu.Unlock()
			in.poke()
		}
	}()
	return in
}

func (in *Inbox[F]) poke() {
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

// Frames returns a copy of the frames received so far and the error that
// ended the reading (nil while the socket is open).
func (in *Inbox[F]) Frames() ([]F, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]F(nil), in.frames...), in.err
}

// Clear forgets the frames received so far.
func (in *Inbox[F]) Clear() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.frames = nil
}

// Changed receives after new frames or the end of the reading; look again
// with Frames.
func (in *Inbox[F]) Changed() <-chan struct{} { return in.changed }

// Done is closed once the reading has stopped.
func (in *Inbox[F]) Done() <-chan struct{} { return in.done }
