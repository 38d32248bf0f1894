package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// Benchmark knobs (environment): TRUSTLINE_BENCH_LOTS lots to index
// (default 1,000,000), TRUSTLINE_BENCH_LOOKUPS lookups per measurement
// (default 20,000; each measurement also stops after 30s).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

const benchGTIN = "09506000134352"

// benchEvent is a CreateBatch-like payload that also commissions two
// units, so that every lot has a unit to trace.
func benchEvent(i int, lotTmpl ledger.LotSummary) *ledger.Event {
	lot := fmt.Sprintf("B%07d", i)
	link := "https://id.gs1.org/01/" + benchGTIN + "/10/" + lot
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	ts := ledger.FormatTime(at)
	l := lotTmpl
	l.ID, l.Lot, l.CreatedTx, l.CreatedAt, l.UpdatedAt = link, lot, fmt.Sprintf("tx%d", i), ts, ts
	ev := &ledger.Event{Function: "Batch:CreateBatch", MSPID: "SupplierMSP", TxID: l.CreatedTx, Timestamp: ts, Lots: []ledger.LotSummary{l}}
	eid := fmt.Sprintf("ni:///sha-256;%064x?ver=CBV2.0", i)
	ev.EPCIS = []json.RawMessage{json.RawMessage(`{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],` +
		`"type":"ObjectEvent","eventID":"` + eid + `","eventTime":"` + at.Format(time.RFC3339) + `","eventTimeZoneOffset":"+00:00",` +
		`"action":"ADD","bizStep":"commissioning","disposition":"active",` +
		`"quantityList":[{"epcClass":"` + link + `","quantity":100,"uom":"KGM"}]}`)}
	for j := range 2 {
		s := fmt.Sprintf("%s-%d", lot, j)
		ev.Units = append(ev.Units, ledger.Unit{ID: link + "/21/" + s, GTIN: benchGTIN, Lot: lot, Serial: s, LotID: link,
			CommissionedBy: "BrandMSP", CommissionedAt: ts})
	}
	return ev
}

// benchLot is the lot record benchEvent fills in.
var benchLot = ledger.LotSummary{GTIN: benchGTIN, Product: "https://id.gs1.org/01/" + benchGTIN,
	Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}, Remaining: ledger.Quantity{Value: "100", UOM: "KGM"},
	ProducedAt: "2025-06-01T00:00:00.000000000Z", Expiry: "2025-12-01T00:00:00.000000000Z",
	CreatedBy: "SupplierMSP", Custodian: "SupplierMSP", Status: "active"}

// benchProduct registers the product of benchEvent's lots.
func benchProduct() *ledger.Event {
	return &ledger.Event{Function: "Product:RegisterProduct", TxID: "p", Products: []ledger.Product{{
		ID: "https://id.gs1.org/01/" + benchGTIN, GTIN: benchGTIN, Name: "Apples", Brand: "Acme", Owner: "BrandMSP"}}}
}

// latencies summarises a measurement.
type latencies struct {
	n          int
	p50, p99   time.Duration
	throughput float64 // per second, over all clients
	elapsed    time.Duration
}

// summarise sorts ds, measured over elapsed, into latencies.
func summarise(ds []time.Duration, elapsed time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	l := latencies{n: len(ds), p50: pct(0.50), p99: pct(0.99), elapsed: elapsed}
	if elapsed > 0 {
		l.throughput = float64(len(ds)) / elapsed.Seconds()
	}
	return l
}

func (l latencies) String() string {
	return fmt.Sprintf("n=%d p50=%s p99=%s %.0f/s", l.n, l.p50.Round(time.Microsecond), l.p99.Round(time.Microsecond), l.throughput)
}

