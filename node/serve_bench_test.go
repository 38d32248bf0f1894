package node_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustline/trustline/node/api"
)

// BenchmarkServe measures what a consumer's scan costs the node against a
// trivial Go handler serving a body of the same size (same Content-Type)
// in the same run, over loopback HTTP/1.1 keep-alive connections: the
// consumer page (Accept: text/html) and the trace JSON, each under two
// loads over the benchmark index of TRUSTLINE_BENCH_LOTS lots
// (benchIndex): hot, the units of one lot (a livestream), and cold,
// uniform random units of all lots; and the 304 of a revalidation (hot).
//
// The client is a minimal HTTP/1.1 client on raw connections (like wrk,
// it costs far less than net/http's), with TRUSTLINE_BENCH_CONNS
// connections (default 8). The trivial handler and the nodes alternate in
// rounds of a second (TRUSTLINE_BENCH_ROUNDS, default 5, each side), so
// that the machine's load varies alike for both. Each load reports
// requests/s of both and node/trivial (1 would be as fast as the trivial
// handler; the goals are 0.5 for the page and 0.7 for the JSON), and the
// same ratio in process without the network (handler calls alone); the
// node without its render cache (before it was added) is measured in the
// same rounds. It runs once whatever -benchtime says.
//
// Before the loads it warms the block cache as a node does when it
// starts (index.Warm; TRUSTLINE_BENCH_CACHE_MIB sizes the cache, as
// Config.IndexCache does: default 512 MiB), then reads uniform random
// units' traces for TRUSTLINE_BENCH_WARMUP seconds (default 20; 0 for none), through the
// node without its render cache, so that the cold loads meet the block
// cache of a node that has been serving (full) rather than one filling:
// filling it costs page faults that a running node no longer pays, and
// they were about 15% of the cold loads' CPU when page/cold came first.
func BenchmarkServe(b *testing.B) {
	lots := envInt("TRUSTLINE_BENCH_LOTS", 1_000_000)
	conns := envInt("TRUSTLINE_BENCH_CONNS", 8)
	rounds := envInt("TRUSTLINE_BENCH_ROUNDS", 5)
	warmup := 20 * time.Second
	if v, err := strconv.Atoi(os.Getenv("TRUSTLINE_BENCH_WARMUP")); err == nil && v >= 0 {
		warmup = time.Duration(v) * time.Second // envInt takes 0 for the default
	}
	idx, _ := benchIndex(b, lots)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	node := api.New(idx, &api.Options{Logger: quiet})
	// The node as it was before the render cache, for before/after.
	uncached := api.New(idx, &api.Options{Logger: quiet, RenderCache: -1})
	// As a node does when it starts (node.start), then as one that has
	// served for a while.
	t0 := time.Now()
	st, err := idx.Warm(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	// Printed as they happen: a parent benchmark's log is not shown.
	fmt.Fprintf(os.Stderr, "BenchmarkServe: cache warmed: %d trace records, %.0f MiB, full %v, in %s\n", st.Records, float64(st.Bytes)/(1<<20), st.Full, time.Since(t0).Round(time.Millisecond))
	if warmup > 0 {
		var reads atomic.Int64
		var wg sync.WaitGroup
		deadline := time.Now().Add(warmup)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					p, _ := unitPath(lots)
					req := httptest.NewRequest("GET", p, nil)
					req.Header.Set("Accept", "application/json")
					uncached.ServeHTTP(&discard{h: http.Header{}}, req)
					reads.Add(1)
				}
			})
		}
		wg.Wait()
		fmt.Fprintf(os.Stderr, "BenchmarkServe: warm-up: %d random units' traces read in %s\n", reads.Load(), warmup)
	}
	hotLot := fmt.Sprintf("B%07d", lots/2)
	hot := func(i int) string {
		return fmt.Sprintf("/01/%s/10/%s/21/%s-%d", benchGTIN, hotLot, hotLot, i%2)
	}
	cold := func(int) string { p, _ := unitPath(lots); return p }
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	loads := []struct {
		name, accept string
		path         func(int) string
		revalidate   bool
	}{
		{"page/hot", browser, hot, false},
		{"page/cold", browser, cold, false},
		{"json/hot", "application/json", hot, false},
		{"json/cold", "application/json", cold, false},
		{"page-304/hot", browser, hot, true},
		{"json-304/hot", "application/json", hot, true},
	}
	fmt.Fprintf(os.Stderr, "BenchmarkServe: load average at start: %s\n", loadavg())
	for _, ld := range loads {
		b.Run(ld.name, func(b *testing.B) {
			// What the node answers, and the trivial handler's equal body.
			sample := httptest.NewRecorder()
			req := httptest.NewRequest("GET", ld.path(0), nil)
			req.Header.Set("Accept", ld.accept)
			node.ServeHTTP(sample, req)
			if sample.Code != http.StatusOK {
				b.Fatalf("%s: %d %.200s", ld.path(0), sample.Code, sample.Body.Bytes())
			}
			tags := map[string]string{} // path → ETag, for revalidations
			if ld.revalidate {
				for i := range 2 {
					r := httptest.NewRecorder()
					req := httptest.NewRequest("GET", ld.path(i), nil)
					req.Header.Set("Accept", ld.accept)
					node.ServeHTTP(r, req)
					tags[ld.path(i)] = r.Header().Get("ETag")
				}
			}
			body := bytes.Clone(sample.Body.Bytes())
			ctype := sample.Header().Get("Content-Type")
			const trivialTag = `W/"trivial"`
			trivial := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ctype)
				w.Header().Set("ETag", trivialTag)
				if r.Header.Get("If-None-Match") == trivialTag {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				_, _ = w.Write(body)
			})
			request := func(i int, trivialSide bool) []byte {
				p := ld.path(i)
				var sb strings.Builder
				sb.WriteString("GET " + p + " HTTP/1.1\r\nHost: bench\r\nAccept: " + ld.accept + "\r\n")
				if ld.revalidate {
					tag := tags[p]
					if trivialSide {
						tag = trivialTag
					}
					sb.WriteString("If-None-Match: " + tag + "\r\n")
				}
				sb.WriteString("\r\n")
				return []byte(sb.String())
			}
			want := http.StatusOK
			if ld.revalidate {
				want = http.StatusNotModified
			}

			// Sides, alternated: the trivial handler, the node without
			// the render cache (before), the node (after).
			sides := []struct {
				name string
				h    http.Handler
			}{{"trivial", trivial}, {"uncached", uncached}, {"node", node}}

			// In process: alternate single calls, timing each side.
			inProc := make([]time.Duration, len(sides))
			calls := 0
			for start := time.Now(); time.Since(start) < 3*time.Second; calls++ {
				for k, side := range sides {
					req := httptest.NewRequest("GET", ld.path(calls), nil)
					req.Header.Set("Accept", ld.accept)
					if ld.revalidate {
						tag := tags[ld.path(calls)]
						if k == 0 {
							tag = trivialTag
						}
						req.Header.Set("If-None-Match", tag)
					}
					w := &discard{h: http.Header{}}
					t0 := time.Now()
					side.h.ServeHTTP(w, req)
					inProc[k] += time.Since(t0)
					if w.code != 0 && w.code != want {
						b.Fatalf("in process, %s, %s: %d", side.name, ld.path(calls), w.code)
					}
				}
			}

			// Over loopback, in alternating rounds.
			counts := make([]int64, len(sides))
			elapsed := make([]time.Duration, len(sides))
			addrs := make([]string, len(sides))
			for k, side := range sides {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				// Each side's connections carry the pprof label side=<name>,
				// so that a -cpuprofile splits the servers' CPU by side
				// (go tool pprof -tagfocus side=node), request parsing
				// and writing included.
				labels := pprof.WithLabels(context.Background(), pprof.Labels("side", side.name))
				hs := &http.Server{Handler: side.h, ConnState: func(_ net.Conn, st http.ConnState) {
					if st == http.StateActive { // called on the connection's goroutine
						pprof.SetGoroutineLabels(labels)
					}
				}}
				go hs.Serve(ln)
				defer hs.Close()
				addrs[k] = ln.Addr().String()
			}
			var seq atomic.Int64
			for range rounds {
				for k := range sides {
					n, d, err := loadConns(addrs[k], conns, time.Second, want, func() []byte { return request(int(seq.Add(1)), k == 0) })
					if err != nil {
						b.Fatalf("%s: %v", sides[k].name, err)
					}
					counts[k], elapsed[k] = counts[k]+n, elapsed[k]+d
				}
			}
			rate := func(k int) float64 { return float64(counts[k]) / elapsed[k].Seconds() }
			perCall := func(k int) time.Duration { return (inProc[k] / time.Duration(calls)).Round(10 * time.Nanosecond) }
			b.Logf("%s: %d bytes; loopback %d conns: trivial %.0f/s, before (no render cache) %.0f/s = %.3f, after %.0f/s = %.3f of trivial; "+
				"in process a call: trivial %s, before %s = %.4f, after %s = %.4f; load %s",
				ld.name, len(body), conns, rate(0), rate(1), rate(1)/rate(0), rate(2), rate(2)/rate(0),
				perCall(0), perCall(1), float64(inProc[0])/float64(inProc[1]), perCall(2), float64(inProc[0])/float64(inProc[2]), loadavg())
			b.ReportMetric(float64(len(body)), "body-bytes")
			b.ReportMetric(rate(0), "trivial-req/s")
			b.ReportMetric(rate(2), "node-req/s")
			b.ReportMetric(rate(1)/rate(0), "before-node/trivial")
			b.ReportMetric(rate(2)/rate(0), "node/trivial")
			b.ReportMetric(float64(inProc[0])/float64(inProc[2]), "in-process-node/trivial")
		})
	}
}

