package receipt

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ethanchor"
)

// Currency says as of when a receipt speaks: the last ledger block its
// newest window covers and where that window is anchored; online, whether
// windows were anchored after it, which the receipt does not reflect.
//
// Offline, a receipt proves its lot's history complete up to the lot
// record it carries (verifyLots) and, from format 4 on, that record the
// lot's latest as of its newest window (verifyState). Online, verify
// looks for anchors of later windows of the channel: any later window may
// hold events of the lot, and the receipt is then reported as not current.
type Currency struct {
	// Block is the last ledger block of the receipt's newest window.
	Block uint64 `json:"ledgerBlock"`
	// EthBlock is the Ethereum block of the newest window's first anchor;
	// Time its timestamp, read on chain (online only).
	EthBlock uint64     `json:"ethBlock"`
	Time     *time.Time `json:"time,omitempty"`
	// Checked is true when later anchors were looked for on chain.
	Checked bool `json:"checked"`
	// Newer are the windows anchored after the newest one, in chain order.
	Newer []NewerWindow `json:"newer,omitempty"`
}

// NewerWindow is a window anchored on chain after a receipt's newest one.
type NewerWindow struct {
	FromBlock uint64 `json:"fromBlock"`
	ToBlock   uint64 `json:"toBlock"`
	EthBlock  uint64 `json:"ethBlock"`
}

// Current reports whether the receipt was checked on chain and no window
// was anchored after its newest one.
func (c *Currency) Current() bool { return c != nil && c.Checked && len(c.Newer) == 0 }

// currencyOf is the receipt's currency, offline.
func currencyOf(r *Receipt) (*Currency, *Window) {
	var newest *Window
	for i := range r.Windows {
		if w := &r.Windows[i]; newest == nil || w.ToBlock > newest.ToBlock {
			newest = w
		}
	}
	if newest == nil || len(newest.Anchors) == 0 {
		return nil, nil
	}
	c := &Currency{Block: newest.ToBlock, EthBlock: newest.Anchors[0].BlockNumber}
	for _, a := range newest.Anchors {
		c.EthBlock = min(c.EthBlock, a.BlockNumber)
	}
	return c, newest
}

// checkCurrency reads, online, the newest window's anchor time and the
// windows of the channel anchored after it.
func (c *onChain) checkCurrency(ctx context.Context, cur *Currency, w *Window) error {
	h, err := c.b.HeaderByNumber(ctx, new(big.Int).SetUint64(cur.EthBlock))
	if err != nil {
		return fmt.Errorf("%w: header of block %d: %v", ErrUnreachable, cur.EthBlock, err)
	}
	t := time.Unix(int64(h.Time), 0).UTC()
	cur.Time = &t
	var contracts []common.Address
	for _, a := range w.Anchors {
		if !slices.Contains(contracts, a.Contract) {
			contracts = append(contracts, a.Contract)
		}
	}
	seen := map[NewerWindow]bool{}
	for _, addr := range contracts {
		ce, ok := c.clients[addr]
		if !ok {
			ce.c, ce.err = ethanchor.NewClient(ctx, c.b, addr, c.opts)
			c.clients[addr] = ce
		}
		if ce.err != nil {
			continue // reported with the window's anchors
		}
		rs, err := ce.c.Anchors(ctx, ethanchor.Filter{Channel: w.Channel, Start: cur.EthBlock})
		if err != nil {
			return fmt.Errorf("%w: anchors after block %d: %v", ErrUnreachable, cur.EthBlock, err)
		}
		for _, a := range rs {
			nw := NewerWindow{FromBlock: a.FromBlock, ToBlock: a.ToBlock, EthBlock: a.BlockNumber}
			if a.FromBlock > w.ToBlock && !seen[nw] {
				seen[nw] = true
				cur.Newer = append(cur.Newer, nw)
			}
		}
	}
	cur.Checked = true
	return nil
}
