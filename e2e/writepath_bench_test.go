package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// startTrivial builds the baseline contract (testnet/trivialcc), deploys
// it on the testnet as the service "trivial" and runs it as its own
// process, as the testnet runs trustline's chaincode servers; it returns
// the contract as the supplier and the server's pid. The server dies with
// this process.
func startTrivial(b *testing.B, n *testnet.Network) (*client.Contract, int) {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "trivialcc")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/trustline/trustline/testnet/trivialcc").CombinedOutput(); err != nil {
		b.Fatalf("building trivialcc: %v\n%s", err, out)
	}
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
	logf, err := os.Create(filepath.Join(n.Dir(), "logs", "trivialcc.log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CHAINCODE_ID="+id, "CHAINCODE_SERVER_ADDRESS="+addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("trivialcc does not listen on %s: %v", addr, err)
		}
	}
	return testkit.Gateway(b, testnet.Supplier).GetNetwork(testnet.ChannelName).GetContract("trivial"), cmd.Process.Pid
}

// cpuTimes is the CPU time (user and system) each kind of process has
// used: "peer", "orderer", "chaincode" (trustline's servers), "trivialcc",
// "geth", and "client" (this process).
type cpuTimes map[string]time.Duration

// procCPU reads a process's user and system time from /proc (ok false if
// it is gone).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture Go runs on here.
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// sampleCPU reads the CPU times of the testnet's processes (from its pid
// files), of the trivial contract's server and of this process.
func sampleCPU(n *testnet.Network, trivialPID int) cpuTimes {
	out := cpuTimes{}
	add := func(kind string, pid int) {
		if d, ok := procCPU(pid); ok {
			out[kind] += d
		}
	}
	files, _ := filepath.Glob(filepath.Join(n.Dir(), "run", "*.pid"))
	for _, f := range files {
		var rec struct{ PID int }
		if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &rec) == nil && rec.PID > 0 {
			kind, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".pid"), ".")
			add(kind, rec.PID)
		}
	}
	add("trivialcc", trivialPID)
	add("client", os.Getpid())
	return out
}

func (c cpuTimes) sub(o cpuTimes) cpuTimes {
	d := cpuTimes{}
	for k, v := range c {
		d[k] = v - o[k]
	}
	return d
}

func (c cpuTimes) add(o cpuTimes) {
	for k, v := range o {
		c[k] += v
	}
}

// perTx is c as milliseconds of CPU per committed transaction, largest
// first: "peer 9.1, orderer 4.0, ...".
func (c cpuTimes) perTx(txs int64) string {
	kinds := make([]string, 0, len(c))
	var total time.Duration
	for k, v := range c {
		if v > 0 {
			kinds = append(kinds, k)
		}
		total += v
	}
	sort.Slice(kinds, func(i, j int) bool { return c[kinds[i]] > c[kinds[j]] })
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(max(txs, 1)) }
	parts := []string{fmt.Sprintf("total %.2f", ms(total))}
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, ms(c[k])))
	}
	return strings.Join(parts, ", ")
}

// profiler fetches Go CPU profiles from pprof listeners back to back (2 s
// each) while a phase runs, into dir as <label>-<process>-<k>.pprof: go
// tool pprof merges the files of one process given together.
type profiler struct {
	dir   string
	procs map[string]string // process name to its listener address
}

// during runs f while profiling the processes; label names the files.
func (p *profiler) during(label string, f func()) {
	if p == nil || len(p.procs) == 0 {
		f()
		return
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for name, addr := range p.procs {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-done:
					return
				default:
				}
				resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=2")
				if err != nil {
					fmt.Fprintln(os.Stderr, "profile of", name, err)
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == http.StatusOK {
					os.WriteFile(filepath.Join(p.dir, fmt.Sprintf("%s-%s-%02d.pprof", label, name, k)), b, 0o644)
				}
			}
		})
	}
	f()
	close(done)
	wg.Wait()
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