// measure calls fn from clients goroutines until max calls or limit, and
// returns the distribution of fn's durations.
func measure(b *testing.B, clients, max int, limit time.Duration, fn func() error) latencies {
	b.Helper()
	var mu sync.Mutex
	var ds []time.Duration
	var count atomic.Int64
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for count.Add(1) <= int64(max) && time.Since(start) < limit {
				t0 := time.Now()
				if err := fn(); err != nil {
					failed.Store(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			ds = append(ds, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return summarise(ds, elapsed)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// benchIndex returns an index of lots lots (one payload each, with two
// units) applied through ApplyBlock in synced blocks of 500 transactions,
// and the apply rate in events/s (0 when reused). With
// TRUSTLINE_BENCH_INDEX set it reuses the index kept in that directory if
// it holds exactly these lots, or builds it there and keeps it (delete it
// when done: ~350 MiB for 1M lots); otherwise it builds one in a temporary
// directory that is deleted afterwards.
func benchIndex(b *testing.B, lots int) (*index.Index, float64) {
	b.Helper()
	return benchIndexPlus(b, lots, 0)
}

// benchIndexPlus is benchIndex for a benchmark that adds extra payloads of
// its own after the lots: a kept index holding them too is reused.
func benchIndexPlus(b *testing.B, lots int, extra uint64) (*index.Index, float64) {
	b.Helper()
	dir := os.Getenv("TRUSTLINE_BENCH_INDEX")
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "index")
	}
	// TRUSTLINE_BENCH_CACHE_MIB sizes the block cache (Config.IndexCache;
	// default the index's, 512 MiB).
	idx, err := index.Open(dir, &index.Options{CacheSize: int64(envInt("TRUSTLINE_BENCH_CACHE_MIB", 0)) << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Close() })
	want := uint64(lots) + 1 // the product, then one payload per lot
	switch cp := idx.Checkpoint(); {
	case cp.Events == want || extra > 0 && cp.Events == want+extra:
		b.Logf("reusing the index in %s: %d lots, %.1f MiB", dir, lots, float64(dirSize(dir))/(1<<20))
		return idx, 0
	case cp.Valid:
		b.Fatalf("%s holds an index of %d events, not %d lots: delete it or unset TRUSTLINE_BENCH_INDEX", dir, cp.Events, lots)
	}
	const block = 500
	lotTmpl := benchLot
	prod := benchProduct()
	if _, err := idx.ApplyBlock(0, []index.Tx{{Pos: index.Position{Block: 0, Tx: 0, TxID: "p"}, Event: prod}}); err != nil {
		b.Fatal(err)
	}
	// Payloads are made (and JSON round-tripped, as the follower decodes
	// them) outside the timed apply.
	var applyTime time.Duration
	t0 := time.Now()
	for first, blk := 0, uint64(1); first < lots; first, blk = first+block, blk+1 {
		txs := make([]index.Tx, 0, block)
		for i := first; i < min(first+block, lots); i++ {
			raw, _ := json.Marshal(benchEvent(i, lotTmpl))
			var ev ledger.Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				b.Fatal(err)
			}
			txs = append(txs, index.Tx{Pos: index.Position{Block: blk, Tx: i - first, TxID: ev.TxID}, Event: &ev})
		}
		a := time.Now()
		if _, err := idx.ApplyBlock(blk, txs); err != nil {
			b.Fatal(err)
		}
		applyTime += time.Since(a)
	}
	rate := float64(lots) / applyTime.Seconds()
	// Compacted into the last level, as a node's index settles in time:
	// an index read as it is built looks up every level, and gave cold
	// figures slower than the same index reused.
	c := time.Now()
	if err := idx.Compact(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("compacted in %.1fs", time.Since(c).Seconds())
	b.Logf("indexed %d lots (%d units) in %d synced blocks: apply %.1fs = %.0f events/s (build incl. payload generation %.1fs); index on disk %.1f MiB",
		lots, 2*lots, (lots+block-1)/block, applyTime.Seconds(), rate, time.Since(t0).Seconds(), float64(dirSize(dir))/(1<<20))
	return idx, rate
}

// unitPath is the resolver path of a unit of lot i, uniformly random over
// all lots and both units, so that lookups are not served from a hot set.
func unitPath(lots int) (path, lot string) {
	i := rand.IntN(lots)
	lot = fmt.Sprintf("B%07d", i)
	return fmt.Sprintf("/01/%s/10/%s/21/%s-%d", benchGTIN, lot, lot, rand.IntN(2)), lot
}

// timings collects the handler's own durations (server side, without the
// network and the client).
type timings struct {
	mu sync.Mutex
	ds []time.Duration
}

func (t *timings) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		h.ServeHTTP(w, r)
		d := time.Since(t0)
		t.mu.Lock()
		t.ds = append(t.ds, d)
		t.mu.Unlock()
	})
}

