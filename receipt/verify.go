package receipt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
)

// Part names what a failed check was about.
type Part string

const (
	// PartEvent is the event itself: its id recomputed from its content,
	// its own eventID member, its block within its window.
	PartEvent Part = "event"
	// PartPath is the event id's Merkle path to its window's root.
	PartPath Part = "path"
	// PartAnchor is an anchor of the event's window on chain.
	PartAnchor Part = "anchor"
	// PartRecord is a ledger record itself: its id recomputed from its
	// canonical JSON, an inspection report's signature.
	PartRecord Part = "record"
	// PartClaim is a claim's verdict re-evaluated from the receipt.
	PartClaim Part = "claim"
	// PartSubject is the binding of the receipt's parts to its subject.
	PartSubject Part = "subject"
)

var (
	// ErrEventID is returned when an event's content hashes to another id
	// than the receipt claims.
	ErrEventID = errors.New("receipt: event id does not match the event's content")
	// ErrBlockOutsideWindow is returned when an event's block is not in its
	// window's block range.
	ErrBlockOutsideWindow = errors.New("receipt: block outside the window")
	// ErrNoWindow is returned when an event names a window the receipt
	// does not have.
	ErrNoWindow = errors.New("receipt: no such window")
	// ErrNoAnchor is returned when an event's window has no anchor.
	ErrNoAnchor = errors.New("receipt: window has no anchor")
	// ErrRecordID is returned when a record's content hashes to another id
	// than the receipt says, or is not a record of its type.
	ErrRecordID = errors.New("receipt: record id does not match the record's content")
	// ErrSignature is returned when an inspection report's signature does
	// not recover to the signer its record names.
	ErrSignature = errors.New("receipt: report signature does not match its signer")
	// ErrClaimMismatch is returned when a claim re-evaluated from the
	// receipt's evidence reaches another verdict than the node's.
	ErrClaimMismatch = errors.New("receipt: claim verdict differs from the evidence")
	// ErrClaimEvidence is returned when the receipt lacks, or fails to
	// prove, something a claim's verdict rests on.
	ErrClaimEvidence = errors.New("receipt: claim evidence missing or unproven")
	// ErrLeaf is returned when the leaf binding an event or record to its
	// transaction, block and content is not the anchored one.
	ErrLeaf = errors.New("receipt: leaf not anchored")
	// ErrUnreachable is returned by Verify when the chain's RPC endpoint
	// cannot be reached: the report is then incomplete.
	ErrUnreachable = errors.New("receipt: chain RPC endpoint unreachable")
)

// PartError is one failed check of an event. Err matches the package's
// errors, merkle's (ErrIndexOutOfRange, ErrProofLength, ErrRootMismatch) or
// anchor's (ErrNotFound, ErrMismatch, ErrWrongChain, ErrNotConfirmed,
// ErrNoCode).
type PartError struct {
	Part   Part
	Anchor int // index of the anchor in the window, for PartAnchor; else -1
	Err    error
}

