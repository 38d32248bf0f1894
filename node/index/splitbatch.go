package index

import "github.com/cockroachdb/pebble/v2"

// An apply reads back some of what it writes (a lot's inputs and recalls,
// logistic units, positions, everything the claims evaluate), so it
// writes through an indexed batch, which inserts every key into the
// batch's skiplist as it is set. Most of its keys are never read back
// while applying: the event tables by time, EPC, class and query field,
// the positions by block, the anchored records, units and shipments.
// ApplyBlocks writes those to a plain batch beside the indexed one, and
// commits both as one batch (the plain one with the indexed one's
// operations appended), so a catching-up node does not index a third of
// its keys twice, and a crash still leaves all of a batch or none of it.
// A table not listed here goes to the indexed batch, which is always
// correct.
func writeOnlyTable(t byte) bool {
	switch t {
	case tTime, tEPC, tClass, tField, tRecord, tBlockEvent, tLotState, tAnchored, tUnit, tShipment:
		return true
	}
	return false
}

// splitBatch is a writer over an indexed batch (reads, and the tables an
// apply reads back) and a plain batch (writeOnlyTable).
type splitBatch struct {
	*pebble.Batch // indexed
	plain         *pebble.Batch
}

func (s splitBatch) Set(k, v []byte, o *pebble.WriteOptions) error {
	if len(k) > 0 && writeOnlyTable(k[0]) {
		return s.plain.Set(k, v, o)
	}
	return s.Batch.Set(k, v, o)
}

// commit commits both batches as one: the plain batch with the indexed
// batch's operations appended.
func (s splitBatch) commit(o *pebble.WriteOptions) error {
	if err := s.plain.Apply(s.Batch, nil); err != nil {
		return err
	}
	return s.plain.Commit(o)
}

// Len is the bytes of both batches.
func (s splitBatch) Len() int { return s.Batch.Len() + s.plain.Len() }
