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

// latencies summarises a measurement.
type latencies struct {
	n          int
	p50, p99   time.Duration
	throughput float64 // per second, over all clients
}

func (l latencies) String() string {
	return fmt.Sprintf("n=%d p50=%s p99=%s throughput=%.0f/s", l.n, l.p50, l.p99, l.throughput)
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
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return latencies{n: len(ds), p50: pct(0.50), p99: pct(0.99), throughput: float64(len(ds)) / elapsed.Seconds()}
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

// BenchmarkTraceByUnit indexes TRUSTLINE_BENCH_LOTS lots (one payload
// each, with two units) through ApplyBlock in synced blocks of 500
// transactions, then measures trace-by-unit lookups through the node's
// HTTP API on loopback, and the same trace from a peer through
// fabric-gateway Evaluate (Query:GetUnit, GetLot, GetLotEvents) on the
// testnet, in the same run. It runs once whatever -benchtime says (the
// build alone takes minutes); its figures are logged and reported as
// metrics. The index is deleted afterwards.
func BenchmarkTraceByUnit(b *testing.B) {
	lots := envInt("TRUSTLINE_BENCH_LOTS", 1_000_000)
	lookups := envInt("TRUSTLINE_BENCH_LOOKUPS", 20_000)
	const block = 500
	dir := filepath.Join(b.TempDir(), "index")
	idx, err := index.Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	lotTmpl := ledger.LotSummary{GTIN: benchGTIN, Product: "https://id.gs1.org/01/" + benchGTIN,
		Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}, Remaining: ledger.Quantity{Value: "100", UOM: "KGM"},
		ProducedAt: "2025-06-01T00:00:00.000000000Z", Expiry: "2025-12-01T00:00:00.000000000Z",
		CreatedBy: "SupplierMSP", Custodian: "SupplierMSP", Status: "active"}
	prod := &ledger.Event{Function: "Product:RegisterProduct", TxID: "p", Products: []ledger.Product{{
		ID: "https://id.gs1.org/01/" + benchGTIN, GTIN: benchGTIN, Name: "Apples", Brand: "Acme", Owner: "BrandMSP"}}}
	if _, err := idx.ApplyBlock(0, []index.Tx{{Pos: index.Position{Block: 0, Tx: 0, TxID: "p"}, Event: prod}}); err != nil {
		b.Fatal(err)
	}

	// Build: payloads are made (and JSON round-tripped, as the follower
	// decodes them) outside the timed apply.
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
	size := dirSize(dir)
	b.Logf("indexed %d lots (%d units) in %d synced blocks: apply %.1fs = %.0f events/s (build incl. payload generation %.1fs); index on disk %.1f MiB",
		lots, 2*lots, (lots+block-1)/block, applyTime.Seconds(), rate, time.Since(t0).Seconds(), float64(size)/(1<<20))
	b.ReportMetric(rate, "apply-events/s")
	b.ReportMetric(float64(size)/(1<<20), "index-MiB")

	// HTTP: a real server on loopback, timed inside the handler too.
	var srvMu sync.Mutex
	var srvDs []time.Duration
	h := api.New(idx, &api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.Now()
		h.ServeHTTP(w, r)
		d := time.Since(t)
		srvMu.Lock()
		srvDs = append(srvDs, d)
		srvMu.Unlock()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: timed}
	go srv.Serve(ln)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	base := "http://" + ln.Addr().String()
	get := func() error {
		i := rand.IntN(lots)
		lot := fmt.Sprintf("B%07d", i)
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/01/%s/10/%s/21/%s-%d", base, benchGTIN, lot, lot, i%2), nil)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || !strings.Contains(string(body), lot) {
			return fmt.Errorf("trace of %s: %d %v %.200s", lot, resp.StatusCode, err, body)
		}
		return nil
	}
	const limit = 30 * time.Second
	seq := measure(b, 1, lookups, limit, get)
	srvMu.Lock()
	slices.Sort(srvDs)
	srvP50, srvP99 := srvDs[len(srvDs)/2], srvDs[min(len(srvDs)-1, len(srvDs)*99/100)]
	srvMu.Unlock()
	par := measure(b, 8, lookups, limit, get)
	b.Logf("HTTP trace-by-unit, 1 client: %s; server-side p50=%s p99=%s; 8 clients: %s", seq, srvP50, srvP99, par)
	b.ReportMetric(float64(seq.p50.Microseconds()), "http-p50-µs")
	b.ReportMetric(float64(seq.p99.Microseconds()), "http-p99-µs")
	b.ReportMetric(float64(srvP99.Microseconds()), "http-server-p99-µs")
	b.ReportMetric(par.throughput, "http-traces/s")

	peer, ok := peerPath(b, lookups, limit)
	if !ok {
		return
	}
	b.Logf("peer Evaluate trace (GetUnit+GetLot+GetLotEvents), 1 client: %s; 8 clients: %s", peer.seq, peer.par)
	b.Logf("ratio peer/HTTP: p50 %.0fx, p99 %.0fx, throughput %.0fx",
		float64(peer.seq.p50)/float64(seq.p50), float64(peer.seq.p99)/float64(seq.p99), par.throughput/peer.par.throughput)
	b.ReportMetric(float64(peer.seq.p50.Microseconds()), "peer-p50-µs")
	b.ReportMetric(float64(peer.seq.p99.Microseconds()), "peer-p99-µs")
	b.ReportMetric(peer.par.throughput, "peer-traces/s")
	b.ReportMetric(float64(peer.seq.p50)/float64(seq.p50), "peer/http-p50")
}

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
	n := max(200, lookups/20) // each takes milliseconds; the time limit bounds it
	return peerResult{seq: measure(b, 1, n, limit, trace), par: measure(b, 8, n, limit, trace)}, true
}
