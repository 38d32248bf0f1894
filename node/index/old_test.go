package index

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// OpenOld opens an index of an older layout (or of this one) read-only,
// with its layout in the checkpoint, and refuses a newer one; CopyLocal
// carries the node-local tables only.
func TestOpenOld(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layout int
		want   int // the checkpoint's layout; 0: refused
	}{
		{"this layout", Layout, Layout},
		{"older", Layout - 1, Layout - 1},
		{"before layouts were recorded", 0, 1},
		{"newer", Layout + 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			x := openMem(t, fs)
			if _, err := x.Apply(Position{Block: 1, Tx: 0}, &ledger.Event{Function: "System:Ping", TxID: "t1"}); err != nil {
				t.Fatal(err)
			}
			if err := x.LocalPut("queries", "q1", []byte("v")); err != nil {
				t.Fatal(err)
			}
			cp := x.Checkpoint()
			cp.Layout = tc.layout
			if err := setJSON(x.db, checkpointKey, cp); err != nil {
				t.Fatal(err)
			}
			d, _ := x.Digest()
			x.Close()
			old, err := OpenOld("idx", &Options{FS: fs})
			if tc.want == 0 {
				if !errors.Is(err, ErrLayout) {
					t.Fatalf("OpenOld: %v, want a LayoutError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer old.Close()
			if got := old.Checkpoint(); got.Layout != tc.want || got.Block != 1 {
				t.Fatalf("checkpoint %+v", got)
			}
			if od, _ := old.Digest(); od != d {
				t.Fatal("digest differs read-only")
			}
			if _, err := old.Apply(Position{Block: 2, Tx: 0}, &ledger.Event{Function: "System:Ping", TxID: "t2"}); err == nil {
				t.Fatal("Apply to an index opened read-only succeeded")
			}
			y := openMem(t, vfs.NewMem())
			defer y.Close()
			n, err := old.CopyLocal(y)
			if err != nil || n != 1 {
				t.Fatalf("CopyLocal: %d, %v", n, err)
			}
			if v, ok, _ := y.LocalGet("queries", "q1"); !ok || string(v) != "v" {
				t.Fatal("node-local record not copied")
			}
			if y.Checkpoint().Valid {
				t.Fatal("CopyLocal copied the checkpoint")
			}
		})
	}
}
