package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// AllMembers, given to WithPeerSync, WaitForOrganizations or WaitForBlock
// in place of MSP ids, stands for every member of the consortium's role
// table (Client.Members).
const AllMembers = "*"

// DefaultPeerSyncTimeout bounds a write's wait for other organisations'
// peers unless WithPeerSyncTimeout says otherwise.
const DefaultPeerSyncTimeout = 5 * time.Second

const (
	// membersTTL is how long the role table's members are reused for
	// AllMembers before they are read anew.
	membersTTL = time.Minute
	// The first and the longest pause between two height polls of a peer.
	pollFirst, pollMax = 10 * time.Millisecond, 100 * time.Millisecond
)

// FnGetChainInfo is the query system chaincode's function LedgerHeight
// evaluates; errors of LedgerHeight name it.
const FnGetChainInfo = "qscc:GetChainInfo"

// WithPeerSync makes every write wait, once committed in block N, until the
// peers of the given organisations (MSP ids, or AllMembers) have committed
// block N too, so that a call made right after as one of them sees the
// write. Without it a write returns as soon as the client's gateway peer
// has committed the block, and another organisation's peer may commit it
// moments later. The wait is bounded by WithPeerSyncTimeout and never fails
// the write: see SyncError. WaitForOrganizations overrides it for one call.
// Queries never wait.
func WithPeerSync(mspIDs ...string) Option {
	return func(o *options) { o.syncOrgs = append(o.syncOrgs, mspIDs...) }
}

// WithPeerSyncTimeout bounds how long a write waits for other
// organisations' peers (default DefaultPeerSyncTimeout). A zero or negative
// value keeps the default.
func WithPeerSyncTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.syncTimeout = d
		}
	}
}

// WithPeerSyncHandler calls h, before the write returns, when a write's
// wait for other organisations' peers ended with some of them behind (the
// same *SyncError WithReceipt reports). The write is committed all the
// same; h is for a warning.
func WithPeerSyncHandler(h func(*SyncError)) Option {
	return func(o *options) { o.onSync = h }
}

// WaitForOrganizations makes this write wait, as WithPeerSync describes,
// for the peers of the given organisations (MSP ids, or AllMembers) instead
// of those the client was connected with. With no MSP id, this write does
// not wait. A query ignores it.
func WaitForOrganizations(mspIDs ...string) CallOption {
	return func(o *callOptions) {
		o.syncSet = true
		o.sync = append(o.sync, mspIDs...)
	}
}

// SyncError reports that, when a wait for other organisations' peers ended
// (its bound, or the caller's context), some of them had not committed the
// block. It is never a write's error: the transaction is committed, but a
// call as a lagging organisation may not see it for a moment. A write
// reports it in its Receipt and to WithPeerSyncHandler; WaitForBlock
// returns it.
type SyncError struct {
	// Function and TransactionID are the write's, empty for WaitForBlock.
	Function      string
	TransactionID string
	// BlockNumber is the block waited for.
	BlockNumber uint64
	// Lagging are the organisations whose peer had not committed the block,
	// in the order they were asked for. It is empty when the wait could not
	// start (see Err).
	Lagging []PeerLag
	// Waited is how long the wait lasted.
	Waited time.Duration
	// Err is why the wait ended: context.DeadlineExceeded at the bound,
	// the caller's context's error, or the failure to learn the members
	// AllMembers stands for.
	Err error
}

// PeerLag is an organisation's peer that had not committed a block.
type PeerLag struct {
	MSPID string
	// Height is the peer's last reported ledger height (0 if it never
	// answered); the block it lacks is number Height or above.
	Height uint64
	// Err is the last failure to ask its height, nil when it answered.
	Err error
}

func (e *SyncError) Error() string {
	var b strings.Builder
	if e.Function != "" {
		b.WriteString(e.Function + ": ")
	}
	if e.TransactionID != "" {
		fmt.Fprintf(&b, "transaction %s committed in block %d, but ", e.TransactionID, e.BlockNumber)
	} else {
		fmt.Fprintf(&b, "block %d: ", e.BlockNumber)
	}
	if len(e.Lagging) == 0 {
		fmt.Fprintf(&b, "the consortium's members, whose peers to wait for, could not be read: %s", cause(e.Err))
		return b.String()
	}
	lags := make([]string, len(e.Lagging))
	for i, l := range e.Lagging {
		switch {
		case l.Err != nil:
			lags[i] = fmt.Sprintf("%s (no answer: %s)", l.MSPID, cause(l.Err))
		case l.Height == 0:
			lags[i] = l.MSPID + " (no answer)"
		default:
			lags[i] = fmt.Sprintf("%s (at height %d)", l.MSPID, l.Height)
		}
	}
	fmt.Fprintf(&b, "the peers of %s had not committed it after %s", strings.Join(lags, ", "), e.Waited.Round(time.Millisecond))
	return b.String()
}

