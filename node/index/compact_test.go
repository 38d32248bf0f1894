package index_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
)

// TestCompact: compacting an index changes nothing it holds, later
// applies go on from its checkpoint, and a closed index says so.
func TestCompact(t *testing.T) {
	steps := indextest.SupplySteps(t)
	x := indextest.Empty(t)
	indextest.Apply(t, x, steps[:len(steps)/2]...)
	before, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after, err := x.Digest(); err != nil || after != before {
		t.Fatalf("digest %s before compacting, %s (%v) after", before, after, err)
	}
	indextest.Apply(t, x, steps[len(steps)/2:]...)
	whole, err := indextest.Supply(t).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := x.Digest(); err != nil || got != whole {
		t.Fatalf("compacted half way, then applied: digest %s (%v), want %s", got, err, whole)
	}
	x.Close()
	if err := x.Compact(context.Background()); !errors.Is(err, index.ErrClosed) {
		t.Fatalf("closed: %v, want ErrClosed", err)
	}
}
