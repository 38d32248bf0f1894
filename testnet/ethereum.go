package testnet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Fund sends wei to addr (0x-prefixed hex) from geth --dev's developer
// account, which the dev chain keeps unlocked, and waits until the transfer
// is mined and gone from geth's transaction pool. Members need ether to pay
// for their anchor transactions.
//
// A receipt is not enough: the pool moves to a new block's state a moment
// after the block, and until then it refused a transaction from addr for
// "insufficient funds for gas * price + value: balance 0" (a CI run of the
// demo's integration test). The pool drops a mined transaction as it moves
// to the block's state, under the same lock.
func (n *Network) Fund(ctx context.Context, addr string, wei *big.Int) error {
	url := n.GethURL()
	if url == "" {
		return errors.New("this network runs no Ethereum dev chain")
	}
	var accounts []string
	if err := ethRPC(ctx, url, "eth_accounts", []any{}, &accounts); err != nil {
		return err
	}
	if len(accounts) == 0 {
		return errors.New("geth reports no developer account")
	}
	var tx string
	if err := ethRPC(ctx, url, "eth_sendTransaction", []any{map[string]string{
		"from": accounts[0], "to": addr, "value": "0x" + wei.Text(16),
	}}, &tx); err != nil {
		return fmt.Errorf("funding %s: %w", addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	mined := false
	for {
		if !mined {
			var receipt *struct {
				Status string `json:"status"`
			}
			if err := ethRPC(ctx, url, "eth_getTransactionReceipt", []any{tx}, &receipt); err == nil && receipt != nil {
				if receipt.Status != "0x1" {
					return fmt.Errorf("funding %s: transaction %s failed", addr, tx)
				}
				mined = true
			}
		}
		if mined {
			var content poolContent
			if err := ethRPC(ctx, url, "txpool_contentFrom", []any{accounts[0]}, &content); err != nil || !content.has(tx) {
				return nil // without the pool's answer, mined is all Fund knows
			}
		}
		select {
		case <-ctx.Done():
			if mined {
				return fmt.Errorf("funding %s: transaction %s mined but still in geth's pool: %w", addr, tx, ctx.Err())
			}
			return fmt.Errorf("funding %s: transaction %s not mined: %w", addr, tx, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// poolContent is txpool_contentFrom's answer: an account's pending and
// queued transactions, by nonce.
type poolContent map[string]map[string]struct {
	Hash string `json:"hash"`
}

func (c poolContent) has(tx string) bool {
	for _, byNonce := range c {
		for _, t := range byNonce {
			if strings.EqualFold(t.Hash, tx) {
				return true
			}
		}
	}
	return false
}
