package index

import (
	"bytes"
	"context"

	"github.com/cockroachdb/pebble/v2"
)

// Warming the caches. A consumer's scan of a lot that the node has not
// read since it started reads the lot's trace record (tracerec.go) from
// disk: under scans spread over many lots, block-cache misses were about
// a third of a trace's time (1M lots, 512 MiB cache). Warm fills the
// record table (rectable.go), which then serves every record it holds,
// by reading the trace records in key order (sequential reads, cheap for
// the disk); an index whose cache is too small for a record table has
// its block cache warmed instead.

// WarmStats is what Warm read.
type WarmStats struct {
	// Records is the trace records read (and held by the record table),
	// Bytes their keys' and values' bytes (about what they take in the
	// cache).
	Records, Bytes int64
	// Full is true when Warm stopped because it had read as much as the
	// cache holds, before the last record.
	Full bool
}

// warmBatch is how many records Warm gives the record table at a time,
// holding the apply lock (a variable: a test takes two at a time).
var warmBatch = 1024

// warmProgressBytes is how often Warm reports progress.
const warmProgressBytes = 64 << 20

// Warm reads the trace records into the record table, in key order,
// until it is full (Options.CacheSize sizes it: about 330 bytes a lot, for
// lots of two units and one event), the last record, or ctx is done
// (ctx's error). Without a record table it reads them into the block
// cache until nine tenths of its size (reading more would evict what it
// read). progress, if not nil, is called every 64 MiB read. An index
// without trace records (an older layout) has nothing to warm. It may run
// while the index serves and applies blocks: it gives the table a
// thousand records at a time, each read under the apply lock, so that
// the table never holds a record older than the index's.
func (x *Index) Warm(ctx context.Context, progress func(WarmStats)) (WarmStats, error) {
	var st WarmStats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if !x.recs {
		return st, nil
	}
	if x.tab != nil {
		lo := []byte{tTraceRec}
		hi := upperBound(lo)
		next := int64(warmProgressBytes)
		for lo != nil {
			var err error
			if lo, err = x.warmStep(&st, lo, hi); err != nil || st.Full {
				return st, err
			}
			if st.Bytes >= next {
				next += warmProgressBytes
				if progress != nil {
					progress(st)
				}
			}
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		return st, nil
	}
	limit := x.cacheSize / 10 * 9
	lo := []byte{tTraceRec}
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: upperBound(lo)})
	if err != nil {
		return st, err
	}
	defer it.Close()
	next := int64(warmProgressBytes)
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return st, err
		}
		st.Records++
		st.Bytes += int64(len(it.Key()) + len(v))
		if st.Bytes >= limit {
			st.Full = true
			break
		}
		if st.Bytes >= next {
			next += warmProgressBytes
			if err := ctx.Err(); err != nil {
				return st, err
			}
			if progress != nil {
				progress(st)
			}
		}
	}
	return st, it.Error()
}

// warmStep gives the record table up to warmBatch records from lo (below
// hi), under the apply lock; it returns where to go on from, nil after
// the last.
func (x *Index) warmStep(st *WarmStats, lo, hi []byte) ([]byte, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db == nil {
		return nil, ErrClosed
	}
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n == warmBatch {
			return bytes.Clone(it.Key()), nil
		}
		n++
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		if !x.tab.fits(it.Key(), v) {
			continue // read from Pebble
		}
		if !x.tab.has(it.Key()) && !x.tab.set(it.Key(), v) {
			st.Full = true
			return nil, nil
		}
		st.Records++
		st.Bytes += int64(len(it.Key()) + len(v))
	}
	return nil, it.Error()
}

// CacheStats are the caches' figures, for /metrics: how much the block
// cache holds of its capacity (its share of Options.CacheSize), and its
// hits and misses since the index was opened; the trace records the
// record table holds, and its bytes and capacity.
type CacheStats struct {
	Bytes, Capacity, Hits, Misses        int64
	Records, RecordBytes, RecordCapacity int64
}

// CacheStats returns the caches' figures.
func (x *Index) CacheStats() CacheStats {
	m := x.db.Metrics().BlockCache
	st := CacheStats{Bytes: m.Size, Capacity: x.cacheSize, Hits: m.Hits, Misses: m.Misses}
	if x.tab != nil {
		n, b := x.tab.size()
		st.Records, st.RecordBytes, st.RecordCapacity = int64(n), b, x.tab.max
	}
	return st
}
