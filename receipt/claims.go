package receipt

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// ClaimVerdict is the outcome for one claim of a receipt: the node's
// verdict, the verdict re-evaluated from the receipt's evidence, and what
// kept them apart.
type ClaimVerdict struct {
	Index   int              `json:"index"` // in Receipt.Claims
	Claim   string           `json:"claim"`
	Kind    ledger.ClaimKind `json:"kind"`
	Wording string           `json:"wording"`
	Lot     string           `json:"lot"`
	// Status is the node's verdict; Recomputed the one reached from the
	// receipt (nil when the receipt lacks what it takes).
	Status     claims.Status  `json:"status"`
	Recomputed *claims.Result `json:"recomputed,omitempty"`
	Failures   []*PartError   `json:"failures,omitempty"`
}

// OK reports whether the claim re-evaluated to the node's verdict, from
// evidence the receipt proves.
func (c ClaimVerdict) OK() bool { return len(c.Failures) == 0 }

// checkRecord recomputes a record's id from its canonical JSON and, for an
// inspection report, recovers its signer from the signature. It returns
// the decoded record, nil when it cannot be decoded.
func checkRecord(rec Record) (any, error) {
	v, canon, err := ledger.DecodeRecord(rec.Type, rec.Record)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRecordID, err)
	}
	if canon.ID != rec.RecordID {
		return v, fmt.Errorf("%w: content hashes to %s, receipt says %s", ErrRecordID, canon.ID, rec.RecordID)
	}
	if ir, ok := v.(*ledger.InspectionRecord); ok {
		sig, err := hexutil.Decode(ir.Signature)
		if err != nil {
			return v, fmt.Errorf("%w: report %s: signature %q is not 0x-hex", ErrSignature, ir.Report.ReportID, ir.Signature)
		}
		got, err := inspection.Recover(ir.Report, sig)
		if err != nil {
			return v, fmt.Errorf("%w: report %s: %v", ErrSignature, ir.Report.ReportID, err)
		}
		if !strings.EqualFold(got.Hex(), ir.Signer) {
			return v, fmt.Errorf("%w: report %s is signed by %s, its record names %s", ErrSignature, ir.Report.ReportID, got.Hex(), ir.Signer)
		}
	}
	return v, nil
}

// evidence is what a receipt proves: its events and records that passed
// every check, decoded.
type evidence struct {
	events   map[string]bool // ids of verified events
	own      []json.RawMessage
	upstream []json.RawMessage
	service  []json.RawMessage
	products map[string]*ledger.Product      // by GTIN
	lots     map[string][]*ledger.LotSummary // by Digital Link
	inspects []ledger.InspectionRecord
	signers  []ledger.LabSigner
	claims   map[string]*ledger.Claim
	problems []string // records the evidence cannot use, said once per claim
}

// gather collects the proven evidence: records[i] is r.Records[i] decoded
// by checkRecord.
func gather(r *Receipt, rep *Report, records []any) *evidence {
	e := &evidence{events: map[string]bool{}, products: map[string]*ledger.Product{}, lots: map[string][]*ledger.LotSummary{}, claims: map[string]*ledger.Claim{}}
	for i, ev := range r.Events {
		if i >= len(rep.Verdicts) || !rep.Verdicts[i].OK() {
			continue
		}
		e.events[ev.EventID] = true
		if ev.Service {
			e.service = append(e.service, ev.Event)
			continue
		}
		if ev.Upstream {
			e.upstream = append(e.upstream, ev.Event)
		} else {
			e.own = append(e.own, ev.Event)
		}
	}
	for i, rec := range r.Records {
		if i >= len(rep.Records) || !rep.Records[i].OK() {
			e.problems = append(e.problems, fmt.Sprintf("%s record %s is not proven", rec.Type, rec.RecordID))
			continue
		}
		switch x := records[i].(type) {
		case *ledger.Product:
			e.products[x.GTIN] = x
		case *ledger.LotSummary:
			e.lots[x.ID] = append(e.lots[x.ID], x)
		case *ledger.InspectionRecord:
			e.inspects = append(e.inspects, *x)
		case *ledger.LabSigner:
			e.signers = append(e.signers, *x)
		case *ledger.Claim:
			e.claims[x.ID] = x
		}
	}
	return e
}

// lot returns the one record of lot id.
func (e *evidence) lot(id string) (*ledger.LotSummary, error) {
	switch ls := e.lots[id]; len(ls) {
	case 0:
		return nil, fmt.Errorf("%w: the receipt has no proven record of lot %s", ErrClaimEvidence, id)
	case 1:
		return ls[0], nil
	default:
		return nil, fmt.Errorf("%w: the receipt has %d records of lot %s; one is expected", ErrClaimEvidence, len(ls), id)
	}
}

// trace rebuilds the claims.Trace of lot at ledger time at from the
// receipt's proven evidence: the lot's record and those of every lot it
// was made from (following the records' inputs), its own and upstream
// events, the inspection reports and signers.
func (e *evidence) trace(lotID string, at time.Time) (claims.Trace, error) {
	l, err := e.lot(lotID)
	if err != nil {
		return claims.Trace{}, err
	}
	tr := claims.Trace{Lot: *l, Product: e.products[l.GTIN], At: at, Inspections: e.inspects, Signers: e.signers}
	seen := map[string]bool{l.ID: true}
	queue := []*ledger.LotSummary{l}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, in := range cur.Inputs {
			if seen[in.Lot] {
				continue
			}
			seen[in.Lot] = true
			u, err := e.lot(in.Lot)
			if err != nil {
				return tr, fmt.Errorf("%w (an input of %s)", err, cur.ID)
			}
			tr.Upstream = append(tr.Upstream, *u)
			queue = append(queue, u)
		}
	}
	for _, raw := range e.own {
		if !namesLot(raw, *l) {
			var id struct {
				EventID string `json:"eventID"`
			}
			_ = json.Unmarshal(raw, &id)
			return tr, fmt.Errorf("%w: event %s is given as the lot's own but names neither lot %s nor a unit of its product", ErrClaimEvidence, id.EventID, l.ID)
		}
	}
	tr.Events, tr.UpstreamEvents, tr.Service = e.own, e.upstream, e.service
	return tr, nil
}