func (e *SyncError) Unwrap() error { return e.Err }

// cause is the heart of err on one line: a rejection's reason, a gRPC
// status's message, without this package's wrapping.
func cause(err error) string {
	if err == nil {
		return ""
	}
	var u *UnavailableError
	if errors.As(err, &u) && u.Err != nil {
		err = u.Err
	}
	var r *RejectedError
	if errors.As(err, &r) {
		return oneLine(r.Reason)
	}
	var st interface{ GRPCStatus() *status.Status }
	if errors.As(err, &st) && st.GRPCStatus() != nil {
		return oneLine(st.GRPCStatus().Message())
	}
	return oneLine(err.Error())
}

func oneLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Members returns the MSP ids of the consortium's members, as the role
// table (Governance:GetRoles) lists them.
func (c *Client) Members(ctx context.Context, opts ...CallOption) ([]string, error) {
	r, err := c.Roles(ctx, opts...)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(r.Members))
	for i, m := range r.Members {
		ids[i] = m.MSPID
	}
	return ids, nil
}

// LedgerHeight returns the channel's height (the number of blocks, so the
// newest is Height-1) as a peer of organisation mspID has committed it:
// the query system chaincode's GetChainInfo, which any member of the
// channel may ask of any peer. With mspID "", the gateway picks the peer,
// preferably its own.
func (c *Client) LedgerHeight(ctx context.Context, mspID string) (uint64, error) {
	return retry(ctx, c.opts, func() (uint64, error) { return c.ledgerHeight(ctx, mspID) })
}

func (c *Client) ledgerHeight(ctx context.Context, mspID string) (uint64, error) {
	po := []client.ProposalOption{client.WithArguments(c.cfg.Channel)}
	if mspID != "" {
		po = append(po, client.WithEndorsingOrganizations(mspID))
	}
	prop, err := c.qscc.NewProposal("GetChainInfo", po...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", FnGetChainInfo, err)
	}
	res, err := prop.EvaluateWithContext(ctx)
	if err != nil {
		return 0, c.wrap(FnGetChainInfo, prop.TransactionID(), err, false)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(res, &info); err != nil {
		return 0, fmt.Errorf("%s: decoding the result: %w", FnGetChainInfo, err)
	}
	return info.GetHeight(), nil
}

// WaitForBlock waits until the peers of the given organisations (MSP ids,
// or AllMembers) have committed block number, polling their ledger height.
// It returns nil once they all have, and a *SyncError naming those still
// behind when ctx ends first, or when it cannot learn the members
// AllMembers stands for. A write's Receipt has the block number to wait for.
func (c *Client) WaitForBlock(ctx context.Context, block uint64, mspIDs ...string) error {
	if e := c.waitForBlock(ctx, block, mspIDs); e != nil {
		return e
	}
	return nil
}

// waitForBlock is WaitForBlock's body, returning a typed nil.
func (c *Client) waitForBlock(ctx context.Context, block uint64, mspIDs []string) *SyncError {
	start := time.Now()
	orgs, err := c.resolveOrgs(ctx, mspIDs)
	if err != nil {
		return &SyncError{BlockNumber: block, Waited: time.Since(start), Err: err}
	}
	lags := make([]*PeerLag, len(orgs))
	var wg sync.WaitGroup
	for i, org := range orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lags[i] = c.heights.wait(ctx, c, org, block)
		}()
	}
	wg.Wait()
	e := &SyncError{BlockNumber: block, Waited: time.Since(start), Err: ctx.Err()}
	for _, l := range lags {
		if l != nil {
			e.Lagging = append(e.Lagging, *l)
		}
	}
	if len(e.Lagging) == 0 {
		return nil
	}
	return e
}

// heights shares the polling of organisations' ledger heights among a
// client's waits: however many writes wait at once, each organisation's
// peer has at most one height query in flight, and a height learnt
// answers every wait it satisfies (heights only grow). Polling each peer
// once per waiting write made the waits' queries (each a signed proposal
// the peer checks) a large share of a busy peer's work.
type heights struct {
	mu   sync.Mutex
	orgs map[string]*orgHeight
}

