package index

// Claims (package claims) are kept under their own table prefix:
//
//	q c {claimID}                    → ledger.Claim (latest version: superseding sets SupersededBy)
//	q g {gtin} {claimID}             → "" (claims about a product or its lots)
//	q r {gtin} {lot} {claimID}       → claims.Result (the claim's verdict on the lot)
//	q s {signer} {reportID} {lot}    → "" (the lots a lab signer's reports are on; address in lower case)
//	q v {gtin} {txTime} {eventID}    → "" (a product's service events, service.go)
//
// Results are derived. Each transaction marks for evaluation
// (applyClaims) the lots whose evidence it changed and every lot
// downstream of them, and the lots whose claims or product it changed
// (not downstream: a claim or a product is evidence only about its own
// lots). A lab signer's registration or revocation changes the evidence
// of the lots its reports are on, found through q s rather than by
// re-evaluating every lot. The marked lots are evaluated in the same
// batch, so that the results change atomically with the evidence, once
// each, as of the last transaction that marked them (flushClaims): a
// rebuild's batch of a thousand transactions evaluates a busy lot once,
// not at each of its events. Results' EvaluatedAt is that transaction's
// time, so two nodes hold the same results (and Digest), however their
// blocks were batched.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

const tClaims = 'q'

// applyClaims stores ev's claims and re-evaluates the affected lots.
func applyClaims(w writer, ev *ledger.Event) error {
	// affected are the lots to re-evaluate: those whose claims or product
	// changed, and those whose evidence changed with everything downstream.
	affected, evidence := map[string]bool{}, map[string]bool{}
	allOf := func(gtin string) error {
		return scan(w, prefix(tLot, gtin), nil, func(k, _ []byte) (bool, error) {
			parts := split(k)
			affected[lotLink(gtin, parts[len(parts)-1])] = true
			return true, nil
		})
	}
	for _, c := range ev.Claims {
		if !validComponent(c.ID) || !validComponent(c.GTIN) {
			return fmt.Errorf("claim %q", c.ID)
		}
		if err := setJSON(w, key(tClaims, "c", c.ID), c); err != nil {
			return err
		}
		if err := w.Set(key(tClaims, "g", c.GTIN, c.ID), nil, nil); err != nil {
			return err
		}
		markClaimed(w, c.GTIN)
		if c.Lot != "" {
			affected[c.Subject] = true
		} else if err := allOf(c.GTIN); err != nil {
			return err
		}
	}
	for _, p := range ev.Products {
		if err := allOf(p.GTIN); err != nil {
			return err
		}
	}
	for _, l := range ev.Lots {
		evidence[l.ID] = true
	}
	for _, r := range ev.Recalls {
		evidence[r.Lot] = true
	}
	for _, r := range ev.Inspections {
		signer := strings.ToLower(r.Signer)
		for _, l := range r.Report.Lots {
			evidence[digitallink.Canonical(l)] = true
			gtin, num, ok := lotKey(l)
			if !ok || !validComponent(signer) || !validComponent(r.Report.ReportID) {
				continue
			}
			if err := w.Set(key(tClaims, "s", signer, r.Report.ReportID, lotLink(gtin, num)), nil, nil); err != nil {
				return err
			}
		}
	}
	serviced, err := serviceProducts(w, ev) // service.go
	if err != nil {
		return err
	}
	if !anyClaimed(w) {
		return nil // nothing to evaluate: no claim about any product
	}
	for _, gtin := range serviced {
		if mayBeClaimed(w, gtin) {
			if err := allOf(gtin); err != nil {
				return err
			}
		}
	}
	// A revoked signer changes every verdict that rests on its reports. A
	// registration finds none: the chaincode accepts reports only from
	// registered signers, and registers an address once.
	for _, s := range ev.LabSigners {
		err := scan(w, prefix(tClaims, "s", strings.ToLower(s.Address)), nil, func(k, _ []byte) (bool, error) {
			parts := split(k)
			evidence[parts[len(parts)-1]] = true
			return true, nil
		})
		if err != nil {
			return err
		}
	}
	at, ok := evaluationTime(ev)
	if !ok {
		return nil // no ledger time to evaluate at; the next transaction will
	}
	// Downstream lots inherit their inputs' evidence.
	for _, l := range sortedKeys(evidence) {
		affected[l] = true
		down, err := reach(w, l, tDown)
		if err != nil {
			return err
		}
		for _, d := range down {
			affected[d] = true
		}
	}
	if tw := traceRecWriterOf(w); tw != nil {
		// Evaluated once for the batch (flushClaims), not once per
		// transaction that affects the lot: the same results, at the
		// time of the last such transaction.
		for l := range affected {
			if gtin, _, ok := lotKey(l); ok && mayBeClaimed(w, gtin) {
				tw.evaluate[l] = at
			}
		}
		return nil
	}
	for _, l := range sortedKeys(affected) {
		if err := evaluateLot(w, l, at); err != nil {
			return err
		}
	}
	return nil
}

