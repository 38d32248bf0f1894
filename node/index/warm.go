package index

import (
	"context"

	"github.com/cockroachdb/pebble/v2"
)

// Warming the block cache. A consumer's scan of a lot that the node has
// not read since it started reads the lot's trace record (tracerec.go)
// from disk: under scans spread over many lots, block-cache misses were
// about a third of a trace's time (1M lots, 512 MiB cache). A node that
// has served for long enough holds the records it serves in its cache;
// Warm brings a node just started, or an operator's larger cache, to that
// state at once, by reading the trace records in key order (sequential
// reads, cheap for the disk).

// WarmStats is what Warm read.
type WarmStats struct {
	// Records is the trace records read, Bytes their keys' and values'
	// bytes (about what they take in the cache, which holds blocks
	// uncompressed).
	Records, Bytes int64
	// Full is true when Warm stopped because it had read as much as the
	// cache holds, before the last record.
	Full bool
}

// warmProgressBytes is how often Warm reports progress.
const warmProgressBytes = 64 << 20

// Warm reads the trace records into the block cache, in key order, until
// it has read nine tenths of the cache's size (reading more would evict
// what it read; Options.CacheSize sizes the cache: about 2 KB a lot, for
// lots of two units and one event, holds every lot's record), the last record, or ctx is done (ctx's error).
// progress, if not nil, is called every 64 MiB read. An index without
// trace records (an older layout) has nothing to warm. It may run while
// the index serves and applies blocks.
func (x *Index) Warm(ctx context.Context, progress func(WarmStats)) (WarmStats, error) {
	var st WarmStats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if !x.recs {
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

// CacheStats are the block cache's figures, for /metrics: how much it
// holds of its capacity (Options.CacheSize), and its hits and misses
// since the index was opened.
type CacheStats struct {
	Bytes, Capacity, Hits, Misses int64
}

// CacheStats returns the block cache's figures.
func (x *Index) CacheStats() CacheStats {
	m := x.db.Metrics().BlockCache
	return CacheStats{Bytes: m.Size, Capacity: x.cacheSize, Hits: m.Hits, Misses: m.Misses}
}
