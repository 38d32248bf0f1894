// Package receipt defines the trace receipt: one self-contained JSON
// document that lets anyone check, without trusting the consortium, that
// the EPCIS events of a trace are exactly those the ledger recorded and
// anchored on an EVM chain.
//
// A receipt lists the anchor windows its events fall in once, each with
// its Merkle root, size and every member's anchor of it (co-attestation),
// and then the events, each with its Fabric transaction and block, the
// index of its window, its leaf index and its Merkle path:
//
//	{
//	  "version": 1,
//	  "subject": {"digitalLink": "https://id.gs1.org/01/…/10/L1", "lots": ["…"]},
//	  "generatedAt": "2025-06-01T08:00:00Z",
//	  "windows": [{"channel": "trustline", "fromBlock": 10, "toBlock": 19,
//	               "size": 42, "root": "0x…",
//	               "anchors": [{"chainId": 1337, "contract": "0x…", "txHash": "0x…",
//	                            "blockNumber": 7, "blockHash": "0x…", "logIndex": 0,
//	                            "submitter": "0x…"}]}],
//	  "events": [{"event": {EPCIS 2.0 JSON-LD}, "eventId": "ni:///sha-256;…?ver=CBV2.0",
//	              "txId": "…", "block": 12, "window": 0, "leafIndex": 3,
//	              "path": ["0x…", …]}]
//	}
//
// Version 2 adds what re-evaluating the brand's claims on the lot offline
// takes (package claims): the node's verdicts ("claims"), the events of the
// lots it was made from ("upstream": true), and the anchored ledger
// records the verdicts rest on ("records": product, lots, inspection
// reports, lab signers, claims; see ledger.Record), each proven like an
// event:
//
//	"records": [{"type": "claim", "record": {ledger.Claim}, "recordId": "ni:///sha-256;…?type=tl:claim",
//	             "txId": "…", "block": 9, "window": 0, "leafIndex": 1, "path": ["0x…", …]}],
//	"claims":  [{claims.Result: claim id, lot, status, reason, evidence, evaluatedAt}]
//
// Windows are listed once rather than repeated in every event: a window's
// anchors are about 400 bytes each, more than an event's whole Merkle path
// in windows of up to a million events (see TestReceiptSize).
//
// Verify checks three parts of each event independently: the event (its id
// recomputed from its content with epcis.HashEventID, in the CBV hash version
// the id names), the path (the id's
// Merkle path leads to its window's root, for the window's size), and the
// anchors (each is an Anchored log of the window on chain; only with an RPC
// backend). It checks records the same way (the record's id recomputed from
// the record as shown: the SHA-256 of its RFC 8785 form with its schema
// version, or for a record from before schema versions the legacy id of its
// re-encoding, see ledger.StoredRecord; an inspection report's EIP-712
// signature recovered),
// and then re-evaluates every claim from the receipt's own events and
// records, comparing the verdict, reason and evidence with the node's.
//
// # What a verified receipt proves
//
// Each event and record it shows was anchored, by the members whose anchors
// it lists (on chain, with an RPC backend). Verify also binds them to the
// subject (verifySubject, failing with PartSubject): a unit's
// commissioning event must be among the proven events; every event not
// marked upstream must name the subject lot, a unit of it, or a logistic
// unit a proven event packed it into; every upstream event must name a lot
// the subject lot was made from, following the proven lot records' inputs;
// lot and product records and claims must be about those lots.
//
// # Format 3
//
// A version 3 receipt's windows have bound leaves ("leaves": "bound"): each
// leaf is the id followed by its transaction, block and the SHA-256 of the
// content's RFC 8785 form (ledger.Leaf), so the txId, block and every member
// of the event or record shown are proven, certificationInfo included
// (which no CBV event hash covers). Each lot record commits to the lot's
// events (Counts.Events and ledger.LotSummary.EventChain, a hash chain of
// their ids in ledger order): verifyLots checks the proven events naming
// each proven lot, in the receipt's order, against it, and a version 3
// receipt must prove its subject lot's record, so an event removed (a
// recall, a breach reading), added or reordered fails (PartLot). Verify
// also states as of which ledger block and Ethereum anchor the receipt
// speaks (Currency) and, online, reports windows anchored after it.
//
// # Format 4
//
// A version 4 receipt also proves, offline, that each lot record it shows
// is the lot's latest as of its newest window (verifyState, PartState).
// Every window a node anchors carries one more leaf, the state leaf
// (ledger.StateLeaf): the root and size of a map (merkle.Map) of every lot
// to the id of its latest record as of the window's last block, so the
// anchored root covers events, records and state alike. The receipt's
// "state" gives that leaf's path in its newest window and each shown lot's
// entry in the map:
//
//	"state": {"window": 1, "root": "0x…", "size": 812, "leafIndex": 41, "path": ["0x…", …],
//	          "lots": [{"lot": "https://id.gs1.org/01/…/10/B1", "recordId": "ni:///sha-256;…?type=tl:lot",
//	                    "index": 17, "path": ["0x…", …]}]}
//
// An older record of a lot presented after a newer one was anchored (with
// the events it counts, so that it is complete as of itself) thus fails:
// the anchored state names another record. Together with the lot records'
// event chains, a verified version 4 receipt shows the lot's history
// complete as of its newest window's last block; online, verify also
// reports windows anchored after it (Currency), which it does not reflect.
//
// # Format 5
//
// A version 5 receipt with service_within claims also proves the list of
// its product's service events complete (verifyService, PartService).
// Service events name the product, not a lot, so no lot record commits to
// them; the product's service chain does (ledger.ServiceChain: the count
// and hash chain of every service event of the product, in ledger order),
// an anchored record of kind "service" that the receipt must prove, and
// that the state proves the latest (its entry is
// ledger.ServiceStateKey(gtin), next to the lots'). The receipt carries
// every service event of the product, in ledger order, marked "service":
// a ticket left out, or the answer of an overdue ticket cut so that it
// looks open, fails with "service event missing". A version 4 receipt
// does not prove it (Limits).
//
// # Older formats
//
// Versions 1 to 3 still parse and verify, with what they do not prove
// stated (Limits; verify prints it under "not proven by a version N
// receipt"). A version 1 or 2 receipt does not prove that nothing was left
// out of the lot's history, that its lot record is the latest, nor the
// transaction id and block next to each id, because the Merkle leaf is the
// bare event or record id; nor an event's certificationInfo. A version 1
// receipt carries no records or claims either, so neither the claims'
// verdicts nor which events are the lot's own and which its ingredients'
// are proven. A version 3 receipt does not prove offline that its lot
// record is the latest; online, a later anchor makes verify say the
// receipt is not current. Any version is only as complete as its lot
// records: a lot recorded before event chains has none, and verify says so.
//
// # In a browser
//
// CheckJS is Verify's offline checks in JavaScript, which the consumer page
// runs on the lot's receipt it fetches: each bound leaf on its path,
// the subject binding, each lot's events against its record's event chain,
// and the state (verifyState), then "complete and current as of ledger
// block M" or what is missing. It does not recompute CBV event hashes or
// record ids, which a bound leaf's content hash makes redundant against a
// changed receipt, nor check signatures, claims or the chain: verify does.
// TestBrowserCheck runs both on every tampering class of TestTampering and
// requires the same verdict and failing parts.
//
// # Tampering classes
//
// Package receipttest (test support, never imported by production code)
// expresses issue 12's tampering classes on any receipt, choosing their
// targets from its content: TestTampering runs them here, offline and on a
// simulated chain; the node's TestIntegrationNodeAnchorsAndServesReceipts
// runs them on the demo's lot B receipt through the real trustline binary,
// offline and against the testnet's geth.
package receipt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
)

