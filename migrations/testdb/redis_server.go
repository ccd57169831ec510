package testdb

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a private redis-server for tests that stop and start Redis
// (never the shared one). It listens on a free 127.0.0.1 port that stays the
// same across Stop and Start, keeps nothing on disk, and is killed when the
// test ends.
type RedisServer struct {
	t    testing.TB
	Port int
	Addr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	dir    string
}

// StartRedisServer starts a private redis-server, or skips (fails under
// HUBTALKS_TEST_REQUIRE_SERVICES=1) when the binary is missing.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(t, "redis-server binary")
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		t.Fatalf("redis temp dir: %v", err)
	}
	s := &RedisServer{t: t, dir: dir}
	t.Cleanup(func() {
		s.Stop()
		os.RemoveAll(dir)
	})
	// A port picked with :0 may be taken before redis binds it: retry.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		s.Port = port
		s.Addr = "127.0.0.1:" + strconv.Itoa(port)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the redis:// URL of the server.
func (s *RedisServer) URL() string { return "redis://" + s.Addr + "/0" }

// Client returns a new client of the server, closed when the test ends.
func (s *RedisServer) Client() *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 500 * time.Millisecond,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1})
	s.t.Cleanup(func() { rdb.Close() })
	return rdb
}

func (s *RedisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	var out strings.Builder
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	for {
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %s", out.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			s.cmd, s.exited = cmd, exited
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server not ready: %v: %s", err, out.String())
		}
		time.Sleep(10 * time.Millisecond) // polling a readiness condition, not synchronising
	}
}

// Start starts the server again after Stop, on the same port.
func (s *RedisServer) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart redis-server: %v", err)
	}
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *RedisServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd, s.exited = nil, nil
}
