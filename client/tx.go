package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	retrypkg "github.com/trustline/trustline/internal/retry"
)

// CallOption configures one call.
type CallOption func(*callOptions)

type callOptions struct {
	endorsers []string
	receipt   *Receipt
	sync      []string // WaitForOrganizations, when syncSet
	syncSet   bool
}

// Receipt tells where a write was recorded.
type Receipt struct {
	TransactionID string
	BlockNumber   uint64
	// Sync is non-nil when the write waited for other organisations' peers
	// (WithPeerSync, WaitForOrganizations) and some had not committed
	// BlockNumber when the wait ended. The write is committed regardless.
	Sync *SyncError
}

// WithEndorsingOrganizations sends the proposal to the peers of the given
// MSPs only. For a query, it reads from that organisation's peer: right
// after a write, a peer of another organisation may lag a block behind the
// one that reported the commit (unless the write waited for it: see
// WithPeerSync).
func WithEndorsingOrganizations(mspIDs ...string) CallOption {
	return func(o *callOptions) { o.endorsers = append(o.endorsers, mspIDs...) }
}

// WithReceipt fills r with the committed transaction's id and block
// number, and how the wait for other organisations' peers ended.
func WithReceipt(r *Receipt) CallOption {
	return func(o *callOptions) { o.receipt = r }
}

func (o callOptions) proposal(args []string) []client.ProposalOption {
	po := []client.ProposalOption{client.WithArguments(args...)}
	if len(o.endorsers) > 0 {
		po = append(po, client.WithEndorsingOrganizations(o.endorsers...))
	}
	return po
}

func collect(opts []CallOption) callOptions {
	var o callOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// retry calls f until it succeeds, fails other than transiently, the
// attempts are spent or ctx ends (package retry's loop).
func retry[T any](ctx context.Context, o options, f func() (T, error)) (T, error) {
	return retrypkg.Do(ctx, retrypkg.Policy{Attempts: o.attempts, Backoff: o.backoff, Transient: transient},
		func(context.Context) (T, error) { return f() })
}

// readConflict reports whether a transaction was invalidated because the
// state it read changed before it committed: it changed nothing, and a new
// endorsement against the new state may succeed (or be refused).
func readConflict(code peer.TxValidationCode) bool {
	return code == peer.TxValidationCode_MVCC_READ_CONFLICT || code == peer.TxValidationCode_PHANTOM_READ_CONFLICT
}

// submit records fn(args) on the ledger and returns its result.
func (c *Client) submit(ctx context.Context, fn string, args []string, opts []CallOption) ([]byte, error) {
	co := collect(opts)
	for attempt := 1; ; attempt++ {
		prop, err := c.contract.NewProposal(fn, co.proposal(args)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		txID := prop.TransactionID()
		// Endorsing the same proposal again is harmless: it only simulates.
		txn, err := retry(ctx, c.opts, func() (*client.Transaction, error) { return prop.EndorseWithContext(ctx) })
		if err != nil {
			if EndorsersDisagree(err) && attempt < c.opts.attempts && c.wait(ctx) {
				continue // nothing was submitted: a new proposal is safe
			}
			return nil, c.wrap(fn, txID, err, false)
		}
		// The same signed transaction submitted twice commits at most once.
		commit, err := retry(ctx, c.opts, func() (*client.Commit, error) { return txn.SubmitWithContext(ctx) })
		var dup *AlreadyProcessedError
		if err != nil {
			if dup = alreadyProcessed(fn, txID, err); dup == nil {
				return nil, c.wrap(fn, txID, err, true)
			}
			// The ordering service has ordered this transaction already
			// (an earlier submission of ours, or this one reaching some
			// orderers after the others had ordered it): it is in a
			// block, valid or not, and its commit status settles it.
			// Submitting it again gets the same answer; a new transaction
			// could record the write twice.
			if commit, err = c.commitOf(txID); err != nil {
				return nil, fmt.Errorf("%s: %w", fn, err)
			}
		}
		st, err := retry(ctx, c.opts, func() (*client.Status, error) { return commit.StatusWithContext(ctx) })
		if err != nil {
			if dup != nil {
				dup.Err = err
				return nil, &UnavailableError{Function: fn, Address: c.cfg.GatewayAddress, TransactionID: txID, MaybeCommitted: true, Err: dup}
			}
			return nil, c.wrap(fn, txID, err, true)
		}
		// DUPLICATE_TXID: an earlier submission of this very transaction,
		// which timed out for us, committed.
		if st.Successful || st.Code == peer.TxValidationCode_DUPLICATE_TXID {
			lag := c.syncAfter(ctx, co, fn, txID, st.BlockNumber)
			if co.receipt != nil {
				*co.receipt = Receipt{TransactionID: txID, BlockNumber: st.BlockNumber, Sync: lag}
			}
			return txn.Result(), nil
		}
		if readConflict(st.Code) && attempt < c.opts.attempts && c.wait(ctx) {
			continue
		}
		return nil, &CommitError{Function: fn, TransactionID: txID, BlockNumber: st.BlockNumber, Code: st.Code}
	}
}

// wait waits the retry backoff before a new proposal, and reports whether
// ctx let it.
func (c *Client) wait(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(c.opts.backoff):
		return true
	}
}

// commitOf is the commit of transaction txID, submitted by this client's
// identity, for asking its status when the submission's own answer was
// lost: fabric-gateway hands out a Commit only for a submission that
// succeeded, so the status request it would have built is built here the
// same way (signed when asked, by the client's identity).
func (c *Client) commitOf(txID string) (*client.Commit, error) {
	id := c.gw.Identity()
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MspID(), IdBytes: id.Credentials()})
	if err != nil {
		return nil, err
	}
	req, err := proto.Marshal(&gateway.CommitStatusRequest{ChannelId: c.cfg.Channel, TransactionId: txID, Identity: creator})
	if err != nil {
		return nil, err
	}
	signed, err := proto.Marshal(&gateway.SignedCommitStatusRequest{Request: req})
	if err != nil {
		return nil, err
	}
	return c.gw.NewCommit(signed)
}

// evaluate runs fn(args) on one peer without recording anything.
func (c *Client) evaluate(ctx context.Context, fn string, args []string, opts []CallOption) ([]byte, error) {
	co := collect(opts)
	prop, err := c.contract.NewProposal(fn, co.proposal(args)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	res, err := retry(ctx, c.opts, func() ([]byte, error) { return prop.EvaluateWithContext(ctx) })
	if err != nil {
		return nil, c.wrap(fn, prop.TransactionID(), err, false)
	}
	return res, nil
}

// call submits (or evaluates) fn and decodes its JSON result into T.
func call[T any](ctx context.Context, c *Client, write bool, fn string, args []string, opts []CallOption) (T, error) {
	var v T
	do := c.evaluate
	if write {
		do = c.submit
	}
	res, err := do(ctx, fn, args, opts)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(res, &v); err != nil {
		return v, fmt.Errorf("%s: decoding the result: %w", fn, err)
	}
	return v, nil
}

func mustJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
