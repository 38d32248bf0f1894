package anchoring

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ethanchor/anchortest"
	"github.com/trustline/trustline/receipt"
)

var fast = ethanchor.Options{Backoff: time.Millisecond, PollInterval: 5 * time.Millisecond}

// simChain starts an in-process chain under mainnet's forks, mining all the
// time, with members funded keys and the Anchor contract deployed.
func simChain(t *testing.T, members int) (ethanchor.Backend, common.Address, []*ecdsa.PrivateKey) {
	t.Helper()
	c := anchortest.New(t, anchortest.Options{Keys: members})
	c.AutoMine(t)
	contract, err := ethanchor.Deploy(ctxT(t), c.Client(), c.Keys[0])
	if err != nil {
		t.Fatal(err)
	}
	return c.Client(), contract, c.Keys
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// epcisSource has real EPCIS events, one per listed block.
func epcisSource(t *testing.T, height uint64, blocks ...uint64) (*memSource, map[string]json.RawMessage) {
	src := &memSource{height: height, events: map[uint64][]string{}}
	events := map[string]json.RawMessage{}
	for _, b := range blocks {
		ev := fmt.Appendf(nil, `{"type":"ObjectEvent","eventTime":"2025-06-02T00:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"inspecting","epcList":["https://id.gs1.org/01/09506000134352/10/L1/21/B%d"]}`, b)
		id, err := epcis.HashEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		src.events[b] = append(src.events[b], id)
		events[id] = ev
	}
	return src, events
}

// TestCoAttestationAndReceipt runs two members' loops over the same index on
// a simulated chain: both anchor the same windows, each records the other's
// anchors, and a receipt built from either store verifies on chain with
// both anchors.
func TestCoAttestationAndReceipt(t *testing.T) {
	b, contract, keys := simChain(t, 2)
	ctx := ctxT(t)
	src, events := epcisSource(t, 30, 1, 4, 4, 12, 25)
	var loops []*Loop
	var stores []*MemStore
	for _, k := range keys {
		a, err := ethanchor.NewAnchorer(ctx, b, contract, k, fast)
		if err != nil {
			t.Fatal(err)
		}
		st := NewMemStore()
		l := New(src, st, a, Options{Blocks: 10})
		if got, err := l.Step(ctx); err != nil || len(got) != 3 {
			t.Fatalf("Step: %d anchors, %v; want 3", len(got), err)
		}
		loops, stores = append(loops, l), append(stores, st)
	}
	for i, l := range loops {
		n, err := l.ScanCoAttestations(ctx, 0)
		if err != nil || n != 3 {
			t.Fatalf("member %d: %d co-attestations, %v; want 3 (the other member's)", i, n, err)
		}
		if n, _ := l.ScanCoAttestations(ctx, 0); n != 0 {
			t.Errorf("member %d: second scan added %d", i, n)
		}
	}

	var entries []receipt.Entry
	for id, ev := range events {
		p, err := Proof(ctx, stores[1], id)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Anchors) != 2 {
			t.Errorf("%s: %d anchors, want 2", id, len(p.Anchors))
		}
		entries = append(entries, receipt.Entry{Event: ev, EventID: id, TxID: "tx", Block: p.Window.FromBlock, Proof: p})
	}
	r, err := receipt.Build(receipt.Subject{Lots: []string{"https://id.gs1.org/01/09506000134352/10/L1"}}, entries, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := receipt.Verify(ctx, r, receipt.Options{Backend: b, Anchor: fast})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		for _, v := range rep.Verdicts {
			t.Errorf("%s: %v", v.EventID, v.Failures)
		}
		t.Errorf("subject: %v", rep.Subject)
	}
}
