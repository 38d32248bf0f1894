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
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/demo"
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
// on the real testnet and its geth --dev, through the demo story (internal/demo):
// lot B's receipt (the recalled lot, with its claims' evidence and the
// ingredient lot's events) verifies complete and current online, also with
// `trustline verify --eth-rpc`; the same receipt without its recall event
// fails (exit 3, naming it), as does flipping a byte of an event, a path or
// an anchor reference, naming that part; and once a further event on the lot
// is anchored, the older receipt is reported as not current.
func TestIntegrationNodeAnchorsAndServesReceipts(t *testing.T) {
	n := testkit.Network(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	// Every block is anchored (no FirstBlock): the demo's products may be
	// registered by an earlier run on this network, and lot B's receipt
	// proves its product record too.
	dc := newDevChain(ctx, t, n)
	eth, contract, deployBlock, keyFile := dc.eth, dc.contract, dc.deployBlock, dc.keyFile

	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := demo.New(time.Now(), fmt.Sprintf("R%d", time.Now().UnixNano()%1e8), demo.KeySigner{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sc.Steps {
		if len(s.IfMissing) > 0 {
			res, err := testkit.Contract(t, s.Org).EvaluateTransaction(s.IfMissing[0], s.IfMissing[1:]...)
			if err == nil && (s.DoneWhen == "" || strings.Contains(string(res), s.DoneWhen)) {
				continue
			}
		}
		testkit.Submit(t, s.Org, s.Fn, s.Args...)
	}
	p, err := n.ClientConfig(testnet.Brand, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p, Anchoring: &node.AnchoringConfig{
		Enabled: true, RPCURL: n.GethURL(), Contract: contract.Hex(), DeployBlock: deployBlock,
		KeyFile: keyFile, Blocks: 2, Interval: "1s",
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

	receiptURL := func(lot string) string {
		l, err := digitallink.Parse(lot)
		if err != nil {
			t.Fatal(err)
		}
		return "http://" + nd.Addr().String() + "/01/" + l.GTIN + "/10/" + l.Lot + "?format=receipt"
	}
	url := receiptURL(sc.BreachedLot)
	get := func(url string) []byte { // a lot's receipt, once all its events are anchored
		for {
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return data
			}
			if resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusNotFound || ctx.Err() != nil {
				t.Fatalf("GET receipt: %d %s", resp.StatusCode, data)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	t0 := time.Now()
	data := get(url)
	r, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lot B receipt after %s: %d events, %d records, %d claims in %d windows, %d bytes",
		time.Since(t0).Round(time.Millisecond), len(r.Events), len(r.Records), len(r.Claims), len(r.Windows), len(data))
	vopts := receipt.Options{Backend: eth, Anchor: ethanchor.Options{PollInterval: 200 * time.Millisecond}}
	rep := mustVerify(ctx, t, r, vopts, "lot B's receipt")
	for _, v := range append(rep.Verdicts, rep.Records...) {
		if !v.OK() || !v.OnChain || !v.Bound {
			t.Errorf("%s%s: on chain %v, bound %v, %v", v.EventID, v.RecordID, v.OnChain, v.Bound, v.Failures)
		}
	}
	// Records are anchored by their RFC 8785 ids with the schema version.
	for _, rec := range r.Records {
		if !strings.HasSuffix(rec.RecordID, "&schema="+strconv.Itoa(ledger.RecordSchema)) {
			t.Errorf("%s record %s has no schema version", rec.Type, rec.RecordID)
		}
	}
	// Complete: lot B's record (made, shipped, received with the breach,
	// recalled) commits to its events, and the receipt shows them all.
	lotB := func(rep *receipt.Report) *receipt.LotVerdict {
		for i := range rep.Lots {
			if rep.Lots[i].Lot == sc.BreachedLot {
				return &rep.Lots[i]
			}
		}
		t.Fatalf("no verdict on lot B among %+v", rep.Lots)
		return nil
	}
	lv := lotB(rep)
	if r.Version != receipt.Version || !lv.OK() || !lv.Chained || lv.Events < 4 {
		t.Errorf("version %d receipt, lot B %+v: want version %d, lot B complete with its 4 or more events", r.Version, lv, receipt.Version)
	}
	events := lv.Events
	// Fresh (format 4): the anchored state of the newest window names the
	// lot record shown as the lot's latest.
	if st := rep.State; st == nil || !st.OK() || !slices.Contains(st.Fresh, sc.BreachedLot) || st.Block != rep.Currency.Block {
		t.Errorf("state verdict %+v, want lot B proven the latest as of block %d", st, rep.Currency.Block)
	}
	// The command says so, online.
	dir := t.TempDir()
	file := filepath.Join(dir, "lot-b.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := clitest.Run(t, "", "verify", file, "--eth-rpc", n.GethURL()); res.Code != 0 ||
		!strings.Contains(res.Stdout, fmt.Sprintf("✓ lot %s: all %d events shown, in ledger order", sc.BreachedLot, events)) ||
		!strings.Contains(res.Stdout, "complete as of ledger block") || !strings.Contains(res.Stdout, "✓ current: no window anchored after it") {
		t.Errorf("verify lot B --eth-rpc: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}

	// The events of the receipt recorded by another transaction than the
	// first's, for swapping txIds.
	other := 1
	for other < len(r.Events) && r.Events[other].TxID == r.Events[0].TxID {
		other++
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
		{"txId swapped", func(r *receipt.Receipt) { r.Events[0].TxID = r.Events[other].TxID }, receipt.PartPath},
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
		if len(tr.Events) != len(r.Events)-1 {
			t.Fatalf("removed %d events, want the recall", len(r.Events)-len(tr.Events))
		}
		rep, err := receipt.Verify(ctx, tr, vopts)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d of %d events shown; missing its recall event", events-1, events)
		if lv := lotB(rep); rep.OK() || lv.OK() || !strings.Contains(lv.Failures[0].Error(), want) {
			t.Errorf("receipt without its recall: OK %v, lot B %+v", rep.OK(), lv)
		}
		b, err := tr.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "lot-b-without-recall.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"verify", file}, {"verify", file, "--eth-rpc", n.GethURL()}} {
			if res := clitest.Run(t, "", args...); res.Code != 3 || !strings.Contains(res.Stdout, "✗ lot "+sc.BreachedLot+": events incomplete") || !strings.Contains(res.Stdout, want) {
				t.Errorf("%v: exit %d\n%s%s", args, res.Code, res.Stdout, res.Stderr)
			}
		}
	})

	// Current until a further event of the lot is anchored: then the older
	// receipt is reported as not current, and a new one shows the event.
	if c := rep.Currency; !c.Current() || c.Time == nil {
		t.Errorf("fresh receipt: currency %+v, want current with its anchor's time", c)
	}
	// The store's cold room logs lot B again, after the recall.
	testkit.Submit(t, testnet.Brand, "Custody:RecordReadings", mustJSON(t, ledger.ReadingsRequest{Lot: sc.BreachedLot, Readings: []ledger.Reading{
		{Time: time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), Device: "urn:tl:logger:store-coldroom", TemperatureC: ptr(4.7)}}}))
	var fresh []byte // lot B's receipt with the readings
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if nr, err := receipt.Parse(fresh); resp.StatusCode == http.StatusOK && err == nil && len(nr.Events) > len(r.Events) {
			nrep := mustVerify(ctx, t, nr, vopts, "receipt after the readings")
			if lv := lotB(nrep); !nrep.Currency.Current() || lv.Events != events+1 || !nrep.State.OK() || !slices.Contains(nrep.State.Fresh, sc.BreachedLot) {
				t.Errorf("new receipt: currency %+v, lot B %+v, state %+v: want current, %d events, the record proven the latest", nrep.Currency, lv, nrep.State, events+1)
			}
			// Stale, offline: the older receipt's lot record and events
			// (complete as of that record) under the newer window's state.
			stale := staleReceipt(t, nr, r)
			srep, err := receipt.Verify(ctx, stale, receipt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if srep.OK() || srep.State.OK() || !strings.Contains(srep.State.Failures[0].Error(), "is stale: as of ledger block") || !lotB(srep).OK() {
				t.Errorf("older record under the newer state, offline: OK %v, lots %+v, state %+v: want complete but stale", srep.OK(), srep.Lots, srep.State)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no receipt with the readings event: %d %s", resp.StatusCode, fresh)
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
	if res := clitest.Run(t, "", "verify", file, "--eth-rpc", n.GethURL()); !strings.Contains(res.Stdout, "⚠ NOT CURRENT:") {
		t.Errorf("verify the older receipt --eth-rpc: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}

	// Every tampering class of issue 12 on lot B's newest receipt, with
	// lot A's receipt and lot B's older one as sources, through the real
	// binary, offline and against geth.
	t.Run("tampering classes, real binary", func(t *testing.T) {
		tamperTable(ctx, t, trustlineBinary(t), n.GethURL(), fresh, get(receiptURL(sc.YogurtLot)), data)
	})
}

func ptr[T any](v T) *T { return &v }

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
