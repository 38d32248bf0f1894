package receipt

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
)

// PartState is the freshness of the receipt's lot records: the state leaf
// of its newest window, and each lot's entry in that state.
const PartState Part = "state"

var (
	// ErrStale is returned when a lot record a receipt shows is not the
	// lot's latest as of the receipt's newest window.
	ErrStale = errors.New("receipt: lot record not the latest")
	// ErrState is returned when the receipt's state is not the one its
	// newest window's anchored root commits to.
	ErrState = errors.New("receipt: state not anchored")
)

// State proves, for a version 4 receipt, which record of each lot it shows
// was the latest as of its newest window: the window's state leaf
// (ledger.StateLeaf), its path in the window, and each lot's entry in the
// state map (merkle.Map: a lot, its latest record's id, its slot and
// path), so that a receipt showing an older record of a lot fails offline.
type State struct {
	Window    int           `json:"window"` // index in Receipt.Windows
	Root      common.Hash   `json:"root"`
	Size      uint64        `json:"size"`
	LeafIndex uint64        `json:"leafIndex"`
	Path      []common.Hash `json:"path"`
	Lots      []LotState    `json:"lots"`
}

// LotState is one lot's entry in the state: the id of its latest record.
type LotState struct {
	Lot      string        `json:"lot"`
	RecordID string        `json:"recordId"`
	Index    uint64        `json:"index"`
	Path     []common.Hash `json:"path"`
}

// StateEntry is what the anchoring side gives of the state for a receipt:
// the proof of the newest window's state leaf and of the lots' entries.
type StateEntry struct {
	Proof Proof // of the state leaf
	Root  merkle.Hash
	Size  uint64
	Lots  []merkle.MapProof
	// Bound tells that the window's other leaves are bound (ledger.Leaf).
	Bound bool
}

// StateVerdict is the freshness check of a version 4 receipt.
type StateVerdict struct {
	// Block is the ledger block as of which the state is proven.
	Block uint64 `json:"ledgerBlock"`
	// Fresh are the lots whose record shown is proven their latest.
	Fresh    []string     `json:"fresh,omitempty"`
	Failures []*PartError `json:"failures,omitempty"`
}

// OK reports whether the state and every lot's freshness verified.
func (v *StateVerdict) OK() bool { return v == nil || len(v.Failures) == 0 }

// verifyState checks r's state against its newest window and that each
// lot record verifyLots went by (latest, by lot key) is the lot's latest in
// it. It returns nil for a receipt without state (versions 1 to 3).
func verifyState(r *Receipt, latest map[string]string) *StateVerdict {
	if r.State == nil {
		if r.Version >= 4 {
			return &StateVerdict{Failures: []*PartError{{Part: PartState, Anchor: -1, Err: fmt.Errorf("%w: a version 4 receipt without its state", ErrState)}}}
		}
		return nil
	}
	s := r.State
	v := &StateVerdict{}
	fail := func(err error) { v.Failures = append(v.Failures, &PartError{Part: PartState, Anchor: -1, Err: err}) }
	if s.Window < 0 || s.Window >= len(r.Windows) {
		fail(fmt.Errorf("%w: window %d of %d", ErrNoWindow, s.Window, len(r.Windows)))
		return v
	}
	w := &r.Windows[s.Window]
	v.Block = w.ToBlock
	if len(w.Anchors) == 0 {
		fail(fmt.Errorf("window %d..%d of the state: %w", w.FromBlock, w.ToBlock, ErrNoAnchor))
	}
	for _, o := range r.Windows {
		if o.ToBlock > w.ToBlock {
			fail(fmt.Errorf("%w: the state is of window %d..%d, not of the receipt's newest window %d..%d", ErrState, w.FromBlock, w.ToBlock, o.FromBlock, o.ToBlock))
			return v
		}
	}
	leaf := ledger.StateLeaf(s.Root, s.Size)
	if err := merkle.Verify([]byte(leaf), s.LeafIndex, w.Size, hashes(s.Path), merkle.Hash(w.Root)); err != nil {
		fail(fmt.Errorf("%w: window %d..%d's anchored root does not commit to state root %x of %d lots (the window's state root was changed): %w",
			ErrState, w.FromBlock, w.ToBlock, s.Root, s.Size, err))
		return v
	}
	entries := map[string]LotState{}
	for _, e := range s.Lots {
		p := merkle.MapProof{Key: e.Lot, Value: e.RecordID, Index: e.Index, Size: s.Size, Path: hashes(e.Path)}
		if err := p.Verify(merkle.Hash(s.Root)); err != nil {
			fail(fmt.Errorf("%w: lot %s's entry (record %s) is not in the state of window %d..%d: %w", ErrState, e.Lot, e.RecordID, w.FromBlock, w.ToBlock, err))
			continue
		}
		k := lotKey(e.Lot)
		if k == "" { // a product's service chain (ledger.ServiceStateKey)
			k = e.Lot
		}
		entries[k] = e
	}
	for _, k := range slices.Sorted(maps.Keys(latest)) {
		id := latest[k]
		e, ok := entries[k]
		switch {
		case !ok:
			fail(fmt.Errorf("%w: lot %s: the receipt's state has no entry of it, so nothing shows its record %s is the latest as of ledger block %d",
				ErrStale, k, id, w.ToBlock))
		case e.RecordID != id:
			fail(fmt.Errorf("%w: lot %s: the record shown (%s) is stale: as of ledger block %d the lot's latest record is %s",
				ErrStale, e.Lot, id, w.ToBlock, e.RecordID))
		default:
			v.Fresh = append(v.Fresh, e.Lot)
		}
	}
	return v
}

// buildState places e in r: its window listed (with its anchors) like an
// event's, and the lots' entries.
func buildState(e *StateEntry, place func(what, id string, p Proof) (int, []common.Hash, error)) (*State, error) {
	p := e.Proof
	if e.Bound {
		p.leavesHint = LeavesBound
	}
	wi, path, err := place("state leaf", e.Proof.Leaf, p)
	if err != nil {
		return nil, err
	}
	if e.Proof.Leaf != ledger.StateLeaf(e.Root, e.Size) {
		return nil, fmt.Errorf("receipt: state leaf %s is not of root %x and size %d", e.Proof.Leaf, e.Root, e.Size)
	}
	s := &State{Window: wi, Root: common.Hash(e.Root), Size: e.Size, LeafIndex: e.Proof.LeafIndex, Path: path, Lots: []LotState{}}
	for _, p := range e.Lots {
		ph := make([]common.Hash, len(p.Path))
		for i, h := range p.Path {
			ph[i] = common.Hash(h)
		}
		s.Lots = append(s.Lots, LotState{Lot: p.Key, RecordID: p.Value, Index: p.Index, Path: ph})
	}
	return s, nil
}
