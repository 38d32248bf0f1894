package web

// AnchorView is one trace event's anchoring as the consumer page shows it:
// where it is anchored on Ethereum. The page's script checks its proof
// from the lot's receipt (ScriptPath), not from the page.
type AnchorView struct {
	EventID  string
	Anchored bool
	ChainID  uint64
	Block    uint64 // Ethereum block of the first anchor
	TxHash   string // 0x…
	Anchors  int    // members' anchors of the window (co-attestations)
}
