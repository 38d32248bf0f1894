package ethanchor

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/ethanchor/anchorcontract"
	"github.com/trustline/trustline/merkle"
)

// Client reads and verifies anchors of one Anchor contract. It needs no key.
type Client struct {
	b        Backend
	contract common.Address
	chainID  *big.Int
	abi      *anchorcontract.Anchor
	opts     Options
}

// NewClient returns a Client of the Anchor contract at contract. It asks the
// backend for its chain id and checks that the contract has code.
func NewClient(ctx context.Context, b Backend, contract common.Address, opts Options) (*Client, error) {
	c := &Client{b: b, contract: contract, abi: anchorcontract.NewAnchor(), opts: opts.withDefaults()}
	id, err := retry(ctx, &c.opts, b.ChainID)
	if err != nil {
		return nil, fmt.Errorf("anchor: chain id: %w", err)
	}
	c.chainID = id
	code, err := retry(ctx, &c.opts, func(ctx context.Context) ([]byte, error) { return b.CodeAt(ctx, contract, nil) })
	if err != nil {
		return nil, fmt.Errorf("anchor: code of %s: %w", contract, err)
	}
	if len(code) == 0 {
		return nil, fmt.Errorf("%w %s on chain %s", ErrNoCode, contract, id)
	}
	return c, nil
}

// ChainID is the backend's chain id.
func (c *Client) ChainID() *big.Int { return new(big.Int).Set(c.chainID) }

// Contract is the Anchor contract's address.
func (c *Client) Contract() common.Address { return c.contract }

// Filter selects anchors for Client.Anchors. Zero fields match anything.
type Filter struct {
	Root       *merkle.Hash     // anchors of this root
	Channel    string           // anchors of this channel
	Submitters []common.Address // anchors sent by any of these
	Block      *uint64          // anchors whose Fabric block range holds this block
	// Start and End bound the chain blocks searched; End nil is the head.
	// Public endpoints cap the range of one log query: start from the
	// contract's deployment block.
	Start uint64
	End   *uint64
	// Confirmed keeps only anchors Options.Confirmations deep: those of
	// other members a node records and serves in receipts (a shallower one
	// may yet be reorganised away). A node looking for its own anchor
	// before resending leaves it false.
	Confirmed bool
}

// invalidBlockRange is geth's error for a log query whose start is past
// its end (or past the head its log view has reached).
const invalidBlockRange = "invalid block range params"

func channelHash(channel string) common.Hash { return crypto.Keccak256Hash([]byte(channel)) }

