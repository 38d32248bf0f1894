package ethanchor

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/ethanchor/anchorcontract"
)

// Anchorer sends anchors to the Anchor contract with one member's key.
type Anchorer struct {
	*Client
	key   *ecdsa.PrivateKey
	from  common.Address
	bound *bind.BoundContract
}

// NewAnchorer returns an Anchorer that signs with key.
func NewAnchorer(ctx context.Context, b Backend, contract common.Address, key *ecdsa.PrivateKey, opts Options) (*Anchorer, error) {
	c, err := NewClient(ctx, b, contract, opts)
	if err != nil {
		return nil, err
	}
	return &Anchorer{
		Client: c,
		key:    key,
		from:   crypto.PubkeyToAddress(key.PublicKey),
		bound:  c.abi.Instance(b, contract),
	}, nil
}

// Address is the account that signs and pays for the anchors.
func (a *Anchorer) Address() common.Address { return a.from }

// Anchor sends one anchor of w and returns its receipt once the transaction
// is included and Options.Confirmations blocks deep. It sends the estimated
// gas plus Options.GasMargin and, when the transaction still runs out of gas,
// sends it again with twice the gas, up to Options.GasAttempts times. ctx
// bounds the whole wait: a transaction the chain never includes (dropped or
// underpriced) holds Anchor until ctx ends.
func (a *Anchorer) Anchor(ctx context.Context, w Window) (Receipt, error) {
	if err := w.Validate(); err != nil {
		return Receipt{}, err
	}
	data, err := a.abi.TryPackAnchor(w.Root, w.FromBlock, w.ToBlock, w.Channel)
	if err != nil {
		return Receipt{}, fmt.Errorf("anchor: pack: %w", err)
	}
	est, err := retry(ctx, &a.opts, func(ctx context.Context) (uint64, error) {
		return a.b.EstimateGas(ctx, ethereum.CallMsg{From: a.from, To: &a.contract, Data: data})
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("anchor: estimate gas: %w", err)
	}
	gas := est + uint64(float64(est)*a.opts.GasMargin)

	var rcpt *types.Receipt
	for attempt := 1; ; attempt++ {
		tx, err := a.send(ctx, data, gas)
		if err != nil {
			return Receipt{}, err
		}
		if rcpt, err = a.waitMined(ctx, tx.Hash()); err != nil {
			return Receipt{}, err
		}
		if rcpt.Status == types.ReceiptStatusSuccessful {
			break
		}
		// A revert hands back the gas left; running out of gas uses it all.
		if rcpt.GasUsed < tx.Gas() {
			return Receipt{}, fmt.Errorf("%w: transaction %s used %d of %d gas", ErrReverted, tx.Hash(), rcpt.GasUsed, tx.Gas())
		}
		if attempt >= a.opts.GasAttempts {
			return Receipt{}, fmt.Errorf("%w: transaction %s with %d gas (estimate %d), attempt %d", ErrOutOfGas, tx.Hash(), tx.Gas(), est, attempt)
		}
		gas *= 2
	}
	if rcpt, err = a.waitConfirmed(ctx, rcpt); err != nil {
		return Receipt{}, err
	}
	for _, l := range rcpt.Logs {
		if l.Address != a.contract || len(l.Topics) == 0 || l.Topics[0] != a.eventID() {
			continue
		}
		r, err := a.receiptOf(l)
		if err != nil {
			return Receipt{}, fmt.Errorf("anchor: decoding the log of %s: %w", rcpt.TxHash, err)
		}
		r.GasUsed = rcpt.GasUsed
		return r, nil
	}
	return Receipt{}, fmt.Errorf("%w: no Anchored log in transaction %s", ErrNotFound, rcpt.TxHash)
}

// send signs and sends one anchor transaction. The nonce and the signed
// transaction are fixed before sending so that resending after a lost
// answer is the same transaction, never a second anchor.
func (a *Anchorer) send(ctx context.Context, data []byte, gas uint64) (*types.Transaction, error) {
	nonce, err := retry(ctx, &a.opts, func(ctx context.Context) (uint64, error) { return a.b.PendingNonceAt(ctx, a.from) })
	if err != nil {
		return nil, fmt.Errorf("anchor: nonce: %w", err)
	}
	tx, err := retry(ctx, &a.opts, func(ctx context.Context) (*types.Transaction, error) {
		return bind.Transact(a.bound, &bind.TransactOpts{
			From:     a.from,
			Nonce:    new(big.Int).SetUint64(nonce),
			Signer:   a.signer,
			GasLimit: gas,
			Context:  ctx,
			NoSend:   true,
		}, data)
	})
	if err != nil {
		return nil, fmt.Errorf("anchor: building the transaction: %w", err)
	}
	_, err = retry(ctx, &a.opts, func(ctx context.Context) (struct{}, error) {
		err := a.b.SendTransaction(ctx, tx)
		if err != nil && a.alreadySent(ctx, tx, err) {
			err = nil
		}
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("anchor: sending %s: %w", tx.Hash(), err)
	}
	return tx, nil
}

// alreadySent tells whether a send failed only because an earlier try of
// the same transaction had reached the node.
func (a *Anchorer) alreadySent(ctx context.Context, tx *types.Transaction, err error) bool {
	msg := err.Error()
	if strings.Contains(msg, "already known") {
		return true
	}
	if !strings.Contains(msg, "nonce too low") {
		return false
	}
	_, _, lookErr := a.b.TransactionByHash(ctx, tx.Hash())
	return lookErr == nil
}

func (a *Anchorer) signer(from common.Address, tx *types.Transaction) (*types.Transaction, error) {
	if from != a.from {
		return nil, bind.ErrNotAuthorized
	}
	return types.SignTx(tx, types.LatestSignerForChainID(a.chainID), a.key)
}

// waitMined polls for the receipt of tx until the chain includes it.
func (c *Client) waitMined(ctx context.Context, tx common.Hash) (*types.Receipt, error) {
	p := newPoller(c.opts.PollInterval)
	for {
		rcpt, err := c.receipt(ctx, tx)
		if err == nil {
			return rcpt, nil
		}
		if !errors.Is(err, ErrNotFound) && !strings.Contains(err.Error(), indexingInProgress) {
			return nil, err
		}
		if err := p.wait(ctx); err != nil {
			return nil, fmt.Errorf("anchor: waiting for %s: %w", tx, err)
		}
	}
}

// waitConfirmed waits until rcpt's block is Options.Confirmations deep and
// returns the receipt as it then stands: a reorg may have moved the
// transaction to another block, whose depth then counts.
func (c *Client) waitConfirmed(ctx context.Context, rcpt *types.Receipt) (*types.Receipt, error) {
	if c.opts.Confirmations == 0 {
		return rcpt, nil
	}
	p := newPoller(c.opts.PollInterval)
	for {
		d, err := c.Depth(ctx, rcpt.BlockNumber.Uint64())
		if err != nil {
			return nil, err
		}
		if d >= c.opts.Confirmations {
			now, err := c.waitMined(ctx, rcpt.TxHash)
			if err != nil {
				return nil, err
			}
			if now.BlockHash == rcpt.BlockHash {
				return now, nil
			}
			rcpt = now // reorged into another block: count again from there
			continue
		}
		if err := p.wait(ctx); err != nil {
			return nil, fmt.Errorf("anchor: waiting for %d confirmations of %s: %w", c.opts.Confirmations, rcpt.TxHash, err)
		}
	}
}

// Deploy deploys the Anchor contract with key and returns its address once
// the deployment is included.
func Deploy(ctx context.Context, b Backend, key *ecdsa.PrivateKey) (common.Address, error) {
	c := &Client{b: b, opts: Options{}.withDefaults()}
	id, err := retry(ctx, &c.opts, b.ChainID)
	if err != nil {
		return common.Address{}, fmt.Errorf("anchor: chain id: %w", err)
	}
	opts := bind.NewKeyedTransactor(key, id)
	opts.Context = ctx
	addr, tx, err := bind.DeployContract(opts, common.FromHex(anchorcontract.AnchorMetaData.Bin), b, nil)
	if err != nil {
		return common.Address{}, fmt.Errorf("anchor: deploying: %w", err)
	}
	rcpt, err := c.waitMined(ctx, tx.Hash())
	if err != nil {
		return common.Address{}, err
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return common.Address{}, fmt.Errorf("%w: deployment %s", ErrReverted, tx.Hash())
	}
	return addr, nil
}
