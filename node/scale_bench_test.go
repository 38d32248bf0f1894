package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
)

// BenchmarkScale is the cost of an index against its size (issue 18): it
// grows one index through the follower, as a member catching up from
// block 0 does, to each size of TRUSTLINE_BENCH_SCALE (events, comma
// separated, e.g. "1000000,3000000,10000000"; unset, the benchmark is
// skipped: it runs for an hour at 10M) and, at each size, reports
//
//   - the rebuild rate of the last segment (events/s), against the rate
//     the generated blocks are delivered at alone (same segment, same run);
//   - the index's bytes on disk per event;
//   - the trace JSON and the consumer page of uniformly random units
//     (cold: not a hot set; TRUSTLINE_BENCH_LOOKUPS requests each, default
//     2,000, one client, in process), p50 and p99, and p99 against the
//     first size;
//   - the process's peak RSS, and the load average.
//
// Each event is a CreateBatch-like payload with two units (benchEvent),
// 20 a block. The index is in a temporary directory unless
// TRUSTLINE_BENCH_INDEX names one (kept: delete it after). A kept index
// resumes where it stopped, so a long curve can be grown over several
// runs: each size's rebuild rate is then that run's segment only, and a
// size the index is already past is measured at the size it has.
//
// How the index is built: every event goes through the follower and the
// index's apply (the same code a catching-up member runs), with a sync
// per committed batch as a serving node's index does; with
// TRUSTLINE_BENCH_NOSYNC=1 the index is opened NoSync, as `trustline index
// rebuild` opens it (the fastest correct path: Close flushes). Bytes per
// event are the tables and logs as they stand, not after a manual
// compaction. Cost: 3.2 kB per event on disk at 100k events, 1.75 kB at
// 300k (logs and unflushed tables weigh less as it grows), so keep ~30 GB
// free for 10M; the follower ran at 560-960 events/s at load 20-31 on 2
// cores (10M: 3-5 h: grow it over several runs).
func BenchmarkScale(b *testing.B) {
	spec := os.Getenv("TRUSTLINE_BENCH_SCALE")
	if spec == "" {
		b.Skip("set TRUSTLINE_BENCH_SCALE to the index sizes to build, e.g. 1000000,3000000")
	}
	var sizes []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("TRUSTLINE_BENCH_SCALE=%q: want sizes in events, comma separated", spec)
		}
		sizes = append(sizes, n)
	}
	lookups := envInt("TRUSTLINE_BENCH_LOOKUPS", 2000)
	dir := os.Getenv("TRUSTLINE_BENCH_INDEX")
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "index")
	}
	idx, err := index.Open(dir, &index.Options{NoSync: os.Getenv("TRUSTLINE_BENCH_NOSYNC") == "1"})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	node := api.New(idx, &api.Options{Logger: quiet})
	src := &generated{}
	var firstTrace, firstPage time.Duration
	for _, size := range sizes {
		from, before := idx.Checkpoint().NextBlock(), idx.Checkpoint().Events
		src.lots = size
		height := src.height()
		var deliver, rebuild float64
		if from >= height {
			// A kept index already past this size (an interrupted run):
			// measured at the size it has, without a rebuild rate.
			src.lots, size = max(int(before)-1, 1), max(int(before)-1, 1)
		} else {
			// Delivery alone: the same blocks generated and sent,
			// unconsumed (at most 10,000 blocks of them, for time).
			sample := min(height-from, 10_000)
			t0 := time.Now()
			ctx, cancel := context.WithCancel(context.Background())
			blocks, _ := src.Blocks(ctx, from)
			for range sample {
				<-blocks
			}
			cancel()
			deliver = float64(sample*blockTxs) / time.Since(t0).Seconds()

			t0 = time.Now()
			f := follower.New(src, idx, &follower.Options{StopAt: height, Logger: quiet})
			if err := f.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			rebuild = float64(idx.Checkpoint().Events-before) / time.Since(t0).Seconds()
		}
		cp := idx.Checkpoint()
		disk, err := idx.DiskSize()
		if err != nil {
			b.Fatal(err)
		}

		get := func(accept string) latencies {
			return measure(b, 1, lookups, 2*time.Minute, func() error {
				p, _ := unitPath(size)
				req := httptest.NewRequest("GET", p, nil)
				req.Header.Set("Accept", accept)
				w := httptest.NewRecorder()
				node.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					return fmt.Errorf("%s: %d %.200s", p, w.Code, w.Body.Bytes())
				}
				return nil
			})
		}
		trace := get("application/json")
		page := get("text/html")
		if firstTrace == 0 {
			firstTrace, firstPage = trace.p99, page.p99
		}
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		// Printed as it is measured (a benchmark's log waits for its end).
		fmt.Fprintf(os.Stderr, "BenchmarkScale: "+"%d events (%d indexed): rebuild %.0f events/s, %.3fx delivery (%.0f events/s; 0: not rebuilt in this run); %.0f bytes/event on disk; "+
			"trace %s (p99 %.2fx the first size); page %s (p99 %.2fx); peak RSS %d MiB; load %s",
			size, cp.Events, rebuild, rebuild/max(deliver, 1), deliver, float64(disk)/float64(cp.Events),
			trace, float64(trace.p99)/float64(firstTrace), page, float64(page.p99)/float64(firstPage), ru.Maxrss/1024, loadavg())
		fmt.Fprintln(os.Stderr)
		n := strconv.Itoa(size)
		if rebuild > 0 {
			b.ReportMetric(rebuild, "events/s@"+n)
		}
		b.ReportMetric(float64(disk)/float64(cp.Events), "B/event@"+n)
		b.ReportMetric(float64(trace.p99.Microseconds()), "trace-p99-µs@"+n)
		b.ReportMetric(float64(page.p99.Microseconds()), "page-p99-µs@"+n)
	}
	b.ReportMetric(0, "ns/op")
}

const blockTxs = 20

// generated is a follower.Source of a ledger made as it is read: block 0
// registers the product, then every block holds blockTxs lots
// (benchEvent), up to lots.
type generated struct{ lots int }

func (g *generated) height() uint64 { return 1 + uint64((g.lots+blockTxs-1)/blockTxs) }

func (g *generated) Height(context.Context) (uint64, error) { return g.height(), nil }

func (g *generated) Blocks(ctx context.Context, start uint64) (<-chan follower.Block, error) {
	out := make(chan follower.Block, 16)
	height := g.height()
	go func() {
		defer close(out)
		for n := start; n < height; n++ {
			select {
			case out <- g.block(n):
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return out, nil
}

func (g *generated) block(n uint64) follower.Block {
	tx := func(ev *ledger.Event) follower.Tx {
		p, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		return follower.Tx{ID: ev.TxID, Valid: true, Event: &follower.ChaincodeEvent{Name: ledger.EventName, Payload: p}}
	}
	if n == 0 {
		return follower.Block{Number: 0, Txs: []follower.Tx{tx(benchProduct())}}
	}
	b := follower.Block{Number: n}
	for i := int(n-1) * blockTxs; i < min(int(n)*blockTxs, g.lots); i++ {
		b.Txs = append(b.Txs, tx(benchEvent(i, benchLot)))
	}
	return b
}
