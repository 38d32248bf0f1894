package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// trivialCC is the baseline contract: put stores its second argument
// under its first, and nothing else.
type trivialCC struct{}

func (trivialCC) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (trivialCC) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn != "put" || len(args) != 2 {
		return shim.Error("put KEY VALUE")
	}
	if err := stub.PutState(args[0], []byte(args[1])); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// deployTrivial deploys trivialCC on the testnet as the service
// "trivial", served from this process.
func deployTrivial(b *testing.B) *client.Contract {
	b.Helper()
	n := testkit.Network(b)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	id, err := n.DeployService("trivial", addr)
	if err != nil {
		b.Fatal(err)
	}
	srv := &shim.ChaincodeServer{CCID: id, Address: addr, CC: trivialCC{}, TLSProps: shim.TLSProperties{Disabled: true}}
	go func() {
		if err := srv.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "trivial chaincode server:", err)
		}
	}()
	return testkit.Gateway(b, testnet.Supplier).GetNetwork(testnet.ChannelName).GetContract("trivial")
}

// loadAvg is the 1-minute load average ("?" where unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return string(bytes.Fields(b)[0])
}

// phase is one measurement: n transactions from workers goroutines.
type phase struct {
	ok, failed int64
	elapsed    time.Duration
	load       string
}

func (p phase) rate() float64 { return float64(p.ok) / p.elapsed.Seconds() }

func (p phase) String() string {
	return fmt.Sprintf("%d committed (%d failed) in %.1fs = %.1f tx/s, load %s", p.ok, p.failed, p.elapsed.Seconds(), p.rate(), p.load)
}

// run submits tx(i) for i in 0..n-1 from workers goroutines, each waiting
// for its transaction's commit status, as an application does.
func run(n, workers int, tx func(ctx context.Context, i int) error) phase {
	var next, ok, failed atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	t0 := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				err := tx(ctx, i)
				cancel()
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	p := phase{ok: ok.Load(), failed: failed.Load(), elapsed: time.Since(t0), load: loadAvg()}
	if err, _ := firstErr.Load().(error); err != nil {
		fmt.Fprintln(os.Stderr, "first failure:", err)
	}
	return p
}