func (e *PartError) Error() string {
	if e.Part == PartAnchor && e.Anchor >= 0 {
		return fmt.Sprintf("%s %d: %v", e.Part, e.Anchor, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Part, e.Err)
}

func (e *PartError) Unwrap() error { return e.Err }

// MarshalJSON writes the part, anchor index and message.
func (e *PartError) MarshalJSON() ([]byte, error) {
	v := struct {
		Part   Part   `json:"part"`
		Anchor *int   `json:"anchor,omitempty"`
		Error  string `json:"error"`
	}{Part: e.Part, Error: e.Err.Error()}
	if e.Part == PartAnchor && e.Anchor >= 0 {
		v.Anchor = &e.Anchor
	}
	return json.Marshal(v)
}

// Verdict is the outcome for one event or record.
type Verdict struct {
	Index    int               `json:"index"` // in Receipt.Events or Receipt.Records
	EventID  string            `json:"eventId,omitempty"`
	Type     ledger.RecordKind `json:"type,omitempty"` // records only
	RecordID string            `json:"recordId,omitempty"`
	TxID     string            `json:"txId"`
	Block    uint64            `json:"block"`
	Failures []*PartError      `json:"failures,omitempty"`
	// Bound is true when the leaf binds the id to TxID, Block and the full
	// content (a window of bound leaves): they are then proven.
	Bound bool `json:"bound"`
	// Anchors is how many anchors the event's window lists; OnChain tells
	// whether they were checked on chain (false offline: the anchors were
	// not checked at all).
	Anchors int  `json:"anchors"`
	OnChain bool `json:"onChain"`
}

// OK reports whether every check of the event passed.
func (v Verdict) OK() bool { return len(v.Failures) == 0 }

// Failed reports whether a check of part p failed.
func (v Verdict) Failed(p Part) bool {
	for _, f := range v.Failures {
		if f.Part == p {
			return true
		}
	}
	return false
}

// Report is the outcome of Verify.
type Report struct {
	// Online is true when anchors were checked on chain.
	Online   bool      `json:"online"`
	ChainID  uint64    `json:"chainId,omitempty"`
	Verdicts []Verdict `json:"events"`
	// Records are the verdicts of the receipt's records, Claims those of
	// its claims.
	Records []Verdict      `json:"records,omitempty"`
	Claims  []ClaimVerdict `json:"claims,omitempty"`
	// Subject are the failures to bind the receipt's proven events,
	// records and claims to its subject (verifySubject); empty when bound.
	Subject []*PartError `json:"subject,omitempty"`
	// Lots are the completeness checks of the lots the receipt proves a
	// record of (verifyLots).
	Lots []LotVerdict `json:"lots,omitempty"`
	// Currency says as of when the receipt speaks and, online, whether
	// later windows were anchored; nil for a receipt without anchors.
	Currency *Currency `json:"currency,omitempty"`
	// State is the freshness check of a version 4 receipt's lot records
	// (verifyState); nil for older versions.
	State *StateVerdict `json:"state,omitempty"`
	// Service is the completeness check of the product's service events
	// (verifyService); nil when the receipt has none to check.
	Service *ServiceVerdict `json:"service,omitempty"`
}

// OK reports whether every event and record verified and every claim
// re-evaluated to the node's verdict; a receipt with no events does not.
func (r *Report) OK() bool {
	if len(r.Verdicts) == 0 || len(r.Subject) > 0 {
		return false
	}
	for _, v := range append(slices.Clone(r.Verdicts), r.Records...) {
		if !v.OK() {
			return false
		}
	}
	for _, c := range r.Claims {
		if !c.OK() {
			return false
		}
	}
	for _, l := range r.Lots {
		if !l.OK() {
			return false
		}
	}
	return r.State.OK() && r.Service.OK()
}

// Options tune Verify. The zero value verifies offline.
type Options struct {
	// Backend is an RPC endpoint of the anchors' chain. Nil verifies offline:
	// events and paths are checked, anchors are not.
	Backend ethanchor.Backend
	// Anchor tunes the anchor clients (retries, confirmation depth).
	Anchor ethanchor.Options
}

// Verify checks every event and record of r: its content, its path and,
// online, its window's anchors; then it re-evaluates every claim of r from
// r's own events and records (verifyClaims), and binds what it proved to
// r's subject (verifySubject). Mismatches are reported per
// event, record and claim in the Report; the
// error is non-nil only when the check could not be done (ErrUnreachable,
// or ctx ended), and then the report is nil.
func Verify(ctx context.Context, r *Receipt, opts Options) (*Report, error) {
	rep := &Report{Online: opts.Backend != nil, Verdicts: make([]Verdict, 0, len(r.Events))}
	var chain *onChain
	if opts.Backend != nil {
		id, err := opts.Backend.ChainID(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: chain id: %v", ErrUnreachable, err)
		}
		if !id.IsUint64() {
			return nil, fmt.Errorf("%w: chain id %v", ErrUnreachable, id)
		}
		rep.ChainID = id.Uint64()
		chain = &onChain{b: opts.Backend, opts: opts.Anchor, chainID: id, clients: map[common.Address]clientOrErr{}}
	}
	windowAnchors := make(map[int][]*PartError) // anchor failures by window, checked once
	// leaf checks what events and records share: the block lies in the
	// window, the id's path leads to its root, the window's anchors.
	leaf := func(v *Verdict, what string, window int, tx string, block uint64, id string, content []byte, leafIndex uint64, path []common.Hash) error {
		fail := func(p Part, err error) { v.Failures = append(v.Failures, &PartError{Part: p, Anchor: -1, Err: err}) }
		if window < 0 || window >= len(r.Windows) {
			fail(PartPath, fmt.Errorf("%w: window %d of %d", ErrNoWindow, window, len(r.Windows)))
			return nil
		}
		w := &r.Windows[window]
		if block < w.FromBlock || block > w.ToBlock {
			fail(PartEvent, fmt.Errorf("%w: block %d, window %d..%d", ErrBlockOutsideWindow, block, w.FromBlock, w.ToBlock))
		}
		leaf := id
		if w.Leaves == LeavesBound {
			v.Bound = true
			l, err := ledger.BoundLeaf(id, tx, block, content)
			if err != nil {
				fail(PartPath, fmt.Errorf("%w: %s %s: %v", ErrLeaf, what, id, err))
				return nil
			}
			leaf = l.String()
		}
		if err := merkle.Verify([]byte(leaf), leafIndex, w.Size, hashes(path), merkle.Hash(w.Root)); err != nil {
			if v.Bound {
				err = fmt.Errorf("%w: %s %s in tx %s, block %d, with this content, is not the anchored leaf (its txId, block or content differ from the ledger's): %w",
					ErrLeaf, what, id, tx, block, err)
			}
			fail(PartPath, err)
		}
		v.Anchors = len(w.Anchors)
		if len(w.Anchors) == 0 {
			fail(PartAnchor, ErrNoAnchor)
		} else if chain != nil {
			fs, checked := windowAnchors[window]
			if !checked {
				var err error
				if fs, err = chain.verifyWindow(ctx, w); err != nil {
					return err
				}
				windowAnchors[window] = fs
			}
			v.Failures = append(v.Failures, fs...)
			v.OnChain = true
		}
		return nil
	}
	for i, e := range r.Events {
		v := Verdict{Index: i, EventID: e.EventID, TxID: e.TxID, Block: e.Block}
		if err := checkEvent(e); err != nil {
			v.Failures = append(v.Failures, &PartError{Part: PartEvent, Anchor: -1, Err: err})
		}
		if err := leaf(&v, "event", e.Window, e.TxID, e.Block, e.EventID, e.Event, e.LeafIndex, e.Path); err != nil {
			return nil, err
		}
		rep.Verdicts = append(rep.Verdicts, v)
	}
	records := make([]any, len(r.Records)) // decoded, for the claims
	for i, rec := range r.Records {
		v := Verdict{Index: i, Type: rec.Type, RecordID: rec.RecordID, TxID: rec.TxID, Block: rec.Block}
		var err error
		if records[i], err = checkRecord(rec); err != nil {
			v.Failures = append(v.Failures, &PartError{Part: PartRecord, Anchor: -1, Err: err})
		}
		if err := leaf(&v, string(rec.Type)+" record", rec.Window, rec.TxID, rec.Block, rec.RecordID, rec.Record, rec.LeafIndex, rec.Path); err != nil {
			return nil, err
		}
		for _, f := range v.Failures {
			if f.Part == PartEvent { // the block check, named for what it is about here
				f.Part = PartRecord
			}
		}
		rep.Records = append(rep.Records, v)
	}
	rep.Claims = verifyClaims(r, rep, records)
	rep.Subject = verifySubject(r, rep, records)
	var latest map[string]string
	rep.Lots, latest = verifyLots(r, rep, records)
	var service map[string]string
	if rep.Service, service = verifyService(r, rep, records); len(service) > 0 {
		latest = maps.Clone(latest)
		maps.Copy(latest, service)
	}
	if rep.State = verifyState(r, latest); rep.State != nil && chain != nil && r.State.Window >= 0 && r.State.Window < len(r.Windows) {
		// The state's window may hold none of the receipt's events.
		fs, checked := windowAnchors[r.State.Window]
		if !checked {
			w := &r.Windows[r.State.Window]
			var err error
			if fs, err = chain.verifyWindow(ctx, w); err != nil {
				return nil, err
			}
		}
		rep.State.Failures = append(rep.State.Failures, fs...)
	}
	var newest *Window
	if rep.Currency, newest = currencyOf(r); rep.Currency != nil && chain != nil {
		if err := chain.checkCurrency(ctx, rep.Currency, newest); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
	}
	return rep, nil
}

// checkEvent recomputes the event's id from its content, with the hash
// version the id names (CBV 2.0 ids recorded before CBV 2.1 keep
// verifying). The event's own eventID member is outside the CBV hash, so it
// is compared separately.
func checkEvent(e Event) error {
	got, err := epcis.HashEventID(e.EventID, e.Event)
	if err != nil {
		return fmt.Errorf("%w: cannot hash the event: %v", ErrEventID, err)
	}
	if got != e.EventID {
		return fmt.Errorf("%w: content hashes to %s, receipt says %s", ErrEventID, got, e.EventID)
	}
	var member struct {
		EventID *string `json:"eventID"`
	}
	if err := json.Unmarshal(e.Event, &member); err == nil && member.EventID != nil && *member.EventID != e.EventID {
		return fmt.Errorf("%w: the event's eventID member is %s, receipt says %s", ErrEventID, *member.EventID, e.EventID)
	}
	return nil
}

func hashes(hs []common.Hash) []merkle.Hash {
	out := make([]merkle.Hash, len(hs))
	for i, h := range hs {
		out[i] = merkle.Hash(h)
	}
	return out
}

type clientOrErr struct {
	c   *ethanchor.Client
	err error
}

// onChain checks anchors against one chain, with one client per contract.
type onChain struct {
	b       ethanchor.Backend
	opts    ethanchor.Options
	chainID *big.Int
	clients map[common.Address]clientOrErr
}

// verifyWindow checks every anchor of w; it returns the failures, or an
// error when the endpoint failed to answer.
func (c *onChain) verifyWindow(ctx context.Context, w *Window) ([]*PartError, error) {
	var fs []*PartError
	for i, a := range w.Anchors {
		err := c.verifyAnchor(ctx, w, a)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if unreachable(err) {
			return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
		fs = append(fs, &PartError{Part: PartAnchor, Anchor: i, Err: err})
	}
	return fs, nil
}

func (c *onChain) verifyAnchor(ctx context.Context, w *Window, a Anchor) error {
	if new(big.Int).SetUint64(a.ChainID).Cmp(c.chainID) != 0 {
		return fmt.Errorf("%w: anchor is on chain %d, the endpoint serves chain %s", ethanchor.ErrWrongChain, a.ChainID, c.chainID)
	}
	ce, ok := c.clients[a.Contract]
	if !ok {
		ce.c, ce.err = ethanchor.NewClient(ctx, c.b, a.Contract, c.opts)
		c.clients[a.Contract] = ce
	}
	if ce.err != nil {
		return ce.err
	}
	return ce.c.VerifyAnchor(ctx, w.AnchorReceipt(a), merkle.Hash(w.Root))
}

// unreachable tells an endpoint's failure to answer from an answer that the
// anchor is not there: only the latter is a mismatch.
func unreachable(err error) bool {
	for _, known := range []error{ethanchor.ErrNotFound, ethanchor.ErrMismatch, ethanchor.ErrWrongChain, ethanchor.ErrNotConfirmed, ethanchor.ErrNoCode} {
		if errors.Is(err, known) {
			return false
		}
	}
	return ethanchor.Transient(err)
}
