// Package storetest checks that an anchoring.Store behaves as
// anchoring.MemStore does, so that every implementation (the node's Pebble
// index among them) is held to the same contract.
package storetest

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/merkle"
	"github.com/trustline/trustline/node/anchoring"
)

// window is a window of blocks from..to holding ids.
func window(from, to uint64, ids ...string) anchoring.Window {
	mw := merkle.NewWindow(ids)
	return anchoring.Window{
		Window: ethanchor.Window{Channel: "trustline", FromBlock: from, ToBlock: to, Root: mw.Tree().Root()},
		IDs:    mw.IDs(),
	}
}

func receiptOf(w anchoring.Window, chain int64, tx byte, log uint) ethanchor.Receipt {
	return ethanchor.Receipt{Window: w.Window, ChainID: big.NewInt(chain), Contract: common.Address{9}, TxHash: common.Hash{tx},
		BlockNumber: uint64(tx), BlockHash: common.Hash{0xb, tx}, LogIndex: log, Submitter: common.Address{tx}}
}

// Run runs the contract's cases, each on a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) anchoring.Store) {
	ctx := context.Background()
	w1 := window(0, 9, "a", "b", "c")
	w2 := window(10, 19, "d")
	w3 := window(20, 25, "e", "b") // b again: its first window stays w1
	tests := []struct {
		name  string
		check func(t *testing.T, s anchoring.Store)
	}{
		{"empty", func(t *testing.T, s anchoring.Store) {
			if _, ok, err := s.LastWindow(ctx); ok || err != nil {
				t.Errorf("LastWindow = %v, %v; want none", ok, err)
			}
			if _, ok, err := s.WindowOf(ctx, "a"); ok || err != nil {
				t.Errorf("WindowOf = %v, %v; want none", ok, err)
			}
			if ws, err := s.Windows(ctx, 0, 0); len(ws) != 0 || err != nil {
				t.Errorf("Windows = %v, %v; want none", ws, err)
			}
			if as, err := s.Anchors(ctx, 0); len(as) != 0 || err != nil {
				t.Errorf("Anchors = %v, %v; want none", as, err)
			}
		}},
		{"windows follow the last", func(t *testing.T, s anchoring.Store) {
			save(t, s, w1, w2)
			if err := s.SaveWindow(ctx, window(25, 29, "x")); err == nil {
				t.Error("a window leaving a gap was saved")
			}
			if err := s.SaveWindow(ctx, window(5, 29, "x")); err == nil {
				t.Error("an overlapping window was saved")
			}
			last, ok, err := s.LastWindow(ctx)
			if err != nil || !ok || !equal(last, w2) {
				t.Errorf("LastWindow = %+v, %v, %v; want %+v", last, ok, err, w2)
			}
		}},
		{"window of an id", func(t *testing.T, s anchoring.Store) {
			save(t, s, w1, w2, w3)
			for id, want := range map[string]anchoring.Window{"a": w1, "b": w1, "d": w2, "e": w3} {
				got, ok, err := s.WindowOf(ctx, id)
				if err != nil || !ok || !equal(got, want) {
					t.Errorf("WindowOf(%s) = %d..%d, %v, %v; want %d..%d", id, got.FromBlock, got.ToBlock, ok, err, want.FromBlock, want.ToBlock)
				}
			}
			if _, ok, _ := s.WindowOf(ctx, "z"); ok {
				t.Error("WindowOf(z) found a window")
			}
		}},
		{"windows from a block", func(t *testing.T, s anchoring.Store) {
			save(t, s, w1, w2, w3)
			for _, tc := range []struct {
				from  uint64
				limit int
				want  []uint64 // FromBlocks
			}{
				{0, 0, []uint64{0, 10, 20}}, {9, 0, []uint64{0, 10, 20}}, {10, 0, []uint64{10, 20}},
				{15, 1, []uint64{10}}, {25, 0, []uint64{20}}, {26, 0, nil}, {0, 2, []uint64{0, 10}},
			} {
				ws, err := s.Windows(ctx, tc.from, tc.limit)
				var got []uint64
				for _, w := range ws {
					got = append(got, w.FromBlock)
				}
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("Windows(%d, %d) = %v, %v; want %v", tc.from, tc.limit, got, err, tc.want)
				}
			}
		}},
		{"anchors deduplicated by chain, tx and log", func(t *testing.T, s anchoring.Store) {
			save(t, s, w1, w2)
			r1, r2, r3 := receiptOf(w1, 1337, 1, 0), receiptOf(w1, 1337, 1, 1), receiptOf(w1, 1, 1, 0)
			r1.GasUsed = 30000
			for _, add := range [][]ethanchor.Receipt{{r1}, {r1, r2}, {r3, r2}, {r1}} {
				if err := s.AddAnchors(ctx, 0, add...); err != nil {
					t.Fatal(err)
				}
			}
			as, err := s.Anchors(ctx, 0)
			if err != nil || len(as) != 3 {
				t.Fatalf("Anchors = %d, %v; want 3", len(as), err)
			}
			for _, want := range []ethanchor.Receipt{r1, r2, r3} {
				if !slices.ContainsFunc(as, func(a ethanchor.Receipt) bool { return sameReceipt(a, want) }) {
					t.Errorf("anchor %x log %d on chain %v missing", want.TxHash[:1], want.LogIndex, want.ChainID)
				}
			}
			if as, _ := s.Anchors(ctx, 10); len(as) != 0 {
				t.Errorf("window 10 has %d anchors, want 0", len(as))
			}
		}},
		{"proof", func(t *testing.T, s anchoring.Store) {
			save(t, s, w1)
			r := receiptOf(w1, 1337, 7, 0)
			if err := s.AddAnchors(ctx, 0, r); err != nil {
				t.Fatal(err)
			}
			p, err := anchoring.Proof(ctx, s, "b")
			if err != nil {
				t.Fatal(err)
			}
			if err := merkle.Verify([]byte("b"), p.LeafIndex, p.Size, p.Path, p.Window.Root); err != nil || len(p.Anchors) != 1 {
				t.Errorf("proof of b: %v, %d anchors", err, len(p.Anchors))
			}
			if _, err := anchoring.Proof(ctx, s, "z"); !errors.Is(err, anchoring.ErrNotAnchored) {
				t.Errorf("proof of z: %v, want ErrNotAnchored", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, open(t)) })
	}
}

func save(t *testing.T, s anchoring.Store, ws ...anchoring.Window) {
	t.Helper()
	for _, w := range ws {
		if err := s.SaveWindow(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
}

func equal(a, b anchoring.Window) bool { return a.Window == b.Window && slices.Equal(a.IDs, b.IDs) }

func sameReceipt(a, b ethanchor.Receipt) bool {
	return a.Window == b.Window && a.ChainID.Cmp(b.ChainID) == 0 && a.Contract == b.Contract && a.TxHash == b.TxHash &&
		a.BlockNumber == b.BlockNumber && a.BlockHash == b.BlockHash && a.LogIndex == b.LogIndex &&
		a.Submitter == b.Submitter && a.GasUsed == b.GasUsed
}
