package index

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// An apply reads back some of what it writes (a lot's inputs and recalls,
// logistic units, positions, everything the claims evaluate), so it
// writes through an indexed batch, which inserts every key into the
// batch's skiplist as it is set. Most of its keys are never read back
// while applying: the event tables by time, EPC, class and query field,
// the positions by block, the anchored records, units and shipments.
// ApplyBlocks sets those aside (writeBuf) and commits them with the
// indexed batch's operations as one batch, so a catching-up node does not
// index most of its keys twice (in BenchmarkRebuild 11.7 of 19 keys an
// event, 2.7 of 5.0 KB), and a crash still leaves all of a batch or none
// of it. A table not listed here goes to the indexed batch,
// which is always correct. The trace records (T) are read back, but only
// by flushTraceRecs, once a batch, before the batch writes any.
func writeOnlyTable(t byte) bool {
	switch t {
	case tTime, tEPC, tClass, tField, tRecord, tBlockEvent, tLotState, tAnchored, tUnit, tShipment, tTraceRec:
		return true
	}
	return false
}

// splitBatch is a writer over an indexed batch (reads, and the tables an
// apply reads back) and a writeBuf (writeOnlyTable).
type splitBatch struct {
	*pebble.Batch // indexed
	plain         *writeBuf
}

// newSplitBatch is a splitBatch of an indexed batch of size bytes and
// buf, emptied. The indexed batch, which is never committed itself, holds
// its operations in buf.indexed (Close takes them back).
func newSplitBatch(db *pebble.DB, size int, buf *writeBuf) splitBatch {
	buf.reset()
	if cap(buf.indexed) < max(size/2, batchHeader) {
		buf.indexed = make([]byte, batchHeader, max(size/2, batchHeader))
	}
	b := db.NewIndexedBatch()
	repr := buf.indexed[:batchHeader]
	clear(repr) // an empty batch
	if err := b.SetRepr(repr); err != nil {
		// Cannot happen for an empty batch's header; a fresh one then.
		b.Close()
		b = db.NewIndexedBatchWithSize(size / 2)
	}
	return splitBatch{b, buf}
}

// batchHeader is the length of a batch's header (sequence number and
// count), all zero in an empty batch.
const batchHeader = 12

// Close closes the indexed batch, keeping its buffer for the next (but
// never giving it to Pebble's pool of batches).
func (s splitBatch) Close() error {
	if r := s.Batch.Repr(); cap(r) <= 4*maxRetainedBatch {
		s.plain.indexed = r[:0]
	}
	if err := s.Batch.SetRepr(make([]byte, batchHeader)); err != nil {
		return err
	}
	return s.Batch.Close()
}

func (s splitBatch) Set(k, v []byte, _ *pebble.WriteOptions) error {
	if len(k) > 0 && writeOnlyTable(k[0]) {
		s.plain.set(k, v)
		return nil
	}
	return s.Batch.Set(k, v, nil)
}

// Len is the bytes of the operations of both.
func (s splitBatch) Len() int { return s.Batch.Len() + len(s.plain.data) + 4*len(s.plain.ops) }

// commit commits the operations of both as one batch, in key order.
//
// A commit inserts every key into the memtable's skiplist. Inserted in
// the order an apply writes them, each key is searched for from the top
// of a skiplist of tens of megabytes, a cache miss a level; in key order,
// the search starts where the previous key went in, which the memtable's
// inserter remembers. Operations on one key keep their order, so the
// later one still wins. The committed batch's buffer is kept for the next
// (pebble.WithMaxRetainedSizeBytes): on a shared machine, touching
// megabytes of fresh memory for every commit cost more than copying them.
func (s splitBatch) commit(db *pebble.DB, o *pebble.WriteOptions) error {
	ops := s.plain.sortable()
	ops, ok := batchOps(ops, s.Batch)
	if !ok {
		// An operation other than a set or a delete: committed in the
		// order written, the set-aside operations first.
		b := db.NewBatchWithSize(s.Len())
		defer b.Close()
		for _, op := range ops[:len(s.plain.ops)] {
			if err := b.Set(op.key, op.value, nil); err != nil {
				return err
			}
		}
		if err := b.Apply(s.Batch, nil); err != nil {
			return err
		}
		return b.Commit(o)
	}
	slices.SortFunc(ops, func(a, b batchOp) int {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
	sorted := db.NewBatchWithSize(s.Len(), pebble.WithMaxRetainedSizeBytes(maxRetainedBatch))
	defer sorted.Close()
	for _, op := range ops {
		var err error
		if op.del {
			err = sorted.Delete(op.key, nil)
		} else {
			err = sorted.Set(op.key, op.value, nil)
		}
		if err != nil {
			return err
		}
	}
	clear(ops) // they point into the indexed batch
	s.plain.sorted = ops[:0]
	return sorted.Commit(o)
}

// maxRetainedBatch bounds the buffer of a committed batch kept for the
// next: a batch of 1,024 transactions (the follower's bound) is ~5 MiB.
const maxRetainedBatch = 16 << 20

// writeBuf holds the operations set aside from the indexed batch, in the
// order set; it is kept by the Index and reused by the next ApplyBlocks.
type writeBuf struct {
	data    []byte
	ops     []bufOp
	sorted  []batchOp // the slice commit sorts, kept for its capacity
	indexed []byte    // the indexed batch's buffer (newSplitBatch)
}

// bufOp is a set of data[off:off+klen] to data[off+klen:off+klen+vlen].
type bufOp struct{ off, klen, vlen int }

func (w *writeBuf) reset() {
	if cap(w.data) > 4*maxRetainedBatch { // an unusually large batch: not kept
		w.data, w.ops, w.sorted = nil, nil, nil
	}
	w.data, w.ops = w.data[:0], w.ops[:0]
}

func (w *writeBuf) set(k, v []byte) {
	w.ops = append(w.ops, bufOp{len(w.data), len(k), len(v)})
	w.data = append(append(w.data, k...), v...)
}

// sortable is the operations of w as batchOps, numbered from 0.
func (w *writeBuf) sortable() []batchOp {
	ops := w.sorted[:0]
	for i, op := range w.ops {
		k := w.data[op.off : op.off+op.klen : op.off+op.klen]
		ops = append(ops, batchOp{key: k, value: w.data[op.off+op.klen : op.off+op.klen+op.vlen], ord: i})
	}
	return ops
}

// batchOp is one operation of a batch: a set, or a delete (del).
type batchOp struct {
	key, value []byte
	ord        int // its place among the operations, for a stable sort
	del        bool
}

// batchOps appends the operations of b to ops, numbered on from
// len(ops); ok is false if b holds any other kind of operation than a set
// or a delete.
func batchOps(ops []batchOp, b *pebble.Batch) ([]batchOp, bool) {
	ord := len(ops)
	r := b.Reader()
	for {
		kind, k, v, ok, err := r.Next()
		if err != nil {
			return ops, false
		}
		if !ok {
			return ops, true
		}
		switch kind {
		case pebble.InternalKeyKindSet:
			ops = append(ops, batchOp{key: k, value: v, ord: ord})
		case pebble.InternalKeyKindDelete:
			ops = append(ops, batchOp{key: k, ord: ord, del: true})
		default:
			return ops, false
		}
		ord++
	}
}
