//go:build unix

package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api/apitest"
)

// BenchmarkBadgeStreams opens TRUSTLINE_BENCH_STREAMS (default 10,000)
// server-sent badge streams of juice J1 on one node over loopback, then
// applies TRUSTLINE_BENCH_FANOUTS (default 5) changes of J1's badge (a
// claim registered on its product) one at a time and measures, for each,
// the time from the start of the apply (the commit) to each stream
// receiving the new badge. The baseline, in the same run with the same
// client, is a trivial SSE handler whose streams wait on one shared
// channel and write a constant event when it is closed.
//
// The subscribers run in a child process (this test binary, as
// TestBadgeStreamClient): each open stream takes one file descriptor on
// either side, and the hard limit of one process (often 20,000) would not
// hold both sides of 10,000 streams. So the memory measured here is the
// server's alone: the heap and goroutine stacks in use after a
// collection, and the resident set (VmRSS, after returning freed memory
// to the system), both before the streams are opened and once every
// stream has its first event, divided by the streams. Latencies are
// pooled over the fan-outs: p50, p99 and the last subscriber. Each
// process raises its file limit (soft, up to the hard limit) as far as it
// needs; the benchmark fails rather than open fewer streams. It runs once
// whatever -benchtime says.
func BenchmarkBadgeStreams(b *testing.B) {
	streams := envInt("TRUSTLINE_BENCH_STREAMS", 10_000)
	fanouts := envInt("TRUSTLINE_BENCH_FANOUTS", 5)
	if fit := raiseFileLimit(streams + 512); fit < streams {
		b.Fatalf("file descriptor limit: %d streams fit, not %d", fit, streams)
	}
	b.Logf("load average at start: %s", loadavg())

	// The trivial baseline: one channel per fan-out, closed to wake all.
	var tmu sync.Mutex
	wake, gen := make(chan struct{}), 0
	trivial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		event := []byte("event: badge\ndata: {\"status\":\"holds\"}\n\n")
		tmu.Lock()
		seen := gen
		tmu.Unlock()
		if _, err := w.Write(event); err != nil || rc.Flush() != nil {
			return
		}
		for {
			tmu.Lock()
			g, ch := gen, wake
			tmu.Unlock()
			if g > seen {
				seen = g
				if _, err := w.Write(event); err != nil || rc.Flush() != nil {
					return
				}
				continue
			}
			select {
			case <-r.Context().Done():
				return
			case <-ch:
			}
		}
	}))
	tRun := streamRun(b, trivial.URL, "/", streams, fanouts, func(int) {
		tmu.Lock()
		close(wake)
		wake, gen = make(chan struct{}), gen+1
		tmu.Unlock()
	})
	trivial.Close()

	n := apitest.Start(b, &apitest.Options{Anchoring: apitest.Anchored})
	at := time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC)
	nRun := streamRun(b, n.URL, "/badge"+juice+"/stream", streams, fanouts, func(i int) {
		// A claim on the juice product changes J1's badge (its claims).
		ts := ledger.FormatTime(at.Add(time.Duration(i) * time.Hour))
		c := ledger.Claim{ID: fmt.Sprintf("claim-b%d", i), Subject: "https://id.gs1.org/01/" + apitest.GTINJuice, GTIN: apitest.GTINJuice, Kind: ledger.ClaimColdChain,
			Wording: "Cold", Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 60}}, Brand: "BrandMSP", RegisteredAt: ts, RegisteredTx: fmt.Sprintf("b%d", i)}
		if cp := n.Index.Checkpoint(); cp.Valid && cp.Position.Tx >= 0 { // complete the block Apply left open
			if _, err := n.Index.ApplyBlock(cp.Block, nil); err != nil {
				b.Fatal(err)
			}
		}
		n.Apply(b, ledger.Event{Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: fmt.Sprintf("b%d", i), Timestamp: ts, Claims: []ledger.Claim{c}})
	})
	b.Logf("%d streams open at once: server memory per stream: trivial heap+stacks %.0f B, RSS %.0f B; node heap+stacks %.0f B, RSS %.0f B (node's own heap+stacks %.0f B)",
		streams, tRun.heap, tRun.rss, nRun.heap, nRun.rss, nRun.heap-tRun.heap)
	b.Logf("fan-out from the commit to %d subscribers, %d changes pooled: trivial p50 %s p99 %s max %s; node p50 %s p99 %s max %s (node/trivial at p99 %.2f, max %.2f); load %s",
		streams, fanouts, tRun.p50, tRun.p99, tRun.max, nRun.p50, nRun.p99, nRun.max,
		float64(nRun.p99)/float64(tRun.p99), float64(nRun.max)/float64(tRun.max), loadavg())
	b.ReportMetric(float64(streams), "streams")
	b.ReportMetric(nRun.heap, "node-heap-B/stream")
	b.ReportMetric(nRun.rss, "node-rss-B/stream")
	b.ReportMetric(tRun.heap, "trivial-heap-B/stream")
	b.ReportMetric(tRun.rss, "trivial-rss-B/stream")
	b.ReportMetric(float64(nRun.p50.Microseconds())/1000, "node-p50-ms")
	b.ReportMetric(float64(nRun.p99.Microseconds())/1000, "node-p99-ms")
	b.ReportMetric(float64(nRun.max.Microseconds())/1000, "node-max-ms")
	b.ReportMetric(float64(tRun.max.Microseconds())/1000, "trivial-max-ms")
	b.ReportMetric(float64(nRun.max)/float64(tRun.max), "max-node/trivial")
}

