package node_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationKeylessNodeRecordsOthersAnchors runs two nodes of two
// organisations on the real testnet and geth --dev, both anchoring the same
// contract with the same window size: the supplier's with a funded key and
// a short interval, the lab's without a key. Transactions trickle in, so
// the keyed node also anchors partial windows (ending where its interval
// ran out, not on an aligned boundary). The keyless node records the keyed
// node's anchors of the very windows it anchored (same ranges, same roots
// over the same leaves, events and ledger records), serves the lot's
// receipt, which verifies offline and on chain with the keyed node as the
// submitter, and never sends a transaction.
func TestIntegrationKeylessNodeRecordsOthersAnchors(t *testing.T) {
	n := testkit.Network(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	dc := newDevChain(ctx, t, n)
	eth, contract, deployBlock, keyFile, first := dc.eth, dc.contract, dc.deployBlock, dc.keyFile, dc.first
	keyed := crypto.PubkeyToAddress(dc.key.PublicKey)
	chain, err := ethanchor.NewClient(ctx, eth, contract, ethanchor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const blocks = 2

	// Both nodes: same contract, deploy block, window size and first block.
	anchoringCfg := func(keyFile, interval string) *node.AnchoringConfig {
		return &node.AnchoringConfig{
			Enabled: true, RPCURL: n.GethURL(), Contract: contract.Hex(), DeployBlock: deployBlock,
			KeyFile: keyFile, Blocks: blocks, Interval: interval, FirstBlock: first,
		}
	}
	keyedLog, keylessLog := &lockedBuffer{}, &lockedBuffer{}
	keyedBase := startKeylessTestNode(ctx, t, n, testnet.Supplier, anchoringCfg(keyFile, "1s"), keyedLog)
	keylessBase := startKeylessTestNode(ctx, t, n, testnet.Lab, anchoringCfg("", ""), keylessLog)
	defer func() {
		if t.Failed() {
			t.Logf("keyed node log:\n%s", keyedLog.String())
			t.Logf("keyless node log:\n%s", keylessLog.String())
		}
	}()

	anchorsOnChain := func() []ethanchor.Receipt {
		rs, err := chain.Anchors(ctx, ethanchor.Filter{Channel: testnet.ChannelName, Start: deployBlock})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	// When each window's anchor was first seen on chain, to time the
	// keyless node against it.
	var seenMu sync.Mutex
	seen := map[[2]uint64]time.Time{}
	wctx, wstop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for wctx.Err() == nil {
			rs, _ := chain.Anchors(wctx, ethanchor.Filter{Channel: testnet.ChannelName, Start: deployBlock})
			seenMu.Lock()
			for _, r := range rs {
				if _, ok := seen[[2]uint64{r.FromBlock, r.ToBlock}]; !ok {
					seen[[2]uint64{r.FromBlock, r.ToBlock}] = time.Now()
				}
			}
			seenMu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	defer func() { wstop(); <-watched }()

	// submit records a transaction, in a block of its own. With
	// waitPartial, when that block opens an aligned window, it waits for
	// the keyed node to anchor it alone after its interval: a partial
	// window, which a keyless node cannot predict.
	partial := 0
	submit := func(org, fn string, arg any, waitPartial bool) []byte {
		res, _ := testkit.Submit(t, org, fn, mustJSON(t, arg))
		info, err := n.ChainInfo(ctx, testnet.Supplier)
		if err != nil {
			t.Fatal(err)
		}
		b := info.GetHeight() - 1
		if !waitPartial || b%blocks != 0 {
			return res
		}
		t0 := time.Now()
		for !slices.ContainsFunc(anchorsOnChain(), func(r ethanchor.Receipt) bool { return r.ToBlock == b }) {
			if ctx.Err() != nil {
				t.Fatalf("the keyed node did not anchor the partial window ending at block %d", b)
			}
			time.Sleep(100 * time.Millisecond)
		}
		partial++
		t.Logf("%s in block %d: the keyed node anchored a partial window ending there %v after the commit",
			fn, b, time.Since(t0).Round(time.Millisecond))
		return res
	}

	// A lot with two events (commissioning, shipping) among others, and its
	// product and lot records.
	body := fmt.Sprintf("09%011d", time.Now().UnixNano()/1000%1e11)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	gtin := body + strconv.Itoa(d)
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	submit(testnet.Brand, "Product:RegisterProduct", ledger.ProductRequest{
		GTIN: gtin, Name: "Pears", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30}, true)
	// A claim on the product: the receipt carries it and the records it
	// rests on, leaves of the windows as much as the events.
	submit(testnet.Brand, "Claim:RegisterClaim", ledger.ClaimRequest{
		Subject: gtin, Kind: ledger.ClaimOriginIn, Wording: "Pears from Lombardy",
		Params: ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: "Lombardy", Polygon: []ledger.Geo{
			{Latitude: 44.7, Longitude: 8.5}, {Latitude: 44.7, Longitude: 11.4}, {Latitude: 46.6, Longitude: 11.4}, {Latitude: 46.6, Longitude: 8.5}}}},
	}, true)
	now := time.Now().UTC()
	var lot ledger.LotSummary
	for i := range 3 {
		res := submit(testnet.Supplier, "Batch:CreateBatch", ledger.BatchRequest{
			GTIN: gtin, Lot: fmt.Sprintf("K%s-%d", run, i), Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}, Producer: "9506000134376",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 45.4, Longitude: 9.2}, Address: &ledger.Address{City: "Milano", Country: "IT"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(240 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		}, false) // back to back: windows of two blocks, or not, as the keyed node's polls fall
		if i == 0 {
			if err := json.Unmarshal(res, &lot); err != nil {
				t.Fatal(err)
			}
		}
	}
	submit(testnet.Supplier, "Custody:Ship", ledger.ShipRequest{
		Lot: lot.ID, To: testnet.MSPID(testnet.Logistics), Destination: "https://id.gs1.org/414/9506000134383"}, false)
	shipped := time.Now()
	if partial == 0 {
		t.Errorf("no partial window: the test did not exercise windows cut by the keyed node's interval")
	}

	path := "/01/" + gtin + "/10/" + lot.Lot + "?format=receipt"
	type served struct {
		data []byte
		at   time.Time
		err  error
	}
	poll := func(base string) <-chan served {
		c := make(chan served, 1)
		go func() {
			data, err := pollReceipt(ctx, base+path)
			c <- served{data, time.Now(), err}
		}()
		return c
	}
	keyedC, keylessC := poll(keyedBase), poll(keylessBase)
	keyedGot, keylessGot := <-keyedC, <-keylessC
	if keyedGot.err != nil || keylessGot.err != nil {
		t.Fatalf("receipts: keyed node %v; keyless node %v", keyedGot.err, keylessGot.err)
	}
	keyedData, keylessData := keyedGot.data, keylessGot.data
	t.Logf("lot receipt served %v after the ship was committed by the keyed node, %v by the keyless node",
		keyedGot.at.Sub(shipped).Round(time.Millisecond), keylessGot.at.Sub(shipped).Round(time.Millisecond))

	kr, err := receipt.Parse(keyedData)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := receipt.Parse(keylessData)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("keyless receipt: %d events, %d records, %d claims, %d windows, %d bytes", len(lr.Events), len(lr.Records), len(lr.Claims), len(lr.Windows), len(keylessData))
	if len(lr.Events) < 2 || len(lr.Records) == 0 || len(lr.Claims) != 1 {
		t.Errorf("keyless receipt of %d events, %d records and %d claims, want the lot's 2 events, records and the claim", len(lr.Events), len(lr.Records), len(lr.Claims))
	}

	// Same windows, same roots, same leaves: the keyless node cut the
	// windows the keyed node anchored and built the same trees.
	type leaf struct {
		id       string
		from, to uint64
		index    uint64
	}
	leaves := func(r *receipt.Receipt) []leaf {
		var out []leaf
		for _, e := range r.Events {
			w := r.Windows[e.Window]
			out = append(out, leaf{e.EventID, w.FromBlock, w.ToBlock, e.LeafIndex})
		}
		for _, rec := range r.Records {
			w := r.Windows[rec.Window]
			out = append(out, leaf{rec.RecordID, w.FromBlock, w.ToBlock, rec.LeafIndex})
		}
		slices.SortFunc(out, func(a, b leaf) int { return strings.Compare(a.id, b.id) })
		return out
	}
	if kl, ll := leaves(kr), leaves(lr); !slices.Equal(kl, ll) {
		t.Errorf("leaves differ:\nkeyed   %v\nkeyless %v", kl, ll)
	}
	type windowKey struct {
		from, to, size uint64
		root           common.Hash
	}
	keyedWindows := map[windowKey][]common.Hash{}
	for _, w := range kr.Windows {
		for _, a := range w.Anchors {
			keyedWindows[windowKey{w.FromBlock, w.ToBlock, w.Size, w.Root}] = append(keyedWindows[windowKey{w.FromBlock, w.ToBlock, w.Size, w.Root}], a.TxHash)
		}
	}
	if len(kr.Windows) != len(lr.Windows) {
		t.Errorf("keyed receipt in %d windows, keyless one in %d", len(kr.Windows), len(lr.Windows))
	}
	onChain := anchorsOnChain()
	byBlock := slices.Clone(lr.Windows)
	slices.SortFunc(byBlock, func(a, b receipt.Window) int { return cmp.Compare(a.FromBlock, b.FromBlock) })
	for _, w := range byBlock {
		k := windowKey{w.FromBlock, w.ToBlock, w.Size, w.Root}
		var txs []common.Hash
		for _, a := range w.Anchors {
			txs = append(txs, a.TxHash)
			if a.Submitter != keyed {
				t.Errorf("window %d..%d: anchor %s submitted by %s, want the keyed node's %s", w.FromBlock, w.ToBlock, a.TxHash, a.Submitter, keyed)
			}
		}
		if !slices.Equal(txs, keyedWindows[k]) {
			t.Errorf("window %d..%d root %s: keyless node recorded anchors %v, keyed node %v", w.FromBlock, w.ToBlock, w.Root, txs, keyedWindows[k])
		}
		aligned := (w.ToBlock+1)%blocks == 0
		if !slices.ContainsFunc(onChain, func(r ethanchor.Receipt) bool {
			return r.FromBlock == w.FromBlock && r.ToBlock == w.ToBlock && common.Hash(r.Root) == w.Root && r.Submitter == keyed
		}) {
			t.Errorf("window %d..%d root %s is not a window the keyed node anchored", w.FromBlock, w.ToBlock, w.Root)
		}
		t.Logf("keyless window %d..%d (aligned end %v): %d leaves, root %s, anchored by %s in chain block %d",
			w.FromBlock, w.ToBlock, aligned, w.Size, w.Root.Hex()[:10], w.Anchors[0].Submitter.Hex()[:10], w.Anchors[0].BlockNumber)
	}

	var lastSeen time.Time
	seenMu.Lock()
	for _, w := range lr.Windows {
		if at := seen[[2]uint64{w.FromBlock, w.ToBlock}]; at.After(lastSeen) {
			lastSeen = at
		}
	}
	seenMu.Unlock()
	if !lastSeen.IsZero() {
		t.Logf("the keyless node served the receipt %v after the last anchor of its windows was seen on chain (test polls: chain 100 ms, receipt 250 ms; the node's loop: 2 s)",
			keylessGot.at.Sub(lastSeen).Round(time.Millisecond))
	}

	// The keyless node's receipt verifies offline and on chain.
	vopts := receipt.Options{Backend: eth, Anchor: ethanchor.Options{PollInterval: 200 * time.Millisecond}}
	for _, opts := range []receipt.Options{{}, vopts} {
		rep := mustVerify(ctx, t, lr, opts, "keyless receipt")
		for _, c := range rep.Claims {
			t.Logf("claim %q re-evaluated from the keyless receipt (online %v): %s", c.Wording, opts.Backend != nil, c.Status)
		}
		for _, v := range append(rep.Verdicts, rep.Records...) {
			if v.OnChain != (opts.Backend != nil) || v.Anchors == 0 {
				t.Errorf("%s%s: %d anchors, on chain %v", v.EventID, v.RecordID, v.Anchors, v.OnChain)
			}
		}
	}

	// The keyless node never sent a transaction: it runs without an
	// account (the zero submitter, read-only), and every transaction sent
	// to the contract since its deployment is the keyed node's, one per
	// anchor on chain.
	if s := keylessLog.String(); !strings.Contains(s, "readOnly=true") || !strings.Contains(s, "submitter="+(common.Address{}).Hex()) {
		t.Errorf("keyless node did not start read-only without a submitter:\n%s", s)
	}
	head, err := eth.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := eth.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signer := types.LatestSignerForChainID(chainID)
	toContract := 0
	for b := deployBlock + 1; b <= head; b++ {
		blk, err := eth.BlockByNumber(ctx, new(big.Int).SetUint64(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Transactions() {
			if tx.To() == nil || *tx.To() != contract {
				continue
			}
			toContract++
			if from, err := types.Sender(signer, tx); err != nil || from != keyed {
				t.Errorf("transaction %s to the contract sent by %s (%v), want the keyed node's %s", tx.Hash(), from, err, keyed)
			}
		}
	}
	nonce, err := eth.NonceAt(ctx, keyed, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("chain blocks %d..%d: %d transactions to the contract, %d anchors, keyed account nonce %d (deploy + anchors); %d partial windows",
		deployBlock+1, head, toContract, len(onChain), nonce, partial)
	if toContract != len(onChain) {
		t.Errorf("%d transactions to the contract, %d anchors: want one transaction per anchor", toContract, len(onChain))
	}
	if warn := strings.Count(keylessLog.String(), "level=WARN"); warn > 0 {
		t.Logf("keyless node logged %d warnings", warn)
	}
}

// startKeylessTestNode opens and runs a node of org with anchoring a,
// logging into log; it stops with the test.
func startKeylessTestNode(ctx context.Context, t *testing.T, n *testnet.Network, org string, a *node.AnchoringConfig, log io.Writer) string {
	t.Helper()
	p, err := n.ClientConfig(org, false)
	if err != nil {
		t.Fatal(err)
	}
	nd, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p, Anchoring: a}, &node.Options{
		Logger:   slog.New(slog.NewTextHandler(log, nil)),
		Follower: &follower.Options{HeightInterval: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- nd.Run(rctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run (%s): %v", org, err)
		}
	})
	return "http://" + nd.Addr().String()
}

// pollReceipt asks url for a receipt until it is served or ctx ends.
func pollReceipt(ctx context.Context, url string) ([]byte, error) {
	for {
		resp, err := http.Get(url)
		if err != nil {
			return nil, err
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return data, nil
		}
		if resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusNotFound {
			return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, data)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("GET %s: still %d when the test ran out of time: %s", url, resp.StatusCode, data)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
