package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/ledger"
)

// Tables of where each EPCIS event and each anchored ledger record
// (ledger.Record, keyed by its record id) was recorded, written by Apply and
// ApplyBlock with the transaction (so they are ledger-derived and part of
// Digest), for the anchoring loop (Source) and receipts (EventPosition):
//
//	b {block, 20 digits} {eventID}  → transaction id, space, hex SHA-256 of the content (ledger.ContentHash)
//	n {eventID}                     → EventPosition JSON (first recording)
//
// An index built before these tables existed must be rebuilt to anchor
// its older blocks (Layout).
const (
	tBlockEvent = 'b'
	tEventPos   = 'n'
)

// blockKey is a block number as a key component that sorts numerically.
func blockKey(n uint64) string { return fmt.Sprintf("%020d", n) }

// EventPosition is where an EPCIS event was recorded on the ledger.
type EventPosition struct {
	TxID  string `json:"txId"`
	Block uint64 `json:"block"`
}

// applyPositions records the EPCIS events of ev as recorded at pos. Only
// valid transactions reach the index, so only theirs are recorded.
func applyPositions(w writer, pos Position, ev *ledger.Event) error {
	for i, raw := range ev.EPCIS {
		var f struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("EPCIS event %d: %w", i, err)
		}
		if !validComponent(f.EventID) {
			return fmt.Errorf("EPCIS event %d: event id %q", i, f.EventID)
		}
		if err := setPosition(w, pos, f.EventID, raw); err != nil {
			return err
		}
	}
	// The records claims rest on are leaves too (ledger.Record), so that a
	// receipt proves them as it proves events.
	recs, err := ev.Records()
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := setPosition(w, pos, r.ID, r.JSON); err != nil {
			return err
		}
	}
	return nil
}

// setPosition records leaf id (an event or record id) as recorded at pos
// with content doc.
func setPosition(w writer, pos Position, id string, doc []byte) error {
	h, err := ledger.ContentHash(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	if err := w.Set(key(tBlockEvent, blockKey(pos.Block), id), []byte(pos.TxID+" "+hex.EncodeToString(h[:])), nil); err != nil {
		return err
	}
	// A replayed event keeps its first position: that is where it was
	// first anchored.
	if _, ok, err := get(w, key(tEventPos, id)); err != nil || ok {
		return err
	}
	return setJSON(w, key(tEventPos, id), EventPosition{TxID: pos.TxID, Block: pos.Block})
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