// loadConns sends requests made by next on conns keep-alive connections to
// addr for d, and returns the responses received and the time taken.
func loadConns(addr string, conns int, d time.Duration, want int, next func() []byte) (int64, time.Duration, error) {
	var n atomic.Int64
	var mu sync.Mutex
	var first error
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				mu.Lock()
				first = err
				mu.Unlock()
				return
			}
			defer c.Close()
			r := bufio.NewReaderSize(c, 64<<10)
			for time.Since(start) < d {
				if _, err := c.Write(next()); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				code, err := readResponse(r)
				if err == nil && code != want {
					err = fmt.Errorf("status %d, want %d", code, want)
				}
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load(), time.Since(start), first
}

// readResponse reads one HTTP/1.1 response (Content-Length or chunked, or
// none for a 304) and returns its status.
func readResponse(r *bufio.Reader) (int, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 {
		return 0, fmt.Errorf("status line %q", line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	length, chunked := -1, false
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		k, v, _ := strings.Cut(strings.TrimSpace(string(h)), ":")
		switch strings.ToLower(k) {
		case "content-length":
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		case "transfer-encoding":
			chunked = strings.Contains(v, "chunked")
		}
	}
	switch {
	case code == http.StatusNotModified:
	case chunked:
		for {
			sz, err := r.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			n, err := strconv.ParseInt(strings.TrimSpace(string(sz)), 16, 64)
			if err != nil {
				return 0, err
			}
			if _, err := r.Discard(int(n) + 2); err != nil {
				return 0, err
			}
			if n == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := r.Discard(length); err != nil {
			return 0, err
		}
	}
	return code, nil
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
