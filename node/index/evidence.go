package index

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
)

// ClaimEvidence is what a receipt carries so that anyone can re-evaluate
// the claims on a lot offline (package receipt): the node's verdicts and
// every event and anchored record (ledger.Record) they were reached from.
type ClaimEvidence struct {
	// Lot is the lot's Digital Link.
	Lot string
	// Results are the node's verdicts of the active claims on the lot, all
	// evaluated at the same ledger time; none when no claim applies.
	Results []claims.Result
	// Events are the lot's own EPCIS events, UpstreamEvents those of the
	// lots it was made from (an ingredient's lab report, its origin).
	Events, UpstreamEvents []json.RawMessage
	// ServiceEvents are the service events of the lot's product that
	// service_within claims were judged on (service.go): all of them when
	// the product has a service chain, which Records then holds.
	ServiceEvents []json.RawMessage
	// Records are the product, the lot, the upstream lots, the inspection
	// reports, their signers and the claims, as anchored (the bytes their
	// ids hash, table A), each once. Without claims, the lot's record
	// alone: a receipt proves the lot's events complete against it.
	Records []ledger.Record
}

// ClaimEvidence returns the evidence of the claims on a lot, read from one
// snapshot of the index.
func (x *Index) ClaimEvidence(gtin, lot string) (ClaimEvidence, error) {
	snap := x.db.NewSnapshot()
	defer snap.Close()
	ce := ClaimEvidence{Lot: lotLink(gtin, lot)}
	var l ledger.LotSummary
	if ok, err := getJSON(snap, key(tLot, gtin, lot), &l); err != nil {
		return ce, err
	} else if !ok {
		return ce, notFound("lot %s", ce.Lot)
	}
	lotOnly := func() (ClaimEvidence, error) {
		r, err := anchoredRecord(snap, ledger.RecordLot, &l)
		ce.Records = []ledger.Record{r}
		return ce, err
	}
	cs, err := activeClaims(snap, l)
	if err != nil {
		return ce, err
	}
	if len(cs) == 0 {
		return lotOnly()
	}
	var at time.Time
	for _, c := range cs {
		var r claims.Result
		if ok, err := getJSON(snap, key(tClaims, "r", gtin, lot, c.ID), &r); err != nil {
			return ce, err
		} else if !ok {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, r.EvaluatedAt); err == nil && t.After(at) {
			at = t
		}
		ce.Results = append(ce.Results, r)
	}
	if len(ce.Results) == 0 {
		return lotOnly()
	}
	tr, err := claimTrace(snap, l, at)
	if err != nil {
		return ce, err
	}
	ce.Events, ce.UpstreamEvents, ce.ServiceEvents = tr.Events, tr.UpstreamEvents, tr.Service
	// The product's service chain commits to all its service events: a
	// receipt carries them all and the chain (servicechain.go).
	svc, hasSvc, err := serviceChainRecord(snap, gtin)
	if err != nil {
		return ce, err
	}
	if hasSvc && serviceWindow(cs) > 0 {
		if ce.ServiceEvents, err = allServiceEvents(snap, gtin); err != nil {
			return ce, err
		}
	}

	seen := map[string]bool{}
	add := func(k ledger.RecordKind, v any) error {
		r, err := anchoredRecord(snap, k, v)
		if err != nil || seen[r.ID] {
			return err
		}
		seen[r.ID] = true
		ce.Records = append(ce.Records, r)
		return nil
	}
	// tr.Lot carries the recall flags claimTrace derives; the record is l,
	// as stored.
	if tr.Product != nil {
		if err := add(ledger.RecordProduct, tr.Product); err != nil {
			return ce, err
		}
	}
	if err := add(ledger.RecordLot, &l); err != nil {
		return ce, err
	}
	up := slices.Clone(tr.Upstream)
	slices.SortFunc(up, func(a, b ledger.LotSummary) int { return strings.Compare(a.ID, b.ID) })
	for i := range up {
		if err := add(ledger.RecordLot, &up[i]); err != nil {
			return ce, err
		}
	}
	for i := range tr.Inspections {
		if err := add(ledger.RecordInspection, &tr.Inspections[i]); err != nil {
			return ce, err
		}
	}
	for i := range tr.Signers {
		if err := add(ledger.RecordLabSigner, &tr.Signers[i]); err != nil {
			return ce, err
		}
	}
	for i := range cs {
		if err := add(ledger.RecordClaim, &cs[i]); err != nil {
			return ce, err
		}
	}
	if hasSvc && serviceWindow(cs) > 0 && !seen[svc.ID] {
		ce.Records = append(ce.Records, svc)
	}
	return ce, nil
}
