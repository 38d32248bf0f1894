package anchoring

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// recorded is one EPCIS event as a node indexes it.
type recorded struct {
	event json.RawMessage
	id    string
	txID  string
	block uint64
}

// TestIntegrationAnchorAndVerify records trustline writes on the real
// testnet, anchors their block range on the testnet's geth with the loop,
// builds a receipt and verifies it on chain; flipping a byte of an event,
// a path or an anchor's transaction hash makes verification fail naming
// that part.
func TestIntegrationAnchorAndVerify(t *testing.T) {
	n := testkit.Network(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// Every chaincode event from the next block on: EPCIS events with their
	// transaction and block, as the node's follower sees them.
	feed, err := testkit.Gateway(t, testnet.Brand).GetNetwork(testnet.ChannelName).ChaincodeEvents(ctx, testnet.ChaincodeName)
	if err != nil {
		t.Fatal(err)
	}
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	body := fmt.Sprintf("09%011d", time.Now().UnixNano()/1000%1e11)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	gtin := body + strconv.Itoa(d)
	var txs []string
	_, tx := testkit.Submit(t, testnet.Brand, "Product:RegisterProduct", mustJSON(t, ledger.ProductRequest{
		GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30}))
	txs = append(txs, tx)
	now := time.Now().UTC()
	for i := range 3 {
		_, tx := testkit.Submit(t, testnet.Supplier, "Batch:CreateBatch", mustJSON(t, ledger.BatchRequest{
			GTIN: gtin, Lot: fmt.Sprintf("%s-%d", run, i), Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}, Producer: "9506000134376",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 41.9, Longitude: 12.5}, Address: &ledger.Address{City: "Roma", Country: "IT"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		}))
		txs = append(txs, tx)
	}
	var events []recorded
	src := &memSource{events: map[uint64][]string{}}
	first := ^uint64(0)
	for seen := map[string]bool{}; len(seen) < len(txs); {
		var ce *client.ChaincodeEvent
		select {
		case ce = <-feed:
		case <-ctx.Done():
			t.Fatalf("chaincode events: saw %d of %d transactions", len(seen), len(txs))
		}
		seen[ce.TransactionID] = true
		var ev ledger.Event
		if err := json.Unmarshal(ce.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		raws := ev.EPCIS
		if ev.Slim() {
			// A slim event names its EPCIS events by state key (event, id):
			// their bytes are the transaction's writes, as stored.
			raws = nil
			for _, k := range ev.Written.EPCIS {
				raw, err := testkit.Contract(t, testnet.Brand).EvaluateTransaction("Query:GetEvent", k[len(k)-1])
				if err != nil {
					t.Fatal(err)
				}
				raws = append(raws, raw)
			}
		}
		for _, raw := range raws {
			var m struct {
				EventID string `json:"eventID"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			events = append(events, recorded{raw, m.EventID, ce.TransactionID, ce.BlockNumber})
			src.events[ce.BlockNumber] = append(src.events[ce.BlockNumber], m.EventID)
		}
		first = min(first, ce.BlockNumber)
		src.height = max(src.height, ce.BlockNumber+1)
	}
	if len(events) < 3 {
		t.Fatalf("%d EPCIS events recorded, want at least 3", len(events))
	}
	t.Logf("%d EPCIS events in Fabric blocks %d..%d", len(events), first, src.height-1)

	// geth --dev: a fresh key funded by the developer account.
	rc, err := rpc.DialContext(ctx, n.GethURL())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b := ethclient.NewClient(rc)
	key, _ := crypto.GenerateKey()
	fund(ctx, t, rc, b, crypto.PubkeyToAddress(key.PublicKey))
	contract, err := ethanchor.Deploy(ctx, b, key)
	if err != nil {
		t.Fatal(err)
	}
	aopts := ethanchor.Options{PollInterval: 200 * time.Millisecond}
	a, err := ethanchor.NewAnchorer(ctx, b, contract, key, aopts)
	if err != nil {
		t.Fatal(err)
	}
	st := NewMemStore()
	clk := &clock{t: time.Now()}
	l := New(src, st, a, Options{Channel: testnet.ChannelName, Blocks: 2, Interval: time.Second, FirstBlock: first, Now: clk.now})
	var anchored []ethanchor.Receipt
	for range 2 { // the second step anchors the partial window at the head
		rs, err := l.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		anchored = append(anchored, rs...)
		clk.t = clk.t.Add(time.Minute)
	}
	for _, r := range anchored {
		t.Logf("anchored Fabric blocks %d..%d: tx %s, chain block %d, %d gas", r.FromBlock, r.ToBlock, r.TxHash, r.BlockNumber, r.GasUsed)
	}
	if len(anchored) == 0 {
		t.Fatal("nothing anchored")
	}
	if _, err := l.ScanCoAttestations(ctx, 0); err != nil {
		t.Fatal(err)
	}

	var entries []receipt.Entry
	for _, e := range events {
		p, err := Proof(ctx, st, e.id)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, receipt.Entry{Event: e.event, EventID: e.id, TxID: e.txID, Block: e.block, Proof: p})
	}
	// A receipt about the product's three lots at once proves each event,
	// but it is bound to no lot (receipts are of a lot or a unit): verify
	// says so. The receipt verified in full below is lot 0's.
	pr, err := receipt.Build(receipt.Subject{DigitalLink: "https://id.gs1.org/01/" + gtin}, entries, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := receipt.Verify(ctx, pr, receipt.Options{}); err != nil {
		t.Fatal(err)
	} else {
		for _, v := range rep.Verdicts {
			if !v.OK() {
				t.Errorf("product receipt: %s: %v", v.EventID, v.Failures)
			}
		}
		if rep.OK() || len(rep.Subject) == 0 {
			t.Errorf("a receipt of three lots under the product's GTIN verified as bound to a subject: %v", rep.Subject)
		}
	}
	lot0 := fmt.Sprintf("https://id.gs1.org/01/%s/10/%s-0", gtin, run)
	var lotEntries []receipt.Entry
	for _, e := range entries {
		if e.TxID == txs[1] { // the batch of lot 0
			lotEntries = append(lotEntries, e)
		}
	}
	r, err := receipt.Build(receipt.Subject{DigitalLink: lot0}, lotEntries, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := r.Marshal()
	t.Logf("receipt: %d events in %d windows, %d bytes (%d per event)", len(r.Events), len(r.Windows), len(data), len(data)/len(r.Events))

	vopts := receipt.Options{Backend: b, Anchor: aopts}
	t0 := time.Now()
	rep, err := receipt.Verify(ctx, r, vopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("online verify against geth: %s per event", time.Since(t0)/time.Duration(len(r.Events)))
	if !rep.OK() {
		for _, v := range rep.Verdicts {
			t.Errorf("%s: %v", v.EventID, v.Failures)
		}
		for _, f := range rep.Subject {
			t.Errorf("subject: %v", f)
		}
	}
	t0 = time.Now()
	if rep, err := receipt.Verify(ctx, r, receipt.Options{}); err != nil || !rep.OK() {
		t.Errorf("offline verify: %v", err)
	}
	t.Logf("offline verify: %s per event", time.Since(t0)/time.Duration(len(r.Events)))

	for _, tc := range []struct {
		name   string
		tamper func(r *receipt.Receipt)
		want   receipt.Part
	}{
		{"event byte", func(r *receipt.Receipt) { r.Events[0].Event = flipIn(t, r.Events[0].Event, `"bizStep":"`) }, receipt.PartEvent},
		{"path byte", func(r *receipt.Receipt) {
			if len(r.Events[0].Path) == 0 { // a window of one event: its path is empty
				r.Events[0].Path = append(r.Events[0].Path, common.Hash{})
				return
			}
			r.Events[0].Path[0][9] ^= 1
		}, receipt.PartPath},
		{"anchor tx hash byte", func(r *receipt.Receipt) { r.Windows[r.Events[0].Window].Anchors[0].TxHash[5] ^= 1 }, receipt.PartAnchor},
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
			v := rep.Verdicts[0]
			if rep.OK() || !v.Failed(tc.want) || len(v.Failures) != 1 {
				t.Errorf("failures %v, want one of part %s", v.Failures, tc.want)
			}
		})
	}
}

// flipIn changes the byte just after marker in raw.
func flipIn(t *testing.T, raw json.RawMessage, marker string) json.RawMessage {
	s := string(raw)
	for i := 0; i+len(marker) < len(s); i++ {
		if s[i:i+len(marker)] == marker {
			b := []byte(s)
			b[i+len(marker)] ^= 0x01
			return b
		}
	}
	t.Fatalf("no %s in %s", marker, raw)
	return nil
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fund sends 1 ether to addr from geth --dev's unlocked developer account.
func fund(ctx context.Context, t *testing.T, rc *rpc.Client, b *ethclient.Client, addr common.Address) {
	t.Helper()
	var accounts []common.Address
	if err := rc.CallContext(ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		t.Fatalf("eth_accounts = %v, %v: no developer account", accounts, err)
	}
	var tx common.Hash
	if err := rc.CallContext(ctx, &tx, "eth_sendTransaction", map[string]any{
		"from": accounts[0], "to": addr, "value": (*hexutil.Big)(big.NewInt(params.Ether)),
	}); err != nil {
		t.Fatalf("funding %s: %v", addr, err)
	}
	for {
		if r, err := b.TransactionReceipt(ctx, tx); err == nil {
			if r.Status != 1 {
				t.Fatalf("funding %s failed", addr)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("funding %s: %v", addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