// Anchors returns every anchor log matching f, in chain order: with a root,
// the co-attestations of every member that anchored it (with f.Confirmed,
// only those Options.Confirmations deep).
func (c *Client) Anchors(ctx context.Context, f Filter) ([]Receipt, error) {
	if f.Confirmed && c.opts.Confirmations > 0 {
		head, err := retry(ctx, &c.opts, func(ctx context.Context) (uint64, error) { return c.b.BlockNumber(ctx) })
		if err != nil {
			return nil, fmt.Errorf("anchor: chain head: %w", err)
		}
		if head < c.opts.Confirmations || head-c.opts.Confirmations < f.Start {
			return nil, nil
		}
		if end := head - c.opts.Confirmations; f.End == nil || *f.End > end {
			f.End = &end
		}
	}
	q := ethereum.FilterQuery{
		Addresses: []common.Address{c.contract},
		Topics:    [][]common.Hash{{c.eventID()}, nil, nil, nil},
		FromBlock: new(big.Int).SetUint64(f.Start),
	}
	if f.End != nil {
		q.ToBlock = new(big.Int).SetUint64(*f.End)
	}
	if f.Root != nil {
		q.Topics[1] = []common.Hash{*f.Root}
	}
	for _, s := range f.Submitters {
		q.Topics[2] = append(q.Topics[2], common.BytesToHash(s.Bytes()))
	}
	if f.Channel != "" {
		q.Topics[3] = []common.Hash{channelHash(f.Channel)}
	}
	opts := c.opts
	if f.End == nil {
		// To the latest block: geth's log view can lag its head for a
		// moment after a new block, and answers a start past it with
		// "invalid block range params" (seen in CI right after an anchor),
		// which a call a moment later does not get.
		opts.Transient = func(err error) bool {
			return c.opts.Transient(err) || strings.Contains(err.Error(), invalidBlockRange)
		}
	}
	logs, err := retry(ctx, &opts, func(ctx context.Context) ([]types.Log, error) { return c.b.FilterLogs(ctx, q) })
	if err != nil {
		return nil, fmt.Errorf("anchor: filter logs: %w", err)
	}
	var out []Receipt
	for i := range logs {
		if logs[i].Removed {
			continue
		}
		r, err := c.receiptOf(&logs[i])
		if err != nil {
			continue // not an Anchored log of ours after all; cannot be an anchor
		}
		if f.Block != nil && (*f.Block < r.FromBlock || *f.Block > r.ToBlock) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *Client) eventID() common.Hash {
	return c.abi.GetABI().Events[anchorcontract.AnchorAnchoredEventName].ID
}

// receiptOf decodes an Anchored log of the contract.
func (c *Client) receiptOf(l *types.Log) (Receipt, error) {
	if l.Address != c.contract {
		return Receipt{}, fmt.Errorf("%w: log of %s, not of the contract %s", ErrNotFound, l.Address, c.contract)
	}
	ev, err := c.abi.UnpackAnchoredEvent(l)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{
		Window:      Window{Channel: ev.Channel, FromBlock: ev.FromBlock, ToBlock: ev.ToBlock, Root: ev.Root},
		ChainID:     c.ChainID(),
		Contract:    c.contract,
		TxHash:      l.TxHash,
		BlockNumber: l.BlockNumber,
		BlockHash:   l.BlockHash,
		LogIndex:    l.Index,
		Submitter:   ev.Submitter,
	}, nil
}

// VerifyAnchor confirms that r is on chain: its transaction succeeded in
// block r.BlockHash, at least the configured confirmations deep, and its log
// r.LogIndex is an Anchored log of the contract with r's window, root and
// submitter. root is the root the caller recomputed from the events; it must
// equal r.Root. It returns nil or an error matching ErrWrongChain,
// ErrNotFound, ErrNotConfirmed or ErrMismatch.
func (c *Client) VerifyAnchor(ctx context.Context, r Receipt, root merkle.Hash) error {
	if r.Root != root {
		return &MismatchError{Field: "receipt root", Got: common.Hash(r.Root), Want: common.Hash(root)}
	}
	if r.ChainID == nil || r.ChainID.Cmp(c.chainID) != 0 {
		return fmt.Errorf("%w: receipt is for chain %v, backend is chain %v", ErrWrongChain, r.ChainID, c.chainID)
	}
	if r.Contract != c.contract {
		return &MismatchError{Field: "contract", Got: c.contract, Want: r.Contract}
	}
	rcpt, err := c.receipt(ctx, r.TxHash)
	if err != nil {
		return err
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return fmt.Errorf("%w: transaction %s failed", ErrNotFound, r.TxHash)
	}
	if rcpt.BlockHash != r.BlockHash {
		// The transaction was re-included elsewhere after a reorg: the
		// receipt no longer locates it.
		return &MismatchError{Field: "block hash", Got: rcpt.BlockHash, Want: r.BlockHash}
	}
	if err := c.confirmed(ctx, rcpt.BlockNumber.Uint64()); err != nil {
		return err
	}
	var log *types.Log
	for _, l := range rcpt.Logs {
		if l.Index == r.LogIndex {
			log = l
		}
	}
	if log == nil {
		return fmt.Errorf("%w: no log %d in transaction %s", ErrNotFound, r.LogIndex, r.TxHash)
	}
	got, err := c.receiptOf(log)
	if err != nil {
		return fmt.Errorf("%w: log %d of %s is not an anchor: %v", ErrNotFound, r.LogIndex, r.TxHash, err)
	}
	for _, m := range []struct {
		field     string
		got, want any
	}{
		{"root", common.Hash(got.Root), common.Hash(r.Root)},
		{"channel", got.Channel, r.Channel},
		{"fromBlock", got.FromBlock, r.FromBlock},
		{"toBlock", got.ToBlock, r.ToBlock},
		{"submitter", got.Submitter, r.Submitter},
		{"block number", got.BlockNumber, r.BlockNumber},
	} {
		if m.got != m.want {
			return &MismatchError{Field: m.field, Got: m.got, Want: m.want}
		}
	}
	return nil
}

// receipt fetches a transaction receipt, retrying transient errors;
// a missing one is ErrNotFound.
func (c *Client) receipt(ctx context.Context, tx common.Hash) (*types.Receipt, error) {
	rcpt, err := retry(ctx, &c.opts, func(ctx context.Context) (*types.Receipt, error) { return c.b.TransactionReceipt(ctx, tx) })
	if errors.Is(err, ethereum.NotFound) {
		return nil, fmt.Errorf("%w: transaction %s", ErrNotFound, tx)
	}
	if err != nil {
		return nil, fmt.Errorf("anchor: receipt of %s: %w", tx, err)
	}
	return rcpt, nil
}

// Depth is how many blocks follow block on the chain (0 when block is the
// head).
func (c *Client) Depth(ctx context.Context, block uint64) (uint64, error) {
	head, err := retry(ctx, &c.opts, c.b.BlockNumber)
	if err != nil {
		return 0, fmt.Errorf("anchor: head: %w", err)
	}
	if head < block {
		return 0, nil
	}
	return head - block, nil
}

func (c *Client) confirmed(ctx context.Context, block uint64) error {
	d, err := c.Depth(ctx, block)
	if err != nil {
		return err
	}
	if d < c.opts.Confirmations {
		return fmt.Errorf("%w: %d of %d blocks deep", ErrNotConfirmed, d, c.opts.Confirmations)
	}
	return nil
}

// poller waits between looks at the chain: briefly at first, since dev
// chains mine at once, then longer, up to max.
type poller struct{ next, max time.Duration }

func newPoller(max time.Duration) *poller {
	return &poller{next: min(25*time.Millisecond, max), max: max}
}

func (p *poller) wait(ctx context.Context) error {
	err := sleep(ctx, p.next)
	p.next = min(2*p.next, p.max)
	return err
}