// Limits are what a verified receipt of format version v does not prove,
// in words for its reader: verify states them next to what it checked, so
// that a ✓ is never read as more than it is. For a version 3 receipt they
// depend on what it holds: use Receipt.Limits.
func Limits(v int) []string {
	lim := []string{limitCompleteness, limitCurrency, limitBinding, limitContent}
	if v == 1 {
		lim = append(lim, "any claim verdict, and whether events are the lot's own or its ingredients' (no records)")
	}
	return lim
}

const (
	limitCompleteness = "that no event of the lot was left out, and none reordered (completeness)"
	limitCurrency     = "that the lot's record is its latest, as of the newest anchor (currency)"
	limitBinding      = "the transaction id and block of each event and record (the Merkle leaf is the id alone)"
	limitService      = "that no service event of the product was left out (formats before 5 carry no service chain)"
	limitContent      = "an event's certificationInfo, errorDeclaration, recordTime and eventID members (outside the CBV event hash)"
)

// Limits are what r, once verified, does not prove (see Limits): for a
// version 3 receipt, the transaction, block and full content of the events
// and records in windows of bare leaves (anchored before the network bound
// its leaves), and what its lot records do not commit to.
func (r *Receipt) Limits() []string {
	if r.Version < 3 {
		return append(Limits(r.Version), r.legacyRecordLimits()...)
	}
	lim := r.legacyRecordLimits()
	bare := false
	used := map[int]bool{} // windows of events and records (not only of the state)
	for _, e := range r.Events {
		used[e.Window] = true
	}
	for _, rec := range r.Records {
		used[rec.Window] = true
	}
	for i, w := range r.Windows {
		if w.Leaves != LeavesBound && used[i] {
			bare = true
		}
	}
	lim = append(lim, r.completenessLimits()...)
	if r.State == nil {
		lim = append(lim, limitCurrency+", offline (format 3 carries no anchored state)")
	}
	if r.Version < versionServiceChain && r.hasServiceClaims() {
		lim = append(lim, limitService)
	}
	if bare {
		lim = append(lim, "for events and records in windows of bare leaves: "+limitBinding+" and "+limitContent)
	}
	return lim
}