// benchList reads a comma-separated list of positive numbers from the
// environment variable name, def when unset or invalid.
func benchList(name string, def []int) []int {
	var out []int
	for _, f := range strings.Split(os.Getenv(name), ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return def
		}
		out = append(out, v)
	}
	return out
}

// BenchmarkWritePath measures committed transactions per second of the
// real hand-off against a trivial contract on the same 4-org BFT testnet,
// in the same run:
//
//   - trivial: testnet/trivialcc's put (one PutState of a value as long as
//     the hand-off's request), through fabric-gateway: submit, then the
//     commit status;
//   - hand-off: Custody:Ship of a lot with four cold-chain readings, as the
//     supplier to the logistics organisation, through trustline's client
//     library (Client.Ship: endorse, submit, commit status, with its
//     retries);
//   - hand-off+sync: the same as the CLI sends it: the client also waits
//     until every member's peer has the block (WithPeerSync(AllMembers)).
//
// Committed means the commit status was received (valid). For each client
// concurrency of TRUSTLINE_BENCH_WORKERS (default 1,8,32 transactions in
// flight) a phase submits TRUSTLINE_BENCH_TXS transactions (default ten
// per worker, at least 24); the phases alternate over two rounds, so that a
// drift of the machine's load shows, and the ratios are over both rounds.
// Each phase's CPU time per transaction is read from /proc for every kind
// of process (peers, orderers, chaincode servers, this client). The lots
// shipped are created beforehand, untimed.
//
// Profiles: start the test with TRUSTLINE_TESTNET_PPROF=1 and
// TRUSTLINE_BENCH_PROFILE_DIR=DIR, and the CPU profiles of the supplier's
// peer and of every chaincode server during the phases at the highest
// concurrency are written to DIR (go tool pprof -top DIR/handoff-r1-chaincode.*).
func BenchmarkWritePath(b *testing.B) {
	// Lines go to stderr as they come: the testing package truncates a
	// benchmark's long log.
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "BenchmarkWritePath: "+format+"\n", args...) }
	workers := benchList("TRUSTLINE_BENCH_WORKERS", []int{1, 8, 32})
	txs := func(w int) int { return benchEnv("TRUSTLINE_BENCH_TXS", max(24, 10*w)) }
	n := testkit.Network(b)
	trivial, trivialPID := startTrivial(b, n)
	ctx := context.Background()
	cfg, err := n.ClientConfig(testnet.Supplier, false)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := tlclient.Connect(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	synced, err := tlclient.Connect(ctx, cfg, tlclient.WithPeerSync(tlclient.AllMembers))
	if err != nil {
		b.Fatal(err)
	}
	defer synced.Close()
	var prof *profiler
	if dir := os.Getenv("TRUSTLINE_BENCH_PROFILE_DIR"); dir != "" {
		prof = &profiler{dir: dir, procs: map[string]string{}}
		for _, name := range []string{"peer." + testnet.Supplier, "chaincode.brand", "chaincode.supplier", "chaincode.lab", "chaincode.logistics"} {
			if a := n.PprofAddress(name); a != "" {
				prof.procs[name] = a
			}
		}
		if len(prof.procs) == 0 {
			logf("no profiles: the testnet was not started with %s=1", testnet.EnvPprof)
		}
	}

	const gtin = "09506000134352"
	if _, err := testkit.Contract(b, testnet.Brand).SubmitTransaction("Product:RegisterProduct", mustJSON(b, ledger.ProductRequest{
		GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})); err != nil &&
		!strings.Contains(err.Error(), "already") {
		b.Fatalf("RegisterProduct: %v", err)
	}
	testkit.WaitForSync(b)
	// The trivial contract's first call starts its connections: warm both up.
	if err := submit(ctx, trivial, "put", "warm", "up"); err != nil {
		b.Fatalf("trivial contract: %v", err)
	}

	variants := []string{"trivial", "hand-off", "hand-off+sync"}
	const rounds = 2
	need := 0
	for _, w := range workers {
		need += 2 * rounds * txs(w)
	}
	run0 := fmt.Sprintf("W%d", time.Now().UnixNano()%1e6)
	var mu sync.Mutex
	var lots []string
	now := time.Now().UTC()
	// A few more than needed: under load a BFT submit now and then fails
	// ("insufficient number of orderers"), and its lot is left out.
	setup := run(need+need/20, 32, func(ctx context.Context, i int) error {
		lot := fmt.Sprintf("%s-%d", run0, i)
		_, err := plain.CreateBatch(ctx, ledger.BatchRequest{
			GTIN: gtin, Lot: lot, Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Producer: "9506000134352",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 52.1, Longitude: 4.3}, Address: &ledger.Address{City: "Delft", Country: "NL"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		})
		if err == nil {
			mu.Lock()
			lots = append(lots, lot)
			mu.Unlock()
		}
		return err
	})
	logf("setup: %s", setup)
	if len(lots) < need {
		b.Fatalf("%d lots created, %d needed", len(lots), need)
	}
	testkit.WaitForSync(b)

	var nextLot atomic.Int64
	ship := func(i int) ledger.ShipRequest {
		lot := lots[nextLot.Add(1)-1]
		t := time.Now().UTC()
		req := ledger.ShipRequest{Lot: "https://id.gs1.org/01/" + gtin + "/10/" + lot,
			To: testnet.MSPID(testnet.Logistics), Destination: "https://id.gs1.org/414/9506000134383"}
		for k := range 4 {
			temp, hum := 3.5+float64(k)/4, 80.0
			req.Readings = append(req.Readings, ledger.Reading{Time: t.Add(time.Duration(k-4) * 15 * time.Minute).Format(time.RFC3339),
				Device: "urn:epc:id:giai:9506000134352.logger7", TemperatureC: &temp, HumidityPct: &hum})
		}
		return req
	}
	// The trivial contract's value is as long as the hand-off's request.
	value := strings.Repeat("x", len(mustJSON(b, ship(0))))
	nextLot.Store(0)
	tx := map[string]func(ctx context.Context, i int) error{
		"trivial": func(ctx context.Context, i int) error {
			return submit(ctx, trivial, "put", fmt.Sprintf("%s-%d", run0, rand.Int64()), value)
		},
		"hand-off": func(ctx context.Context, i int) error {
			_, err := plain.Ship(ctx, ship(i))
			return err
		},
		"hand-off+sync": func(ctx context.Context, i int) error {
			_, err := synced.Ship(ctx, ship(i))
			return err
		},
	}

	type total struct {
		ok, failed int64
		elapsed    time.Duration
		cpu        cpuTimes
	}
	totals := map[string]map[int]*total{}
	for _, v := range variants {
		totals[v] = map[int]*total{}
		for _, w := range workers {
			totals[v][w] = &total{cpu: cpuTimes{}}
		}
	}
	logf("payload %d bytes; load %s at start", len(value), loadAvg())
	sizes := map[string]string{}
	for round := range rounds {
		for _, w := range workers {
			for _, v := range variants {
				var p phase
				var from uint64
				measure := round == 0 && w == workers[len(workers)-1] && v != "hand-off+sync"
				if measure {
					if from, err = plain.LedgerHeight(ctx, testnet.MSPID(testnet.Supplier)); err != nil {
						b.Fatal(err)
					}
				}
				before := sampleCPU(n, trivialPID)
				label := fmt.Sprintf("%s-r%d", strings.ReplaceAll(v, "+", "-"), round)
				profile := prof
				if w != workers[len(workers)-1] {
					profile = nil
				}
				profile.during(label, func() { p = run(txs(w), w, tx[v]) })
				cpu := sampleCPU(n, trivialPID).sub(before)
				logf("round %d, %2d in flight, %-13s %s; CPU ms/tx: %s", round, w, v, p, cpu.perTx(p.ok))
				if measure {
					to, err := plain.LedgerHeight(ctx, testnet.MSPID(testnet.Supplier))
					if err != nil {
						b.Fatal(err)
					}
					sizes[v] = txSizes(b, from, to)
				}
				t := totals[v][w]
				t.ok, t.failed, t.elapsed = t.ok+p.ok, t.failed+p.failed, t.elapsed+p.elapsed
				t.cpu.add(cpu)
			}
		}
	}
	rate := func(t *total) float64 { return float64(t.ok) / t.elapsed.Seconds() }
	for _, w := range workers {
		tr := totals["trivial"][w]
		for _, v := range variants {
			t := totals[v][w]
			logf("%2d in flight: %-13s %6.1f tx/s (%.2fx trivial), %d failed; CPU ms/tx: %s",
				w, v, rate(t), rate(t)/rate(tr), t.failed, t.cpu.perTx(t.ok))
			if v != "trivial" {
				b.ReportMetric(rate(t)/rate(tr), fmt.Sprintf("%s/trivial-%d", strings.ReplaceAll(v, "+", "-"), w))
			}
		}
		b.ReportMetric(rate(tr), fmt.Sprintf("trivial-tx/s-%d", w))
		b.ReportMetric(rate(totals["hand-off"][w]), fmt.Sprintf("handoff-tx/s-%d", w))
	}
	for _, v := range variants {
		if sizes[v] != "" {
			logf("transaction sizes, %s: %s", v, sizes[v])
		}
	}
	logf("load %s at the end", loadAvg())
	b.ReportMetric(0, "ns/op")
}

