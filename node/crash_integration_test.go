package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// buildTrustline compiles cmd/trustline into a temporary directory.
func buildTrustline(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trustline")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/trustline/trustline/cmd/trustline").CombinedOutput(); err != nil {
		t.Fatalf("building trustline: %v\n%s", err, out)
	}
	return bin
}

// indexResult is `trustline index … -o json`.
type indexResult struct {
	Blocks       uint64  `json:"blocks"`
	Events       uint64  `json:"events"`
	Digest       string  `json:"digest"`
	EventsPerSec float64 `json:"eventsPerSec"`
	LiveDigest   string  `json:"liveDigest"`
	LiveEvents   uint64  `json:"liveEvents"`
	Match        *bool   `json:"match"`
}

func runIndexCmd(t *testing.T, bin string, args ...string) (indexResult, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, append(append([]string{"index"}, args...), "-o", "json")...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var r indexResult
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil && err == nil {
		err = fmt.Errorf("decoding %q: %w", out.String(), jerr)
	}
	if err != nil {
		err = fmt.Errorf("trustline index %s: %w\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return r, err
}

// load submits transactions from several goroutines as the supplier (lots
// and readings) and the brand (units) until stop, and counts the ones that
// committed as valid. Readings and units of one lot race on purpose: the
// loser of each race is an invalid transaction the node must skip.
type load struct {
	gtin, run string
	valid     atomic.Uint64
	invalid   atomic.Uint64
	failed    atomic.Uint64
	mu        sync.Mutex
	lots      []string
	ambiguous []string // submitted, outcome unknown
}

func (l *load) unsure(txID string) {
	l.mu.Lock()
	l.ambiguous = append(l.ambiguous, txID)
	l.mu.Unlock()
}

// settle asks the ledger about the transactions whose outcome the client
// did not learn, and counts the valid ones.
func (l *load) settle(t *testing.T) {
	qscc := testkit.Gateway(t, testnet.Supplier).GetNetwork(testnet.ChannelName).GetContract("qscc")
	for _, id := range l.ambiguous {
		b, err := qscc.Evaluate("GetTransactionByID", client.WithArguments(testnet.ChannelName, id))
		if err != nil {
			l.failed.Add(1) // not on the ledger
			continue
		}
		var pt peer.ProcessedTransaction
		if err := proto.Unmarshal(b, &pt); err != nil {
			t.Fatalf("transaction %s: %v", id, err)
		}
		if pt.GetValidationCode() == int32(peer.TxValidationCode_VALID) {
			l.valid.Add(1)
		} else {
			l.invalid.Add(1)
		}
	}
}

func (l *load) submit(c *client.Contract, name string, args ...string) bool {
	// Never cancelled: a transaction given up on might still commit, and
	// the count of valid ones must be exact.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, commit, err := c.SubmitAsyncWithContext(ctx, name, client.WithArguments(args...))
	var endorse *client.EndorseError
	var txErr *client.TransactionError
	switch {
	case errors.As(err, &endorse):
		l.failed.Add(1) // never reached the orderer
		return false
	case errors.As(err, &txErr):
		l.unsure(txErr.TransactionID)
		return false
	case err != nil:
		l.failed.Add(1)
		return false
	}
	st, err := commit.StatusWithContext(ctx)
	switch {
	case err != nil:
		l.unsure(commit.TransactionID())
		return false
	case !st.Successful:
		l.invalid.Add(1)
		return false
	}
	l.valid.Add(1)
	return true
}

func (l *load) worker(stop *atomic.Bool, id int, supplier, brand *client.Contract) {
	temp := 4.0
	for i := 0; !stop.Load(); i++ {
		lot := fmt.Sprintf("K%s-%d-%d", l.run, id, i)
		now := time.Now().UTC()
		batch, _ := json.Marshal(ledger.BatchRequest{
			GTIN: l.gtin, Lot: lot, Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Producer: "9506000134352",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 52.1, Longitude: 4.3}, Address: &ledger.Address{City: "Delft", Country: "NL"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		})
		if !l.submit(supplier, "Batch:CreateBatch", string(batch)) {
			continue
		}
		link := "https://id.gs1.org/01/" + l.gtin + "/10/" + lot
		l.mu.Lock()
		l.lots = append(l.lots, lot)
		l.mu.Unlock()
		var wg sync.WaitGroup
		for j := range 2 {
			wg.Go(func() {
				r, _ := json.Marshal(ledger.ReadingsRequest{Lot: link, Readings: []ledger.Reading{
					{Time: time.Now().UTC().Format(time.RFC3339), Device: fmt.Sprintf("probe-%d", j), TemperatureC: &temp}}})
				l.submit(supplier, "Custody:RecordReadings", string(r))
			})
		}
		wg.Go(func() {
			l.submit(brand, "Product:CommissionUnits", link, fmt.Sprintf(`["%s-1","%s-2"]`, lot, lot))
		})
		wg.Wait()
	}
}

// node is a `trustline node start` child process, killed and restarted.
type nodeProc struct {
	t                 *testing.T
	bin, netDir, data string
	// config, when set, is the node's configuration file (instead of the
	// testnet's supplier profile with netDir and data).
	config          string
	args            []string // added to node start's
	listen, logPath string
	cmd             *exec.Cmd
	starts          int
}

func (p *nodeProc) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	args := []string{"node", "start", "--testnet-org", testnet.Supplier, "--testnet-dir", p.netDir, "--data-dir", p.data, "--listen", p.listen}
	if p.config != "" {
		args = []string{"node", "start", "--config", p.config}
	}
	p.cmd = exec.Command(p.bin, append(args, p.args...)...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	logf.Close()
	p.starts++
}

func (p *nodeProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

func (p *nodeProc) health() (api.Health, error) {
	var h api.Health
	resp, err := http.Get("http://" + p.listen + "/healthz")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// The node is killed with SIGKILL at random instants, at least 20 times,
// while thousands of transactions are committed; after the last restart
// it catches up, and its index equals a fresh rebuild exactly: same
// digest, same number of events, every submitted lot present.
func TestIntegrationCrashKillNineDuringIngest(t *testing.T) {
	n := testkit.Network(t)
	bin := buildTrustline(t)
	ctx := context.Background()
	const gtin = "09506000134352"
	prod, _ := json.Marshal(ledger.ProductRequest{GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})
	if _, err := testkit.Contract(t, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(prod)); err != nil &&
		!strings.Contains(err.Error(), "already") {
		t.Fatalf("RegisterProduct: %v", err)
	}

	// What the ledger held before: every transaction after it is ours.
	base, err := runIndexCmd(t, bin, "rebuild", "--testnet-org", testnet.Supplier, "--testnet-dir", n.Dir(),
		"--data-dir", t.TempDir(), "--to", filepath.Join(t.TempDir(), "base"))
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	p := &nodeProc{t: t, bin: bin, netDir: n.Dir(), data: t.TempDir(), listen: listen, logPath: filepath.Join(t.TempDir(), "node.log")}
	p.start()

	const minKills, minEvents = 20, 2000
	l := &load{gtin: gtin, run: fmt.Sprintf("%d", time.Now().UnixNano()%1e6)}
	var stop atomic.Bool
	stopLoad := func() { stop.Store(true) }
	var workers sync.WaitGroup
	supplier, brand := testkit.Contract(t, testnet.Supplier), testkit.Contract(t, testnet.Brand)
	for w := range 48 {
		workers.Go(func() { l.worker(&stop, w, supplier, brand) })
	}
	t0 := time.Now()
	kills := 0
	for kills < minKills || l.valid.Load() < minEvents {
		if time.Since(t0) > 6*time.Minute {
			stopLoad()
			workers.Wait()
			t.Fatalf("after %s: %d kills, %d valid transactions; load too slow", time.Since(t0), kills, l.valid.Load())
		}
		time.Sleep(time.Duration(100+rand.IntN(2400)) * time.Millisecond)
		p.signal(syscall.SIGKILL)
		kills++
		p.start()
	}
	stopLoad()
	workers.Wait()
	l.settle(t)
	t.Logf("load: %d valid, %d invalid (MVCC races), %d refused by endorsers in %s (%d outcomes settled by qscc); %d kills",
		l.valid.Load(), l.invalid.Load(), l.failed.Load(), time.Since(t0).Round(time.Second), len(l.ambiguous), kills)

	// One more kill after the load, then catch up to the final height.
	time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
	p.signal(syscall.SIGKILL)
	kills++
	p.start()
	height, err := heightOf(ctx, t)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h, err := p.health()
		if err == nil && h.Index.Indexed && h.Index.IndexBlock+1 >= height {
			break
		}
		if time.Now().After(deadline) {
			p.signal(syscall.SIGKILL)
			log, _ := os.ReadFile(p.logPath)
			t.Fatalf("node did not reach height %d: %+v, %v\n%s", height, h, err, tail(log, 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.signal(syscall.SIGTERM)

	v, err := runIndexCmd(t, bin, "verify", "--testnet-org", testnet.Supplier, "--testnet-dir", n.Dir(), "--data-dir", p.data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after %d kills: index %s (%d events), rebuild %s (%d events to block %d, %.0f events/s)",
		kills, v.LiveDigest, v.LiveEvents, v.Digest, v.Events, v.Blocks-1, v.EventsPerSec)
	if v.Match == nil || !*v.Match || v.LiveDigest != v.Digest {
		t.Errorf("index differs from a fresh rebuild: %+v", v)
	}
	if want := base.Events + l.valid.Load(); v.LiveEvents != want || v.Events != want {
		t.Errorf("events: index %d, rebuild %d, want %d before + %d submitted = %d",
			v.LiveEvents, v.Events, base.Events, l.valid.Load(), want)
	}
	if v.Blocks < height {
		t.Errorf("verified to block %d, ledger height %d", v.Blocks, height)
	}

	idx, err := index.Open(filepath.Join(p.data, "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	missing := 0
	for _, lot := range l.lots {
		if _, err := idx.Lot(gtin, lot); err != nil {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d submitted lots missing from the index", missing, len(l.lots))
	}
}

func heightOf(ctx context.Context, t *testing.T) (uint64, error) {
	net := testkit.Gateway(t, testnet.Supplier).GetNetwork(testnet.ChannelName)
	return follower.Gateway{Network: net}.Height(ctx)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
