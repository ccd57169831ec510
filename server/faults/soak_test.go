//go:build faults

package faults

import (
	"bufio"
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sample is what /metrics says of the process at one moment.
type sample struct {
	at         time.Time
	rssMiB     float64
	goroutines float64
	fds        float64
}

func scrape(t *testing.T, base string) sample {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	s := sample{at: time.Now()}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch name {
		case "process_resident_memory_bytes":
			s.rssMiB = v / (1 << 20)
		case "go_goroutines":
			s.goroutines = v
		case "process_open_fds":
			s.fds = v
		}
	}
	return s
}

// TestSoak runs 1,000 live clients (5% of them reconnecting every 10 s) and
// steady question and vote traffic against one instance for SOAK_DURATION,
// and fails if memory, goroutines or open files keep growing. `make soak`.
func TestSoak(t *testing.T) {
	dur, err := time.ParseDuration(os.Getenv("SOAK_DURATION"))
	if err != nil || dur <= 0 {
		t.Skip("set SOAK_DURATION (make soak) to run the soak test")
	}
	w := newWorld(t, 1, 100, 1000)
	base := w.instances[0].url
	warm := 30 * time.Second
	if dur < 4*warm {
		warm = dur / 4
	}
	ctx, stop := context.WithTimeout(context.Background(), dur)
	defer stop()
	var tr traffic
	go w.run(ctx, &tr, 4)
	time.Sleep(warm)
	var samples []sample
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	samples = append(samples, scrape(t, base))
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			for _, cl := range w.clients {
				if rand.IntN(20) == 0 {
					cl.dropConnection()
				}
			}
			samples = append(samples, scrape(t, base))
		}
	}
	took := w.converge(t, 60*time.Second)
	end := scrape(t, base)
	samples = append(samples, end)
	start := samples[0]
	t.Logf("soak %s: %d clients, %d questions and %d votes; start: RSS %.1f MiB, %.0f goroutines, %.0f fds; end: RSS %.1f MiB, %.0f goroutines, %.0f fds; clients complete %s after traffic stopped",
		dur, len(w.clients), tr.asked.Load(), tr.voted.Load(), start.rssMiB, start.goroutines, start.fds, end.rssMiB, end.goroutines, end.fds, took.Round(time.Millisecond))
	codes := map[int]int{}
	for _, cl := range w.clients {
		_, _, _, cc, _ := cl.snapshot()
		for _, c := range cc {
			codes[c]++
		}
	}
	t.Logf("close codes seen by clients: %v (1006 includes the client's own drops)", codes)
	for _, s := range samples {
		t.Logf("  %s  RSS %.1f MiB  goroutines %.0f  fds %.0f", s.at.Format("15:04:05"), s.rssMiB, s.goroutines, s.fds)
	}
	// Growth is judged on the second half against the first, so a warm-up
	// plateau is not mistaken for a leak.
	half := len(samples) / 2
	mean := func(ss []sample, f func(sample) float64) float64 {
		sum := 0.0
		for _, s := range ss {
			sum += f(s)
		}
		return sum / float64(len(ss))
	}
	for _, m := range []struct {
		name  string
		f     func(sample) float64
		slack float64
	}{
		{"RSS", func(s sample) float64 { return s.rssMiB }, 1.25},
		{"goroutines", func(s sample) float64 { return s.goroutines }, 1.10},
		{"open fds", func(s sample) float64 { return s.fds }, 1.10},
	} {
		first, second := mean(samples[:half], m.f), mean(samples[half:], m.f)
		if second > first*m.slack+10 {
			t.Errorf("%s keeps growing: mean %.1f in the first half, %.1f in the second", m.name, first, second)
		}
	}
}
