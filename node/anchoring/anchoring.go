// Package anchoring runs a member node's anchoring: it cuts the indexed
// Fabric blocks into contiguous windows, anchors each window's Merkle root
// (package merkle, canonical event-id order) on the EVM chain through
// package ethanchor, records every member's anchor of the same windows
// (co-attestation), and hands out the proof of any anchored event.
//
// # Windows
//
// Windows are cut on block boundaries aligned to Options.Blocks (N): a
// window normally ends at block k·N−1. Every member following the same
// channel therefore cuts the same windows and builds the same roots, and
// their anchors of a window co-attest it.
//
// Blocks without EPCIS events are not anchored on their own: a window whose
// aligned range holds no event extends to the next aligned boundary until
// it holds one. Every anchor thus covers at least one event, windows stay
// contiguous and never overlap, and no gas is spent proving that nothing
// happened (a receipt only ever proves inclusion).
//
// When Options.Interval (T) passes without a full window, the events seen
// so far are anchored at once in a window ending at the indexed head, so an
// event waits at most about T for its anchor. Such a window depends on when
// the node looked, so other members may cut it differently and not
// co-attest it; the next window ends on an aligned boundary again.
//
// # State
//
// With a StateSource (the node's index), each window also carries a state
// leaf (ledger.StateLeaf): a merkle.Map of every lot to its latest record
// as of the window's last block, so that receipts prove a lot record the
// latest offline (receipt format 4). The loop keeps the map in memory,
// updated per window with the lot records of its blocks only (O(changes ·
// log lots)), rebuilt once from the index when it starts and checked
// against the last saved window's state leaf; StateProof proves lots
// against the newest window once it is anchored.
//
// # Members without a key
//
// A node without a key (Options.ReadOnly) sends nothing: its windows are
// those the other members anchored. From where its last window ends it
// computes the roots of the windows a member may have cut there, the aligned
// one and the partial ones before it, looks each up on chain, and adopts the
// shortest window some member anchored with the very block range and root
// its own index gives, recording every anchor of it. It thus follows the
// members' partial windows too, which it could not predict.
//
// # Restarts
//
// A window is saved before its anchor is sent, and the store's last window
// is where the loop resumes: a window is created exactly once. If the node
// stopped after saving a window but before recording its anchor, the loop
// first looks on chain for its own anchor of that window and sends one only
// when there is none.
//
// # Observing it
//
// Loop.Status reports the last anchored block, the anchors and gas of this
// run and its failures, for a node's /metrics and /healthz. The loop logs
// through Options.Logger: an anchor sent or adopted at Info, a failure at
// Warn when it starts or changes (Debug while it repeats), a recovery at
// Info, and at Error a failure only an operator can end (ErrNoMemberAnchor).
package anchoring

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
	"github.com/trustline/trustline/receipt"
)

// Source is the node's index as the anchoring loop sees it.
type Source interface {
	// Height is the number of Fabric blocks indexed: blocks 0..Height-1.
	Height(ctx context.Context) (uint64, error)
	// EventIDs are the ids of the EPCIS events recorded by valid
	// transactions in blocks from..to, inclusive, in any order.
	EventIDs(ctx context.Context, from, to uint64) ([]string, error)
}

// LeafSource is a Source that also gives the bound leaves of its blocks
// (ledger.Leaf: each id bound to its transaction, block and content); the
// node's index is one. Windows starting at or after
// Options.BareLeavesBefore are built of bound leaves when the Source is a
// LeafSource.
type LeafSource interface {
	Source
	// Leaves are the bound leaves of the events and records recorded in
	// blocks from..to, inclusive, in any order.
	Leaves(ctx context.Context, from, to uint64) ([]string, error)
}

// LotRecord is a lot record written on the ledger: lot (its Digital Link)
// now has the record of id RecordID.
type LotRecord struct {
	Block    uint64
	Lot      string
	RecordID string
}

// StateSource is a Source that also gives the lot records of its blocks,
// from which each window's state leaf (ledger.StateLeaf) is kept: a map of
// every lot to its latest record, as of the window's last block. The
// node's index is one. Windows starting at or after
// Options.StatelessBefore carry a state leaf when the Source is a
// StateSource.
type StateSource interface {
	Source
	// LotRecords are the lot records written in blocks from..to,
	// inclusive, in ledger order.
	LotRecords(ctx context.Context, from, to uint64) ([]LotRecord, error)
}

