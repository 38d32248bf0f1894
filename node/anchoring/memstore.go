package anchoring

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ledger"
)

// MemStore is a Store in memory, for tests and tools that anchor a block
// range once.
type MemStore struct {
	mu      sync.Mutex
	windows []Window
	anchors map[uint64][]ethanchor.Receipt // by window FromBlock
	byID    map[string]int                 // event id → index in windows
	version uint64                         // changes saved
}

var _ Versioned = (*MemStore)(nil)

// Version implements Versioned.
func (s *MemStore) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{anchors: map[uint64][]ethanchor.Receipt{}, byID: map[string]int{}}
}

// LastWindow implements Store.
func (s *MemStore) LastWindow(context.Context) (Window, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.windows) == 0 {
		return Window{}, false, nil
	}
	return s.windows[len(s.windows)-1], true, nil
}

// SaveWindow implements Store; it refuses a window that does not follow
// the last one.
func (s *MemStore) SaveWindow(_ context.Context, w Window) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.windows); n > 0 && w.FromBlock != s.windows[n-1].ToBlock+1 {
		return fmt.Errorf("anchoring: window %d..%d does not follow %d..%d", w.FromBlock, w.ToBlock, s.windows[n-1].FromBlock, s.windows[n-1].ToBlock)
	}
	w.IDs = slices.Clone(w.IDs)
	s.windows = append(s.windows, w)
	s.version++
	for _, leaf := range w.IDs {
		if ledger.IsStateLeaf(leaf) {
			continue
		}
		id := ledger.LeafID(leaf)
		if _, ok := s.byID[id]; !ok { // an event's first window is where it was recorded
			s.byID[id] = len(s.windows) - 1
		}
	}
	return nil
}

// AddAnchors implements Store.
func (s *MemStore) AddAnchors(_ context.Context, fromBlock uint64, rs ...ethanchor.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if !slices.ContainsFunc(s.anchors[fromBlock], func(h ethanchor.Receipt) bool { return sameAnchor(h, r) }) {
			s.anchors[fromBlock] = append(s.anchors[fromBlock], r)
			s.version++
		}
	}
	return nil
}

// Anchors implements Store.
func (s *MemStore) Anchors(_ context.Context, fromBlock uint64) ([]ethanchor.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.anchors[fromBlock]), nil
}

// WindowOf implements Store.
func (s *MemStore) WindowOf(_ context.Context, id string) (Window, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byID[id]
	if !ok {
		return Window{}, false, nil
	}
	return s.windows[i], true, nil
}

// Windows implements Store.
func (s *MemStore) Windows(_ context.Context, fromBlock uint64, limit int) ([]Window, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Window
	for _, w := range s.windows {
		if w.ToBlock >= fromBlock && (limit <= 0 || len(out) < limit) {
			out = append(out, w)
		}
	}
	return out, nil
}
