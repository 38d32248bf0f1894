package membership_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// BenchmarkNewMemberIndex is the time a new member's node takes to index
// a large ledger's full history through a live peer (issue 15), on the
// real 4-org BFT testnet:
//
//  1. write: the supplier records lots through the real chaincode until
//     the ledger holds TRUSTLINE_BENCH_LEDGER trustline events (e.g.
//     100000; unset, the benchmark is skipped), TRUSTLINE_BENCH_WORKERS
//     transactions in flight (default 48). Each worker creates a lot
//     (Batch:CreateBatch) and ships the lot it created before to the
//     logistics organisation with two cold-chain readings (Custody:Ship).
//     Before the first lot, brand registers the product and two claims
//     about it (cold chain, farm to shelf), so that every lot's claims
//     are evaluated as its events are indexed, as on a brand's ledger;
//     TRUSTLINE_BENCH_CLAIMS=0 registers none.
//     The chaincode states exactly one event per transaction (a Fabric
//     transaction carries one chaincode event, and each function states one
//     EPCIS event), so a ledger of n events is n transactions: there is no
//     bulk path. Brand's node (the existing member's) follows along.
//  2. add: a retailer is voted in as a peer organisation (propose-add,
//     two more signatures, submit, as the membership test does, without
//     the consenter part) and its peer joins from the genesis block; the
//     time until its peer has the whole chain is reported.
//  3. deliver: the retailer's peer delivers every block to a no-op
//     consumer (fabric-gateway block events, as the retailer's user): the
//     raw delivery rate, the upper bound of any node following that peer.
//  4. index: a fresh node of the retailer (`trustline node start`) follows
//     its own peer from block 0; the time until /healthz says it has
//     indexed the whole ledger is the figure. Both nodes are then stopped
//     and their indexes' digests and event counts compared.
//
// Each line gives events, blocks, seconds, events/s and the load average.
//
// Resumable: with TRUSTLINE_BENCH_TESTNET=DIR the testnet (and brand's
// node's index) lives in DIR and is kept: a later run resumes the network
// and writes only what is missing. TRUSTLINE_BENCH_WRITE_FOR=DURATION
// bounds one run's writing (e.g. 10m): a run that stops short of the
// target says so, and with TRUSTLINE_BENCH_WRITE_ONLY=1 it stops there, so
// that a long ledger can be written in several runs, each under the
// integration lock, and measured by the last. Run it alone:
//
//	TRUSTLINE_BENCH_LEDGER=100000 go test -run '^$' -bench NewMemberIndex -benchtime 1x -timeout 3h ./e2e/membership
func BenchmarkNewMemberIndex(b *testing.B) {
	target := benchEnvInt(b, "TRUSTLINE_BENCH_LEDGER", 0)
	if target == 0 {
		b.Skip("set TRUSTLINE_BENCH_LEDGER to the ledger's size in events, e.g. 100000")
	}
	workers := benchEnvInt(b, "TRUSTLINE_BENCH_WORKERS", 48)
	var writeFor time.Duration
	if v := os.Getenv("TRUSTLINE_BENCH_WRITE_FOR"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("TRUSTLINE_BENCH_WRITE_FOR=%q: want a duration, e.g. 10m", v)
		}
		writeFor = d
	}
	// Lines go to stderr as they come: the testing package holds a
	// benchmark's log until it ends and truncates a long one.
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s BenchmarkNewMemberIndex: %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	ctx := context.Background()
	n := benchNetwork(b, logf)
	c, tmp := buildCLI(b, n)
	pr := loadBenchProgress(b, n.Dir())
	dir := func(org string) string { return n.OrgDir(org) }

	brandNode := startNode(b, c, n, testnet.Brand, filepath.Join(n.Dir(), "bench-node-brand"), freePort(b))

	// --- 1. write ------------------------------------------------------------
	if pr.Events < target {
		w := newLedgerWriter(b, n, pr)
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if writeFor > 0 {
			wctx, cancel = context.WithTimeout(ctx, writeFor)
		}
		logf("writing from %d to %d events, %d in flight (load average %s)", pr.Events, target, workers, loadAverage())
		w.run(wctx, target, workers, logf)
		cancel()
		if pr.Events < target {
			logf("target not reached: %d of %d events on the ledger; run again with the same TRUSTLINE_BENCH_TESTNET to continue", pr.Events, target)
			if os.Getenv("TRUSTLINE_BENCH_WRITE_ONLY") != "" {
				return
			}
		}
	}
	height := peerHeight(b, n, testnet.Brand)
	t0 := time.Now()
	waitIndexed(b, brandNode, height, time.Hour)
	logf("brand's node (following along) has indexed block %d, %s after the writes (load average %s)", height-1, time.Since(t0).Round(100*time.Millisecond), loadAverage())
	if os.Getenv("TRUSTLINE_BENCH_WRITE_ONLY") != "" {
		return
	}

	// --- 2. add the retailer -------------------------------------------------
	retailer, err := n.InitCandidate(testnet.Retailer)
	if err != nil {
		b.Fatal(err)
	}
	if err := n.StartCandidate(ctx, testnet.Retailer); err != nil {
		b.Fatal(err)
	}
	if !pr.Retailer {
		ta := time.Now()
		upd := filepath.Join(tmp, "add-retailer.json")
		c.Must("consortium", "propose-add", retailer.CardFile(), "--org-dir", dir(testnet.Brand), "--roles", "logistics", "--out", upd)
		c.Must("consortium", "sign", upd, "--org-dir", dir(testnet.Supplier))
		c.Must("consortium", "sign", upd, "--org-dir", dir(testnet.Lab))
		forNew := filepath.Join(tmp, "for-retailer")
		c.Must("consortium", "submit", upd, "--org-dir", dir(testnet.Brand), "--blocks", forNew)
		voted := time.Since(ta)
		tj := time.Now()
		if err := n.JoinCandidatePeer(ctx, testnet.Retailer, filepath.Join(forNew, "genesis.block")); err != nil {
			b.Fatal(err)
		}
		pr.Retailer = true
		pr.save(b)
		height = peerHeight(b, n, testnet.Brand)
		waitPeerHeight(b, n, testnet.Retailer, height, time.Hour)
		d := time.Since(tj)
		logf("FIGURE the retailer voted in (propose, 2 signatures, submit) in %s; its peer joined from the genesis block and pulled all %d blocks (%d events) from the orderers in %s = %.0f blocks/s, %.0f events/s (load average %s)",
			voted.Round(100*time.Millisecond), height, pr.Events, d.Round(100*time.Millisecond), float64(height)/d.Seconds(), float64(pr.Events)/d.Seconds(), loadAverage())
	} else {
		logf("the retailer is already a member (voted in by an earlier run); waiting for its peer")
	}
	height = peerHeight(b, n, testnet.Brand)
	waitPeerHeight(b, n, testnet.Retailer, height, time.Hour)
	waitIndexed(b, brandNode, height, time.Hour)

	// --- 3. delivery alone ---------------------------------------------------
	conn := dial(b, n, testnet.Retailer)
	deliver := func() time.Duration {
		dctx, cancel := context.WithCancel(ctx)
		defer cancel()
		t0 := time.Now()
		blocks, err := conn.Network().BlockEvents(dctx, client.WithStartBlock(0))
		if err != nil {
			b.Fatal(err)
		}
		for blk := range blocks {
			if blk.GetHeader().GetNumber()+1 >= height {
				return time.Since(t0)
			}
		}
		b.Fatal("the retailer's peer's block stream ended early")
		return 0
	}
	dd := deliver()
	logf("deliver: the retailer's peer delivered %d blocks to a no-op consumer in %s = %.0f blocks/s, %.0f events/s (load average %s)",
		height, dd.Round(10*time.Millisecond), float64(height)/dd.Seconds(), float64(pr.Events)/dd.Seconds(), loadAverage())

	// --- 4. the new member's node from block 0 --------------------------------
	nodeDir := filepath.Join(tmp, "node-retailer")
	tn := time.Now()
	nd := startNode(b, c, n, testnet.Retailer, nodeDir, freePort(b))
	waitIndexed(b, nd, height, 2*time.Hour)
	di := time.Since(tn)
	loadIndex := loadAverage()
	dd2 := deliver()
	nd.stop()
	brandNode.stop()
	rd, re := indexDigest(b, nodeDir)
	bd, be := indexDigest(b, filepath.Join(n.Dir(), "bench-node-brand"))
	if rd != bd || re != be {
		b.Errorf("the retailer's node differs from brand's: %d events, digest %.16s… against %d events, digest %.16s…", re, rd, be, bd)
	}
	mean := (dd + dd2) / 2
	logf("deliver again: %s (load average %s)", dd2.Round(10*time.Millisecond), loadAverage())
	logf("FIGURE a new member's node (the retailer's, following its own peer) indexed the full history from block 0: %d events, %d blocks in %s = %.0f events/s, %.1f blocks/s; its peer delivers the same blocks alone at %.0f events/s, %.1f blocks/s (mean of two runs): %.3fx delivery; digest %.16s… equal to brand's node's (%d events) (load average %s)",
		re, height, di.Round(100*time.Millisecond), float64(re)/di.Seconds(), float64(height)/di.Seconds(),
		float64(re)/mean.Seconds(), float64(height)/mean.Seconds(), mean.Seconds()/di.Seconds(), rd, be, loadIndex)
	b.ReportMetric(float64(re), "events")
	b.ReportMetric(float64(height), "blocks")
	b.ReportMetric(di.Seconds(), "index-s")
	b.ReportMetric(float64(re)/di.Seconds(), "index-events/s")
	b.ReportMetric(float64(re)/mean.Seconds(), "deliver-events/s")
	b.ReportMetric(mean.Seconds()/di.Seconds(), "index/deliver")
	b.ReportMetric(0, "ns/op")
}

