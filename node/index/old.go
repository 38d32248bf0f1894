package index

// Serving an index of an older layout while a new one is rebuilt behind
// it (package node's rolling rebuild): OpenOld opens it read-only, and
// CopyLocal carries the node-local tables over to the new index before
// the swap.

import (
	"cmp"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// OldestServed is the oldest layout whose index this trustline's readers
// can still serve. Layouts so far only added tables (5: E, R, G, H; 6: A)
// or new keys to them (7: products' service chains in A and f) and left the
// older ones as they were, so a layout-5 index answers every page, trace
// and query except what 6 added: the records as anchored (A), which only
// receipts read, so a node serving one offers no receipts. A layout-6
// index has no service chains: its receipts are format 4, which do not
// prove a product's service events complete (receipt.Limits).
// Layout 8 added the per-lot trace records (T), which an older index
// lacks: its traces are read by the scans the records replace. Layouts 9
// and 10 keep units' records with the trace records (9: copies next to
// them, 10: inside them), which an older index lacks: its traces read the
// units from u (a layout-9 index's copies are not read).
// Raise it when a layout changes what an older table holds.
const OldestServed = 5

// OpenOld opens the index in dir read-only, whatever its layout, as long
// as it is not newer than this trustline's (a *LayoutError otherwise). Its
// Checkpoint().Layout says which layout wrote it; whether this trustline
// can serve it is Layout >= OldestServed. Writes to it fail. The caller
// must Close it.
func OpenOld(dir string, opts *Options) (*Index, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.CacheSize = cmp.Or(o.CacheSize, defaultCacheSize)
	cache := pebble.NewCache(o.CacheSize)
	defer cache.Unref()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	po := &pebble.Options{FS: o.FS, Cache: cache, ReadOnly: true, Logger: pebbleLogger{log}, EventListener: pebbleEvents(log)}
	for i := range po.Levels { // as Open: the tables' filters are read
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("index: opening %s read-only: %w", dir, err)
	}
	x := &Index{db: db, noSync: true, cacheSize: o.CacheSize} // noSync: Close does not flush a read-only store
	cp, err := x.readCheckpoint()
	if err != nil {
		db.Close()
		return nil, err
	}
	if cp.Valid && cp.Layout > Layout {
		db.Close()
		return nil, &LayoutError{Dir: dir, Have: cp.Layout, Want: Layout}
	}
	if cp.Valid {
		cp.Layout = max(cp.Layout, 1) // before layouts were recorded
	}
	// Before layoutTraceRec, traces are read by scans (tracerec.go).
	x.cp, x.recs = cp, !cp.Valid || cp.Layout >= layoutTraceRec
	if err := loadClaimed(&x.claimed, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: reading the claims: %w", err)
	}
	return x, nil
}

// CopyLocal copies x's node-local tables (anchor windows and anchors,
// named queries, subscriptions and their cursors, scan counts: what Digest
// leaves out because the ledger does not give it) into dst, in one synced
// batch, replacing dst's values of the same keys. A rebuilt index thus
// keeps what the node it replaces had recorded of its own.
func (x *Index) CopyLocal(dst *Index) (int, error) {
	if x.db == nil || dst.db == nil {
		return 0, ErrClosed
	}
	b := dst.db.NewBatch()
	defer b.Close()
	n := 0
	for t := range 256 { // each node-local table is a key range of its own
		if !nodeLocal(byte(t)) {
			continue
		}
		err := scan(x.db, []byte{byte(t)}, nil, func(k, v []byte) (bool, error) {
			n++
			return true, b.Set(k, v, nil)
		})
		if err != nil {
			return 0, err
		}
	}
	if err := b.Commit(dst.writeOpts()); err != nil {
		return 0, fmt.Errorf("index: copying the node-local records: %w", err)
	}
	return n, nil
}
