package index

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// A watcher hears of each commit before Apply or ApplyBlock returns, with
// the lots it changed: a recall changes the recalled lot and every lot
// downstream of it, not its siblings.
func TestWatch(t *testing.T) {
	const gtinA, gtinB = "09506000134352", "09506000134369"
	seq := loadSeq(t, "supply.json")
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, seq[:8])

	var got []Change
	stop := x.Watch(func(c Change) { got = append(got, c) })
	if ok, err := x.Apply(seq[8].pos(), &seq[8].Event); err != nil || !ok { // the recall of L1
		t.Fatal(ok, err)
	}
	if len(got) != 1 {
		t.Fatalf("%d changes after Apply returned, want 1", len(got))
	}
	for _, tc := range []struct {
		gtin, lot string
		want      bool
	}{
		{gtinA, "L1", true},  // recalled
		{gtinB, "J1", true},  // made from L1: flagged
		{gtinA, "L2", false}, // L1's sibling input
		{gtinB, "NOPE", false},
	} {
		if g := got[0].Lot(tc.gtin, tc.lot); g != tc.want {
			t.Errorf("recall: Lot(%s, %s) = %v, want %v", tc.gtin, tc.lot, g, tc.want)
		}
	}
	if got[0].Checkpoint.Position != seq[8].pos() {
		t.Errorf("checkpoint %+v, want %+v", got[0].Checkpoint.Position, seq[8].pos())
	}

	// A block of a lab signer's registration changes no lot.
	if _, err := x.ApplyBlock(9, []Tx{{Pos: seq[8].pos(), Event: &seq[8].Event}, {Pos: seq[9].pos(), Event: &seq[9].Event}}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d changes after ApplyBlock returned, want 2", len(got))
	}
	if got[1].Lot(gtinB, "J1") || got[1].Lot(gtinA, "L1") {
		t.Errorf("a signer's registration changed a lot: %+v", got[1])
	}
	if got[1].Checkpoint.Position != BlockStart(10) {
		t.Errorf("checkpoint %+v, want the start of block 10", got[1].Checkpoint.Position)
	}

	// A skipped position commits nothing; after stop, nothing is heard.
	if _, err := x.Apply(seq[8].pos(), &seq[8].Event); err != nil {
		t.Fatal(err)
	}
	stop()
	if _, err := x.ApplyBlock(10, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("%d changes, want 2", len(got))
	}
}

// A product's record or a claim about it changes every lot of the product.
func TestWatchProduct(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	var got []Change
	defer x.Watch(func(c Change) { got = append(got, c) })()
	applyAll(t, x, seq[:1]) // product A
	if len(got) != 1 || !got[0].Lot("09506000134352", "ANY") || got[0].Lot("09506000134369", "ANY") {
		t.Errorf("changes %+v", got)
	}
}