// txSizes describes the valid transactions of blocks from to to-1 by
// chaincode: how many, their mean envelope size as ordered and stored, and
// of it the mean chaincode event payload and read-write set.
func txSizes(b *testing.B, from, to uint64) string {
	if to <= from {
		return "no blocks"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	blocks, err := testkit.Gateway(b, testnet.Supplier).GetNetwork(testnet.ChannelName).BlockEvents(ctx, client.WithStartBlock(from))
	if err != nil {
		b.Fatal(err)
	}
	type sum struct{ n, env, event, rwset int }
	by := map[string]*sum{}
	for blk := range blocks {
		flags := blk.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		for i, data := range blk.GetData().GetData() {
			env, pl, ch, ext := &common.Envelope{}, &common.Payload{}, &common.ChannelHeader{}, &peer.ChaincodeHeaderExtension{}
			tx, act, prp, ca, ev := &peer.Transaction{}, &peer.ChaincodeActionPayload{}, &peer.ProposalResponsePayload{}, &peer.ChaincodeAction{}, &peer.ChaincodeEvent{}
			if i >= len(flags) || peer.TxValidationCode(flags[i]) != peer.TxValidationCode_VALID ||
				proto.Unmarshal(data, env) != nil || proto.Unmarshal(env.GetPayload(), pl) != nil ||
				proto.Unmarshal(pl.GetHeader().GetChannelHeader(), ch) != nil || proto.Unmarshal(ch.GetExtension(), ext) != nil ||
				proto.Unmarshal(pl.GetData(), tx) != nil || len(tx.GetActions()) == 0 || proto.Unmarshal(tx.GetActions()[0].GetPayload(), act) != nil ||
				proto.Unmarshal(act.GetAction().GetProposalResponsePayload(), prp) != nil || proto.Unmarshal(prp.GetExtension(), ca) != nil ||
				proto.Unmarshal(ca.GetEvents(), ev) != nil {
				continue
			}
			s := by[ext.GetChaincodeId().GetName()]
			if s == nil {
				s = &sum{}
				by[ext.GetChaincodeId().GetName()] = s
			}
			s.n++
			s.env += len(data)
			s.event += len(ev.GetPayload())
			s.rwset += len(ca.GetResults())
		}
		if blk.GetHeader().GetNumber()+1 >= to {
			break
		}
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		s := by[n]
		out = append(out, fmt.Sprintf("%s %d txs, %d B each (event %d B, read-write set %d B)", n, s.n, s.env/s.n, s.event/s.n, s.rwset/s.n))
	}
	return strings.Join(out, "; ")
}

func mustJSON(b *testing.B, v any) string {
	s, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return string(s)
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
