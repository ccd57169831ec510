//go:build faults

// Package faults breaks things on purpose: three real hubtalks processes on
// one private PostgreSQL and one private Redis, hundreds of live clients,
// questions and votes flowing, then Redis stopped, PostgreSQL restarted, an
// instance stopped with SIGTERM, and a mass reconnect. Run with
// `make test-faults` (it is part of `make test`).
package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/migrations/testdb"
)

// repoRoot is two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// postgres is a private cluster the suite may restart.
type postgres struct {
	t   *testing.T
	dir string
	url string // the app database
}

func startPostgres(t *testing.T) *postgres {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "hubtalks-faults-pg.")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	p := &postgres{t: t, dir: dir}
	admin := p.run("start")
	t.Cleanup(func() {
		p.run("stop")
		os.RemoveAll(dir)
	})
	if out, err := exec.Command("psql", admin, "-qc", "CREATE DATABASE hubtalks").CombinedOutput(); err != nil {
		t.Fatalf("create database: %v: %s", err, out)
	}
	p.url = strings.Replace(admin, "/postgres?", "/hubtalks?", 1)
	return p
}

func (p *postgres) run(cmd string) string {
	p.t.Helper()
	out, err := exec.Command(filepath.Join(repoRoot(p.t), "scripts", "pg.sh"), cmd, p.dir).Output()
	if err != nil {
		p.t.Fatalf("pg.sh %s: %v", cmd, err)
	}
	return strings.TrimSpace(string(out))
}

func (p *postgres) Stop()  { p.run("stop") }
func (p *postgres) Start() { p.run("start") }

// instance is one `hubtalks serve` process.
type instance struct {
	name string
	url  string
	cmd  *exec.Cmd
	done chan error
	log  *testkit.SyncBuffer
}

type cluster struct {
	t         *testing.T
	bin       string
	pg        *postgres
	redis     *testdb.RedisServer
	instances []*instance
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hubtalks")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hubtalks")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func newCluster(t *testing.T, n int) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: buildBinary(t), pg: startPostgres(t), redis: testdb.StartRedisServer(t)}
	migrate := exec.Command(c.bin, "migrate")
	migrate.Env = append(os.Environ(), "DATABASE_URL="+c.pg.url)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	for i := 0; i < n; i++ {
		c.instances = append(c.instances, c.start(fmt.Sprintf("i%d", i+1)))
	}
	t.Cleanup(func() {
		for _, in := range c.instances {
			if in.cmd.ProcessState == nil {
				_ = in.cmd.Process.Kill()
				<-in.done
			}
		}
	})
	return c
}

func (c *cluster) start(name string) *instance {
	c.t.Helper()
	port := freePort(c.t)
	in := &instance{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan error, 1), log: &testkit.SyncBuffer{}}
	in.cmd = exec.Command(c.bin, "serve")
	in.cmd.Env = append(os.Environ(),
		"DATABASE_URL="+c.pg.url, "REDIS_URL="+c.redis.URL(), "PORT="+strconv.Itoa(port),
		"BASE_URL=http://127.0.0.1:"+strconv.Itoa(port), "LOG_LEVEL=warn")
	in.cmd.Stderr = in.log
	if err := in.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() { in.done <- in.cmd.Wait() }()
	waitFor(c.t, name+" ready", 30*time.Second, func() bool { return status(in.url+"/readyz") == 200 })
	return in
}

// sigterm stops an instance as a platform does and returns its exit error.
func (c *cluster) sigterm(in *instance) error {
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.done:
		return err
	case <-time.After(40 * time.Second):
		_ = in.cmd.Process.Kill()
		return fmt.Errorf("%s did not exit within 40 s of SIGTERM", in.name)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func status(url string) int {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// api calls the HTTP API.
type apiResult struct {
	status     int
	retryAfter string
	body       []byte
	elapsed    time.Duration
}

func call(ctx context.Context, method, url, token string, body any, header map[string]string) apiResult {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return apiResult{status: 0, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResult{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: b, elapsed: time.Since(start)}
}