// limitLegacyIDs is what a record without a schema version
// (ledger.RecordSchema) cannot prove to a verifier of another version.
const limitLegacyIDs = "records without a schema version (recorded before ids were RFC 8785 hashes of the stored record) " +
	"are checked against this trustline version's record types: a verifier of another version may compute other ids"

// legacyRecordLimits states limitLegacyIDs when a record has a legacy id.
func (r *Receipt) legacyRecordLimits() []string {
	for _, rec := range r.Records {
		if !strings.Contains(rec.RecordID, "&schema=") {
			return []string{limitLegacyIDs}
		}
	}
	return nil
}

// Version is the receipt format this package writes when the node gives
// the lots' state (format 5; else 3). It reads versions 1 (receipts
// without claims), 2 (leaves of bare ids), 3 (no state) and 4 (no service
// chain) too.
const Version = 5

// LeavesBound is Window.Leaves of a window of bound leaves (ledger.Leaf).
const LeavesBound = "bound"

// Receipt is a trace receipt.
type Receipt struct {
	Version     int       `json:"version"`
	Subject     Subject   `json:"subject"`
	GeneratedAt time.Time `json:"generatedAt"`
	Windows     []Window  `json:"windows"`
	Events      []Event   `json:"events"`
	// Records are the anchored ledger records the claims rest on.
	Records []Record `json:"records,omitempty"`
	// Claims are the node's verdicts of the claims on the subject's lot.
	Claims []claims.Result `json:"claims,omitempty"`
	// State proves its lot records the latest as of its newest window
	// (version 4).
	State *State `json:"state,omitempty"`
}

// Subject is what the receipt traces.
type Subject struct {
	DigitalLink string   `json:"digitalLink,omitempty"`
	Lots        []string `json:"lots,omitempty"`
}

// Window is one anchored window: the Merkle tree of the canonical event ids
// (merkle.Window) of Fabric blocks FromBlock..ToBlock of Channel.
type Window struct {
	Channel   string      `json:"channel"`
	FromBlock uint64      `json:"fromBlock"`
	ToBlock   uint64      `json:"toBlock"`
	Size      uint64      `json:"size"`
	Root      common.Hash `json:"root"`
	// Leaves is the window's leaf format: LeavesBound, each leaf an id
	// bound to its transaction, block and content (ledger.Leaf); empty,
	// the bare ids (versions 1 and 2, and windows anchored before the
	// network bound its leaves).
	Leaves  string   `json:"leaves,omitempty"`
	Anchors []Anchor `json:"anchors"`
}

