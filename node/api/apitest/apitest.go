// Package apitest serves the real node API (package api) over an in-memory
// index of the index package's fixture (testdata/supply.json: apples L1
// and L2 made into juice J1, shipped, recalled), so that the API's clients
// (nodeclient, the CLI) are tested against what a node answers rather
// than hand-written JSON.
//
// A node started with anchoring has the node's own anchoring store (the
// index's, package index) and anchoring loop (package anchoring), cutting
// and anchoring windows as a node does; only the chain is in memory, so
// receipts (?format=receipt) are served and verify offline (package
// receipt) without Ethereum.
package apitest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/node/scans"
	"github.com/trustline/trustline/node/subscription"
)

// GTINs and lots of the fixture.
const (
	GTINApples = "09506000134352"
	GTINJuice  = "09506000134369"
	// LotJuice is recalled (through apples L1) and shipped.
	LotJuice = "https://id.gs1.org/01/" + GTINJuice + "/10/J1"
	// LotApples is the recalled apples lot juice J1 was made from.
	LotApples = "https://id.gs1.org/01/" + GTINApples + "/10/L1"
)

// Anchoring is what a started node anchors.
type Anchoring int

const (
	// NoAnchoring is a node that does not anchor: ?format=receipt is 404.
	NoAnchoring Anchoring = iota
	// Anchored is a node that anchored every block of the fixture: every
	// lot's receipt is served.
	Anchored
	// Pending is an anchoring node whose loop has not anchored anything
	// yet: every receipt is 409 (not anchored yet) until Node.Anchor.
	Pending
)

// Options configure Start. The zero value is a node without anchoring.
type Options struct {
	Anchoring Anchoring
	// State proves lots' latest records in receipts (api.Options.State), as
	// a node does: receipts are then of format 4, else 3.
	State bool
	// Now is the API's clock (api.Options.Now); nil means time.Now.
	Now func() time.Time
	// RenderCache is api.Options.RenderCache.
	RenderCache int
	// Members serves the member surface (reports, recall scope and
	// notices: api.Server.Member) as a node does, on a capture listener
	// over mutual TLS with certificates of a test organisation
	// (Node.Members), to its client MemberClient.
	Members bool
}

// MemberClient is the identity (in Node.Org) of the client that may read
// the member records, and write named queries and subscriptions, of a node
// started with Options.Members.
const MemberClient = "member"

// ChainID is the chain id of the fixture's anchors.
const ChainID = 1337

// WindowBlocks is the anchoring window length (anchoring.Options.Blocks):
// the fixture's blocks 2..9 fall in two windows, 0..4 and 5..9.
const WindowBlocks = 5

// Node is the API over the fixture's index, served on a test server.
type Node struct {
	*httptest.Server
	Index *index.Index
	API   *api.Server
	// Anchors is the node's anchoring store; nil without anchoring.
	Anchors *index.AnchorStore
	// Members is the capture listener serving the member surface, and Org
	// the organisation whose certificates it takes (Options.Members); nil
	// otherwise.
	Members *capturetest.Server
	Org     *capturetest.Org
	// Subscriptions runs the node's query subscriptions, with backoffs of
	// milliseconds.
	Subscriptions *subscription.Manager
	// Scans counts the consumer pages served (package scans; flushed by
	// hand), served at /scans with the reports.
	Scans *scans.Counter

	mu   sync.Mutex // serialises Apply and Anchor
	loop *anchoring.Loop
}

// Index returns an in-memory index with the fixture applied.
func Index(t testing.TB) *index.Index { return indextest.Supply(t) }

// Server starts the node API over Index, without anchoring; it is closed
// when the test ends.
func Server(t testing.TB) *httptest.Server { return Start(t, nil).Server }

