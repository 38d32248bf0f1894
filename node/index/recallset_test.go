package index

import (
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// A lot made from a recalled lot is flagged recalled through it, whether
// the recall was applied by this process (the recall set noted it as it
// was written) or before the index was opened (the set read it back).
func TestRecallSetInheritance(t *testing.T) {
	link := func(gtin, lot string) string { return "https://id.gs1.org/01/" + gtin + "/10/" + lot }
	for _, reopen := range []bool{false, true} {
		fs := vfs.NewMem()
		x := openMem(t, fs)
		apply := func(block uint64, ev *ledger.Event) {
			t.Helper()
			if _, err := x.Apply(Position{Block: block, TxID: ev.TxID}, ev); err != nil {
				t.Fatal(err)
			}
		}
		in := ledger.LotSummary{ID: link(gtinA, "R1"), GTIN: gtinA, Lot: "R1", Status: ledger.StatusActive}
		other := ledger.LotSummary{ID: link(gtinA, "R2"), GTIN: gtinA, Lot: "R2", Status: ledger.StatusActive}
		apply(1, &ledger.Event{Function: "Batch:CreateBatch", TxID: "t1", Lots: []ledger.LotSummary{in, other}})
		apply(2, &ledger.Event{Function: "Recall:RecallLot", TxID: "t2", Recalls: []ledger.Recall{{Lot: in.ID, Reason: "test", Class: "I", TxID: "t2"}}})
		if reopen {
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			x = openMem(t, fs)
		}
		if !x.recalls.has(recallSetKey(gtinA, "R1")) || x.recalls.has(recallSetKey(gtinA, "R2")) {
			t.Errorf("reopen %v: the recall set holds R1 %v, R2 %v", reopen, x.recalls.has(recallSetKey(gtinA, "R1")), x.recalls.has(recallSetKey(gtinA, "R2")))
		}
		q := ledger.Quantity{Value: "1", UOM: "KGM"}
		apply(3, &ledger.Event{Function: "Transform:Transform", TxID: "t3", Lots: []ledger.LotSummary{
			{ID: link(gtinB, "M1"), GTIN: gtinB, Lot: "M1", Status: ledger.StatusActive, Inputs: []ledger.LotQuantity{{Lot: in.ID, Quantity: q}}},
			{ID: link(gtinB, "M2"), GTIN: gtinB, Lot: "M2", Status: ledger.StatusActive, Inputs: []ledger.LotQuantity{{Lot: other.ID, Quantity: q}}},
		}})
		for lot, want := range map[string][]string{"M1": {in.ID}, "M2": nil} {
			l, err := x.Lot(gtinB, lot)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l.RecalledVia, want) {
				t.Errorf("reopen %v: %s recalled via %v, want %v", reopen, lot, l.RecalledVia, want)
			}
		}
		if !x.recalls.has(recallSetKey(gtinB, "M1")) {
			t.Errorf("reopen %v: M1's recall flag is not in the recall set", reopen)
		}
		x.Close()
	}
}
