package main

// -procs N: one process cannot hold more sockets than its open-file limit
// allows (20,000 in some sandboxes, and root may not raise it), so the
// parent spreads the subscribers over N children of its own. Each child
// connects and subscribes its share, says "ready" on stdout and waits for
// "go" on stdin, so that every subscriber listens before the first
// question; the first child posts, the others wait as long as posting
// takes. Each child writes its latencies and per-question misses to a file
// (gob), and the parent merges them into one report.

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// childRole is a child's place in a -procs run.
type childRole struct {
	index int
	runID string
	out   string // result file
}

// childResult is what a child hands its parent.
type childResult struct {
	Report   report
	PostedOK []bool   // the poster's: which questions were accepted
	PostLat  []uint32 // the poster's request latencies, µs
	Missing  []int32  // per question: subscribers that never got it
	Lat      []uint32 // µs from POST sent to receipt, every delivery
	LatAt    []uint32 // µs from the event's server time to receipt
	Seconds  float64  // from the start of posting to the last delivery
}

func parseChild(v string) (*childRole, error) {
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return nil, errors.New("-child: want index:run:file")
	}
	i, err := strconv.Atoi(parts[0])
	if err != nil || i < 0 {
		return nil, errors.New("-child: bad index")
	}
	return &childRole{index: i, runID: parts[1], out: parts[2]}, nil
}

// ready tells the parent that every subscriber of this child listens, and
// waits for the word to start.
func (c *childRole) ready() error {
	fmt.Println("ready")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "go" {
		return fmt.Errorf("child %d: no go from the parent (%q, %v)", c.index, line, err)
	}
	return nil
}

// runChild runs a child's share and writes its result file.
func runChild(ctx context.Context, cfg config) error {
	rep, detail, err := run(ctx, cfg)
	if err != nil {
		return err
	}
	detail.Report = *rep
	f, err := os.Create(cfg.child.out)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(detail); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// childArgs are the parent's arguments for child i of n with its share of
// subscribers: -procs, -server-pid (the parent reads memory) and -json are
// the parent's own.
func childArgs(args []string, i, share int, runID, out string) []string {
	var kept []string
	for j := 0; j < len(args); j++ {
		a := args[j]
		name := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		switch name {
		case "procs", "server-pid", "subscribers", "json", "child":
			if !strings.Contains(a, "=") && name != "json" {
				j++ // the value is the next argument
			}
			continue
		}
		kept = append(kept, a)
	}
	return append(kept, "-subscribers", strconv.Itoa(share), "-child", fmt.Sprintf("%d:%s:%s", i, runID, out))
}

// runProcs runs cfg.procs children and merges their results.
func runProcs(ctx context.Context, cfg config, args []string) (*report, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hubtalks-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	rssBefore := readRSS(cfg.serverPIDs)

	type child struct {
		cmd   *exec.Cmd
		start io.WriteCloser // its stdin: "go" starts it
		ready chan error
		out   string
	}
	children := make([]*child, cfg.procs)
	for i := range children {
		share := cfg.subscribers / cfg.procs
		if i < cfg.subscribers%cfg.procs {
			share++
		}
		out := filepath.Join(dir, fmt.Sprintf("child-%d.gob", i))
		cmd := exec.CommandContext(ctx, self, childArgs(args, i, share, runID, out)...)
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start child %d: %w", i, err)
		}
		c := &child{cmd: cmd, start: stdin, ready: make(chan error, 1), out: out}
		go func() {
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err == nil && strings.TrimSpace(line) != "ready" {
				err = fmt.Errorf("child %d said %q", i, line)
			}
			c.ready <- err
		}()
		defer func() {
			if c.cmd.ProcessState == nil {
				_ = c.cmd.Process.Kill()
				_ = c.cmd.Wait()
			}
		}()
		children[i] = c
	}
	for i, c := range children {
		if err := <-c.ready; err != nil {
			return nil, fmt.Errorf("child %d not ready: %w", i, err)
		}
	}
	rssAfter := readRSS(cfg.serverPIDs)
	for _, c := range children {
		if _, err := io.WriteString(c.start, "go\n"); err != nil {
			return nil, fmt.Errorf("start posting: %w", err)
		}
	}
	var results []childResult
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			return nil, fmt.Errorf("child %d: %w", i, err)
		}
		f, err := os.Open(c.out)
		if err != nil {
			return nil, fmt.Errorf("child %d: %w", i, err)
		}
		var r childResult
		err = gob.NewDecoder(f).Decode(&r)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("child %d result: %w", i, err)
		}
		results = append(results, r)
	}
	rep := merge(cfg, results)
	rep.ServerRSSBefore, rep.ServerRSSAfter = rssBefore, rssAfter
	if rssBefore > 0 && rssAfter > 0 && rep.Connected > 0 {
		rep.KiBPerConnection = float64(rssAfter-rssBefore) / float64(rep.Connected)
	}
	return rep, nil
}

// merge adds the children's results up as one run's report: questions that
// the poster did not get accepted are not counted as lost.
func merge(cfg config, results []childResult) *report {
	poster := results[0]
	rep := &report{Instances: len(cfg.baseURLs), Mode: "questions", Subscribers: cfg.subscribers, Questions: cfg.questions,
		Posted: poster.Report.Posted, PostErrors: poster.Report.PostErrors, PostP50Ms: poster.Report.PostP50Ms, PostP99Ms: poster.Report.PostP99Ms}
	var all, allAt []uint32
	var seconds float64
	for _, r := range results {
		rep.Connected += r.Report.Connected
		rep.ConnectSeconds = max(rep.ConnectSeconds, r.Report.ConnectSeconds)
		rep.Duplicated += r.Report.Duplicated
		rep.SeqGaps += r.Report.SeqGaps
		rep.SeqDuplicates += r.Report.SeqDuplicates
		rep.Disconnected += r.Report.Disconnected
		for q, n := range r.Missing {
			if q < len(poster.PostedOK) && poster.PostedOK[q] {
				rep.Lost += int64(n)
			}
		}
		all = append(all, r.Lat...)
		allAt = append(allAt, r.LatAt...)
		seconds = max(seconds, r.Seconds)
	}
	if rep.ConnectSeconds > 0 {
		rep.ConnectPerSecond = float64(rep.Connected) / rep.ConnectSeconds
	}
	rep.Deliveries, rep.Expected = int64(len(all)), int64(rep.Posted)*int64(rep.Connected)
	if seconds > 0 {
		rep.DeliveriesPerSec = float64(rep.Deliveries) / seconds
	}
	fanout, hub := summarise(all), summarise(allAt)
	rep.LatencyP50Ms, rep.LatencyP90Ms, rep.LatencyP99Ms, rep.LatencyMaxMs = fanout.p50, fanout.p90, fanout.p99, fanout.max
	rep.HubP50Ms, rep.HubP90Ms, rep.HubP99Ms, rep.HubMaxMs = hub.p50, hub.p90, hub.p99, hub.max
	return rep
}