// orgHeight is what is known of one organisation's peer.
type orgHeight struct {
	height uint64 // the highest height it reported
	err    error  // the last query's failure, nil after an answer
	// waits counts the waits by the block they need.
	waits   map[uint64]int
	polling bool
	// changed is closed (and replaced) after each answer or failure.
	changed chan struct{}
	// kick wakes the poller from its pause when a wait starts.
	kick chan struct{}
}

// wait waits until org's peer has committed block (nil) or ctx ends (what
// was last learnt of the peer).
func (h *heights) wait(ctx context.Context, c *Client, org string, block uint64) *PeerLag {
	h.mu.Lock()
	if h.orgs == nil {
		h.orgs = map[string]*orgHeight{}
	}
	o := h.orgs[org]
	if o == nil {
		o = &orgHeight{waits: map[uint64]int{}, changed: make(chan struct{}), kick: make(chan struct{}, 1)}
		h.orgs[org] = o
	}
	if o.height > block {
		h.mu.Unlock()
		return nil
	}
	o.waits[block]++
	defer func() {
		h.mu.Lock()
		if o.waits[block]--; o.waits[block] == 0 {
			delete(o.waits, block)
		}
		h.mu.Unlock()
	}()
	if !o.polling {
		o.polling = true
		go h.poll(c, org, o)
	} else {
		select {
		case o.kick <- struct{}{}:
		default:
		}
	}
	for {
		changed := o.changed
		h.mu.Unlock()
		select {
		case <-ctx.Done():
			h.mu.Lock()
			defer h.mu.Unlock()
			return &PeerLag{MSPID: org, Height: o.height, Err: o.err}
		case <-changed:
		}
		h.mu.Lock()
		if o.height > block {
			h.mu.Unlock()
			return nil
		}
	}
}

// poll asks org's peer for its height while some wait needs a block it
// has not reported: at once when a wait starts, else after a pause that
// grows from pollFirst to pollMax while the height stays.
func (h *heights) poll(c *Client, org string, o *orgHeight) {
	pause := pollFirst
	for {
		h.mu.Lock()
		needed := false
		for b := range o.waits {
			needed = needed || b >= o.height
		}
		if !needed {
			o.polling = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.evaluateTimeout)
		height, err := c.ledgerHeight(ctx, org)
		cancel()
		h.mu.Lock()
		if err == nil {
			if height > o.height {
				o.height, pause = height, pollFirst
			}
		}
		o.err = err
		close(o.changed)
		o.changed = make(chan struct{})
		h.mu.Unlock()
		select {
		case <-o.kick:
		case <-time.After(pause):
			pause = min(2*pause, pollMax)
		}
	}
}

// resolveOrgs expands AllMembers and drops repeated MSP ids.
func (c *Client) resolveOrgs(ctx context.Context, mspIDs []string) ([]string, error) {
	var orgs []string
	for _, id := range mspIDs {
		ids := []string{id}
		if id == AllMembers {
			var err error
			if ids, err = c.cachedMembers(ctx); err != nil {
				return nil, err
			}
		}
		for _, id := range ids {
			if id != "" && !slices.Contains(orgs, id) {
				orgs = append(orgs, id)
			}
		}
	}
	return orgs, nil
}

// cachedMembers is Members, read again after membersTTL.
func (c *Client) cachedMembers(ctx context.Context) ([]string, error) {
	c.members.mu.Lock()
	defer c.members.mu.Unlock()
	if c.members.ids != nil && time.Since(c.members.at) < membersTTL {
		return c.members.ids, nil
	}
	ids, err := c.Members(ctx)
	if err != nil {
		return nil, err
	}
	c.members.ids, c.members.at = ids, time.Now()
	return ids, nil
}

// syncAfter waits, after fn's transaction txID committed in block, for the
// organisations the call or the client asks for; nil when none lag.
func (c *Client) syncAfter(ctx context.Context, co callOptions, fn, txID string, block uint64) *SyncError {
	orgs := c.opts.syncOrgs
	if co.syncSet {
		orgs = co.sync
	}
	if len(orgs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.syncTimeout)
	defer cancel()
	e := c.waitForBlock(ctx, block, orgs)
	if e == nil {
		return nil
	}
	e.Function, e.TransactionID = fn, txID
	if c.opts.onSync != nil {
		c.opts.onSync(e)
	}
	return e
}
