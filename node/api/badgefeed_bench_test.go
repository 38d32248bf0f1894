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
	"runtime"
	"slices"
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
// the time from the start of the apply to the last stream receiving the
// new badge. The baseline, in the same run with the same client, is a
// trivial SSE handler whose streams wait on one shared channel and write
// a constant event when it is closed. It reports the heap and stacks in
// use per open stream (client and server sides, both in this process) of
// each, the node's extra bytes per stream, and fan-out latencies (p50 and
// last subscriber) of each. It needs two file descriptors per stream: it
// raises its limit if it may, else it opens fewer streams and says so. It
// runs once whatever -benchtime says.
func BenchmarkBadgeStreams(b *testing.B) {
	streams := envInt("TRUSTLINE_BENCH_STREAMS", 10_000)
	fanouts := envInt("TRUSTLINE_BENCH_FANOUTS", 5)
	if fit := raiseFileLimit(2*streams + 512); fit < streams {
		b.Logf("file descriptor limit: %d streams instead of %d", fit, streams)
		streams = fit
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
	defer trivial.Close()
	tBytes, tLat := streamRun(b, trivial.URL, "/", streams, fanouts, func(int) {
		tmu.Lock()
		close(wake)
		wake, gen = make(chan struct{}), gen+1
		tmu.Unlock()
	})

	n := apitest.Start(b, &apitest.Options{Anchoring: apitest.Anchored})
	at := time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC)
	nBytes, nLat := streamRun(b, n.URL, "/badge"+juice+"/stream", streams, fanouts, func(i int) {
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
	b.Logf("%d streams: bytes (heap+stacks) per stream: trivial %.0f, node %.0f (node's own %.0f)", streams, tBytes, nBytes, nBytes-tBytes)
	b.Logf("fan-out to the last of %d subscribers: trivial p50 %s, last %s; node p50 %s, last %s (node/trivial %.1f); load %s",
		streams, tLat.p50, tLat.last, nLat.p50, nLat.last, float64(nLat.last)/float64(tLat.last), loadavg())
	b.ReportMetric(float64(streams), "streams")
	b.ReportMetric(nBytes, "node-B/stream")
	b.ReportMetric(tBytes, "trivial-B/stream")
	b.ReportMetric(nBytes-tBytes, "node-own-B/stream")
	b.ReportMetric(float64(nLat.last.Microseconds())/1000, "node-last-ms")
	b.ReportMetric(float64(tLat.last.Microseconds())/1000, "trivial-last-ms")
	b.ReportMetric(float64(nLat.last)/float64(tLat.last), "last-node/trivial")
}

type fanout struct{ p50, last time.Duration }

// streamRun opens streams SSE streams on base+path, waits for each to
// have its first event, measures the memory they hold, then fanouts times
// calls change and waits for every stream to receive one more event. It
// returns the bytes per stream and the median over fan-outs of the
// median and of the last subscriber's latency.
func streamRun(b *testing.B, base, path string, streams, fanouts int, change func(int)) (float64, fanout) {
	b.Helper()
	addr := strings.TrimPrefix(base, "http://")
	before := inUse()
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		counts  = make([]int, streams)   // events each stream received
		reached = make([]int, fanouts+2) // streams that received k events
		arrived = make([]time.Time, streams)
	)
	conns := make([]net.Conn, streams)
	var failed error
	var wg sync.WaitGroup
	for i := range streams {
		// Source addresses 127.0.0.2-254 spread the connections over more
		// ephemeral ports than one address has.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%253))}, Timeout: time.Minute}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			b.Fatalf("stream %d: %v", i, err)
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
					now := time.Now()
					mu.Lock()
					counts[i]++
					arrived[i] = now
					if k := counts[i]; k < len(reached) {
						if reached[k]++; reached[k] == streams {
							cond.Broadcast()
						}
					}
					mu.Unlock()
				}
			}
		})
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	}()
	waitAll := func(k int) {
		mu.Lock()
		defer mu.Unlock()
		for failed == nil && reached[k] < streams {
			cond.Wait()
		}
		if failed != nil {
			b.Fatal(failed)
		}
	}
	waitAll(1)
	perStream := float64(inUse()-before) / float64(streams)
	var p50s, lasts []time.Duration
	for k := range fanouts {
		t0 := time.Now()
		change(k)
		waitAll(k + 2)
		mu.Lock()
		ds := make([]time.Duration, streams)
		for i, at := range arrived {
			ds[i] = at.Sub(t0)
		}
		mu.Unlock()
		slices.Sort(ds)
		p50s, lasts = append(p50s, ds[len(ds)/2]), append(lasts, ds[len(ds)-1])
	}
	slices.Sort(p50s)
	slices.Sort(lasts)
	return perStream, fanout{p50: p50s[len(p50s)/2].Round(time.Microsecond), last: lasts[len(lasts)/2].Round(time.Microsecond)}
}

// inUse is the heap and goroutine stacks in use after a collection.
func inUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// raiseFileLimit raises the process's open file limit towards want and
// returns how many streams fit in what it got.
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
	return (int(lim.Cur) - 512) / 2
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