// Anchor locates one member's anchor transaction of a window.
type Anchor struct {
	ChainID     uint64         `json:"chainId"`
	Contract    common.Address `json:"contract"`
	TxHash      common.Hash    `json:"txHash"`
	BlockNumber uint64         `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	LogIndex    uint           `json:"logIndex"`
	Submitter   common.Address `json:"submitter"`
}

// Event is one EPCIS event of the trace and its place in a window.
type Event struct {
	Event   json.RawMessage `json:"event"`
	EventID string          `json:"eventId"`
	// Upstream marks an event of a lot the subject was made from, carried
	// as claim evidence.
	Upstream bool `json:"upstream,omitempty"`
	// Service marks a service event of the subject's product (a ticket
	// filed or answered, ledger.ServiceMember), carried as the evidence of
	// service_within claims: it names the product, no lot.
	Service   bool          `json:"service,omitempty"`
	TxID      string        `json:"txId"`
	Block     uint64        `json:"block"`
	Window    int           `json:"window"` // index in Receipt.Windows
	LeafIndex uint64        `json:"leafIndex"`
	Path      []common.Hash `json:"path"`
}

// Record is one anchored ledger record and its place in a window.
type Record struct {
	Type ledger.RecordKind `json:"type"`
	// Record is the record's JSON: its RFC 8785 form hashes to RecordID
	// when it has a schema version, its legacy re-encoding otherwise
	// (ledger.StoredRecord).
	Record    json.RawMessage `json:"record"`
	RecordID  string          `json:"recordId"`
	TxID      string          `json:"txId"`
	Block     uint64          `json:"block"`
	Window    int             `json:"window"`
	LeafIndex uint64          `json:"leafIndex"`
	Path      []common.Hash   `json:"path"`
}

// Proof is what the anchoring side knows of one event: the anchored window
// holding it, its leaf index and path, and every anchor of the window.
type Proof struct {
	Window ethanchor.Window
	Size   uint64
	// Leaf is the leaf proven: the bare id, or a bound leaf of it
	// (ledger.Leaf), whose transaction and block the receipt then states.
	Leaf      string
	LeafIndex uint64
	Path      []merkle.Hash
	Anchors   []ethanchor.Receipt
	// leavesHint is the leaf format of a window listed for its state leaf
	// alone.
	leavesHint string
}

// Entry is one event to put in a receipt.
type Entry struct {
	Event   json.RawMessage // EPCIS 2.0 JSON-LD, as recorded
	EventID string
	TxID    string
	Block   uint64
	Proof   Proof
	// Upstream marks claim evidence from an upstream lot; Service a
	// service event of the product.
	Upstream, Service bool
}

// RecordEntry is one anchored record to put in a receipt.
type RecordEntry struct {
	Record ledger.Record
	TxID   string
	Block  uint64
	Proof  Proof
}

// Contents are what a receipt holds besides its windows.
type Contents struct {
	Events  []Entry
	Records []RecordEntry
	Claims  []claims.Result
	// State is the newest window's state of the lots whose records the
	// receipt shows; nil makes a version 3 receipt.
	State *StateEntry
}

var (
	// ErrFormat is returned for a document that is not a receipt this
	// package can read.
	ErrFormat = errors.New("receipt: not a valid receipt")
	// ErrVersion is returned for a receipt of another format version.
	ErrVersion = errors.New("receipt: unsupported version")
)

// Build assembles a receipt of entries, in their order, listing each
// distinct window once with the union of its anchors.
func Build(subject Subject, entries []Entry, now time.Time) (*Receipt, error) {
	return BuildWith(subject, Contents{Events: entries}, now)
}

// BuildWith assembles a receipt of c: events and records in their order,
// each distinct window once with the union of its anchors, and the claims.
func BuildWith(subject Subject, c Contents, now time.Time) (*Receipt, error) {
	r := &Receipt{Version: Version, Subject: subject, GeneratedAt: now.UTC(), Windows: []Window{}, Events: []Event{}}
	type key struct {
		channel  string
		from, to uint64
		root     merkle.Hash
	}
	windows := map[key]int{}
	place := func(what, id string, p Proof) (int, []common.Hash, error) {
		k := key{p.Window.Channel, p.Window.FromBlock, p.Window.ToBlock, p.Window.Root}
		format := ""
		state := ledger.IsStateLeaf(id)
		if p.Leaf != "" && p.Leaf != id {
			if ledger.LeafID(p.Leaf) != id {
				return 0, nil, fmt.Errorf("receipt: the proof of %s %s is of leaf %s", what, id, p.Leaf)
			}
			format = LeavesBound
		}
		wi, ok := windows[k]
		if !ok {
			wi = len(r.Windows)
			windows[k] = wi
			r.Windows = append(r.Windows, Window{
				Channel: p.Window.Channel, FromBlock: p.Window.FromBlock, ToBlock: p.Window.ToBlock,
				Size: p.Size, Root: common.Hash(p.Window.Root), Leaves: format, Anchors: []Anchor{},
			})
		}
		w := &r.Windows[wi]
		if state && !ok {
			w.Leaves = p.leavesHint
		}
		if w.Leaves != format && !state {
			return 0, nil, fmt.Errorf("receipt: %s %s has a leaf of another format than its window %d..%d", what, id, w.FromBlock, w.ToBlock)
		}
		for _, a := range p.Anchors {
			if a.Window != p.Window {
				return 0, nil, fmt.Errorf("receipt: anchor %s is of window %d..%d root %x, not of the %s's window %d..%d root %x",
					a.TxHash, a.FromBlock, a.ToBlock, a.Root, what, p.Window.FromBlock, p.Window.ToBlock, p.Window.Root)
			}
			ra, err := anchorOf(a)
			if err != nil {
				return 0, nil, err
			}
			if !containsAnchor(w.Anchors, ra) {
				w.Anchors = append(w.Anchors, ra)
			}
		}
		path := make([]common.Hash, len(p.Path))
		for i, h := range p.Path {
			path[i] = common.Hash(h)
		}
		return wi, path, nil
	}
	for _, e := range c.Events {
		if e.EventID == "" {
			return nil, fmt.Errorf("receipt: event in tx %s has no id", e.TxID)
		}
		wi, path, err := place("event", e.EventID, e.Proof)
		if err != nil {
			return nil, err
		}
		if err := bindPosition(&e.TxID, &e.Block, e.Proof.Leaf); err != nil {
			return nil, err
		}
		ev := e.Event
		if c, err := compact(ev); err == nil {
			ev = c
		}
		r.Events = append(r.Events, Event{
			Event: ev, EventID: e.EventID, Upstream: e.Upstream, Service: e.Service, TxID: e.TxID, Block: e.Block,
			Window: wi, LeafIndex: e.Proof.LeafIndex, Path: path,
		})
	}
	for _, e := range c.Records {
		if e.Record.ID == "" || len(e.Record.JSON) == 0 {
			return nil, fmt.Errorf("receipt: %s record in tx %s has no id or content", e.Record.Kind, e.TxID)
		}
		wi, path, err := place("record", e.Record.ID, e.Proof)
		if err != nil {
			return nil, err
		}
		if err := bindPosition(&e.TxID, &e.Block, e.Proof.Leaf); err != nil {
			return nil, err
		}
		r.Records = append(r.Records, Record{
			Type: e.Record.Kind, Record: json.RawMessage(e.Record.JSON), RecordID: e.Record.ID, TxID: e.TxID, Block: e.Block,
			Window: wi, LeafIndex: e.Proof.LeafIndex, Path: path,
		})
	}
	r.Claims = c.Claims
	if c.State != nil {
		s, err := buildState(c.State, place)
		if err != nil {
			return nil, err
		}
		r.State = s
		// Format 5 promises the product's service events complete, which
		// only its service chain record proves: without one (an index or
		// ledger from before service chains), the receipt is format 4 and
		// says it does not prove that (Limits).
		if r.hasServiceClaims() && !slices.ContainsFunc(r.Records, func(x Record) bool { return x.Type == ledger.RecordService }) {
			r.Version = versionServiceChain - 1
		}
	} else {
		r.Version = 3
	}
	// Bare leaves are format 2: only bound ones carry format 3's promises,
	// and a version 3 receipt must prove its subject lot's record.
	if r.State == nil && !slices.ContainsFunc(r.Windows, func(w Window) bool { return w.Leaves == LeavesBound }) {
		r.Version = 2
	}
	return r, nil
}

// bindPosition sets the transaction and block of an entry from its bound
// leaf, which says where the anchored content was recorded.
func bindPosition(tx *string, block *uint64, leaf string) error {
	l, bound, err := ledger.ParseLeaf(leaf)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if bound {
		*tx, *block = l.TxID, l.Block
	}
	return nil
}

func compact(raw []byte) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func anchorOf(a ethanchor.Receipt) (Anchor, error) {
	if a.ChainID == nil || !a.ChainID.IsUint64() {
		return Anchor{}, fmt.Errorf("receipt: anchor %s has chain id %v, not a uint64", a.TxHash, a.ChainID)
	}
	return Anchor{
		ChainID: a.ChainID.Uint64(), Contract: a.Contract, TxHash: a.TxHash,
		BlockNumber: a.BlockNumber, BlockHash: a.BlockHash, LogIndex: a.LogIndex, Submitter: a.Submitter,
	}, nil
}

func containsAnchor(as []Anchor, a Anchor) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

// AnchorReceipt is the ethanchor receipt that a claims is on chain for w.
func (w Window) AnchorReceipt(a Anchor) ethanchor.Receipt {
	return ethanchor.Receipt{
		Window:      w.anchorWindow(),
		ChainID:     new(big.Int).SetUint64(a.ChainID),
		Contract:    a.Contract,
		TxHash:      a.TxHash,
		BlockNumber: a.BlockNumber,
		BlockHash:   a.BlockHash,
		LogIndex:    a.LogIndex,
		Submitter:   a.Submitter,
	}
}

func (w Window) anchorWindow() ethanchor.Window {
	return ethanchor.Window{Channel: w.Channel, FromBlock: w.FromBlock, ToBlock: w.ToBlock, Root: merkle.Hash(w.Root)}
}

// Parse reads a receipt, refusing unknown members (a misspelt member would
// otherwise silently drop what it should have carried) and other versions.
func Parse(data []byte) (*Receipt, error) {
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if probe.Version == nil {
		return nil, fmt.Errorf("%w: no version", ErrFormat)
	}
	if *probe.Version < 1 || *probe.Version > Version {
		return nil, fmt.Errorf("%w %d (this reader knows version %d)", ErrVersion, *probe.Version, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Receipt
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the receipt", ErrFormat)
	}
	if r.Version == 1 && (r.Records != nil || r.Claims != nil) {
		return nil, fmt.Errorf("%w: version 1 has no records or claims", ErrFormat)
	}
	if r.Version < 4 && r.State != nil {
		return nil, fmt.Errorf("%w: version %d has no state", ErrFormat, r.Version)
	}
	for i, w := range r.Windows {
		switch {
		case w.Leaves == "":
		case w.Leaves != LeavesBound:
			return nil, fmt.Errorf("%w: window %d: leaves %q is not %q", ErrFormat, i, w.Leaves, LeavesBound)
		case r.Version < 3:
			return nil, fmt.Errorf("%w: version %d has no bound leaves", ErrFormat, r.Version)
		}
	}
	return &r, nil
}

// Marshal writes r as compact JSON, the form whose size TestReceiptSize
// reports.
func (r *Receipt) Marshal() ([]byte, error) { return json.Marshal(r) }