// take returns the distribution collected since the last take.
func (t *timings) take(elapsed time.Duration) latencies {
	t.mu.Lock()
	ds := t.ds
	t.ds = nil
	t.mu.Unlock()
	return summarise(ds, elapsed)
}

// BenchmarkTraceByUnit measures trace-by-unit lookups through the node's
// HTTP API on loopback over an index of TRUSTLINE_BENCH_LOTS lots
// (benchIndex), and the same trace from a peer through fabric-gateway
// Evaluate (Query:GetUnit, GetLot, GetLotEvents) on the testnet, in the
// same run. Each side is warmed up first; each measurement is bounded in
// count (TRUSTLINE_BENCH_LOOKUPS) and time (30s). Server-side latency is
// timed around the API handler; client latency is the full round trip. It
// runs once whatever -benchtime says; its figures are logged and reported
// as metrics.
func BenchmarkTraceByUnit(b *testing.B) {
	lots := envInt("TRUSTLINE_BENCH_LOTS", 1_000_000)
	lookups := envInt("TRUSTLINE_BENCH_LOOKUPS", 20_000)
	idx, rate := benchIndex(b, lots)
	if rate > 0 {
		b.ReportMetric(rate, "apply-events/s")
	}
	size, _ := idx.DiskSize()
	b.ReportMetric(float64(size)/(1<<20), "index-MiB")

	var srv timings
	h := api.New(idx, &api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: srv.wrap(h)}
	go hs.Serve(ln)
	defer hs.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	base := "http://" + ln.Addr().String()
	get := func() error {
		path, lot := unitPath(lots)
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || !strings.Contains(string(body), `"lot":"`+lot+`"`) {
			return fmt.Errorf("trace of %s: %d %v %.200s", path, resp.StatusCode, err, body)
		}
		return nil
	}
	const limit = 30 * time.Second
	// Warm-up to the steady state of a serving node: the block cache fills
	// with the blocks of random traces (a few per trace, over the whole index).
	warm := measure(b, 8, max(lookups, lots/10), 30*time.Second, get)
	srv.take(0)
	b.Logf("HTTP warm-up: %s", warm)
	seq := measure(b, 1, lookups, limit, get)
	srvSeq := srv.take(seq.elapsed)
	par := measure(b, 8, lookups, limit, get)
	srvPar := srv.take(par.elapsed)
	b.Logf("HTTP trace-by-unit over %d lots, uniform random units:", lots)
	b.Logf("  1 client : server-side %s | round trip %s", srvSeq, seq)
	b.Logf("  8 clients: server-side %s | round trip %s", srvPar, par)
	b.ReportMetric(float64(srvSeq.p50.Microseconds()), "http-server-p50-µs")
	b.ReportMetric(float64(srvSeq.p99.Microseconds()), "http-server-p99-µs")
	b.ReportMetric(float64(seq.p50.Microseconds()), "http-p50-µs")
	b.ReportMetric(float64(seq.p99.Microseconds()), "http-p99-µs")
	b.ReportMetric(seq.throughput, "http-1c-traces/s")
	b.ReportMetric(par.throughput, "http-8c-traces/s")

	peer, ok := peerPath(b, lookups, limit)
	if !ok {
		return
	}
	b.Logf("peer Evaluate trace (GetUnit+GetLot+GetLotEvents), round trip: 1 client %s; 8 clients %s", peer.seq, peer.par)
	b.Logf("ratio peer/HTTP round trip: p50 %.0fx, p99 %.0fx, throughput 1 client %.0fx, 8 clients %.0fx",
		float64(peer.seq.p50)/float64(seq.p50), float64(peer.seq.p99)/float64(seq.p99),
		seq.throughput/peer.seq.throughput, par.throughput/peer.par.throughput)
	b.ReportMetric(float64(peer.seq.p50.Microseconds()), "peer-p50-µs")
	b.ReportMetric(float64(peer.seq.p99.Microseconds()), "peer-p99-µs")
	b.ReportMetric(peer.par.throughput, "peer-8c-traces/s")
	b.ReportMetric(float64(peer.seq.p50)/float64(seq.p50), "peer/http-p50")
	b.ReportMetric(float64(peer.seq.p99)/float64(seq.p99), "peer/http-p99")
	b.ReportMetric(par.throughput/peer.par.throughput, "peer/http-8c-throughput")
}