// evaluationTime is the ledger time ev's claims evaluations are as of;
// false for a transaction without one, which evaluates none.
func evaluationTime(ev *ledger.Event) (time.Time, bool) {
	at, err := time.Parse(time.RFC3339Nano, ev.Timestamp)
	return at, err == nil
}

// flushClaims evaluates the lots the transactions of w's batch so far
// affected (applyClaims), each as of the last transaction that did. A
// lot's results depend only on its evidence and that time, and every
// later transaction that changes its evidence affects it again, so they
// are the results each transaction's own evaluation left: the index is the
// same whether a block is applied alone or in a batch of thousands, while
// a lot that a batch touches a hundred times is evaluated once. Called
// before each batch's checkpoint, and before a transaction that evaluates
// nothing changes any lot's evidence (applyBlockTxs; Apply's batch holds
// one transaction).
func flushClaims(w writer) error {
	tw := traceRecWriterOf(w)
	if tw == nil || len(tw.evaluate) == 0 {
		return nil
	}
	for _, l := range slices.Sorted(maps.Keys(tw.evaluate)) {
		// An error here is the index's own (a stored record it cannot
		// read), not a transaction's: the payloads were checked as they
		// were applied.
		if err := evaluateLot(w, l, tw.evaluate[l]); err != nil {
			return fmt.Errorf("evaluating the claims on %s: %w", l, err)
		}
	}
	clear(tw.evaluate)
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// reach returns the lots reachable from lot through table (tUp or tDown),
// breadth first, each once.
func reach(r reader, lot string, table byte) ([]string, error) {
	seen := map[string]bool{lot: true}
	queue := []string{lot}
	var out []string
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		err := scan(r, prefix(table, cur), nil, func(k, _ []byte) (bool, error) {
			parts := split(k)
			n := parts[len(parts)-1]
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
				out = append(out, n)
			}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// activeClaims returns the claims that apply to l, by id.
func activeClaims(r reader, l ledger.LotSummary) ([]ledger.Claim, error) {
	var out []ledger.Claim
	err := scan(r, prefix(tClaims, "g", l.GTIN), nil, func(k, _ []byte) (bool, error) {
		parts := split(k)
		var c ledger.Claim
		if ok, err := getJSON(r, key(tClaims, "c", parts[len(parts)-1]), &c); err != nil || !ok {
			return err == nil, err
		}
		if claims.Applies(c, l) {
			out = append(out, c)
		}
		return true, nil
	})
	return out, err
}

// evaluateLot evaluates the claims that apply to lot as of at and stores
// the results.
func evaluateLot(w writer, lot string, at time.Time) error {
	gtin, num, ok := lotKey(lot)
	if !ok || !mayBeClaimed(w, gtin) {
		return nil
	}
	var l ledger.LotSummary
	if ok, err := getJSON(w, key(tLot, gtin, num), &l); err != nil || !ok {
		return err
	}
	cs, err := activeClaims(w, l)
	if err != nil || len(cs) == 0 {
		return err
	}
	tr, err := claimTraceFor(w, l, at, cs)
	if err != nil {
		return err
	}
	for i, r := range claims.EvaluateAll(tr, cs) {
		if err := setJSON(w, key(tClaims, "r", gtin, num, cs[i].ID), r); err != nil {
			return err
		}
	}
	return nil
}

// claimTrace gathers the evidence about l that claims are evaluated on.
func claimTrace(r reader, l ledger.LotSummary, at time.Time) (claims.Trace, error) {
	cs, err := activeClaims(r, l)
	if err != nil {
		return claims.Trace{}, err
	}
	return claimTraceFor(r, l, at, cs)
}

// claimTraceFor is claimTrace for the active claims cs on l.
func claimTraceFor(r reader, l ledger.LotSummary, at time.Time, cs []ledger.Claim) (claims.Trace, error) {
	tr := claims.Trace{Lot: l, At: at}
	if w := serviceWindow(cs); w > 0 {
		var err error
		if tr.Service, err = serviceEvents(r, l.GTIN, at, w); err != nil { // service.go
			return tr, err
		}
	}
	via, err := recalledVia(r, l.ID)
	if err != nil {
		return tr, err
	}
	if len(via) > 0 {
		tr.Lot.Status = ledger.StatusRecalled
		tr.Lot.RecalledVia = slices.DeleteFunc(via, func(s string) bool { return s == l.ID })
	}
	var p ledger.Product
	if ok, err := getJSON(r, key(tProduct, l.GTIN), &p); err != nil {
		return tr, err
	} else if ok {
		tr.Product = &p
	}
	reports := map[string]bool{}
	if tr.Events, tr.EventsDecoded, err = lotEventsDecoded(r, l.GTIN, l.Lot, reports); err != nil {
		return tr, err
	}
	up, err := reach(r, l.ID, tUp)
	if err != nil {
		return tr, err
	}
	for _, u := range up {
		gtin, num, ok := lotKey(u)
		if !ok {
			continue
		}
		var ul ledger.LotSummary
		if ok, err := getJSON(r, key(tLot, gtin, num), &ul); err != nil {
			return tr, err
		} else if ok {
			tr.Upstream = append(tr.Upstream, ul)
		}
		evs, dec, err := lotEventsDecoded(r, gtin, num, reports)
		if err != nil {
			return tr, err
		}
		tr.UpstreamEvents = append(tr.UpstreamEvents, evs...)
		tr.UpstreamDecoded = append(tr.UpstreamDecoded, dec...)
	}
	signers := map[string]bool{}
	for _, id := range sortedKeys(reports) {
		var rec ledger.InspectionRecord
		if ok, err := getJSON(r, key(tInspection, id), &rec); err != nil {
			return tr, err
		} else if !ok {
			continue
		}
		tr.Inspections = append(tr.Inspections, rec)
		signers[strings.ToLower(rec.Signer)] = true
	}
	for _, a := range sortedKeys(signers) {
		var s ledger.LabSigner
		if ok, err := getJSON(r, key(tSigner, a), &s); err != nil {
			return tr, err
		} else if ok {
			tr.Signers = append(tr.Signers, s)
		}
	}
	return tr, nil
}

// lotEvents returns a lot's EPCIS events in ledger order and adds the
// report ids of its inspection events to reports.
func lotEvents(r reader, gtin, lot string, reports map[string]bool) ([]json.RawMessage, error) {
	evs, _, err := lotEventsDecoded(r, gtin, lot, reports)
	return evs, err
}

// lotEventsDecoded is lotEvents, and also the events an apply has decoded
// (eventcache.go), at the same indexes: a nil entry is not decoded, and
// outside an apply there is no slice at all.
func lotEventsDecoded(r reader, gtin, lot string, reports map[string]bool) ([]json.RawMessage, []*epcis.Event, error) {
	var out []json.RawMessage
	var decoded []*epcis.Event
	cache := eventCacheOf(r)
	err := scan(r, prefix(tLotEvent, gtin, lot), nil, func(k, _ []byte) (bool, error) {
		parts := split(k)
		id := parts[len(parts)-1]
		b, ok, err := get(r, key(tEvent, id))
		if err != nil || !ok {
			return err == nil, err
		}
		out = append(out, b)
		if cache != nil {
			dec := cache.get(id, b)
			decoded = append(decoded, dec)
			if dec != nil {
				if dec.Inspection != nil && validComponent(dec.Inspection.ReportID) {
					reports[dec.Inspection.ReportID] = true
				}
				return true, nil
			}
		}
		if !mayInspect(b) {
			return true, nil
		}
		var head epcis.Event
		if json.Unmarshal(b, &head) == nil && head.Inspection != nil && validComponent(head.Inspection.ReportID) {
			reports[head.Inspection.ReportID] = true
		}
		return true, nil
	})
	return out, decoded, err
}

// mayInspect is false only for an event that cannot decode with an
// inspection: its JSON names no member "inspection" in any case, nor
// escapes a character where it could spell one. It spares a claims
// evaluation decoding every event of a trace twice.
func mayInspect(b []byte) bool {
	return bytes.IndexByte(b, '\\') >= 0 || bytes.Contains(bytes.ToLower(b), []byte("inspection"))
}

// Claim returns a claim by id.
func (x *Index) Claim(id string) (ledger.Claim, error) {
	var c ledger.Claim
	ok, err := getJSON(x.db, key(tClaims, "c", id), &c)
	if err == nil && !ok {
		err = notFound("claim %s", id)
	}
	return c, err
}

// Claims returns the claims about a product and its lots, superseded ones
// included, by id.
func (x *Index) Claims(gtin string) ([]ledger.Claim, error) {
	out := []ledger.Claim{}
	err := scan(x.db, prefix(tClaims, "g", gtin), nil, func(k, _ []byte) (bool, error) {
		parts := split(k)
		c, err := x.Claim(parts[len(parts)-1])
		if err != nil {
			return false, err
		}
		out = append(out, c)
		return true, nil
	})
	return out, err
}

// ClaimResults returns the verdicts of the active claims on a lot, by
// claim id. A claim registered before the node saw any event of the lot
// has a result as soon as the lot exists.
func (x *Index) ClaimResults(gtin, lot string) ([]claims.Result, error) {
	l, err := x.Lot(gtin, lot)
	if err != nil {
		return nil, err
	}
	return x.claimResultsOf(l)
}

// claimResultsOf is ClaimResults of lot l, already read.
func (x *Index) claimResultsOf(l ledger.LotSummary) ([]claims.Result, error) {
	gtin, lot := l.GTIN, l.Lot
	if !x.claimed.has(gtin) {
		// Most products have no claim: a page or badge of one of their
		// lots need not scan for them (the set errs only the other way).
		return []claims.Result{}, nil
	}
	cs, err := activeClaims(x.db, l)
	if err != nil {
		return nil, err
	}
	out := []claims.Result{}
	for _, c := range cs {
		var r claims.Result
		if ok, err := getJSON(x.db, key(tClaims, "r", gtin, lot, c.ID), &r); err != nil {
			return nil, err
		} else if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// ClaimTrace returns the evidence claims about a lot are evaluated on, as
// of the ledger time at: for re-evaluating them elsewhere (receipts, CLI).
func (x *Index) ClaimTrace(gtin, lot string, at time.Time) (claims.Trace, error) {
	l, err := x.Lot(gtin, lot)
	if err != nil {
		return claims.Trace{}, err
	}
	return claimTrace(x.db, l, at)
}

// The claimed set (Index.claimed) is the set of products with claims (the
// GTINs of q g): applying a transaction skips evaluating the lots of
// products nobody made a claim about, and finding them, without reading
// the index (keyset.go). A product is added as a claim about it is
// written.
func loadClaimed(s *keySet, r reader) error {
	return s.load(r, func(parts []string) (string, bool) {
		if len(parts) == 3 {
			return parts[1], true
		}
		return "", false
	}, prefix(tClaims, "g"))
}

// claimsWriter is an apply's writer with the index's claimed and recall
// sets, and its leafFilter when it has one (leaffilter.go).
type claimsWriter struct {
	writer
	claimed *keySet
	leaves  *leafFilter
	events  *eventCache // eventcache.go
	recalls *keySet     // recallset.go
}

// leafFilterOf is w's leafFilter, nil without one.
func leafFilterOf(w writer) *leafFilter {
	if cw, ok := w.(claimsWriter); ok {
		return cw.leaves
	}
	return nil
}

func markClaimed(w writer, gtin string) {
	if cw, ok := w.(claimsWriter); ok {
		cw.claimed.add(gtin)
	}
}

// mayBeClaimed is false only if no claim is about gtin; anyClaimed only
// if there is no claim at all. Without a claimed set both are true.
func mayBeClaimed(w writer, gtin string) bool {
	cw, ok := w.(claimsWriter)
	return !ok || cw.claimed.has(gtin)
}

func anyClaimed(w writer) bool {
	cw, ok := w.(claimsWriter)
	return !ok || !cw.claimed.empty()
}
