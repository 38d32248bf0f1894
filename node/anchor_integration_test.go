package node_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// devChain is the testnet's geth --dev with a freshly deployed Anchor
// contract and a funded key, for a node's anchoring section.
type devChain struct {
	eth         *ethclient.Client
	key         *ecdsa.PrivateKey
	contract    common.Address
	deployBlock uint64
	keyFile     string // the key in hex, as anchoring.keyFile reads it
	first       uint64 // the next Fabric block: anchor only the test's own
}

func newDevChain(ctx context.Context, t *testing.T, n *testnet.Network) devChain {
	t.Helper()
	rc, err := rpc.DialContext(ctx, n.GethURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	dc := devChain{eth: ethclient.NewClient(rc)}
	dc.key, _ = crypto.GenerateKey()
	if err := n.Fund(ctx, crypto.PubkeyToAddress(dc.key.PublicKey).Hex(), big.NewInt(params.Ether)); err != nil {
		t.Fatal(err)
	}
	if dc.deployBlock, err = dc.eth.BlockNumber(ctx); err != nil {
		t.Fatal(err)
	}
	if dc.contract, err = ethanchor.Deploy(ctx, dc.eth, dc.key); err != nil {
		t.Fatal(err)
	}
	dc.keyFile = filepath.Join(t.TempDir(), "key.hex")
	if err := os.WriteFile(dc.keyFile, []byte(hex.EncodeToString(crypto.FromECDSA(dc.key))), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := n.ChainInfo(ctx, testnet.Supplier)
	if err != nil {
		t.Fatal(err)
	}
	dc.first = info.GetHeight()
	return dc
}

// mustVerify verifies r with opts and fails the test, naming every failed
// event, record and claim, unless all verify.
func mustVerify(ctx context.Context, t *testing.T, r *receipt.Receipt, opts receipt.Options, what string) *receipt.Report {
	t.Helper()
	rep, err := receipt.Verify(ctx, r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		for _, v := range append(rep.Verdicts, rep.Records...) {
			if !v.OK() {
				t.Errorf("%s%s: %v", v.EventID, v.RecordID, v.Failures)
			}
		}
		for _, c := range rep.Claims {
			if !c.OK() {
				t.Errorf("claim %s: %v", c.Wording, c.Failures)
			}
		}
		for _, l := range rep.Lots {
			if !l.OK() {
				t.Errorf("lot %s: %v", l.Lot, l.Failures)
			}
		}
		if len(rep.Subject) > 0 {
			t.Errorf("subject: %v", rep.Subject)
		}
		t.Fatalf("%s (online %v) does not verify", what, opts.Backend != nil)
	}
	return rep
}

// TestIntegrationNodeAnchorsAndServesReceipts runs a node with anchoring
// on the real testnet and its geth --dev: a lot's events are anchored by
// the node's own loop, its ?format=receipt verifies online, and flipping a
// byte of an event, a path or an anchor reference makes Verify fail naming
// that part.
func TestIntegrationNodeAnchorsAndServesReceipts(t *testing.T) {
	n := testkit.Network(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	dc := newDevChain(ctx, t, n)
	eth, contract, deployBlock, keyFile, first := dc.eth, dc.contract, dc.deployBlock, dc.keyFile, dc.first

	// A lot with two events (commissioning, shipping) among others.
	body := fmt.Sprintf("09%011d", time.Now().UnixNano()/1000%1e11)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	gtin := body + strconv.Itoa(d)
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	testkit.Submit(t, testnet.Brand, "Product:RegisterProduct", mustJSON(t, ledger.ProductRequest{
		GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30}))
	now := time.Now().UTC()
	var lot ledger.LotSummary
	for i := range 3 {
		res, _ := testkit.Submit(t, testnet.Supplier, "Batch:CreateBatch", mustJSON(t, ledger.BatchRequest{
			GTIN: gtin, Lot: fmt.Sprintf("%s-%d", run, i), Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}, Producer: "9506000134376",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 41.9, Longitude: 12.5}, Address: &ledger.Address{City: "Roma", Country: "IT"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		}))
		if i == 0 {
			if err := json.Unmarshal(res, &lot); err != nil {
				t.Fatal(err)
			}
		}
	}
	testkit.Submit(t, testnet.Supplier, "Custody:Ship", mustJSON(t, ledger.ShipRequest{
		Lot: lot.ID, To: testnet.MSPID(testnet.Logistics), Destination: "https://id.gs1.org/414/9506000134383"}))
	// The brand recalls it: the receipt must show the recall, or fail.
	testkit.Submit(t, testnet.Brand, "Product:Recall", lot.ID, "Listeria monocytogenes", ledger.RecallClassI)

	p, err := n.ClientConfig(testnet.Supplier, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p, Anchoring: &node.AnchoringConfig{
		Enabled: true, RPCURL: n.GethURL(), Contract: contract.Hex(), DeployBlock: deployBlock,
		KeyFile: keyFile, Blocks: 2, Interval: "1s", FirstBlock: first,
	}}
	nd, err := node.Open(ctx, cfg, &node.Options{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Follower: &follower.Options{HeightInterval: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	go func() { done <- nd.Run(rctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	url := "http://" + nd.Addr().String() + "/01/" + gtin + "/10/" + lot.Lot + "?format=receipt"
	var data []byte
	t0 := time.Now()
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		data, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusNotFound || ctx.Err() != nil {
			t.Fatalf("GET receipt: %d %s", resp.StatusCode, data)
		}
		time.Sleep(500 * time.Millisecond)
	}
	r, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("receipt after %s: %d events in %d windows, %d bytes", time.Since(t0).Round(time.Millisecond), len(r.Events), len(r.Windows), len(data))
	if len(r.Events) < 3 {
		t.Errorf("receipt of %d events, want the lot's 3", len(r.Events))
	}
	vopts := receipt.Options{Backend: eth, Anchor: ethanchor.Options{PollInterval: 200 * time.Millisecond}}
	rep, err := receipt.Verify(ctx, r, vopts)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range append(rep.Verdicts, rep.Records...) {
		if !v.OK() || !v.OnChain || !v.Bound {
			t.Errorf("%s%s: on chain %v, bound %v, %v", v.EventID, v.RecordID, v.OnChain, v.Bound, v.Failures)
		}
	}
	// Complete: the lot's record (created, shipped, recalled) commits to
	// its three events, and the receipt shows them all.
	if !rep.OK() || r.Version != receipt.Version || len(rep.Lots) != 1 || !rep.Lots[0].OK() || !rep.Lots[0].Chained || rep.Lots[0].Events != 3 {
		t.Errorf("version %d receipt, OK %v, lots %+v: want version %d, lot complete with 3 events", r.Version, rep.OK(), rep.Lots, receipt.Version)
	}
	// Fresh (format 4): the anchored state of the newest window names the
	// lot record shown as the lot's latest.
	if st := rep.State; st == nil || !st.OK() || !slices.Contains(st.Fresh, lot.ID) || st.Block != rep.Currency.Block {
		t.Errorf("state verdict %+v, want lot %s proven the latest as of block %d", st, lot.ID, rep.Currency.Block)
	}

	for _, tc := range []struct {
		name   string
		tamper func(r *receipt.Receipt)
		want   receipt.Part
	}{
		{"event byte", func(r *receipt.Receipt) {
			i := strings.Index(string(r.Events[0].Event), `"bizStep":"`) + len(`"bizStep":"`)
			r.Events[0].Event[i] ^= 1
		}, receipt.PartEvent},
		{"path byte", func(r *receipt.Receipt) {
			if len(r.Events[0].Path) == 0 { // the window's only event
				r.Events[0].Path = append(r.Events[0].Path, common.Hash{})
				return
			}
			r.Events[0].Path[0][9] ^= 1
		}, receipt.PartPath},
		{"anchor tx hash byte", func(r *receipt.Receipt) { r.Windows[r.Events[0].Window].Anchors[0].TxHash[5] ^= 1 }, receipt.PartAnchor},
		{"anchor block byte", func(r *receipt.Receipt) { r.Windows[r.Events[0].Window].Anchors[0].BlockHash[0] ^= 1 }, receipt.PartAnchor},
		{"txId swapped", func(r *receipt.Receipt) { r.Events[0].TxID = r.Events[1].TxID }, receipt.PartPath},
		{"certificationInfo added", func(r *receipt.Receipt) {
			r.Events[0].Event = append(r.Events[0].Event[:len(r.Events[0].Event)-1:len(r.Events[0].Event)-1], []byte(`,"certificationInfo":"https://forged.example/cert.pdf"}`)...)
		}, receipt.PartPath},
		{"state root changed", func(r *receipt.Receipt) { r.State.Root[2] ^= 1 }, receipt.PartState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := receipt.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(tr)
			rep, err := receipt.Verify(ctx, tr, vopts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == receipt.PartState {
				if rep.OK() || rep.State.OK() || !strings.Contains(rep.State.Failures[0].Error(), "anchored root does not commit to state root") {
					t.Errorf("state failures %v", rep.State.Failures)
				}
				return
			}
			v := rep.Verdicts[0]
			// A changed event is also a changed leaf (bound to the
			// content): it fails its path too.
			n := 1
			if tc.name == "event byte" {
				n = 2
			}
			if rep.OK() || !v.Failed(tc.want) || len(v.Failures) != n {
				t.Errorf("failures %v, want %d, of part %s", v.Failures, n, tc.want)
			}
		})
	}
	t.Run("recall removed", func(t *testing.T) {
		tr, err := receipt.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		tr.Events = slices.DeleteFunc(tr.Events, func(e receipt.Event) bool { return strings.Contains(string(e.Event), `"recalled"`) })
		rep, err := receipt.Verify(ctx, tr, vopts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || len(rep.Lots) != 1 || rep.Lots[0].OK() || !strings.Contains(rep.Lots[0].Failures[0].Error(), "2 of 3 events shown; missing its recall event") {
			t.Errorf("receipt without its recall: OK %v, lots %+v", rep.OK(), rep.Lots)
		}
	})

	// Current until a further event of the lot is anchored: then the older
	// receipt is reported as not current, and a new one shows the event.
	if c := rep.Currency; !c.Current() || c.Time == nil {
		t.Errorf("fresh receipt: currency %+v, want current with its anchor's time", c)
	}
	testkit.Submit(t, testnet.Logistics, "Custody:Receive", mustJSON(t, ledger.ReceiveRequest{Lot: lot.ID}))
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if nr, err := receipt.Parse(fresh); resp.StatusCode == http.StatusOK && err == nil && len(nr.Events) > len(r.Events) {
			nrep := mustVerify(ctx, t, nr, vopts, "receipt after the receive")
			if !nrep.Currency.Current() || len(nrep.Lots) != 1 || nrep.Lots[0].Events != 4 || !nrep.State.OK() || !slices.Contains(nrep.State.Fresh, lot.ID) {
				t.Errorf("new receipt: currency %+v, lots %+v, state %+v: want current, 4 events, the record proven the latest", nrep.Currency, nrep.Lots, nrep.State)
			}
			// Stale, offline: the older receipt's lot record and events
			// (complete as of that record) under the newer window's state.
			stale := staleReceipt(t, nr, r)
			srep, err := receipt.Verify(ctx, stale, receipt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if srep.OK() || srep.State.OK() || !strings.Contains(srep.State.Failures[0].Error(), "is stale: as of ledger block") || !srep.Lots[0].OK() {
				t.Errorf("older record under the newer state, offline: OK %v, lots %+v, state %+v: want complete but stale", srep.OK(), srep.Lots, srep.State)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no receipt with the received event: %d %s", resp.StatusCode, fresh)
		}
		time.Sleep(500 * time.Millisecond)
	}
	old, err := receipt.Verify(ctx, r, vopts)
	if err != nil {
		t.Fatal(err)
	}
	if c := old.Currency; c.Current() || len(c.Newer) == 0 {
		t.Errorf("older receipt after a later anchor: currency %+v, want not current", c)
	}
}

// staleReceipt is newer with older's events and lot record (the lot as it
// was) in place of its own: what a node hiding the latest event would
// serve, keeping the newer window's state.
func staleReceipt(t *testing.T, newer, older *receipt.Receipt) *receipt.Receipt {
	t.Helper()
	data, _ := newer.Marshal()
	s, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	windowOf := func(i int) int { // older's window i in s, added if missing
		w := older.Windows[i]
		for j, sw := range s.Windows {
			if sw.FromBlock == w.FromBlock && sw.Root == w.Root {
				return j
			}
		}
		s.Windows = append(s.Windows, w)
		return len(s.Windows) - 1
	}
	s.Events = nil
	for _, e := range older.Events {
		e.Window = windowOf(e.Window)
		s.Events = append(s.Events, e)
	}
	s.Records = nil
	for _, rec := range older.Records {
		rec.Window = windowOf(rec.Window)
		s.Records = append(s.Records, rec)
	}
	return s
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