// Store keeps windows, their ids and anchors. The node's Pebble index
// implements it; MemStore is an in-memory one.
type Store interface {
	// LastWindow is the window saved last; ok is false when there is none.
	LastWindow(ctx context.Context) (w Window, ok bool, err error)
	// SaveWindow saves a new window, which must follow the last one.
	SaveWindow(ctx context.Context, w Window) error
	// AddAnchors records anchors of the window starting at fromBlock,
	// ignoring those already recorded (same chain, transaction and log).
	AddAnchors(ctx context.Context, fromBlock uint64, rs ...ethanchor.Receipt) error
	// Anchors are the anchors recorded for the window starting at fromBlock.
	Anchors(ctx context.Context, fromBlock uint64) ([]ethanchor.Receipt, error)
	// WindowOf is the window holding a leaf of event or record id (bare
	// or bound, ledger.Leaf); ok is false when no window does (yet).
	WindowOf(ctx context.Context, id string) (w Window, ok bool, err error)
	// Windows are the saved windows ending at or after fromBlock, in block
	// order, at most limit of them (limit <= 0: all).
	Windows(ctx context.Context, fromBlock uint64, limit int) ([]Window, error)
}

// Versioned is a Store that counts its changes: Version changes after
// every window saved and every anchor recorded, so that what is built from
// the store's contents (the API's cached pages, which show each event's
// anchors) can tell it is out of date without reading the store again.
type Versioned interface {
	Version() uint64
}

// Anchorer sends anchors; *ethanchor.Anchorer is one.
type Anchorer interface {
	Anchor(ctx context.Context, w ethanchor.Window) (ethanchor.Receipt, error)
	Anchors(ctx context.Context, f ethanchor.Filter) ([]ethanchor.Receipt, error)
	Address() common.Address
}

// Window is a window as stored: what was anchored, and the canonical
// leaves it was built from (bare event and record ids, or bound leaves,
// see ledger.Leaf), enough to recompute any leaf's path.
type Window struct {
	ethanchor.Window
	IDs []string // canonical order (merkle.Window)
}

// Bound reports whether the window's leaves are bound leaves.
func (w Window) Bound() bool {
	return len(w.IDs) > 0 && strings.Contains(w.IDs[0], ledger.LeafSep)
}

// Size is the number of leaves.
func (w Window) Size() uint64 { return uint64(len(w.IDs)) }

