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
	// Prepared is Event prepared (Prepare), or nil to prepare it while
	// the index is locked.
	Prepared *Prepared
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
	n, err := x.ApplyBlocks([]Block{{Number: block, Txs: txs}})
	if err != nil {
		return 0, err
	}
	return n[0], nil
}

// Block is one block given to ApplyBlocks: its number and its
// transactions (see ApplyBlock).
type Block struct {
	Number uint64
	Txs    []Tx
}

// ApplyBlocks is ApplyBlock for consecutive blocks at once, in one batch
// and one commit (one sync): a node catching up applies the blocks that
// have arrived together instead of waiting for the disk once per block,
// and a crash still leaves every block of the batch or none, with the
// checkpoint saying which. It returns how many transactions of each block
// were newly applied. When a payload cannot be indexed nothing of any
// block is written and the *ApplyError names its position.
func (x *Index) ApplyBlocks(blocks []Block) ([]int, error) {
	n, c, err := x.applyBlocks(blocks)
	if c != nil {
		x.watch.notify(*c) // unlocked: a watcher may read the index
	}
	return n, err
}

func (x *Index) applyBlocks(blocks []Block) ([]int, *Change, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db == nil {
		return nil, nil, ErrClosed
	}
	for i := 1; i < len(blocks); i++ {
		if blocks[i].Number <= blocks[i-1].Number {
			return nil, nil, fmt.Errorf("index: block %d given after block %d", blocks[i].Number, blocks[i-1].Number)
		}
	}
	n := make([]int, len(blocks))
	txs := 0
	for _, blk := range blocks {
		txs += len(blk.Txs)
	}
	// Sized as the last batch was per transaction: a catching-up batch
	// holds megabytes, which growing by doubling copies again and again.
	b := newSplitBatch(x.db, min(txs*x.batchTxBytes, 64<<20), &x.writeBuf) // splitbatch.go
	defer b.Close()
	w, cw := x.batchWriter(b)
	cp := x.cp
	changed := false
	for i, blk := range blocks {
		end := BlockStart(blk.Number + 1)
		if cp.Valid && !cp.Position.Before(end) {
			continue
		}
		var err error
		if n[i], err = applyBlockTxs(w, &cp, blk); err != nil {
			return nil, nil, err
		}
		cp.Position, cp.Valid = end, true
		cp.Blocks++
		changed = true
	}
	if !changed {
		return n, nil, nil
	}
	if err := flushClaims(w); err != nil { // claims.go
		return nil, nil, err
	}
	if err := flushTraceRecs(w); err != nil { // tracerec.go
		return nil, nil, err
	}
	cp.At, cp.Layout = time.Now().UTC(), Layout
	if err := setJSON(b, checkpointKey, cp); err != nil {
		return nil, nil, err
	}
	if err := b.commit(x.db, x.writeOpts()); err != nil {
		return nil, nil, fmt.Errorf("index: committing blocks %d to %d: %w", blocks[0].Number, blocks[len(blocks)-1].Number, err)
	}
	tabCommitted(w) // tracerec.go
	x.cp = cp
	// What the caches hold may predate what the batch wrote.
	var locs, prods bool
	for _, blk := range blocks {
		locs = locs || writesLocations(blk.Txs)  // locations.go
		prods = prods || writesProducts(blk.Txs) // productcache.go
	}
	if locs {
		x.locCache.changed()
	}
	if prods {
		x.prods.changed()
	}
	if txs > 0 {
		x.batchTxBytes = b.Len() / txs
	}
	return n, cw.change(cp), nil
}

// applyBlockTxs writes the transactions of blk after *cp into w, advancing
// *cp past each; it returns how many it applied.
func applyBlockTxs(w writer, cp *Checkpoint, blk Block) (int, error) {
	n := 0
	for _, t := range blk.Txs {
		if t.Pos.Block != blk.Number || t.Pos.Tx < 0 {
			return 0, fmt.Errorf("index: transaction at block %d tx %d given in block %d", t.Pos.Block, t.Pos.Tx, blk.Number)
		}
		if cp.Valid && !cp.Position.Before(t.Pos) {
			continue // applied before a crash or a cut stream
		}
		if t.Event != nil {
			if _, ok := evaluationTime(t.Event); !ok {
				// This transaction evaluates no claims (applyClaims):
				// those its predecessors left to evaluate are evaluated
				// before it changes their evidence, as each evaluated its
				// own.
				if err := flushClaims(w); err != nil {
					return 0, err
				}
			}
			if err := applyTx(w, t.Pos, t.Event, t.Prepared); err != nil {
				return 0, err
			}
			cp.Events++
		}
		cp.Position, cp.Valid = t.Pos, true
		cp.Applied++
		n++
	}
	return n, nil
}

// writeOpts are the options of every commit: synced, unless the index was
// opened NoSync or NoLog, and made durable by Close (Pebble refuses a
// synced commit without a write-ahead log).
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
