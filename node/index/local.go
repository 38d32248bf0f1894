package index

// Node-local records: state a node keeps for its own users (named
// queries, subscriptions and their delivery cursors, scan counts), in the index's store
// so that it survives restarts, but not derived from the ledger: excluded
// from Digest and lost with the index directory.
//
//	J {namespace} {key} → value

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
)

const tLocal = 'J'

// Node-local writes are durable when they return, like every commit of a
// synced index; in an index opened NoSync or NoLog (a rebuild's), once
// Close has returned.

// LocalGet returns the value of key in namespace ns.
func (x *Index) LocalGet(ns, k string) ([]byte, bool, error) {
	if x.db == nil {
		return nil, false, ErrClosed
	}
	return get(x.db, key(tLocal, ns, k))
}

// LocalPut sets key in namespace ns to v, durably.
func (x *Index) LocalPut(ns, k string, v []byte) error {
	if !validComponent(ns) || !validComponent(k) {
		return &QueryError{Param: "key", Reason: "empty or with NUL"}
	}
	if x.db == nil {
		return ErrClosed
	}
	return x.db.Set(key(tLocal, ns, k), v, x.writeOpts())
}

// LocalAdd adds deltas to the counters of namespace ns (8-byte big-endian
// values; a missing key counts from 0), all in one durable batch: the
// caller aggregates counts in memory and flushes them now and then (scan
// counts, package scans), so that counting costs no write per event.
func (x *Index) LocalAdd(ns string, deltas map[string]uint64) error {
	if !validComponent(ns) {
		return &QueryError{Param: "key", Reason: "empty or with NUL"}
	}
	if x.db == nil {
		return ErrClosed
	}
	x.localMu.Lock() // read, add, write: one adder at a time
	defer x.localMu.Unlock()
	b := x.db.NewBatch()
	defer b.Close()
	var buf [8]byte
	for k, d := range deltas {
		if !validComponent(k) {
			return &QueryError{Param: "key", Reason: "empty or with NUL"}
		}
		kk := key(tLocal, ns, k)
		v, ok, err := get(x.db, kk)
		if err != nil {
			return err
		}
		n := uint64(0)
		if ok {
			if len(v) != 8 {
				return fmt.Errorf("index: counter %s/%s is not a counter (%d bytes)", ns, k, len(v))
			}
			n = binary.BigEndian.Uint64(v)
		}
		binary.BigEndian.PutUint64(buf[:], n+d)
		if err := b.Set(kk, buf[:], nil); err != nil {
			return err
		}
	}
	return b.Commit(x.writeOpts())
}

// LocalDelete deletes key in namespace ns, durably.
func (x *Index) LocalDelete(ns, k string) error {
	if x.db == nil {
		return ErrClosed
	}
	return x.db.Delete(key(tLocal, ns, k), x.writeOpts())
}

// LocalScan calls fn for each key of namespace ns after after ("": from
// the first), in order, until fn returns false.
func (x *Index) LocalScan(ns, after string, fn func(k string, v []byte) bool) error {
	if x.db == nil {
		return ErrClosed
	}
	p := prefix(tLocal, ns)
	var from []byte
	if after != "" {
		from = append(append(append([]byte(nil), p...), after...), sep+1)
	}
	return scan(x.db, p, from, func(k, v []byte) (bool, error) {
		return fn(string(bytes.TrimPrefix(k, p)), v), nil
	})
}

// FeedCursor is a position in the ledger's order of EPCIS events: block
// by block, and within a block by event id (the b table's order). Every
// event of the blocks before Block, and of Block up to and including the
// event After, is before it.
type FeedCursor struct {
	Block uint64 `json:"block"`
	After string `json:"after,omitempty"`
}

// FeedEnd is the cursor after every event of the blocks completely
// indexed.
func (x *Index) FeedEnd() (FeedCursor, error) {
	if x.db == nil {
		return FeedCursor{}, ErrClosed
	}
	return FeedCursor{Block: x.Checkpoint().NextBlock()}, nil
}

// Feed returns up to n EPCIS events after c, in ledger order, of the
// blocks completely indexed, that match accepts (nil: all), and the
// cursor after the last event it read (matching or not). An event
// recorded again in a later block is read once, at its first recording.
func (x *Index) Feed(c FeedCursor, n int, accept func(json.RawMessage) (bool, error)) ([]json.RawMessage, FeedCursor, error) {
	end := x.Checkpoint().NextBlock()
	if c.Block >= end {
		return nil, c, nil
	}
	lower := prefix(tBlockEvent, blockKey(c.Block))
	if c.After != "" {
		lower = append(append(lower, c.After...), sep+1)
	}
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefix(tBlockEvent, blockKey(end))})
	if err != nil {
		return nil, c, err
	}
	defer it.Close()
	var out []json.RawMessage
	next := FeedCursor{Block: end}
	for ok := it.First(); ok; ok = it.Next() {
		parts := split(it.Key())
		if len(parts) != 2 {
			continue
		}
		block, err := strconv.ParseUint(parts[0], 10, 64)
		if err != nil {
			return nil, c, fmt.Errorf("index: corrupt block key %q", it.Key())
		}
		if len(out) == n {
			break
		}
		next = FeedCursor{Block: block, After: parts[1]}
		raw, ok, err := get(x.db, key(tEvent, parts[1]))
		if err != nil {
			return nil, c, err
		}
		if !ok {
			continue // an anchored record, not an event
		}
		var pos EventPosition
		if ok, err := getJSON(x.db, key(tEventPos, parts[1]), &pos); err != nil {
			return nil, c, err
		} else if ok && pos.Block != block {
			continue // recorded again: delivered at its first recording
		}
		if accept != nil {
			if ok, err := accept(raw); err != nil {
				return nil, c, err
			} else if !ok {
				continue
			}
		}
		out = append(out, raw)
	}
	if err := it.Error(); err != nil {
		return nil, c, err
	}
	return out, next, nil
}