// benchNetwork starts the benchmark's testnet: the package's shared one,
// or the one kept in TRUSTLINE_BENCH_TESTNET (resumed when it exists),
// which is stopped, not deleted, when the benchmark ends.
func benchNetwork(b *testing.B, logf func(string, ...any)) *testnet.Network {
	dir := os.Getenv("TRUSTLINE_BENCH_TESTNET")
	if dir == "" {
		return testkit.Network(b)
	}
	if testing.Short() {
		b.Skip("needs a real testnet; skipped with -short")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	bin, err := testnet.FindBinDir()
	if err != nil {
		b.Fatal(err)
	}
	cc, err := testkit.BuildChaincode(dir)
	if err != nil {
		b.Fatal(err)
	}
	cfg := testnet.Config{Dir: dir, BinDir: bin, ChaincodeBin: cc, Logf: func(format string, args ...any) { logf("testnet: "+format, args...) }}
	if _, err := os.Stat(filepath.Join(dir, "network.json")); err != nil {
		if cfg.BasePort, err = testkit.FreeBasePort(); err != nil {
			b.Fatal(err)
		}
	}
	n, err := testnet.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.Cleanup(func() {
		if err := n.Stop(); err != nil {
			logf("stopping the testnet: %v", err)
		}
		logf("testnet kept in %s (delete it when done)", dir)
	})
	if err := n.Start(sctx); err != nil {
		b.Fatalf("starting the testnet in %s: %v", dir, err)
	}
	return n
}

// benchProgress is what a kept testnet remembers of earlier runs, in
// bench-ledger.json in its directory.
type benchProgress struct {
	path string
	mu   sync.Mutex
	// Events counts the trustline events the writers committed (the
	// ledger holds a few more: the role table, the product, the vote).
	Events int `json:"events"`
	// Product: the lots' product is registered; Retailer: voted in and
	// its peer joined.
	Product  bool `json:"product"`
	Retailer bool `json:"retailer"`
	Runs     int  `json:"runs"`
}

func loadBenchProgress(b *testing.B, dir string) *benchProgress {
	p := &benchProgress{path: filepath.Join(dir, "bench-ledger.json")}
	raw, err := os.ReadFile(p.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		b.Fatal(err)
	}
	if err == nil {
		if err := json.Unmarshal(raw, p); err != nil {
			b.Fatalf("%s: %v", p.path, err)
		}
	}
	p.Runs++
	return p
}

func (p *benchProgress) save(b *testing.B) {
	p.mu.Lock()
	raw, err := json.Marshal(p)
	p.mu.Unlock()
	if err == nil {
		err = os.WriteFile(p.path, raw, 0o644)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// ledgerWriter records lots as the supplier.
type ledgerWriter struct {
	b      *testing.B
	pr     *benchProgress
	cl     *tlclient.Client
	prefix string // this run's lot prefix: lots stay unique across runs
}

const benchGTIN = "09506000134352"

func newLedgerWriter(b *testing.B, n *testnet.Network, pr *benchProgress) *ledgerWriter {
	ctx := context.Background()
	if !pr.Product {
		if _, err := client_(b, n, testnet.Brand).RegisterProduct(ctx, ledger.ProductRequest{
			GTIN: benchGTIN, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30}); err != nil &&
			!errors.Is(err, tlclient.ErrExists) {
			b.Fatalf("RegisterProduct: %v", err)
		}
		if os.Getenv("TRUSTLINE_BENCH_CLAIMS") != "0" {
			for _, req := range []ledger.ClaimRequest{
				{Subject: benchGTIN, Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
					Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 120}}},
				{Subject: benchGTIN, Kind: ledger.ClaimFarmToShelf, Wording: "48 hours from farm to shelf",
					Params: ledger.ClaimParams{FarmToShelf: &ledger.FarmToShelfParams{Hours: 48}}},
			} {
				if _, err := client_(b, n, testnet.Brand).RegisterClaim(ctx, req); err != nil {
					b.Fatalf("RegisterClaim %s: %v", req.Kind, err)
				}
			}
		}
		pr.Product = true
		pr.save(b)
		h := peerHeight(b, n, testnet.Brand)
		for _, org := range testnet.Orgs {
			waitPeerHeight(b, n, org, h, time.Minute)
		}
	}
	return &ledgerWriter{b: b, pr: pr, cl: client_(b, n, testnet.Supplier),
		prefix: "B" + strconv.FormatInt(time.Now().Unix()%(36*36*36*36*36), 36)}
}

// run writes until the progress counts target events or ctx ends.
func (w *ledgerWriter) run(ctx context.Context, target, workers int, logf func(string, ...any)) {
	var ok, failed atomic.Int64
	start := int64(w.pr.Events)
	var firstErr atomic.Value
	more := func() bool { return ctx.Err() == nil && start+ok.Load() < int64(target) }
	tx := func(f func(ctx context.Context) error) bool {
		for attempt := 0; attempt < 3 && ctx.Err() == nil; attempt++ {
			tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			err := f(tctx)
			cancel()
			if err == nil {
				ok.Add(1)
				return true
			}
			failed.Add(1)
			firstErr.CompareAndSwap(nil, err)
			time.Sleep(time.Second) // a peer behind, a BFT refusal under load
		}
		return false
	}
	t0 := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		last, lastOK := t0, int64(0)
		for {
			select {
			case <-done:
				return
			case <-time.After(30 * time.Second):
			}
			k := ok.Load()
			w.pr.mu.Lock()
			w.pr.Events = int(start + k)
			w.pr.mu.Unlock()
			w.pr.save(w.b)
			logf("write: %d events on the ledger, %.1f tx/s in the last %s (%.1f overall), %d failed attempts (load average %s)",
				start+k, float64(k-lastOK)/time.Since(last).Seconds(), time.Since(last).Round(time.Second), float64(k)/time.Since(t0).Seconds(), failed.Load(), loadAverage())
			last, lastOK = time.Now(), k
		}
	})
	var writers sync.WaitGroup
	for wk := range workers {
		writers.Go(func() {
			prev := ""
			for i := 0; more(); i++ {
				lot := fmt.Sprintf("%s-%d-%d", w.prefix, wk, i)
				now := time.Now().UTC()
				if tx(func(ctx context.Context) error {
					_, err := w.cl.CreateBatch(ctx, ledger.BatchRequest{
						GTIN: benchGTIN, Lot: lot, Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Producer: "9506000134352",
						Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 52.1, Longitude: 4.3}, Address: &ledger.Address{City: "Delft", Country: "NL"}},
						ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
						FarmingPractice: "organic",
					})
					if errors.Is(err, tlclient.ErrExists) {
						return nil // a retried submit that had committed
					}
					return err
				}) && prev != "" && more() {
					// The lot created a transaction ago is on every peer by now.
					tx(func(ctx context.Context) error {
						req := ledger.ShipRequest{Lot: "https://id.gs1.org/01/" + benchGTIN + "/10/" + prev,
							To: testnet.MSPID(testnet.Logistics), Destination: "https://id.gs1.org/414/9506000134383"}
						for k := range 2 {
							temp, hum := 3.5+float64(k)/4, 80.0
							req.Readings = append(req.Readings, ledger.Reading{Time: now.Add(time.Duration(k-2) * 15 * time.Minute).Format(time.RFC3339),
								Device: "urn:epc:id:giai:9506000134352.logger7", TemperatureC: &temp, HumidityPct: &hum})
						}
						_, err := w.cl.Ship(ctx, req)
						if errors.Is(err, tlclient.ErrState) {
							return nil // a retried submit that had committed: already shipped
						}
						return err
					})
				}
				prev = lot
				if f := failed.Load(); f > 1000 && f > ok.Load() {
					return // the network is broken; reported below
				}
			}
		})
	}
	writers.Wait()
	close(done)
	wg.Wait()
	k := ok.Load()
	w.pr.Events = int(start + k)
	w.pr.save(w.b)
	d := time.Since(t0)
	logf("FIGURE write: %d events committed in %s = %.1f tx/s (one event a transaction), %d failed attempts; the ledger has %d events (load average %s)",
		k, d.Round(time.Second), float64(k)/d.Seconds(), failed.Load(), w.pr.Events, loadAverage())
	if err, _ := firstErr.Load().(error); err != nil {
		logf("first failed attempt: %v", err)
	}
	if f := failed.Load(); f > 1000 && f > k {
		w.b.Fatalf("more failed attempts (%d) than commits (%d): the network is not writing", f, k)
	}
}

// waitPeerHeight waits until org's peer has height blocks.
func waitPeerHeight(b *testing.B, n *testnet.Network, org string, height uint64, within time.Duration) {
	deadline := time.Now().Add(within)
	for {
		info, err := n.ChainInfo(context.Background(), org)
		if err == nil && info.GetHeight() >= height {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s's peer has not reached height %d within %s: %v %v", org, height, within, info, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// indexDigest opens a stopped node's index and returns its digest and
// event count.
func indexDigest(b *testing.B, dataDir string) (string, uint64) {
	idx, err := index.Open(filepath.Join(dataDir, "index"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	d, err := idx.Digest()
	if err != nil {
		b.Fatal(err)
	}
	return d, idx.Checkpoint().Events
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	k, err := strconv.Atoi(v)
	if err != nil || k <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return k
}
