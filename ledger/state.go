package ledger

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// The state leaf of an anchoring window commits to the ledger's state as
// of the window's last block: the root and size of a merkle.Map of every
// lot (by its Digital Link) to the id of its latest lot record
// (LotSummary). It is one more leaf of the window's tree, so the window's
// anchored root covers its events and records and the state alike:
//
//	tl:state?root={hex root}&size={number of lots}
//
// It sorts after every event and record id ("ni:///…"), and holds no
// LeafSep. A receipt proves a lot's record the latest as of its newest
// window by this leaf's path to the window root and the lot's map proof to
// the state root (merkle.MapLeaf(lot, record id)).
const statePrefix = "tl:state?"

// StateLeaf is the state leaf of a lot map of size lots with root root.
func StateLeaf(root [32]byte, size uint64) string {
	return statePrefix + "root=" + hex.EncodeToString(root[:]) + "&size=" + strconv.FormatUint(size, 10)
}

// IsStateLeaf reports whether leaf is a state leaf.
func IsStateLeaf(leaf string) bool { return strings.HasPrefix(leaf, statePrefix) }

// ParseStateLeaf reads a state leaf.
func ParseStateLeaf(leaf string) (root [32]byte, size uint64, err error) {
	if !IsStateLeaf(leaf) {
		return root, 0, fmt.Errorf("leaf %q is not a state leaf", leaf)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(leaf, statePrefix))
	if err != nil {
		return root, 0, fmt.Errorf("state leaf %q: %w", leaf, err)
	}
	h, err := hex.DecodeString(q.Get("root"))
	if err != nil || len(h) != len(root) {
		return root, 0, fmt.Errorf("state leaf %q: root is not %d hex bytes", leaf, len(root))
	}
	copy(root[:], h)
	if size, err = strconv.ParseUint(q.Get("size"), 10, 64); err != nil {
		return root, 0, fmt.Errorf("state leaf %q: size: %w", leaf, err)
	}
	return root, size, nil
}