// submit submits a transaction and waits for it to commit valid.
func submit(ctx context.Context, c *client.Contract, name string, args ...string) error {
	_, commit, err := c.SubmitAsyncWithContext(ctx, name, client.WithArguments(args...))
	if err != nil {
		return err
	}
	st, err := commit.StatusWithContext(ctx)
	if err != nil {
		return err
	}
	if !st.Successful {
		return fmt.Errorf("transaction %s: %s", st.TransactionID, st.Code)
	}
	return nil
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkWritePath measures committed transactions per second of the
// real hand-off (Custody:Ship of a lot, as the supplier, to the logistics
// organisation) against a trivial PutState contract deployed next to
// trustline on the same 4-org BFT testnet, in the same run, through the
// same client path (fabric-gateway submit, then wait for the commit
// status): TRUSTLINE_BENCH_TXS transactions (default 300) each, from
// TRUSTLINE_BENCH_WORKERS goroutines (default 32). The phases alternate
// trivial, hand-off, trivial, hand-off, so that a drift of the machine's
// load shows; the ratio is hand-off over trivial, summed over both rounds.
// The lots shipped are created beforehand, untimed.
func BenchmarkWritePath(b *testing.B) {
	n := benchEnv("TRUSTLINE_BENCH_TXS", 300)
	workers := benchEnv("TRUSTLINE_BENCH_WORKERS", 32)
	testkit.Network(b)
	trivial := deployTrivial(b)
	supplier := testkit.Contract(b, testnet.Supplier)

	const gtin = "09506000134352"
	prod, _ := json.Marshal(ledger.ProductRequest{GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})
	if _, err := testkit.Contract(b, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(prod)); err != nil &&
		!strings.Contains(err.Error(), "already") {
		b.Fatalf("RegisterProduct: %v", err)
	}
	testkit.WaitForSync(b)
	// The trivial contract's first call starts its connections: warm both up.
	if err := submit(context.Background(), trivial, "put", "warm", "up"); err != nil {
		b.Fatalf("trivial contract: %v", err)
	}

	run0 := fmt.Sprintf("W%d", time.Now().UnixNano()%1e6)
	lot := func(round, i int) string { return fmt.Sprintf("%s-%d-%d", run0, round, i) }
	now := time.Now().UTC()
	setup := run(2*n, workers, func(ctx context.Context, i int) error {
		batch, _ := json.Marshal(ledger.BatchRequest{
			GTIN: gtin, Lot: lot(i/n, i%n), Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Producer: "9506000134352",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 52.1, Longitude: 4.3}, Address: &ledger.Address{City: "Delft", Country: "NL"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		})
		return submit(ctx, supplier, "Batch:CreateBatch", string(batch))
	})
	b.Logf("setup: %d lots: %s", 2*n, setup)
	if setup.failed > 0 {
		b.Fatalf("%d lots not created", setup.failed)
	}
	testkit.WaitForSync(b)

	value := strings.Repeat("x", 100)
	var triv, hand [2]phase
	for round := range 2 {
		triv[round] = run(n, workers, func(ctx context.Context, i int) error {
			return submit(ctx, trivial, "put", fmt.Sprintf("%s-%d-%d", run0, round, i), value)
		})
		b.Logf("round %d trivial PutState: %s", round, triv[round])
		hand[round] = run(n, workers, func(ctx context.Context, i int) error {
			ship, _ := json.Marshal(ledger.ShipRequest{Lot: "https://id.gs1.org/01/" + gtin + "/10/" + lot(round, i),
				To: testnet.MSPID(testnet.Logistics), Destination: "https://id.gs1.org/414/9506000134383"})
			return submit(ctx, supplier, "Custody:Ship", string(ship))
		})
		b.Logf("round %d hand-off (Custody:Ship): %s", round, hand[round])
	}
	sum := func(ps [2]phase) phase {
		return phase{ok: ps[0].ok + ps[1].ok, failed: ps[0].failed + ps[1].failed, elapsed: ps[0].elapsed + ps[1].elapsed}
	}
	t, h := sum(triv), sum(hand)
	if h.failed > 0 || t.failed > 0 {
		// Under load the gateway reports some submits failed that BFT
		// orderers had already taken ("request already processed"): they
		// count as not committed, for both contracts alike.
		b.Logf("failed transactions: hand-off %d, trivial %d", h.failed, t.failed)
	}
	b.Logf("hand-off/trivial committed tx/s: %.2f (%.1f / %.1f tx/s)", h.rate()/t.rate(), h.rate(), t.rate())
	b.ReportMetric(h.rate(), "handoff-tx/s")
	b.ReportMetric(t.rate(), "trivial-tx/s")
	b.ReportMetric(h.rate()/t.rate(), "handoff/trivial")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRebuildFromPeer measures a member catching up from block 0 on
// the real testnet: its whole ledger (run it after BenchmarkWritePath for
// a ledger of thousands of transactions) delivered by the supplier's peer
// to a no-op consumer ("deliver": the peer's raw block delivery alone),
// then followed into a fresh on-disk index as a node does (synced
// commits), then delivered again; the ratio is the rebuild's rate over
// the mean of the two deliveries.
func BenchmarkRebuildFromPeer(b *testing.B) {
	testkit.Network(b)
	nw := testkit.Gateway(b, testnet.Supplier).GetNetwork(testnet.ChannelName)
	src := follower.Gateway{Network: nw}
	ctx := context.Background()
	height, err := src.Height(ctx)
	if err != nil {
		b.Fatal(err)
	}
	deliver := func() time.Duration {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		t0 := time.Now()
		blocks, err := nw.BlockEvents(ctx, client.WithStartBlock(0))
		if err != nil {
			b.Fatal(err)
		}
		for blk := range blocks {
			if blk.GetHeader().GetNumber()+1 >= height {
				return time.Since(t0)
			}
		}
		b.Fatal("block stream ended early")
		return 0
	}
	d1 := deliver()
	b.Logf("deliver: %d blocks in %.2fs, load %s", height, d1.Seconds(), loadAvg())
	idx, err := index.Open(filepath.Join(b.TempDir(), "index"), nil)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	f := follower.New(src, idx, &follower.Options{StopAt: height, Logger: slog.New(slog.DiscardHandler)})
	if err := f.Run(ctx); err != nil {
		b.Fatal(err)
	}
	rebuild := time.Since(t0)
	events := idx.Checkpoint().Events
	idx.Close()
	b.Logf("rebuild: %d blocks, %d events in %.2fs, load %s", height, events, rebuild.Seconds(), loadAvg())
	d2 := deliver()
	b.Logf("deliver again: %.2fs, load %s", d2.Seconds(), loadAvg())
	mean := (d1 + d2) / 2
	rate := func(d time.Duration) float64 { return float64(events) / d.Seconds() }
	b.Logf("events/s: rebuild %.0f, delivery alone %.0f: %.2fx", rate(rebuild), rate(mean), mean.Seconds()/rebuild.Seconds())
	b.ReportMetric(rate(rebuild), "rebuild-events/s")
	b.ReportMetric(rate(mean), "deliver-events/s")
	b.ReportMetric(float64(height)/rebuild.Seconds(), "rebuild-blocks/s")
	b.ReportMetric(float64(height)/mean.Seconds(), "deliver-blocks/s")
	b.ReportMetric(mean.Seconds()/rebuild.Seconds(), "rebuild/deliver")
	b.ReportMetric(0, "ns/op")
}