// streamFigures are what streamRun measured: server bytes per stream,
// and fan-out latencies pooled over the changes.
type streamFigures struct {
	heap, rss     float64
	p50, p99, max time.Duration
}

// streamRun starts the subscribers' process (TestBadgeStreamClient) on
// base+path with streams streams, waits for each to have its first event,
// measures the memory the server holds for them, then fanouts times
// calls change and waits for every stream to receive one more event.
func streamRun(b *testing.B, base, path string, streams, fanouts int, change func(int)) streamFigures {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	heap0, rss0 := inUse(), rss()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBadgeStreamClient$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TRUSTLINE_SSE_CLIENT="+strings.TrimPrefix(base, "http://"),
		"TRUSTLINE_SSE_PATH="+path, fmt.Sprintf("TRUSTLINE_SSE_STREAMS=%d", streams))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	out := bufio.NewScanner(outPipe)
	// reply waits for the child's next line of figures ("sse: …").
	reply := func() []string {
		for out.Scan() {
			if f := strings.Fields(out.Text()); len(f) > 1 && f[0] == "sse:" {
				if f[1] == "error" {
					b.Fatalf("subscribers: %s", out.Text())
				}
				return f[1:]
			}
		}
		b.Fatalf("subscribers' process ended: %v", cmd.Wait())
		return nil
	}
	defer func() {
		in.Close() // the child closes its streams and exits
		_ = cmd.Wait()
	}()
	if r := reply(); r[0] != "ready" {
		b.Fatalf("subscribers: %q", r)
	}
	debug.FreeOSMemory()
	fig := streamFigures{heap: (float64(inUse()) - float64(heap0)) / float64(streams), rss: (float64(rss()) - float64(rss0)) / float64(streams)}
	for k := range fanouts {
		t0 := time.Now()
		if _, err := fmt.Fprintf(in, "%d %d\n", k+2, t0.UnixNano()); err != nil {
			b.Fatal(err)
		}
		change(k)
		if r := reply(); r[0] != "reached" {
			b.Fatalf("subscribers: %q", r)
		}
	}
	if _, err := fmt.Fprintf(in, "end\n"); err != nil {
		b.Fatal(err)
	}
	r := reply()
	if len(r) != 4 || r[0] != "pooled" {
		b.Fatalf("subscribers: %q", r)
	}
	for i, d := range []*time.Duration{&fig.p50, &fig.p99, &fig.max} {
		ns, _ := strconv.ParseInt(r[i+1], 10, 64)
		*d = time.Duration(ns).Round(time.Microsecond)
	}
	return fig
}

