package index_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
)

// TestWarm: Warm reads every trace record into a cache that holds them,
// stops at nine tenths of one that does not, and stops when cancelled.
func TestWarm(t *testing.T) {
	open := func(cache int64) *index.Index {
		x, err := index.Open("idx", &index.Options{FS: vfs.NewMem(), CacheSize: cache})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		indextest.Apply(t, x, indextest.SupplySteps(t)...)
		return x
	}
	all, err := open(0).Warm(context.Background(), nil)
	if err != nil || all.Full || all.Records < 3 || all.Bytes < all.Records*16 {
		t.Fatalf("default cache: %+v, %v: want every trace record read", all, err)
	}
	// A cache of twice a record's mean size holds about two of the three:
	// Warm stops at nine tenths of it.
	size := all.Bytes / all.Records * 2
	some, err := open(size).Warm(context.Background(), nil)
	if err != nil || !some.Full || some.Records >= all.Records || some.Bytes < size/10*9 {
		t.Fatalf("%d-byte cache: %+v, %v (all: %+v): want it stopped once full", size, some, err, all)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := open(0).Warm(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
