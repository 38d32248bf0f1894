package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
)

// Tables of where each EPCIS event and each anchored ledger record
// (ledger.Record, keyed by its record id) was recorded, written by Apply and
// ApplyBlock with the transaction (so they are ledger-derived and part of
// Digest), for the anchoring loop (Source) and receipts (EventPosition):
//
//	b {block, 20 digits} {eventID}  → transaction id, space, hex SHA-256 of the content (ledger.ContentHash)
//	n {eventID}                     → EventPosition JSON (first recording)
//	f {block} {tx, 10 digits} {lot} → id of the lot record the transaction wrote (ledger order)
//
// An index built before these tables existed must be rebuilt to anchor
// its older blocks (Layout).
const (
	tBlockEvent = 'b'
	tEventPos   = 'n'
	tLotState   = 'f'
)

// blockKey is a block number as a key component that sorts numerically.
func blockKey(n uint64) string { return fmt.Sprintf("%020d", n) }

// EventPosition is where an EPCIS event was recorded on the ledger.
type EventPosition struct {
	TxID  string `json:"txId"`
	Block uint64 `json:"block"`
}

// applyPositions records the leaves of a payload (its EPCIS events and
// anchored records, prepared in p) as recorded at pos. Only valid
// transactions reach the index, so only theirs are recorded.
func applyPositions(w writer, pos Position, p *Prepared) error {
	f := leafFilterOf(w) // leaffilter.go
	for _, l := range p.leaves {
		if err := w.Set(key(tBlockEvent, blockKey(pos.Block), l.id), []byte(pos.TxID+l.sum), nil); err != nil {
			return err
		}
		// A replayed event keeps its first position: that is where it was
		// first anchored.
		if f == nil || f.mayHave(l.id) {
			if _, ok, err := get(w, key(tEventPos, l.id)); err != nil {
				return err
			} else if ok {
				continue
			}
		}
		if err := setJSON(w, key(tEventPos, l.id), EventPosition{TxID: pos.TxID, Block: pos.Block}); err != nil {
			return err
		}
		if f != nil {
			f.add(l.id)
		}
	}
	// Each lot's latest record, for the anchored state (LotRecords).
	for _, l := range p.lots {
		if err := w.Set(key(tLotState, blockKey(pos.Block), fmt.Sprintf("%010d", max(pos.Tx, 0)), l.lot), []byte(l.record), nil); err != nil {
			return err
		}
	}
	return nil
}

// LotRecords are the lot records written in blocks from..to, inclusive,
// in ledger order (anchoring.StateSource): what changes the anchored
// state of lots, each lot to its latest record.
func (x *Index) LotRecords(_ context.Context, from, to uint64) ([]anchoring.LotRecord, error) {
	if from > to {
		return nil, nil
	}
	it, err := x.db.NewIter(&pebble.IterOptions{
		LowerBound: prefix(tLotState, blockKey(from)),
		UpperBound: upperBound(prefix(tLotState, blockKey(to))),
	})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []anchoring.LotRecord
	for ok := it.First(); ok; ok = it.Next() {
		parts := split(it.Key())
		if len(parts) != 3 {
			return nil, fmt.Errorf("index: corrupt lot state key %q", it.Key())
		}
		block, err := strconv.ParseUint(parts[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("index: corrupt lot state key %q", it.Key())
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		out = append(out, anchoring.LotRecord{Block: block, Lot: parts[2], RecordID: string(v)})
	}
	return out, it.Error()
}

// EventPosition is where the EPCIS event id was first recorded.
func (x *Index) EventPosition(id string) (EventPosition, error) {
	var p EventPosition
	ok, err := getJSON(x.db, key(tEventPos, id), &p)
	if err != nil {
		return p, err
	}
	if !ok {
		return p, notFound("position of event %s", id)
	}
	return p, nil
}

// Height is the number of Fabric blocks completely indexed (anchoring.Source).
func (x *Index) Height(context.Context) (uint64, error) { return x.Checkpoint().NextBlock(), nil }

// EventIDs are the ids of the EPCIS events and anchored records recorded
// in blocks from..to, inclusive, in block order (anchoring.Source): the
// leaves of the anchoring windows.
func (x *Index) EventIDs(_ context.Context, from, to uint64) ([]string, error) {
	var ids []string
	err := x.blockEvents(from, to, func(_ uint64, id string, _ func() ([]byte, error)) error {
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// Leaves are the bound anchoring leaves (ledger.Leaf) of the EPCIS events
// and anchored records recorded in blocks from..to, inclusive, in block
// order (anchoring.LeafSource).
func (x *Index) Leaves(_ context.Context, from, to uint64) ([]string, error) {
	var leaves []string
	err := x.blockEvents(from, to, func(block uint64, id string, value func() ([]byte, error)) error {
		v, err := value()
		if err != nil {
			return err
		}
		tx, sum, _ := strings.Cut(string(v), " ")
		h, err := hex.DecodeString(sum)
		if err != nil || len(h) != sha256.Size {
			return fmt.Errorf("index: leaf %s of block %d has no content hash: rebuild the index", id, block)
		}
		l := ledger.Leaf{ID: id, TxID: tx, Block: block}
		copy(l.SHA256[:], h)
		leaves = append(leaves, l.String())
		return nil
	})
	return leaves, err
}

// blockEvents calls fn, in block order, for each event or record recorded
// in blocks from..to, inclusive, with its block, its id and a reader of
// the entry's value (transaction id and content hash).
func (x *Index) blockEvents(from, to uint64, fn func(block uint64, id string, value func() ([]byte, error)) error) error {
	if from > to {
		return nil
	}
	it, err := x.db.NewIter(&pebble.IterOptions{
		LowerBound: prefix(tBlockEvent, blockKey(from)),
		UpperBound: upperBound(prefix(tBlockEvent, blockKey(to))),
	})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		parts := split(it.Key())
		if len(parts) != 2 {
			continue
		}
		block, err := strconv.ParseUint(parts[0], 10, 64)
		if err != nil {
			return fmt.Errorf("index: corrupt block key %q", it.Key())
		}
		if err := fn(block, parts[1], it.ValueAndErr); err != nil {
			return err
		}
	}
	return it.Error()
}
