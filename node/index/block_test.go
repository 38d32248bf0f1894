package index

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// blocks groups a testdata sequence by block, with empty blocks 0 to last.
func blocks(seq []tx) [][]Tx {
	last := seq[len(seq)-1].Block
	out := make([][]Tx, last+1)
	for _, s := range seq {
		out[s.Block] = append(out[s.Block], Tx{Pos: s.pos(), Event: &s.Event})
	}
	return out
}

func applyBlocks(t *testing.T, x *Index, bs [][]Tx) int {
	t.Helper()
	n := 0
	for b, txs := range bs {
		k, err := x.ApplyBlock(uint64(b), txs)
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

func digest(t *testing.T, x *Index) string {
	t.Helper()
	d, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ApplyBlock builds the same index as Apply per transaction, whatever was
// applied before (a crash mid-block of an older follower, a replayed
// block), and counts every transaction once.
func TestApplyBlockExactlyOnce(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	ref := openMem(t, vfs.NewMem())
	defer ref.Close()
	applyAll(t, ref, seq)
	want := digest(t, ref)

	for _, tc := range []struct {
		name   string
		before int // transactions applied with Apply first
		replay bool
	}{
		{"fresh", 0, false},
		{"after a mid-block checkpoint", 3, false}, // block 4 tx 0 applied, tx 1 not
		{"every block twice", 0, true},
		{"all applied before", len(seq), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := openMem(t, vfs.NewMem())
			defer x.Close()
			applyAll(t, x, seq[:tc.before])
			n := applyBlocks(t, x, blocks(seq))
			if tc.replay {
				n += applyBlocks(t, x, blocks(seq))
			}
			if got := digest(t, x); got != want {
				t.Errorf("digest %s, want %s", got, want)
			}
			if n != len(seq)-tc.before {
				t.Errorf("ApplyBlock applied %d, want %d", n, len(seq)-tc.before)
			}
			cp := x.Checkpoint()
			if cp.Applied != uint64(len(seq)) || cp.Events != uint64(len(seq)) {
				t.Errorf("checkpoint counts %+v, want %d transactions", cp, len(seq))
			}
			if last := seq[len(seq)-1].Block; cp.Position != BlockStart(last+1) || cp.NextBlock() != last+1 {
				t.Errorf("checkpoint at %+v, want the start of block %d", cp.Position, last+1)
			}
		})
	}
}

// A payload the index rejects leaves nothing of its block; retried
// without it, the rest of the block is applied and the position is passed.
func TestApplyBlockRejected(t *testing.T) {
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	good := ledger.Event{TxID: "a", Products: []ledger.Product{{GTIN: "09506000134352", Name: "ok"}}}
	bad := ledger.Event{TxID: "b", Products: []ledger.Product{{GTIN: "", Name: "no key"}}}
	txs := []Tx{{Pos: Position{Block: 1, Tx: 0, TxID: "a"}, Event: &good}, {Pos: Position{Block: 1, Tx: 2, TxID: "b"}, Event: &bad}}
	_, err := x.ApplyBlock(1, txs)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Pos != txs[1].Pos {
		t.Fatalf("ApplyBlock = %v, want an ApplyError at %+v", err, txs[1].Pos)
	}
	if _, err := x.Product(good.Products[0].GTIN); !errors.Is(err, ErrNotFound) || x.Checkpoint().Valid {
		t.Fatalf("a rejected block left writes: %v, %+v", err, x.Checkpoint())
	}
	txs[1].Event = nil
	if n, err := x.ApplyBlock(1, txs); err != nil || n != 2 {
		t.Fatalf("retry = %d, %v", n, err)
	}
	if _, err := x.Product(good.Products[0].GTIN); err != nil {
		t.Error(err)
	}
	if cp := x.Checkpoint(); cp.Applied != 2 || cp.Events != 1 || cp.NextBlock() != 2 {
		t.Errorf("checkpoint %+v", cp)
	}
	if _, err := x.ApplyBlock(3, []Tx{{Pos: Position{Block: 2}}}); err == nil {
		t.Error("a transaction of another block was accepted")
	}
}

// An unsynced index (rebuilds) still holds everything after Close.
func TestNoSyncCloseFlushes(t *testing.T) {
	fs := vfs.NewMem()
	seq := loadSeq(t, "supply.json")
	x, err := Open("idx", &Options{FS: fs, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	applyBlocks(t, x, blocks(seq))
	want := digest(t, x)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y := openMem(t, fs)
	defer y.Close()
	if got := digest(t, y); got != want || y.Checkpoint().Events != uint64(len(seq)) {
		t.Errorf("reopened: digest %s (want %s), checkpoint %+v", got, want, y.Checkpoint())
	}
}

// An index without a write-ahead log holds after a crash the blocks of its
// last memtable flush, with their checkpoint, and a rebuild resuming from
// that checkpoint builds the index a complete one does. Its node-local
// writes, which ask for no sync either, are kept by Close.
func TestNoLogCrashResumes(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	bs := blocks(seq)
	ref := openMem(t, vfs.NewMem())
	defer ref.Close()
	applyBlocks(t, ref, bs)
	want := digest(t, ref)

	fs := vfs.NewCrashableMem()
	x, err := Open("idx", &Options{FS: fs, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	half := len(bs) / 2
	applyBlocks(t, x, bs[:half])
	if err := x.db.Flush(); err != nil {
		t.Fatal(err)
	}
	applyBlocks(t, x, bs[half:]) // in the memtable only
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}

	y, err := Open("idx", &Options{FS: crashed, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := y.LocalPut("ns", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got := y.Checkpoint().NextBlock(); got != uint64(half) {
		t.Fatalf("after the crash the checkpoint is at block %d, want %d (the last flush)", got, half)
	}
	// Resumed as a follower does: from the checkpoint's block on.
	for b := y.Checkpoint().NextBlock(); b < uint64(len(bs)); b++ {
		if _, err := y.ApplyBlock(b, bs[b]); err != nil {
			t.Fatal(err)
		}
	}
	if got := digest(t, y); got != want || y.Checkpoint().Events != ref.Checkpoint().Events {
		t.Errorf("resumed: digest %s, %d events; a complete rebuild: %s, %d events", got, y.Checkpoint().Events, want, ref.Checkpoint().Events)
	}
	if err := y.Close(); err != nil {
		t.Fatal(err)
	}
	z := openMem(t, crashed)
	defer z.Close()
	if v, ok, err := z.LocalGet("ns", "k"); err != nil || !ok || string(v) != "v" {
		t.Errorf("a node-local write after Close: %q, %v, %v", v, ok, err)
	}
}

// ApplyBlocks commits consecutive blocks at once and builds the same index
// as ApplyBlock per block, with or without prepared payloads; a payload
// the index rejects leaves every block of the batch unwritten.
func TestApplyBlocks(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	ref := openMem(t, vfs.NewMem())
	defer ref.Close()
	applyBlocks(t, ref, blocks(seq))
	want := digest(t, ref)
	batch := func(bs [][]Tx, prepare bool) []Block {
		var out []Block
		for n, txs := range bs {
			b := Block{Number: uint64(n)}
			for _, t := range txs {
				if prepare {
					t.Prepared = Prepare(t.Event)
				}
				b.Txs = append(b.Txs, t)
			}
			out = append(out, b)
		}
		return out
	}
	for _, prepare := range []bool{false, true} {
		t.Run(fmt.Sprintf("prepared=%v", prepare), func(t *testing.T) {
			x := openMem(t, vfs.NewMem())
			defer x.Close()
			all := batch(blocks(seq), prepare)
			// The first blocks alone, then all of them again: the first
			// ones are skipped.
			if _, err := x.ApplyBlocks(all[:3]); err != nil {
				t.Fatal(err)
			}
			n, err := x.ApplyBlocks(all)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for i, k := range n {
				if i < 3 && k != 0 {
					t.Errorf("block %d applied again: %d", i, k)
				}
				total += k
			}
			if got := digest(t, x); got != want {
				t.Errorf("digest %s, want %s", got, want)
			}
			cp := x.Checkpoint()
			if cp.Events != uint64(len(seq)) || cp.Blocks != uint64(len(all)) || cp.NextBlock() != uint64(len(all)) {
				t.Errorf("checkpoint %+v", cp)
			}
		})
	}

	t.Run("rejected payload", func(t *testing.T) {
		x := openMem(t, vfs.NewMem())
		defer x.Close()
		all := batch(blocks(seq), true)
		last := &all[len(all)-1].Txs[0]
		bad := *last.Event
		bad.Products = []ledger.Product{{GTIN: ""}}
		last.Event, last.Prepared = &bad, Prepare(&bad)
		_, err := x.ApplyBlocks(all)
		var ae *ApplyError
		if !errors.As(err, &ae) || ae.Pos != last.Pos {
			t.Fatalf("err = %v, want an ApplyError at %+v", err, last.Pos)
		}
		if cp := x.Checkpoint(); cp.Valid {
			t.Errorf("checkpoint moved: %+v", cp)
		}
		if _, err := x.Lot(gtinA, "L1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("an earlier block was written: %v", err)
		}
	})

	t.Run("out of order", func(t *testing.T) {
		x := openMem(t, vfs.NewMem())
		defer x.Close()
		if _, err := x.ApplyBlocks([]Block{{Number: 2}, {Number: 2}}); err == nil {
			t.Error("no error for a block given twice")
		}
	})
}

// A product's claims are known after the index is reopened: a lot made
// after the restart is evaluated.
func TestClaimsKnownAfterReopen(t *testing.T) {
	fs := vfs.NewMem()
	x := openMem(t, fs)
	seq := loadSeq(t, "supply.json")
	cold := ledger.Claim{ID: "claim-1", Subject: "https://id.gs1.org/01/" + gtinA, GTIN: gtinA, Kind: ledger.ClaimColdChain, Wording: "Cold chain",
		Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 60}}}
	applyAll(t, x, seq[:2])
	c := claimTx(3, "2025-06-01T12:00:00.000000000Z", cold)
	c.Tx = 1
	applyAll(t, x, []tx{c})
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x = openMem(t, fs)
	defer x.Close()
	applyAll(t, x, seq[2:3]) // lot L1 of the claimed product
	if rs, err := x.ClaimResults(gtinA, "L1"); err != nil || len(rs) != 1 {
		t.Errorf("ClaimResults after reopening = %+v, %v", rs, err)
	}
}
