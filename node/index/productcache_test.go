package index

import (
	"bytes"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// A product's record read through the cache (Product, Trace,
// AppendTraceJSON) is the one stored after every commit: a commit that
// registers the product again, through Apply or ApplyBlock, is seen by
// the next read.
func TestProductCache(t *testing.T) {
	const gtin = "09506000134369"
	seq := loadSeq(t, "supply.json")
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, seq[:6]) // products, lots, units S1 and S2 of J1
	check := func(step, want string) {
		t.Helper()
		for range 2 { // read, then read from the cache
			p, err := x.Product(gtin)
			if err != nil || p.Name != want {
				t.Fatalf("%s: Product: %q, %v; want %q", step, p.Name, err, want)
			}
			tr, err := x.Trace(gtin, "J1", "S1")
			if err != nil || tr.Product == nil || tr.Product.Name != want {
				t.Fatalf("%s: Trace's product %+v, %v; want %q", step, tr.Product, err, want)
			}
			js, err := x.AppendTraceJSON(nil, gtin, "", "S1")
			if err != nil || !bytes.Contains(js, []byte(`"product":{"id":"https://id.gs1.org/01/`+gtin+`","gtin":"`+gtin+`","name":"`+want+`"`)) {
				t.Fatalf("%s: trace JSON %.300s, %v; want the product named %q", step, js, err, want)
			}
		}
	}
	check("registered", seq[1].Event.Products[0].Name)

	renamed := func(name string) *ledger.Event {
		ev := seq[1].Event
		ev.Products = []ledger.Product{ev.Products[0]}
		ev.Products[0].Name = name
		return &ev
	}
	next := x.Checkpoint().Position
	next.Tx++
	if ok, err := x.Apply(next, renamed("Juice (Apply)")); err != nil || !ok {
		t.Fatal(ok, err)
	}
	check("Apply", "Juice (Apply)")

	blk := x.Checkpoint().Block + 1
	if _, err := x.ApplyBlock(blk, []Tx{{Pos: Position{Block: blk, Tx: 0, TxID: "rename"}, Event: renamed("Juice (ApplyBlock)")}}); err != nil {
		t.Fatal(err)
	}
	check("ApplyBlock", "Juice (ApplyBlock)")

	// A product the index does not have is not found, and found once
	// registered.
	if _, err := x.Product("09506000134376"); err == nil {
		t.Fatal("an unregistered product was found")
	}
	blk++
	ev := renamed("Pears")
	ev.Products[0].GTIN, ev.Products[0].ID = "09506000134376", "https://id.gs1.org/01/09506000134376"
	if _, err := x.ApplyBlock(blk, []Tx{{Pos: Position{Block: blk, Tx: 0, TxID: "pears"}, Event: ev}}); err != nil {
		t.Fatal(err)
	}
	if p, err := x.Product("09506000134376"); err != nil || p.Name != "Pears" {
		t.Fatalf("registered later: %+v, %v", p, err)
	}
}
