// Package claims evaluates a brand's claims (ledger.Claim) against the
// evidence recorded for a lot: it is pure and deterministic, so that a
// node, the CLI and an offline verifier reach the same verdict from the
// same trace. There is no clock: "now" is Trace.At, a ledger time.
//
// # Statuses
//
// A claim holds, fails, or is pending (not yet decidable: the evidence
// that would decide it has not been recorded, e.g. the lot has not reached
// a shop). Every result names the events it rests on and says why, in
// plain words with times in UTC.
//
// # Definitions
//
//   - Origin: the lot itself when it was created as a batch (it has an
//     Origin), else every upstream lot that has one.
//   - Retail place: a receipt of the lot (a receiving event of the lot
//     itself) by the product's owner, or at a place listed in the claim's
//     RetailPlaces.
//   - Shipment leg: from a shipping event to the receiving event of the
//     same shipment; the readings of a leg are those recorded by the two
//     events and by sensor reports on the same lots in between.
//   - Gaps in a leg (cold_chain's MaxGapMinutes): from shipping to the
//     leg's first reading, between consecutive readings, and, once the
//     leg is received, from its last reading to receiving. Readings carry
//     the logger's times, shipping and receiving the ledger's transaction
//     times, and the two do not line up: a logger is often started before
//     the ship transaction, and read out into the receiving one. So a
//     reading before shipping covers the start (its gap is zero, never
//     negative) and one after receiving covers the end; if every reading
//     precedes shipping (the leg was recorded after the trip), the end gap
//     runs from shipping to receiving. Gaps between readings are the
//     logger's own, measured whether or not they fall before shipping: the
//     ledger times say nothing about them. An open leg has no end gap yet,
//     and a gap in it leaves the claim pending rather than failed: its
//     logger may still be read out on receipt. A reading out of range
//     fails the claim at once.
//   - certified is evaluated over lab-style signed reports: a report whose
//     standard names the scheme, on the origin lot, signed by a registered
//     and unrevoked signer, with a pass verdict and issued at most
//     ValidDays before Trace.At.
//   - service_within is evaluated over the product's service events
//     (Trace.Service), not the lot's: a ticket is in the window when it
//     was filed in the WindowDays up to Trace.At; it is kept when the
//     brand's first answer came within AnswerMinutes, broken when it came
//     later or the time ran out unanswered by Trace.At, and open while
//     the time runs. Any broken ticket fails the claim; with none, a kept
//     one makes it hold; with only open tickets or none at all it is
//     pending (no record to judge yet). Its verdict follows the clock
//     without new events (a ticket's time runs out, a ticket leaves the
//     window): Due names the next such instant, and EvaluateAsOf advances
//     a verdict through them to a caller's clock, evaluated at the instant
//     passed, so that the result stays deterministic (due.go).
package claims

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// Status is a claim's verdict.
type Status string

// Statuses.
const (
	Holds   Status = "holds"
	Fails   Status = "fails"
	Pending Status = "pending"
)

// Trace is the evidence about one lot that claims are evaluated on.
type Trace struct {
	Lot     ledger.LotSummary
	Product *ledger.Product
	// Upstream are the lots the lot was made from, transitively.
	Upstream []ledger.LotSummary
	// Events are the lot's own EPCIS events; UpstreamEvents those of the
	// upstream lots. Order does not matter; duplicates are ignored.
	Events         []json.RawMessage
	UpstreamEvents []json.RawMessage
	// EventsDecoded and UpstreamDecoded, when set, hold the events of
	// Events and UpstreamEvents already decoded (json.Unmarshal into
	// epcis.Event), at the same index; a nil entry, or none, is decoded
	// here. The evaluation does not change them. An index evaluating
	// claims as it applies transactions passes the events it has just
	// decoded rather than have every trace decode them again.
	EventsDecoded   []*epcis.Event `json:"-"`
	UpstreamDecoded []*epcis.Event `json:"-"`
	// Inspections are the reports on the lot or on upstream lots.
	Inspections []ledger.InspectionRecord
	// Signers are the lab signers, registered or revoked, that signed them.
	Signers []ledger.LabSigner
	// Service are the service events of the lot's product (ledger
	// ServiceMember: tickets filed and answered), at least those of the
	// longest window of its service claims up to At. Order does not matter.
	Service []json.RawMessage
	// At is the ledger time of the evaluation: the time of the latest
	// transaction the trace includes.
	At time.Time
}

