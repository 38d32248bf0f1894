package anchoring

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
	"github.com/trustline/trustline/receipt"
)

// ErrNoState is returned by Loop.StateProof when the loop has no anchored
// window with a state leaf (yet): a receipt is then built without one.
var ErrNoState = errors.New("anchoring: no anchored window commits to the lots' state yet")

// loadState replays, once, every lot record of the blocks before next
// into the lots' state, and checks it against the state leaf of last, the
// last saved window (nil: none).
func (l *Loop) loadState(ctx context.Context, next uint64, last *Window) error {
	ss, ok := l.src.(StateSource)
	if !ok {
		return nil
	}
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	if l.state != nil {
		return nil
	}
	m := merkle.NewMap()
	if next > 0 {
		recs, err := ss.LotRecords(ctx, 0, next-1)
		if err != nil {
			return fmt.Errorf("anchoring: lot records of blocks 0..%d: %w", next-1, err)
		}
		u := m.Update()
		for _, r := range recs {
			if err := u.Set(r.Lot, r.RecordID); err != nil {
				return fmt.Errorf("anchoring: lot record of block %d: %w", r.Block, err)
			}
		}
		m.Apply(u)
	}
	if last != nil {
		if leaf, ok := stateLeaf(*last); ok {
			root, size, err := ledger.ParseStateLeaf(leaf)
			if err != nil {
				return err
			}
			if root != m.Root() || size != uint64(m.Len()) {
				return fmt.Errorf("anchoring: window %d..%d commits to another state of lots (%d) than the index gives (%d): rebuild the index",
					last.FromBlock, last.ToBlock, size, m.Len())
			}
			l.stateWin = last
		}
	}
	l.state, l.stateNext = m, next
	return nil
}

// commitState takes the lots' state to the end of w, now saved.
func (l *Loop) commitState(w Window, u *merkle.MapUpdate) {
	if u == nil {
		return
	}
	l.stateMu.Lock()
	defer l.stateMu.Unlock()
	l.state.Apply(u)
	l.stateNext = w.ToBlock + 1
	if _, ok := stateLeaf(w); ok {
		l.stateWin = &w
	}
}

// stateLeaf is w's state leaf, if it has one (it sorts last).
func stateLeaf(w Window) (string, bool) {
	if n := len(w.IDs); n > 0 && ledger.IsStateLeaf(w.IDs[n-1]) {
		return w.IDs[n-1], true
	}
	return "", false
}

// StateProof proves the latest records of lots (Digital Links) as of the
// newest window with a state leaf: the leaf's proof in the window, with
// the window's anchors, and each lot's proof in the state. Lots without a
// record by then are left out. It returns ErrNoState while the newest
// window with a state leaf has no anchor recorded.
func (l *Loop) StateProof(ctx context.Context, lots []string) (*receipt.StateEntry, error) {
	l.stateMu.RLock()
	loaded := l.state != nil
	l.stateMu.RUnlock()
	if !loaded { // before the loop's first step
		last, ok, err := l.store.LastWindow(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNoState
		}
		if err := l.loadState(ctx, last.ToBlock+1, &last); err != nil {
			return nil, err
		}
	}
	l.stateMu.RLock()
	defer l.stateMu.RUnlock()
	if l.stateWin == nil {
		return nil, ErrNoState
	}
	w := *l.stateWin
	leaf, _ := stateLeaf(w)
	rs, err := l.store.Anchors(ctx, w.FromBlock)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%w: window %d..%d", ErrNoState, w.FromBlock, w.ToBlock)
	}
	tree := merkle.NewWindow(w.IDs).Tree()
	i := len(w.IDs) - 1
	path, err := tree.Proof(i)
	if err != nil {
		return nil, err
	}
	root, size, err := ledger.ParseStateLeaf(leaf)
	if err != nil {
		return nil, err
	}
	if root != l.state.Root() {
		return nil, fmt.Errorf("%w: the state is ahead of window %d..%d", ErrNoState, w.FromBlock, w.ToBlock)
	}
	e := &receipt.StateEntry{
		Proof: receipt.Proof{Window: w.Window, Size: w.Size(), Leaf: leaf, LeafIndex: uint64(i), Path: path, Anchors: rs},
		Root:  root, Size: size, Bound: w.Bound(),
	}
	for _, lot := range lots {
		if p, ok := l.state.Proof(lot); ok {
			e.Lots = append(e.Lots, p)
		}
	}
	return e, nil
}
