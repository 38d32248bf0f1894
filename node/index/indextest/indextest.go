// Package indextest builds in-memory indexes of the index package's
// fixtures for the tests of the packages above it (the API, its clients).
// The index package's own tests cannot import it (it imports index).
package indextest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// Supply returns an in-memory index with testdata/supply.json applied:
// apples L1 and L2 made into juice J1, shipped, recalled.
func Supply(t testing.TB) *index.Index {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", "supply.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seq []struct {
		Block uint64
		Tx    int
		Event ledger.Event
	}
	if err := json.Unmarshal(b, &seq); err != nil {
		t.Fatal(err)
	}
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for _, s := range seq {
		if _, err := idx.Apply(index.Position{Block: s.Block, Tx: s.Tx, TxID: s.Event.TxID}, &s.Event); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}
