// Package indextest builds in-memory indexes of the index package's
// fixtures for the tests of the packages above it (the API, its clients).
// The index package's own tests cannot import it (it imports index).
package indextest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// Step is one transaction of a fixture: where it was recorded and its
// payload.
type Step struct {
	Block uint64
	Tx    int
	Event ledger.Event
}

// SupplySteps are the transactions of testdata/supply.json, in order:
// apples L1 and L2 made into juice J1, shipped, recalled.
func SupplySteps(t testing.TB) []Step {
	t.Helper()
	return steps(t, "supply.json")
}

// DemoSteps are the transactions of testdata/demo.json: the demo story
// (internal/demo's Fixture: raw milk RM-F1 made into yogurt lots
// YG-F1-A, with five serialised jars, and YG-F1-B, both shipped to the
// store; lot B recalled), as the chaincode records it (the chaincode's
// TestDemoFixture keeps the file in step).
func DemoSteps(t testing.TB) []Step {
	t.Helper()
	return steps(t, "demo.json")
}

func steps(t testing.TB, name string) []Step {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var seq []Step
	if err := json.Unmarshal(b, &seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

// Empty returns an empty in-memory index, closed when the test ends.
func Empty(t testing.TB) *index.Index {
	t.Helper()
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

// Apply applies steps to idx, as the follower would.
func Apply(t testing.TB, idx *index.Index, steps ...Step) {
	t.Helper()
	for _, s := range steps {
		if _, err := idx.Apply(index.Position{Block: s.Block, Tx: s.Tx, TxID: s.Event.TxID}, &s.Event); err != nil {
			t.Fatal(err)
		}
	}
}

// ApplyBlocks applies each step as a whole block (index.ApplyBlock), as
// the follower does: readers of completed blocks only (the
// subscriptions' feed) see them.
func ApplyBlocks(t testing.TB, idx *index.Index, steps ...Step) {
	t.Helper()
	for _, s := range steps {
		tx := index.Tx{Pos: index.Position{Block: s.Block, Tx: s.Tx, TxID: s.Event.TxID}, Event: &s.Event}
		if _, err := idx.ApplyBlock(s.Block, []index.Tx{tx}); err != nil {
			t.Fatal(err)
		}
	}
}

// Supply returns an in-memory index with testdata/supply.json applied.
func Supply(t testing.TB) *index.Index {
	t.Helper()
	idx := Empty(t)
	Apply(t, idx, SupplySteps(t)...)
	return idx
}

// Demo returns an in-memory index with testdata/demo.json applied.
func Demo(t testing.TB) *index.Index {
	t.Helper()
	idx := Empty(t)
	Apply(t, idx, DemoSteps(t)...)
	return idx
}

// SetLayout makes the index in dir (closed) one written by layout: its
// checkpoint (m checkpoint, as package index documents it) says so. For
// tests of what a node does with an index of another layout.
func SetLayout(t testing.TB, dir string, layout int) {
	t.Helper()
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietPebble{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k := []byte("m\x00checkpoint")
	v, closer, err := db.Get(k)
	if err != nil {
		t.Fatal(err)
	}
	var cp map[string]any
	err = json.Unmarshal(v, &cp)
	closer.Close()
	if err != nil {
		t.Fatal(err)
	}
	cp["layout"] = layout
	b, _ := json.Marshal(cp)
	if err := db.Set(k, b, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

// quietPebble drops Pebble's informational logs.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any)  {}
func (quietPebble) Errorf(string, ...any) {}
func (quietPebble) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