// serviceOf reports whether raw is a service event (ledger.ServiceMember)
// of the product of the lot with key gtin/lot.
func serviceOf(raw json.RawMessage, lotKey string) bool {
	var ev epcis.Event
	if json.Unmarshal(raw, &ev) != nil || ev.Extensions[ledger.ServiceMember] == nil || len(ev.QuantityList) != 1 {
		return false
	}
	dl, err := digitallink.Parse(ev.QuantityList[0].EPCClass)
	gtin, _, _ := strings.Cut(lotKey, "/")
	return err == nil && dl.Lot == "" && dl.GTIN != "" && dl.GTIN == gtin
}

// namesLot reports whether an EPCIS event names lot l or a serialised unit
// of its product: an event the node may count as the lot's own.
func namesLot(raw json.RawMessage, l ledger.LotSummary) bool {
	var ev epcis.Event
	if json.Unmarshal(raw, &ev) != nil {
		return false
	}
	for _, id := range ev.Identifiers() {
		dl, err := digitallink.Parse(id.ID)
		if err != nil || dl.GTIN != l.GTIN {
			continue
		}
		if dl.Lot == l.Lot || dl.Serial != "" {
			return true
		}
	}
	return false
}

// verifyClaims re-evaluates every claim of r from the events and records
// rep found proven, and compares the result with the node's.
func verifyClaims(r *Receipt, rep *Report, records []any) []ClaimVerdict {
	if len(r.Claims) == 0 {
		return nil
	}
	e := gather(r, rep, records)
	out := make([]ClaimVerdict, 0, len(r.Claims))
	for i, res := range r.Claims {
		cv := ClaimVerdict{Index: i, Claim: res.Claim, Kind: res.Kind, Wording: res.Wording, Lot: res.Lot, Status: res.Status}
		fail := func(err error) { cv.Failures = append(cv.Failures, &PartError{Part: PartClaim, Anchor: -1, Err: err}) }
		got, err := e.reevaluate(res)
		if err != nil {
			fail(err)
			if len(e.problems) > 0 {
				fail(fmt.Errorf("%w: %s", ErrClaimEvidence, strings.Join(e.problems, "; ")))
			}
			out = append(out, cv)
			continue
		}
		cv.Recomputed = &got
		if d := differences(res, got); d != "" {
			fail(fmt.Errorf("%w: %s", ErrClaimMismatch, d))
		}
		for _, id := range res.Evidence {
			if !e.events[id] {
				fail(fmt.Errorf("%w: evidence event %s is not among the receipt's proven events", ErrClaimEvidence, id))
			}
		}
		out = append(out, cv)
	}
	return out
}

func (e *evidence) reevaluate(res claims.Result) (claims.Result, error) {
	c, ok := e.claims[res.Claim]
	if !ok {
		return claims.Result{}, fmt.Errorf("%w: the receipt has no proven record of claim %s", ErrClaimEvidence, res.Claim)
	}
	for _, o := range e.claims {
		if o.Supersedes == c.ID {
			return claims.Result{}, fmt.Errorf("%w: claim %s is superseded by %s, in the receipt itself", ErrClaimEvidence, c.ID, o.ID)
		}
	}
	at, err := time.Parse(time.RFC3339Nano, res.EvaluatedAt)
	if err != nil {
		return claims.Result{}, fmt.Errorf("%w: evaluation time %q is not RFC 3339", ErrClaimEvidence, res.EvaluatedAt)
	}
	tr, err := e.trace(res.Lot, at)
	if err != nil {
		return claims.Result{}, err
	}
	if !claims.Applies(*c, tr.Lot) {
		return claims.Result{}, fmt.Errorf("%w: claim %s (about %s) does not apply to lot %s", ErrClaimEvidence, c.ID, c.Subject, res.Lot)
	}
	return claims.Evaluate(tr, *c), nil
}

// differences says how two results of the same claim differ, or "".
func differences(node, got claims.Result) string {
	var d []string
	if node.Status != got.Status {
		d = append(d, fmt.Sprintf("the node says %s, the evidence says %s (%s)", node.Status, got.Status, got.Reason))
	} else if node.Reason != got.Reason {
		d = append(d, fmt.Sprintf("the node's reason %q, the evidence's %q", node.Reason, got.Reason))
	}
	if !slices.Equal(node.Evidence, got.Evidence) {
		d = append(d, fmt.Sprintf("the node cites events %v, the evidence %v", node.Evidence, got.Evidence))
	}
	if node.Kind != got.Kind || node.Wording != got.Wording || node.Lot != got.Lot {
		d = append(d, fmt.Sprintf("the node describes the claim as %s %q on %s, its record as %s %q on %s", node.Kind, node.Wording, node.Lot, got.Kind, got.Wording, got.Lot))
	}
	return strings.Join(d, "; ")
}
