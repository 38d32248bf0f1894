package index

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
)

// Tables of the node's anchoring (anchoring.Store). They depend on when
// the node cut its windows and which anchors it has seen, not on the
// ledger alone, so Digest leaves them out:
//
//	w {fromBlock, 20 digits}                          → window JSON (ethanchor.Window and canonical ids)
//	y {fromBlock} {chainId} {txHash} {logIndex}       → ethanchor.Receipt JSON
//	z {eventID}                                       → fromBlock of the window of the event's leaf (ledger.LeafID)
const (
	tWindow       = 'w'
	tWindowAnchor = 'y'
	tWindowOf     = 'z'
)

// nodeLocal reports whether table t holds node-local state outside Digest.
func nodeLocal(t byte) bool {
	return t == tWindow || t == tWindowAnchor || t == tWindowOf || t == tLocal // tLocal: local.go
}

// AnchorStore is the anchoring.Store kept in the index. Create one per
// Index: it serialises its own writes, so that each saved window follows
// the last one.
type AnchorStore struct {
	x  *Index
	mu sync.Mutex
	// version counts the commits of SaveWindow and AddAnchors.
	version atomic.Uint64
}

var _ anchoring.Store = (*AnchorStore)(nil)
var _ anchoring.Versioned = (*AnchorStore)(nil)

// Version implements anchoring.Versioned.
func (s *AnchorStore) Version() uint64 { return s.version.Load() }

var _ anchoring.Source = (*Index)(nil)

// NewAnchorStore returns the anchoring store of x.
func NewAnchorStore(x *Index) *AnchorStore { return &AnchorStore{x: x} }

// storedWindow is a window as written under tWindow.
type storedWindow struct {
	ethanchor.Window
	IDs []string `json:"ids"`
}

func decodeWindow(v []byte) (anchoring.Window, error) {
	var sw storedWindow
	if err := json.Unmarshal(v, &sw); err != nil {
		return anchoring.Window{}, fmt.Errorf("index: corrupt window: %w", err)
	}
	return anchoring.Window{Window: sw.Window, IDs: sw.IDs}, nil
}

// LastWindow implements anchoring.Store.
func (s *AnchorStore) LastWindow(context.Context) (anchoring.Window, bool, error) {
	p := []byte{tWindow, sep}
	it, err := s.x.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return anchoring.Window{}, false, err
	}
	defer it.Close()
	if !it.Last() {
		return anchoring.Window{}, false, it.Error()
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return anchoring.Window{}, false, err
	}
	w, err := decodeWindow(v)
	return w, err == nil, err
}

// WindowOrderError is a window that does not follow the last one saved.
type WindowOrderError struct{ Last, Next ethanchor.Window }

func (e *WindowOrderError) Error() string {
	return fmt.Sprintf("index: window %d..%d does not follow %d..%d", e.Next.FromBlock, e.Next.ToBlock, e.Last.FromBlock, e.Last.ToBlock)
}

// SaveWindow implements anchoring.Store: the window, and each of its ids
// not in an earlier window, in one synced batch.
func (s *AnchorStore) SaveWindow(ctx context.Context, w anchoring.Window) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok, err := s.LastWindow(ctx)
	if err != nil {
		return err
	}
	if ok && w.FromBlock != last.ToBlock+1 {
		return &WindowOrderError{Last: last.Window, Next: w.Window}
	}
	b := s.x.db.NewIndexedBatch()
	defer b.Close()
	from := blockKey(w.FromBlock)
	if err := setJSON(b, key(tWindow, from), storedWindow{Window: w.Window, IDs: w.IDs}); err != nil {
		return err
	}
	for _, leaf := range w.IDs {
		if ledger.IsStateLeaf(leaf) {
			continue // not an event or record; proven from the window itself
		}
		id := ledger.LeafID(leaf)
		// An event's first window is where it was recorded.
		if _, ok, err := get(b, key(tWindowOf, id)); err != nil {
			return err
		} else if !ok {
			if err := b.Set(key(tWindowOf, id), []byte(from), nil); err != nil {
				return err
			}
		}
	}
	defer s.version.Add(1) // after the commit: a reader of the old version rebuilds
	return b.Commit(s.x.writeOpts())
}

func anchorKey(fromBlock uint64, r ethanchor.Receipt) []byte {
	chain := "?"
	if r.ChainID != nil {
		chain = r.ChainID.String()
	}
	return key(tWindowAnchor, blockKey(fromBlock), chain, r.TxHash.Hex(), strconv.FormatUint(uint64(r.LogIndex), 10))
}

// AddAnchors implements anchoring.Store; an anchor is identified by its
// chain, transaction and log index, so recording it again changes nothing.
func (s *AnchorStore) AddAnchors(_ context.Context, fromBlock uint64, rs ...ethanchor.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.x.db.NewBatch()
	defer b.Close()
	for _, r := range rs {
		k := anchorKey(fromBlock, r)
		if _, ok, err := get(s.x.db, k); err != nil {
			return err
		} else if ok {
			continue // keep the first record: it may carry the gas used
		}
		if err := setJSON(b, k, r); err != nil {
			return err
		}
	}
	if b.Empty() {
		return nil
	}
	defer s.version.Add(1)
	return b.Commit(s.x.writeOpts())
}

// Anchors implements anchoring.Store, in the order recorded within a
// chain and transaction.
func (s *AnchorStore) Anchors(_ context.Context, fromBlock uint64) ([]ethanchor.Receipt, error) {
	var out []ethanchor.Receipt
	err := scan(s.x.db, prefix(tWindowAnchor, blockKey(fromBlock)), nil, func(_, v []byte) (bool, error) {
		var r ethanchor.Receipt
		if err := json.Unmarshal(v, &r); err != nil {
			return false, fmt.Errorf("index: corrupt anchor: %w", err)
		}
		out = append(out, r)
		return true, nil
	})
	return out, err
}

// WindowOf implements anchoring.Store.
func (s *AnchorStore) WindowOf(_ context.Context, id string) (anchoring.Window, bool, error) {
	from, ok, err := get(s.x.db, key(tWindowOf, id))
	if err != nil || !ok {
		return anchoring.Window{}, false, err
	}
	v, ok, err := get(s.x.db, key(tWindow, string(from)))
	if err != nil {
		return anchoring.Window{}, false, err
	}
	if !ok {
		return anchoring.Window{}, false, fmt.Errorf("index: event %s in window %s, which is missing", id, from)
	}
	w, err := decodeWindow(v)
	return w, err == nil, err
}

// Windows implements anchoring.Store.
func (s *AnchorStore) Windows(_ context.Context, fromBlock uint64, limit int) ([]anchoring.Window, error) {
	p := []byte{tWindow, sep}
	it, err := s.x.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	// Windows are contiguous: the one holding fromBlock starts at or before it.
	ok := it.SeekLT(key(tWindow, blockKey(fromBlock+1)))
	if !ok {
		ok = it.First()
	}
	var out []anchoring.Window
	for ; ok && (limit <= 0 || len(out) < limit); ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		w, err := decodeWindow(v)
		if err != nil {
			return nil, err
		}
		if w.ToBlock >= fromBlock {
			out = append(out, w)
		}
	}
	return out, it.Error()
}
