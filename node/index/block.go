package index

import (
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/ledger"
)

// BlockStart is the position before every transaction of block n. A
// checkpoint there means every block before n is completely applied,
// including blocks without a single trustline transaction, so a follower
// resumes at n and the ledger height alone gives the exact lag.
func BlockStart(n uint64) Position { return Position{Block: n, Tx: -1} }

// Tx is one transaction of a block given to ApplyBlock.
type Tx struct {
	// Pos is the transaction's position; Pos.Tx is its index among all the
	// block's transactions (valid or not), so a replayed block numbers its
	// transactions the same way.
	Pos Position
	// Event is the payload; nil advances past the transaction without
	// indexing anything (a payload the node cannot decode or index).
	Event *ledger.Event
}

// ApplyBlock indexes the transactions of block that come after the
// checkpoint, in order, and advances the checkpoint to
// BlockStart(block+1), all in one batch: durably (pebble.Sync) unless
// Options.NoSync. It returns how many transactions were newly applied. A
// block the checkpoint is already past is a no-op.
//
// When a payload cannot be indexed, ApplyBlock writes nothing and returns
// an *ApplyError naming its position; the caller may retry with that
// transaction's Event set to nil.
func (x *Index) ApplyBlock(block uint64, txs []Tx) (int, error) {
	n, c, err := x.applyBlock(block, txs)
	if c != nil {
		x.watch.notify(*c) // unlocked: a watcher may read the index
	}
	return n, err
}

func (x *Index) applyBlock(block uint64, txs []Tx) (int, *Change, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db == nil {
		return 0, nil, ErrClosed
	}
	end := BlockStart(block + 1)
	if x.cp.Valid && !x.cp.Position.Before(end) {
		return 0, nil, nil
	}
	b := x.db.NewIndexedBatch()
	defer b.Close()
	w, cw := x.batchWriter(b)
	cp := x.cp
	n := 0
	for _, t := range txs {
		if t.Pos.Block != block || t.Pos.Tx < 0 {
			return 0, nil, fmt.Errorf("index: transaction at block %d tx %d given in block %d", t.Pos.Block, t.Pos.Tx, block)
		}
		if cp.Valid && !cp.Position.Before(t.Pos) {
			continue // applied before a crash or a cut stream
		}
		if t.Event != nil {
			if err := applyEvent(w, t.Event); err != nil {
				return 0, nil, &ApplyError{Pos: t.Pos, Err: err}
			}
			if err := applyPositions(w, t.Pos, t.Event); err != nil { // blocks.go
				return 0, nil, &ApplyError{Pos: t.Pos, Err: err}
			}
			cp.Events++
		}
		cp.Position, cp.Valid = t.Pos, true
		cp.Applied++
		n++
	}
	cp.Position, cp.Valid, cp.At, cp.Layout = end, true, time.Now().UTC(), Layout
	cp.Blocks++
	if err := setJSON(b, checkpointKey, cp); err != nil {
		return 0, nil, err
	}
	if err := b.Commit(x.writeOpts()); err != nil {
		return 0, nil, fmt.Errorf("index: committing block %d: %w", block, err)
	}
	x.cp = cp
	return n, cw.change(cp), nil
}

func (x *Index) writeOpts() *pebble.WriteOptions {
	if x.noSync {
		return pebble.NoSync
	}
	return pebble.Sync
}

// DiskSize is the index's size on disk in bytes (tables and logs).
func (x *Index) DiskSize() (uint64, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db == nil {
		return 0, ErrClosed
	}
	m := x.db.Metrics()
	return m.DiskSpaceUsage(), nil
}