// Start starts the node API over a new in-memory index of the fixture;
// it is closed when the test ends.
func Start(t testing.TB, opts *Options) *Node {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	n := &Node{Index: Index(t)}
	n.Scans = scans.New(n.Index, &scans.Options{FlushEvery: time.Hour})
	ao := api.Options{BaseURL: "https://node.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Scans: n.Scans,
		Now: o.Now, RenderCache: o.RenderCache}
	if o.Anchoring != NoAnchoring {
		n.Anchors = index.NewAnchorStore(n.Index)
		// Interval: a partial window at the head is anchored on the step
		// after the one that saw it, as a node's would be after T.
		n.loop = anchoring.New(n.Index, n.Anchors, &Chain{}, anchoring.Options{Blocks: WindowBlocks, Interval: time.Nanosecond})
		ao.Anchors, ao.Anchoring = n.Anchors, n.loop.Status
		if o.State {
			ao.State = n.loop
		}
	}
	subs, err := subscription.New(n.Index, &subscription.Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n.Subscriptions, ao.Subscriptions = subs, subs
	n.API = api.New(n.Index, &ao)
	n.Server = httptest.NewServer(n.API)
	if o.Members {
		n.Org = capturetest.NewOrg(t, "SupplierMSP", MemberClient)
		n.Members = capturetest.Start(t, n.Org, nil, capture.HandlerOptions{Member: n.API.Member(),
			Clients: []capture.Client{{Name: capturetest.CommonName(MemberClient), Reports: true, Subscribe: true}}})
	}
	t.Cleanup(func() {
		n.API.CloseStreams()
		n.Server.Close()
		subs.Close()
	})
	if o.Anchoring == Anchored {
		n.Anchor(t)
	}
	return n
}

// Apply records ev as the only transaction of a new block after the
// index's last one, as the follower would, and returns its position.
func (n *Node) Apply(t testing.TB, ev ledger.Event) index.Position {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	pos := index.Position{Block: n.Index.Checkpoint().NextBlock(), Tx: 0, TxID: ev.TxID}
	if pos.TxID == "" {
		pos.TxID = fmt.Sprintf("tx%d-0", pos.Block)
		ev.TxID = pos.TxID
	}
	if _, err := n.Index.ApplyBlock(pos.Block, []index.Tx{{Pos: pos, Event: &ev}}); err != nil {
		t.Fatal(err)
	}
	return pos
}

// Observe records, in a new block, an ObjectEvent observing lot (a lot
// Digital Link of the fixture) at time at, with the lot's summary updated
// as the chaincode writes it (one more event, updated at at), and returns
// its position.
func (n *Node) Observe(t testing.TB, lot string, at time.Time) index.Position {
	t.Helper()
	l, err := digitallink.Parse(lot)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := n.Index.Lot(l.GTIN, l.Lot)
	if err != nil {
		t.Fatal(err)
	}
	ls.Counts.Events++
	ls.UpdatedAt = ledger.FormatTime(at)
	ev := Event(t, lot, at)
	ev.Lots = []ledger.LotSummary{ls}
	return n.Apply(t, ev)
}

// Anchor completes the index's last block (the follower leaves a block
// open until the next one starts) and runs the anchoring loop until every
// indexed block is in an anchored window.
func (n *Node) Anchor(t testing.TB) {
	t.Helper()
	if n.loop == nil {
		t.Fatal("apitest: Anchor on a node without anchoring")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if cp := n.Index.Checkpoint(); cp.Valid && cp.Position.Tx >= 0 {
		if _, err := n.Index.ApplyBlock(cp.Block, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	height, _ := n.Index.Height(ctx)
	for range 10 {
		if _, err := n.loop.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if st := n.loop.Status(); st.Anchored && st.LastBlock+1 >= height {
			return
		}
		time.Sleep(time.Millisecond) // past the loop's Interval
	}
	t.Fatalf("apitest: blocks below %d not anchored: %+v", height, n.loop.Status())
}

// Chain is an anchoring.Anchorer in memory. Its anchors are derived from
// the window alone (transaction hash, block), so two nodes anchoring the
// same windows record the same anchors, as members reading one chain do.
type Chain struct {
	mu      sync.Mutex
	anchors []ethanchor.Receipt
}

// Address implements anchoring.Anchorer.
func (c *Chain) Address() common.Address { return common.Address{1} }

// Anchor implements anchoring.Anchorer.
func (c *Chain) Anchor(_ context.Context, w ethanchor.Window) (ethanchor.Receipt, error) {
	if err := w.Validate(); err != nil {
		return ethanchor.Receipt{}, err
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], w.FromBlock)
	binary.BigEndian.PutUint64(b[8:], w.ToBlock)
	r := ethanchor.Receipt{Window: w, ChainID: big.NewInt(ChainID), Contract: common.Address{2},
		TxHash: crypto.Keccak256Hash([]byte(w.Channel), b[:], w.Root[:]), BlockNumber: 100 + w.ToBlock, Submitter: c.Address(), GasUsed: 50000}
	r.BlockHash = crypto.Keccak256Hash(r.TxHash[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	c.anchors = append(c.anchors, r)
	return r, nil
}

// Anchors implements anchoring.Anchorer: the anchors sent that match f's
// channel, root, submitters and Fabric block (its chain range is ignored).
func (c *Chain) Anchors(_ context.Context, f ethanchor.Filter) ([]ethanchor.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []ethanchor.Receipt
	for _, r := range c.anchors {
		switch {
		case f.Channel != "" && r.Channel != f.Channel,
			f.Root != nil && r.Root != *f.Root,
			len(f.Submitters) > 0 && !slices.Contains(f.Submitters, r.Submitter),
			f.Block != nil && (*f.Block < r.FromBlock || *f.Block > r.ToBlock):
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Event returns a ledger event of one EPCIS event for Node.Apply: an
// ObjectEvent observing lot (a Digital Link) at time at, with its content
// hash as its id.
func Event(t testing.TB, lot string, at time.Time) ledger.Event {
	t.Helper()
	ev := map[string]any{
		"@context": []any{epcis.EPCISContext}, "type": "ObjectEvent",
		"eventTime": at.UTC().Format("2006-01-02T15:04:05.000Z"), "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
		"bizStep": "inspecting", "quantityList": []map[string]any{{"epcClass": lot}},
	}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if ev["eventID"], err = epcis.HashEvent(body); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ev)
	return ledger.Event{Function: "Custody:Observe", MSPID: "SupplierMSP", Timestamp: at.UTC().Format(ledger.TimeLayout), EPCIS: []json.RawMessage{raw}}
}
