package node_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/trustline/trustline/node/api"
)

// BenchmarkColdCall is one cold request's handler call (b.N of them), for
// profiling the cold page and trace JSON: uniform random units over the
// benchmark index, the render cache on (as served).
func BenchmarkColdCall(b *testing.B) {
	lots := envInt("TRUSTLINE_BENCH_LOTS", 1_000_000)
	idx, _ := benchIndex(b, lots)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	node := api.New(idx, &api.Options{Logger: quiet})
	// As a node does when it starts, so that a profile shows serving,
	// not the block cache filling.
	if _, err := idx.Warm(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	for _, accept := range []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"} {
		name := "page"
		if accept == "application/json" {
			name = "json"
		}
		b.Run(name, func(b *testing.B) {
			cpu0, faults0 := usage()
			for b.Loop() {
				p, _ := unitPath(lots)
				req := httptest.NewRequest("GET", p, nil)
				req.Header.Set("Accept", accept)
				w := &discard{h: http.Header{}}
				node.ServeHTTP(w, req)
				if w.code != 0 && w.code != http.StatusOK {
					b.Fatalf("%s: %d", p, w.code)
				}
			}
			cpu, faults := usage()
			b.ReportMetric(float64((cpu-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(faults-faults0)/float64(b.N), "faults/op")
		})
	}
}

// usage is the CPU time the process used (user and system, all threads:
// per request, it does not depend on how many other processes share the
// machine) and the page faults it took (on a virtual machine a fault
// costs microseconds).
func usage() (cpu time.Duration, faults int64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt + ru.Majflt
}