// Options tune a Loop. The zero value of each field selects its default.
type Options struct {
	// Channel is the Fabric channel anchored. Default "trustline".
	Channel string
	// Blocks is N, the window length in blocks and their alignment.
	// Default 10.
	Blocks uint64
	// Interval is T: events waiting longer than this are anchored without
	// waiting for a full window. Default 5m; negative disables it.
	Interval time.Duration
	// ReadOnly runs the loop of a node without a key: it never calls
	// Anchorer.Anchor and adopts the windows other members anchored (see
	// "Members without a key"). Interval does not apply.
	ReadOnly bool
	// Poll is how often Run looks at the index. Default 2s.
	Poll time.Duration
	// FirstBlock is where the first window starts. Default 0.
	FirstBlock uint64
	// BareLeavesBefore is the block from which windows are built of bound
	// leaves (ledger.Leaf): a window starting before it has the bare ids
	// as leaves, as trustline wrote before receipt format 3. Every member
	// of a channel must use the same value, so that they build the same
	// roots across the change (co-attestation); a running network sets it
	// to a block ahead of its head when it upgrades. Default 0: every
	// window is bound.
	BareLeavesBefore uint64
	// StatelessBefore is the block from which windows carry a state leaf
	// (ledger.StateLeaf, see StateSource); a window starting before it
	// has none, as trustline wrote before receipt format 4. Like
	// BareLeavesBefore, every member of a channel must use the same value.
	// Default 0: every window carries one.
	StatelessBefore uint64
	// ChainStart is the chain block from which to search for anchors (the
	// contract's deployment block): public endpoints cap log queries.
	ChainStart uint64
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger; nil discards the loop's logs (see "Observing it").
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Channel == "" {
		o.Channel = "trustline"
	}
	if o.Blocks == 0 {
		o.Blocks = 10
	}
	if o.Interval == 0 {
		o.Interval = 5 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ErrNotAnchored is returned by Proof for an event in no window yet.
var ErrNotAnchored = errors.New("anchoring: event not anchored yet")

// Loop is the anchoring component of a node.
type Loop struct {
	src   Source
	store Store
	a     Anchorer
	opts  Options
	log   *slog.Logger
	since time.Time // when the oldest unanchored event was first seen

	mu sync.Mutex
	st Status

	// The lots' state (see StateSource): state maps each lot to its latest
	// record as of block stateNext-1, the last block of the last saved
	// window; stateWin is the last saved window with a state leaf.
	stateMu   sync.RWMutex
	state     *merkle.Map
	stateNext uint64
	stateWin  *Window
}

// Status is how the loop is doing, since it was created.
type Status struct {
	ReadOnly bool `json:"readOnly"`
	// LastBlock is the last Fabric block of the last window known
	// anchored: by this member, or read-only by another; Anchored is false
	// before the first.
	Anchored  bool   `json:"anchored"`
	LastBlock uint64 `json:"lastAnchoredBlock"`
	// Height is the index height the last step saw.
	Height uint64 `json:"indexHeight"`
	// Anchors counts the anchors this loop sent, or read-only recorded.
	Anchors uint64 `json:"anchors"`
	// GasUsed is the gas the anchors this loop sent used.
	GasUsed uint64 `json:"gasUsed"`
	// Failures counts the steps that failed; Failing is true while the
	// last one did, and LastError is the last failure.
	Failures     uint64    `json:"failures"`
	Failing      bool      `json:"failing"`
	LastError    string    `json:"lastError,omitempty"`
	LastAnchorAt time.Time `json:"lastAnchorAt,omitzero"`
}

// Status reports the loop's status; it is safe to call while Run runs.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

func (l *Loop) update(fn func(*Status)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(&l.st)
}

// anchored notes that the window ending at block to is anchored, with
// the anchors rs this step sent or recorded.
func (l *Loop) anchored(to uint64, rs ...ethanchor.Receipt) {
	l.update(func(s *Status) {
		if !s.Anchored || to > s.LastBlock {
			s.Anchored, s.LastBlock = true, to
		}
		for _, r := range rs {
			s.Anchors++
			s.GasUsed += r.GasUsed
		}
		if len(rs) > 0 {
			s.LastAnchorAt = l.opts.Now()
		}
	})
}

// New returns a Loop anchoring src's blocks with a, recording in store.
func New(src Source, store Store, a Anchorer, opts Options) *Loop {
	o := opts.withDefaults()
	return &Loop{src: src, store: store, a: a, opts: o, log: o.Logger, st: Status{ReadOnly: o.ReadOnly}}
}

// Run steps until ctx ends, logging and retrying failures.
func (l *Loop) Run(ctx context.Context) error {
	t := time.NewTicker(l.opts.Poll)
	defer t.Stop()
	var last string // the failure last logged; "" while steps succeed
	for {
		_, err := l.Step(ctx)
		switch {
		case ctx.Err() != nil:
		case err == nil && last != "":
			l.log.Info("anchoring recovered", "failures", l.Status().Failures)
			last = ""
		case err == nil:
		case err.Error() == last:
			l.log.Debug("anchoring still failing; retrying", "err", err)
		case errors.Is(err, ErrNoMemberAnchor):
			l.log.Error("anchoring stuck: rebuild the index", "err", err)
		default:
			l.log.Warn("anchoring failed; retrying", "every", l.opts.Poll, "err", err)
		}
		if err != nil && ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Step finishes a window left unanchored by a previous run, then cuts and
// anchors every window that is due. It returns the windows anchored.
// Read-only, it adopts every window other members anchored and returns
// their anchors it recorded.
func (l *Loop) Step(ctx context.Context) ([]ethanchor.Receipt, error) {
	done, err := l.step(ctx)
	if err != nil && ctx.Err() == nil {
		l.update(func(s *Status) { s.Failures++; s.Failing, s.LastError = true, err.Error() })
	} else if err == nil {
		l.update(func(s *Status) { s.Failing = false })
	}
	return done, err
}

func (l *Loop) step(ctx context.Context) ([]ethanchor.Receipt, error) {
	var done []ethanchor.Receipt
	last, ok, err := l.store.LastWindow(ctx)
	if err != nil {
		return nil, err
	}
	from := l.opts.FirstBlock
	if ok {
		if l.opts.ReadOnly {
			rs, err := l.ensureRecorded(ctx, last)
			if err != nil {
				return nil, err
			}
			done = append(done, rs...)
			l.anchored(last.ToBlock, rs...)
		} else {
			r, err := l.ensureAnchored(ctx, last)
			if err != nil {
				return nil, err
			}
			if r != nil {
				done = append(done, *r)
			}
			l.anchored(last.ToBlock) // a receipt it sent was noted by send
		}
		from = last.ToBlock + 1
	}
	var lastp *Window
	if ok {
		lastp = &last
	}
	if err := l.loadState(ctx, from, lastp); err != nil {
		return done, err
	}
	height, err := l.src.Height(ctx)
	if err != nil {
		return done, fmt.Errorf("anchoring: index height: %w", err)
	}
	l.update(func(s *Status) { s.Height = height })
	if l.opts.ReadOnly {
		for from < height {
			w, u, rs, ok, err := l.adopt(ctx, from, height)
			if err != nil || !ok {
				return done, err
			}
			if err := l.store.SaveWindow(ctx, w); err != nil {
				return done, fmt.Errorf("anchoring: saving window %d..%d: %w", w.FromBlock, w.ToBlock, err)
			}
			l.commitState(w, u)
			if err := l.store.AddAnchors(ctx, w.FromBlock, rs...); err != nil {
				return done, fmt.Errorf("anchoring: recording the anchors of window %d..%d: %w", w.FromBlock, w.ToBlock, err)
			}
			done = append(done, rs...)
			l.anchored(w.ToBlock, rs...)
			l.log.Info("window adopted", "fromBlock", w.FromBlock, "toBlock", w.ToBlock, "events", w.Size(), "root", common.Hash(w.Root), "anchors", len(rs))
			from = w.ToBlock + 1
		}
		return done, nil
	}
	for from < height {
		w, u, ok, err := l.next(ctx, from, height)
		if err != nil || !ok {
			return done, err
		}
		if err := l.store.SaveWindow(ctx, w); err != nil {
			return done, fmt.Errorf("anchoring: saving window %d..%d: %w", w.FromBlock, w.ToBlock, err)
		}
		l.commitState(w, u)
		l.since = time.Time{}
		r, err := l.send(ctx, w)
		if err != nil {
			return done, err
		}
		done = append(done, r)
		from = w.ToBlock + 1
	}
	return done, nil
}

// next is the window due from block from, with blocks below height
// indexed; ok is false when none is due yet.
func (l *Loop) next(ctx context.Context, from, height uint64) (Window, *merkle.MapUpdate, bool, error) {
	n := l.opts.Blocks
	var ids []string
	start := from
	for to := (from/n+1)*n - 1; ; to += n {
		if to >= height {
			// A partial window: anchored only once its oldest event waited T.
			if from > height-1 {
				return Window{}, nil, false, nil
			}
			more, err := l.leaves(ctx, start, from, height-1)
			if err != nil {
				return Window{}, nil, false, fmt.Errorf("anchoring: events of blocks %d..%d: %w", from, height-1, err)
			}
			ids = append(ids, more...)
			if len(ids) == 0 {
				l.since = time.Time{}
				return Window{}, nil, false, nil
			}
			now := l.opts.Now()
			if l.since.IsZero() {
				l.since = now
			}
			if l.opts.Interval < 0 || now.Sub(l.since) < l.opts.Interval {
				return Window{}, nil, false, nil
			}
			w, u, err := l.makeWindow(ctx, start, height-1, ids)
			return w, u, err == nil, err
		}
		more, err := l.leaves(ctx, start, from, to)
		if err != nil {
			return Window{}, nil, false, fmt.Errorf("anchoring: events of blocks %d..%d: %w", from, to, err)
		}
		ids = append(ids, more...)
		if len(ids) > 0 {
			w, u, err := l.makeWindow(ctx, start, to, ids)
			return w, u, err == nil, err
		}
		from = to + 1 // empty: fold into the next aligned range
	}
}

// adopt is, read-only, the window due from block from with blocks below
// height indexed: the shortest window starting at from that a member
// anchored and whose root the index gives too, and every anchor of it. ok
// is false when no member has anchored one yet.
//
// The windows a member can cut at from end at the first aligned boundary
// whose range holds leaves, or before it (partial windows, cut at the
// member's head when T ran out); earlier ranges are empty, so the leaves of
// all of them lie in that one range: at most N roots to look up, one per
// block of the range that adds leaves.
func (l *Loop) adopt(ctx context.Context, from, height uint64) (Window, *merkle.MapUpdate, []ethanchor.Receipt, bool, error) {
	n := l.opts.Blocks
	lo := from // the range holding the window's leaves
	var hi uint64
	for {
		hi = min((lo/n+1)*n-1, height-1)
		ids, err := l.leaves(ctx, from, lo, hi)
		if err != nil {
			return Window{}, nil, nil, false, fmt.Errorf("anchoring: events of blocks %d..%d: %w", lo, hi, err)
		}
		if len(ids) > 0 {
			break
		}
		if hi == height-1 {
			return Window{}, nil, nil, false, nil // nothing to anchor yet
		}
		lo = hi + 1 // empty: members fold it into the next range
	}
	var ids []string
	var found []ethanchor.Receipt
	for b := lo; b <= hi; b++ {
		more, err := l.leaves(ctx, from, b, b)
		if err != nil {
			return Window{}, nil, nil, false, fmt.Errorf("anchoring: events of block %d: %w", b, err)
		}
		if len(more) == 0 {
			continue // same root as the window ending before it (and same state: a lot record is a leaf)
		}
		ids = append(ids, more...)
		cand, _, err := l.makeWindow(ctx, from, b, ids)
		if err != nil {
			return Window{}, nil, nil, false, err
		}
		root := cand.Root
		rs, err := l.a.Anchors(ctx, ethanchor.Filter{Root: &root, Channel: l.opts.Channel, Start: l.opts.ChainStart, Confirmed: true})
		if err != nil {
			return Window{}, nil, nil, false, fmt.Errorf("anchoring: anchors of root %s: %w", common.Hash(root), err)
		}
		for _, r := range rs {
			if r.Channel == l.opts.Channel && r.FromBlock == from && r.ToBlock >= b && r.ToBlock <= hi {
				found = append(found, r)
			}
		}
	}
	slices.SortStableFunc(found, func(a, b ethanchor.Receipt) int { return cmp.Compare(a.ToBlock, b.ToBlock) })
	for i := 0; i < len(found); {
		to := found[i].ToBlock
		j := i
		for j < len(found) && found[j].ToBlock == to {
			j++
		}
		ids, err := l.leaves(ctx, from, from, to)
		if err != nil {
			return Window{}, nil, nil, false, fmt.Errorf("anchoring: events of blocks %d..%d: %w", from, to, err)
		}
		w, u, err := l.makeWindow(ctx, from, to, ids)
		if err != nil {
			return Window{}, nil, nil, false, err
		}
		var rs []ethanchor.Receipt
		for _, r := range found[i:j] {
			if r.Window == w.Window {
				rs = append(rs, r)
			}
		}
		if len(rs) > 0 {
			return w, u, rs, true, nil
		}
		i = j
	}
	return Window{}, nil, nil, false, nil
}

// ensureRecorded makes sure, read-only, that w carries an anchor: w was
// saved with its anchors, unless the node stopped in between; then they are
// looked up again. It returns the anchors it had to record.
func (l *Loop) ensureRecorded(ctx context.Context, w Window) ([]ethanchor.Receipt, error) {
	rs, err := l.store.Anchors(ctx, w.FromBlock)
	if err != nil || len(rs) > 0 {
		return nil, err
	}
	root := w.Root
	found, err := l.a.Anchors(ctx, ethanchor.Filter{Root: &root, Channel: w.Channel, Start: l.opts.ChainStart, Confirmed: true})
	if err != nil {
		return nil, fmt.Errorf("anchoring: anchors of window %d..%d: %w", w.FromBlock, w.ToBlock, err)
	}
	for _, r := range found {
		if r.Window == w.Window {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("anchoring: window %d..%d: %w", w.FromBlock, w.ToBlock, ErrNoMemberAnchor)
	}
	if err := l.store.AddAnchors(ctx, w.FromBlock, rs...); err != nil {
		return nil, err
	}
	return rs, nil
}

// leaves are the leaves of blocks from..to of the window starting at
// start: bound from Options.BareLeavesBefore on, when the source has them.
func (l *Loop) leaves(ctx context.Context, start, from, to uint64) ([]string, error) {
	if ls, ok := l.src.(LeafSource); ok && start >= l.opts.BareLeavesBefore {
		return ls.Leaves(ctx, from, to)
	}
	return l.src.EventIDs(ctx, from, to)
}

// ErrNoMemberAnchor: a read-only node's saved window has no anchor, and no
// member's anchor of it is on chain (it was saved by an older version that
// cut windows ahead of the members', or its anchors were reorganised away).
// The loop cannot go past it: rebuild the node's index.
var ErrNoMemberAnchor = errors.New("saved without an anchor, and no member's anchor of it is on chain")

func makeWindow(channel string, from, to uint64, ids []string) Window {
	mw := merkle.NewWindow(ids)
	return Window{
		Window: ethanchor.Window{Channel: channel, FromBlock: from, ToBlock: to, Root: mw.Tree().Root()},
		IDs:    mw.IDs(),
	}
}

// makeWindow is the window of blocks from..to with leaves ids and, from
// Options.StatelessBefore on, the state leaf of the lots as of block to;
// the update takes the loop's state to block to once the window is saved
// (commitState). The state is kept whether or not the window carries it,
// so that the first window that does commits to every lot.
func (l *Loop) makeWindow(ctx context.Context, from, to uint64, ids []string) (Window, *merkle.MapUpdate, error) {
	ss, ok := l.src.(StateSource)
	if !ok {
		return makeWindow(l.opts.Channel, from, to, ids), nil, nil
	}
	l.stateMu.RLock()
	defer l.stateMu.RUnlock()
	if l.state == nil || l.stateNext != from {
		return Window{}, nil, fmt.Errorf("anchoring: the lots' state is of block %d, window %d..%d starts elsewhere", l.stateNext, from, to)
	}
	recs, err := ss.LotRecords(ctx, from, to)
	if err != nil {
		return Window{}, nil, fmt.Errorf("anchoring: lot records of blocks %d..%d: %w", from, to, err)
	}
	u := l.state.Update()
	for _, r := range recs {
		if err := u.Set(r.Lot, r.RecordID); err != nil {
			return Window{}, nil, fmt.Errorf("anchoring: lot record of block %d: %w", r.Block, err)
		}
	}
	if from >= l.opts.StatelessBefore {
		ids = append(slices.Clip(ids), ledger.StateLeaf(u.Root(), uint64(u.Len())))
	}
	return makeWindow(l.opts.Channel, from, to, ids), u, nil
}

// ensureAnchored makes sure w carries this member's anchor: recorded, found
// on chain (the node stopped before recording it), or sent now. It returns
// the anchor when it had to find or send it.
func (l *Loop) ensureAnchored(ctx context.Context, w Window) (*ethanchor.Receipt, error) {
	rs, err := l.store.Anchors(ctx, w.FromBlock)
	if err != nil {
		return nil, err
	}
	me := l.a.Address()
	if slices.ContainsFunc(rs, func(r ethanchor.Receipt) bool { return r.Submitter == me }) {
		return nil, nil
	}
	root := w.Root
	found, err := l.a.Anchors(ctx, ethanchor.Filter{Root: &root, Channel: w.Channel, Submitters: []common.Address{me}, Start: l.opts.ChainStart})
	if err != nil {
		return nil, fmt.Errorf("anchoring: looking for our anchor of window %d..%d: %w", w.FromBlock, w.ToBlock, err)
	}
	for _, r := range found {
		if r.Window == w.Window {
			if err := l.store.AddAnchors(ctx, w.FromBlock, r); err != nil {
				return nil, err
			}
			l.log.Info("own anchor found on chain", "fromBlock", w.FromBlock, "toBlock", w.ToBlock, "tx", r.TxHash, "chainBlock", r.BlockNumber)
			return &r, nil
		}
	}
	r, err := l.send(ctx, w)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func (l *Loop) send(ctx context.Context, w Window) (ethanchor.Receipt, error) {
	r, err := l.a.Anchor(ctx, w.Window)
	if err != nil {
		return ethanchor.Receipt{}, fmt.Errorf("anchoring: anchoring window %d..%d: %w", w.FromBlock, w.ToBlock, err)
	}
	l.anchored(w.ToBlock, r) // sent: its gas is spent, recorded or not
	l.log.Info("window anchored", "fromBlock", w.FromBlock, "toBlock", w.ToBlock, "events", w.Size(),
		"root", common.Hash(w.Root), "tx", r.TxHash, "chainBlock", r.BlockNumber, "gas", r.GasUsed)
	if err := l.store.AddAnchors(ctx, w.FromBlock, r); err != nil {
		return ethanchor.Receipt{}, fmt.Errorf("anchoring: recording the anchor %s: %w", r.TxHash, err)
	}
	return r, nil
}

// ScanCoAttestations records every member's anchors of the windows ending
// at or after fromBlock, as found on chain, and returns how many were new.
func (l *Loop) ScanCoAttestations(ctx context.Context, fromBlock uint64) (int, error) {
	ws, err := l.store.Windows(ctx, fromBlock, 0)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, w := range ws {
		root := w.Root
		found, err := l.a.Anchors(ctx, ethanchor.Filter{Root: &root, Channel: w.Channel, Start: l.opts.ChainStart, Confirmed: true})
		if err != nil {
			return added, fmt.Errorf("anchoring: anchors of window %d..%d: %w", w.FromBlock, w.ToBlock, err)
		}
		have, err := l.store.Anchors(ctx, w.FromBlock)
		if err != nil {
			return added, err
		}
		var fresh []ethanchor.Receipt
		for _, r := range found {
			// Same root, another block range: not an anchor of this window.
			if r.Window == w.Window && !slices.ContainsFunc(have, func(h ethanchor.Receipt) bool { return sameAnchor(h, r) }) {
				fresh = append(fresh, r)
			}
		}
		if len(fresh) > 0 {
			if err := l.store.AddAnchors(ctx, w.FromBlock, fresh...); err != nil {
				return added, err
			}
			added += len(fresh)
		}
	}
	return added, nil
}

func sameAnchor(a, b ethanchor.Receipt) bool {
	return a.TxHash == b.TxHash && a.LogIndex == b.LogIndex && a.ChainID.Cmp(b.ChainID) == 0
}

// Proof is the receipt proof of event or record id: its window, its leaf
// (the id, or the first bound leaf of it in canonical order), leaf index,
// path and every anchor recorded for the window.
func Proof(ctx context.Context, store Store, id string) (receipt.Proof, error) {
	w, ok, err := store.WindowOf(ctx, id)
	if err != nil {
		return receipt.Proof{}, err
	}
	if !ok {
		return receipt.Proof{}, fmt.Errorf("%w: %s", ErrNotAnchored, id)
	}
	mw := merkle.NewWindow(w.IDs)
	i, ok := LeafIndex(mw.IDs(), id)
	if !ok {
		return receipt.Proof{}, fmt.Errorf("anchoring: window %d..%d does not hold %s", w.FromBlock, w.ToBlock, id)
	}
	tree := mw.Tree()
	if tree.Root() != w.Root {
		return receipt.Proof{}, fmt.Errorf("anchoring: stored ids of window %d..%d do not lead to its root", w.FromBlock, w.ToBlock)
	}
	path, err := tree.Proof(i)
	if err != nil {
		return receipt.Proof{}, err
	}
	rs, err := store.Anchors(ctx, w.FromBlock)
	if err != nil {
		return receipt.Proof{}, err
	}
	return receipt.Proof{Window: w.Window, Size: w.Size(), Leaf: mw.IDs()[i], LeafIndex: uint64(i), Path: path, Anchors: rs}, nil
}

// LeafIndex is the index in canonical leaves of id's leaf: id itself, or
// the first bound leaf of id.
func LeafIndex(leaves []string, id string) (int, bool) {
	if i, ok := slices.BinarySearch(leaves, id); ok {
		return i, true
	}
	i, _ := slices.BinarySearch(leaves, id+ledger.LeafSep)
	return i, i < len(leaves) && strings.HasPrefix(leaves[i], id+ledger.LeafSep)
}
