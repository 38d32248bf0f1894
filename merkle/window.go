package merkle

import (
	"slices"
	"strings"
)

// Window is the canonical leaf set of one anchor window: the EPCIS event ids
// (e.g. "ni:///sha-256;<hex>?ver=CBV2.0") recorded in a range of Fabric
// blocks.
//
// The canonical order is the ids' bytes sorted ascending (Go string order,
// which is bytewise, not locale or Unicode collation), with duplicates
// removed; each leaf is an id's UTF-8 bytes as they are, with no
// normalisation. Any member indexing the same block range therefore builds
// the same tree and the same root, whatever order its index returned the ids
// in, and an event recorded twice in the range is one leaf.
type Window struct {
	ids []string // sorted, unique
}

// NewWindow returns the window of ids, in canonical order. It does not keep
// ids.
func NewWindow(ids []string) Window {
	return Window{ids: Canonical(ids)}
}

// Canonical returns a sorted, deduplicated copy of ids.
func Canonical(ids []string) []string {
	c := slices.Clone(ids)
	slices.Sort(c)
	return slices.Compact(c)
}

// IDs are the window's event ids in canonical order; do not modify them.
func (w Window) IDs() []string { return w.ids }

// Len is the number of leaves.
func (w Window) Len() int { return len(w.ids) }

// Index is the leaf index of id, and whether the window holds it.
func (w Window) Index(id string) (int, bool) {
	return slices.BinarySearchFunc(w.ids, id, strings.Compare)
}

// Leaves are the window's leaves, in canonical order.
func (w Window) Leaves() [][]byte {
	out := make([][]byte, len(w.ids))
	for i, id := range w.ids {
		out[i] = []byte(id)
	}
	return out
}

// Tree builds the window's Merkle tree.
func (w Window) Tree() *Tree { return New(w.Leaves()) }

// Leaves returns the canonical leaves of an anchor window's event ids: sorted
// bytewise, deduplicated (see Window).
func Leaves(ids []string) [][]byte { return NewWindow(ids).Leaves() }
