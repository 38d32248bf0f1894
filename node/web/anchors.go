package web

// AnchorView is one trace event's anchoring as the consumer page shows it:
// where it is anchored on Ethereum, and what the page's script needs to
// recompute the event's Merkle path to the window root in the browser.
type AnchorView struct {
	EventID  string
	Anchored bool
	ChainID  uint64
	Block    uint64 // Ethereum block of the first anchor
	TxHash   string // 0x…
	Anchors  int    // members' anchors of the window (co-attestations)
	Root     string // window root, hex without 0x
	Size     uint64
	Leaf     uint64
	// LeafText is the anchored leaf: the event id, or the id bound to its
	// transaction, block and content hash (ledger.Leaf); empty means the id.
	LeafText string
	Path     string // hashes, hex without 0x, comma-separated
}
