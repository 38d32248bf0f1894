package index

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// An index written by another layout (or before layouts were recorded) is
// refused with a LayoutError that says to rebuild; one of this layout
// reopens.
func TestOpenRefusesOtherLayouts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layout int // written into the checkpoint; -1 leaves it as Apply wrote it
		ok     bool
	}{
		{"this layout", -1, true},
		{"before layouts were recorded", 0, false},
		{"older", Layout - 1, false},
		{"newer", Layout + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			x := openMem(t, fs)
			if _, err := x.Apply(Position{Block: 1, Tx: 0}, &ledger.Event{Function: "System:Ping", TxID: "t1"}); err != nil {
				t.Fatal(err)
			}
			if tc.layout >= 0 {
				cp := x.Checkpoint()
				cp.Layout = tc.layout
				if err := setJSON(x.db, checkpointKey, cp); err != nil {
					t.Fatal(err)
				}
			}
			x.Close()
			y, err := Open("idx", &Options{FS: fs})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				y.Close()
				return
			}
			var le *LayoutError
			if !errors.Is(err, ErrLayout) || !errors.As(err, &le) || le.Want != Layout {
				t.Fatalf("Open: %v, want a LayoutError", err)
			}
			t.Log(err)
		})
	}
	// A new, empty index has no layout to refuse.
	x := openMem(t, vfs.NewMem())
	x.Close()
}