// Result is a claim's verdict on one lot.
type Result struct {
	Claim   string           `json:"claim"`
	Kind    ledger.ClaimKind `json:"kind"`
	Wording string           `json:"wording"`
	Lot     string           `json:"lot"`
	Status  Status           `json:"status"`
	// Reason says why, in English: Why.String().
	Reason string `json:"reason"`
	// Evidence are the ids of the EPCIS events the verdict rests on.
	Evidence    []string `json:"evidence"`
	EvaluatedAt string   `json:"evaluatedAt"`
	// Why is Reason as a code and arguments, for rendering it in other
	// languages. It is not stored or sent (Reason is): a result read back
	// from JSON has none, and evaluating again gives it.
	Why Why `json:"-"`
}

// Applies reports whether claim c, not superseded, is about lot l: a
// claim on l's product or on l itself.
func Applies(c ledger.Claim, l ledger.LotSummary) bool {
	if !c.Active() {
		return false
	}
	if c.Lot == "" {
		return c.GTIN == l.GTIN
	}
	return c.GTIN == l.GTIN && c.Lot == l.Lot
}

// Evaluate evaluates claim c on the lot of tr.
func Evaluate(tr Trace, c ledger.Claim) Result {
	return newEvaluation(tr).evaluate(c)
}

// EvaluateAll is Evaluate of each of cs on tr, in order: the trace's
// events are decoded once for all of them rather than once a claim.
func EvaluateAll(tr Trace, cs []ledger.Claim) []Result {
	if len(cs) == 0 {
		return nil
	}
	e := newEvaluation(tr)
	out := make([]Result, len(cs))
	for i, c := range cs {
		out[i] = e.evaluate(c)
	}
	return out
}

// evaluate evaluates c on the evaluation's trace, which it does not change.
func (e *evaluation) evaluate(c ledger.Claim) Result {
	tr := e.tr
	r := Result{Claim: c.ID, Kind: c.Kind, Wording: c.Wording, Lot: tr.Lot.ID, Evidence: []string{}, EvaluatedAt: ledger.FormatTime(tr.At)}
	var v verdict
	switch {
	case c.Kind == ledger.ClaimFarmToShelf && c.Params.FarmToShelf != nil:
		v = e.farmToShelf(*c.Params.FarmToShelf)
	case c.Kind == ledger.ClaimColdChain && c.Params.ColdChain != nil:
		v = e.coldChain(*c.Params.ColdChain)
	case c.Kind == ledger.ClaimLabTested && c.Params.LabTested != nil:
		v = e.labTested(*c.Params.LabTested)
	case c.Kind == ledger.ClaimOriginIn && c.Params.OriginIn != nil:
		v = e.originIn(*c.Params.OriginIn)
	case c.Kind == ledger.ClaimCertified && c.Params.Certified != nil:
		v = e.certified(*c.Params.Certified)
	case c.Kind == ledger.ClaimService && c.Params.Service != nil:
		v = service(tr, *c.Params.Service)
	default:
		v = verdict{status: Pending, why: why("unknown_kind", argText(fmt.Sprintf("%q", c.Kind)))}
	}
	r.Status, r.Reason, r.Why = v.status, v.why.String(), v.why
	seen := map[string]bool{}
	for _, id := range v.evidence {
		if id != "" && !seen[id] {
			seen[id] = true
			r.Evidence = append(r.Evidence, id)
		}
	}
	return r
}

// Overall is the status a badge for the whole lot shows: fails when the
// lot is recalled (itself or through an upstream lot) or any claim fails,
// pending when any is pending, holds when all hold.
func Overall(l ledger.LotSummary, rs []Result) (Status, string) {
	st, w := OverallWhy(l, rs)
	return st, w.String()
}

// OverallWhy is Overall with its reason as a Why. A result without a Why
// (read back from JSON) is quoted by its Reason (code Verbatim).
func OverallWhy(l ledger.LotSummary, rs []Result) (Status, Why) {
	if l.Recall != nil {
		return Fails, why("recalled", argText(l.Recall.Reason))
	}
	if l.Status == ledger.StatusRecalled || len(l.RecalledVia) > 0 {
		return Fails, why("recalled_upstream")
	}
	st, reason := Holds, why("claims_hold", argCount(len(rs)))
	if len(rs) == 1 {
		reason = whyOf(rs[0])
	}
	if len(rs) == 0 {
		return Pending, why("no_claims")
	}
	for _, r := range rs {
		switch {
		case r.Status == Fails:
			return Fails, why("claim_reason", argText(r.Wording), argClause(whyOf(r)))
		case r.Status == Pending && st == Holds:
			st, reason = Pending, why("claim_reason", argText(r.Wording), argClause(whyOf(r)))
		}
	}
	return st, reason
}

// whyOf is r's Why, or its Reason quoted when it has none.
func whyOf(r Result) Why {
	if r.Why.IsZero() || r.Why.String() != r.Reason {
		return why(Verbatim, argText(r.Reason))
	}
	return r.Why
}

type verdict struct {
	status   Status
	why      Why
	evidence []string
}