// BenchmarkTraceHandler calls the API handler in process (no network) for
// uniform random units of the benchmark index: for profiling the trace
// path with -cpuprofile and -memprofile, and for its allocations.
func BenchmarkTraceHandler(b *testing.B) {
	lots := envInt("TRUSTLINE_BENCH_LOTS", 1_000_000)
	idx, _ := benchIndex(b, lots)
	h := api.New(idx, &api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	reqs := make([]*http.Request, 4096)
	for i := range reqs {
		path, _ := unitPath(lots)
		reqs[i] = httptest.NewRequest("GET", path, nil)
		reqs[i].Header.Set("Accept", "application/json")
	}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, reqs[i%len(reqs)])
		if w.code != 0 && w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
}

// discard is a ResponseWriter that keeps nothing but the status.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

type peerResult struct{ seq, par latencies }

// peerPath measures the trace of a unit through fabric-gateway Evaluate
// on the testnet; without Fabric binaries it reports why and returns false.
func peerPath(b *testing.B, lookups int, limit time.Duration) (peerResult, bool) {
	if _, err := testnet.FindBinDir(); err != nil {
		b.Logf("peer path skipped: no testnet (%v)", err)
		return peerResult{}, false
	}
	testkit.Network(b)
	prod, _ := json.Marshal(ledger.ProductRequest{GTIN: benchGTIN, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})
	if _, err := testkit.Contract(b, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(prod)); err != nil &&
		!strings.Contains(err.Error(), "already") {
		b.Fatalf("RegisterProduct: %v", err)
	}
	testkit.WaitForSync(b) // the supplier's peer must see the product before CreateBatch
	lot := fmt.Sprintf("P%d", time.Now().UnixNano()%1e9)
	link := "https://id.gs1.org/01/" + benchGTIN + "/10/" + lot
	now := time.Now().UTC()
	batch, _ := json.Marshal(ledger.BatchRequest{GTIN: benchGTIN, Lot: lot, Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Producer: "9506000134352",
		Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 52.1, Longitude: 4.3}, Address: &ledger.Address{City: "Delft", Country: "NL"}},
		ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339), FarmingPractice: "organic"})
	testkit.Submit(b, testnet.Supplier, "Batch:CreateBatch", string(batch))
	testkit.Submit(b, testnet.Brand, "Product:CommissionUnits", link, `["`+lot+`-0"]`)
	// The consumer's node is the supplier's; its gateway evaluates on its own peer.
	c := testkit.Contract(b, testnet.Supplier)
	unit := link + "/21/" + lot + "-0"
	trace := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, call := range [][2]string{{"Query:GetUnit", unit}, {"Query:GetLot", link}, {"Query:GetLotEvents", link}} {
			if _, err := c.EvaluateWithContext(ctx, call[0], client.WithArguments(call[1])); err != nil {
				return fmt.Errorf("%s: %w", call[0], err)
			}
		}
		return nil
	}
	measure(b, 8, 50, 10*time.Second, trace) // warm-up: connections, chaincode container
	n := max(200, lookups/20)                // each takes milliseconds; the time limit bounds it
	return peerResult{seq: measure(b, 1, n, limit, trace), par: measure(b, 8, n, limit, trace)}, true
}
