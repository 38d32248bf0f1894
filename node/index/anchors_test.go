package index

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/anchoring/storetest"
)

func openTemp(t *testing.T) *Index {
	t.Helper()
	x := openMem(t, vfs.NewMem())
	t.Cleanup(func() { x.Close() })
	return x
}

func TestAnchorStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) anchoring.Store { return NewAnchorStore(openTemp(t)) })
}

// AnchorStore state survives a reopen and stays out of Digest.
func TestAnchorStoreDurableAndLocal(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	x, err := Open("idx", &Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := x.Digest()
	w := anchoring.Window{IDs: []string{"a"}}
	w.Channel, w.FromBlock, w.ToBlock = "trustline", 0, 3
	if err := NewAnchorStore(x).SaveWindow(ctx, w); err != nil {
		t.Fatal(err)
	}
	if after, _ := x.Digest(); after != before {
		t.Error("saving a window changed Digest")
	}
	x.Close()
	if x, err = Open("idx", &Options{FS: fs}); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	got, ok, err := NewAnchorStore(x).LastWindow(ctx)
	if err != nil || !ok || got.ToBlock != 3 || !slices.Equal(got.IDs, w.IDs) {
		t.Errorf("after reopen: %+v, %v, %v", got, ok, err)
	}
}

func epcisEvent(id string) json.RawMessage {
	return json.RawMessage(`{"type":"ObjectEvent","eventID":"` + id + `","eventTime":"2025-01-02T03:04:05Z","epcList":[]}`)
}

// Each applied EPCIS event is found by block range (anchoring.Source) and
// by id (EventPosition), at the position it was first recorded.
func TestEventPositions(t *testing.T) {
	ctx := context.Background()
	x := openTemp(t)
	blocks := []struct {
		block uint64
		txs   []Tx
	}{
		{0, nil},
		{1, []Tx{{Pos: Position{Block: 1, Tx: 0, TxID: "t1"}, Event: &ledger.Event{EPCIS: []json.RawMessage{epcisEvent("e1"), epcisEvent("e2")}}}}},
		{2, []Tx{{Pos: Position{Block: 2, Tx: 1, TxID: "t2"}, Event: &ledger.Event{}}}},
		{3, []Tx{{Pos: Position{Block: 3, Tx: 0, TxID: "t3"}, Event: &ledger.Event{EPCIS: []json.RawMessage{epcisEvent("e3")}}}}},
	}
	for _, b := range blocks {
		if _, err := x.ApplyBlock(b.block, b.txs); err != nil {
			t.Fatal(err)
		}
	}
	if h, _ := x.Height(ctx); h != 4 {
		t.Errorf("Height = %d, want 4", h)
	}
	for _, tc := range []struct {
		from, to uint64
		want     []string
	}{{0, 0, nil}, {0, 1, []string{"e1", "e2"}}, {1, 3, []string{"e1", "e2", "e3"}}, {2, 3, []string{"e3"}}, {3, 2, nil}, {4, 9, nil}} {
		got, err := x.EventIDs(ctx, tc.from, tc.to)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("EventIDs(%d, %d) = %v, %v; want %v", tc.from, tc.to, got, err, tc.want)
		}
	}
	if p, err := x.EventPosition("e3"); err != nil || p != (EventPosition{TxID: "t3", Block: 3}) {
		t.Errorf("EventPosition(e3) = %+v, %v", p, err)
	}
	if _, err := x.EventPosition("nope"); err == nil {
		t.Error("EventPosition(nope) found")
	}
}
