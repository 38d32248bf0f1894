package testnet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Fund sends wei to addr (0x-prefixed hex) from geth --dev's developer
// account, which the dev chain keeps unlocked, and waits until the transfer
// is mined. Members need ether to pay for their anchor transactions.
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
	for {
		var receipt *struct {
			Status string `json:"status"`
		}
		if err := ethRPC(ctx, url, "eth_getTransactionReceipt", []any{tx}, &receipt); err == nil && receipt != nil {
			if receipt.Status != "0x1" {
				return fmt.Errorf("funding %s: transaction %s failed", addr, tx)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("funding %s: transaction %s not mined: %w", addr, tx, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