// TestBadgeStreamClient is BenchmarkBadgeStreams' subscribers' process,
// started by streamRun (it does nothing in a test run). It opens the
// streams, says "sse: ready" once each has its first event, then for each
// line "k t0" on stdin waits until every stream has k events, answers
// "sse: reached", and keeps each stream's latency of its k-th event from
// t0 (Unix ns, the same clock in both processes); on "end" it answers
// "sse: pooled p50 p99 max" (ns) over all of them.
func TestBadgeStreamClient(t *testing.T) {
	addr := os.Getenv("TRUSTLINE_SSE_CLIENT")
	if addr == "" {
		return // not started by BenchmarkBadgeStreams
	}
	path := os.Getenv("TRUSTLINE_SSE_PATH")
	streams := envInt("TRUSTLINE_SSE_STREAMS", 10_000)
	fail := func(err error) {
		fmt.Printf("sse: error %v\n", err)
		os.Exit(1)
	}
	if fit := raiseFileLimit(streams + 512); fit < streams {
		fail(fmt.Errorf("file descriptor limit: %d streams fit, not %d", fit, streams))
	}
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		counts  = make([]int, streams) // events each stream received
		reached = map[int]int{}        // streams that received k events
		arrived = make([]int64, streams)
		failed  error
	)
	conns := make([]net.Conn, streams)
	var wg sync.WaitGroup
	for i := range streams {
		// Source addresses 127.0.0.2-254 spread the connections over more
		// ephemeral ports than one address has.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%253))}, Timeout: time.Minute}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			fail(fmt.Errorf("stream %d: %w", i, err))
		}
		conns[i] = c
		wg.Go(func() {
			if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n", path); err != nil {
				mu.Lock()
				failed = err
				cond.Broadcast()
				mu.Unlock()
				return
			}
			r := bufio.NewReaderSize(c, 512)
			for {
				line, err := r.ReadSlice('\n')
				if err == bufio.ErrBufferFull {
					continue // a long data line: its rest follows
				}
				if err != nil {
					return // closed at the end
				}
				if bytes.HasPrefix(line, []byte("event: badge")) {
					now := time.Now().UnixNano()
					mu.Lock()
					counts[i]++
					arrived[i] = now
					if reached[counts[i]]++; reached[counts[i]] == streams {
						cond.Broadcast()
					}
					mu.Unlock()
				}
			}
		})
	}
	waitAll := func(k int) {
		mu.Lock()
		defer mu.Unlock()
		for failed == nil && reached[k] < streams {
			cond.Wait()
		}
		if failed != nil {
			fail(failed)
		}
	}
	waitAll(1)
	fmt.Println("sse: ready")
	var pooled []int64
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "end" {
			slices.Sort(pooled)
			pct := func(p float64) int64 { return pooled[min(len(pooled)-1, int(p*float64(len(pooled))))] }
			fmt.Printf("sse: pooled %d %d %d\n", pct(0.50), pct(0.99), pooled[len(pooled)-1])
			continue
		}
		var k int
		var t0 int64
		if _, err := fmt.Sscan(in.Text(), &k, &t0); err != nil {
			fail(err)
		}
		waitAll(k)
		mu.Lock()
		for _, at := range arrived {
			pooled = append(pooled, at-t0)
		}
		mu.Unlock()
		fmt.Println("sse: reached")
	}
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
}

// rss is the process's resident set (Linux; 0 elsewhere).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

// inUse is the heap and goroutine stacks in use after a collection.
func inUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// raiseFileLimit raises the process's open file limit towards want and
// returns how many streams (one descriptor each, 512 kept for the rest)
// fit in what it got.
func raiseFileLimit(want int) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < uint64(want) {
		l := syscall.Rlimit{Cur: uint64(want), Max: max(lim.Max, uint64(want))}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) != nil { // raising the hard limit needs privilege
			l = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
			_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
		}
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return int(lim.Cur) - 512
}

func envInt(name string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(name), &v); err == nil && v > 0 {
		return v
	}
	return def
}

// loadavg is the machine's load average (Linux), for the figures' record.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
