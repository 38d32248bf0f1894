package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/web"
	"github.com/trustline/trustline/receipt"
)

// UnanchoredProblem is the 409 answer to ?format=receipt while some of the
// trace's events are not anchored yet. A receipt is all or nothing: one
// that left events out would verify and still not cover the trace, so the
// client is told which events are pending and when to ask again.
type UnanchoredProblem struct {
	Problem
	// Unanchored are the ids of the events without an anchor yet.
	Unanchored []string `json:"unanchored"`
}

// receiptRetry is the Retry-After of an UnanchoredProblem: events wait
// about one anchoring interval.
const receiptRetry = 30 * time.Second

// serveReceipt answers GET {lot or unit link}?format=receipt with the
// trace receipt (package receipt) of the lot's events.
func (s *Server) serveReceipt(w http.ResponseWriter, r *http.Request, l digitallink.Link) {
	if s.opts.Anchors == nil {
		s.problem(w, r, http.StatusNotFound, "anchoring-disabled", "Anchoring disabled", "this node does not anchor the ledger, so it has no receipts")
		return
	}
	if l.Level() != digitallink.Lot && l.Level() != digitallink.Unit {
		s.problem(w, r, http.StatusBadRequest, "invalid-query", "No receipt", "receipts are of a lot's or a unit's trace")
		return
	}
	tr, err := s.idx.Trace(l.GTIN, l.Lot, l.Serial)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The claims' evidence: the lot's and its ingredients' events and the
	// records the verdicts rest on, so that verify can re-evaluate them.
	ce, err := s.idx.ClaimEvidence(tr.Lot.GTIN, tr.Lot.Lot)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events := slices.Clone(tr.Events)
	upstream, service := make([]bool, len(events)), make([]bool, len(events))
	have := map[string]bool{}
	for _, raw := range events {
		have[eventID(raw)] = true
	}
	for i, list := range [][]json.RawMessage{ce.Events, ce.UpstreamEvents, ce.ServiceEvents} {
		for _, raw := range list {
			if id := eventID(raw); !have[id] {
				have[id] = true
				events, upstream, service = append(events, raw), append(upstream, i == 1), append(service, i == 2)
			}
		}
	}
	entries, pending, err := s.receiptEntries(r, events)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	records, pendingRecords, err := s.receiptRecords(r, ce.Records)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pending = append(pending, pendingRecords...)
	if len(pending) > 0 {
		p := UnanchoredProblem{Problem: Problem{
			Type: ProblemTypePrefix + "not-anchored", Title: "Not anchored yet", Status: http.StatusConflict,
			Detail:   fmt.Sprintf("%d of the receipt's %d events and records are not anchored yet; ask again later", len(pending), len(events)+len(ce.Records)),
			Instance: r.URL.RequestURI(),
		}, Unanchored: pending}
		localizeProblem(w, r, &p.Problem)
		w.Header().Set("Retry-After", strconv.Itoa(int(receiptRetry.Seconds())))
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p)
		return
	}
	for i := range entries { // all anchored: entries[i] is events[i]
		entries[i].Upstream, entries[i].Service = upstream[i], service[i]
	}
	// In ledger order, which each lot's event chain commits to (a lot's
	// transactions never share a block: each rewrites the lot's record).
	slices.SortStableFunc(entries, func(a, b receipt.Entry) int { return cmp.Compare(a.Block, b.Block) })
	state, err := s.receiptState(r, records)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := receipt.BuildWith(receipt.Subject{DigitalLink: tr.ID, Lots: []string{tr.Lot.ID}},
		receipt.Contents{Events: entries, Records: records, Claims: ce.Results, State: state}, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if notModified(w, r, receiptValidators(rc)) { // cache.go
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="receipt.json"`)
	writeJSON(w, "application/json", rc)
}

// receiptValidators are a receipt's, derived from its contents (events,
// records, claims, windows and their anchors) without the time it was
// built at, so that a new anchor or event changes them and a rebuild or
// another replica does not.
func receiptValidators(rc *receipt.Receipt) validators {
	c := *rc
	c.GeneratedAt = time.Time{}
	data, err := json.Marshal(c)
	if err != nil {
		data = []byte(rc.GeneratedAt.String()) // unique: never revalidated
	}
	return validators{ETag: etag("receipt", data), Modified: ledgerTimes(data)}
}

// StateProver proves lots' latest records against the newest anchored
// window's state (*anchoring.Loop).
type StateProver interface {
	StateProof(ctx context.Context, lots []string) (*receipt.StateEntry, error)
}

// receiptState is the state of the lots whose records the receipt shows,
// as of the newest anchored window; nil (a format 3 receipt) when the node
// has none yet.
func (s *Server) receiptState(r *http.Request, records []receipt.RecordEntry) (*receipt.StateEntry, error) {
	if s.opts.State == nil {
		return nil, nil
	}
	var lots []string
	for _, rec := range records {
		var l struct {
			ID   string `json:"id"`
			GTIN string `json:"gtin"`
		}
		switch rec.Record.Kind {
		case ledger.RecordLot, ledger.RecordService:
		default:
			continue
		}
		if err := json.Unmarshal(rec.Record.JSON, &l); err != nil {
			return nil, fmt.Errorf("%s record %s: %w", rec.Record.Kind, rec.Record.ID, err)
		}
		if rec.Record.Kind == ledger.RecordService {
			l.ID = ledger.ServiceStateKey(l.GTIN) // the product's service chain
		}
		if !slices.Contains(lots, l.ID) {
			lots = append(lots, l.ID)
		}
	}
	e, err := s.opts.State.StateProof(r.Context(), lots)
	if errors.Is(err, anchoring.ErrNoState) {
		return nil, nil
	}
	return e, err
}

func eventID(raw json.RawMessage) string {
	var ev struct {
		EventID string `json:"eventID"`
	}
	_ = json.Unmarshal(raw, &ev)
	return ev.EventID
}

// leafProof is where a leaf (an event or record id) was recorded and its
// proof; anchored is false while it is in no window, or in one without a
// recorded anchor.
func (s *Server) leafProof(r *http.Request, id string) (pos index.EventPosition, p receipt.Proof, anchored bool, err error) {
	if pos, err = s.idx.EventPosition(id); err != nil {
		return pos, p, false, err
	}
	p, err = anchoring.Proof(r.Context(), s.opts.Anchors, id)
	if errors.Is(err, anchoring.ErrNotAnchored) || err == nil && len(p.Anchors) == 0 {
		return pos, p, false, nil
	}
	return pos, p, err == nil, err
}

// receiptRecords are the receipt entries of records, and the ids of those
// not anchored yet.
func (s *Server) receiptRecords(r *http.Request, recs []ledger.Record) ([]receipt.RecordEntry, []string, error) {
	var entries []receipt.RecordEntry
	var pending []string
	for _, rec := range recs {
		pos, p, anchored, err := s.leafProof(r, rec.ID)
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("%s record %s: %w", rec.Kind, rec.ID, err)
		case !anchored:
			pending = append(pending, rec.ID)
		default:
			entries = append(entries, receipt.RecordEntry{Record: rec, TxID: pos.TxID, Block: pos.Block, Proof: p})
		}
	}
	return entries, pending, nil
}

// receiptEntries are the receipt entries of events, and the ids of those
// not anchored yet.
func (s *Server) receiptEntries(r *http.Request, events []json.RawMessage) ([]receipt.Entry, []string, error) {
	var entries []receipt.Entry
	var pending []string
	for _, raw := range events {
		var ev struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, nil, err
		}
		pos, p, anchored, err := s.leafProof(r, ev.EventID)
		switch {
		case err != nil:
			return nil, nil, err
		case !anchored:
			pending = append(pending, ev.EventID)
		default:
			entries = append(entries, receipt.Entry{Event: raw, EventID: ev.EventID, TxID: pos.TxID, Block: pos.Block, Proof: p})
		}
	}
	return entries, pending, nil
}

// anchorViews are the page's anchors of events; nil when the node does not
// anchor. A failure to read them leaves them off the page, logged.
func (s *Server) anchorViews(r *http.Request, events []json.RawMessage) []web.AnchorView {
	if s.opts.Anchors == nil {
		return nil
	}
	var out []web.AnchorView
	for _, raw := range events {
		var ev struct {
			EventID string `json:"eventID"`
		}
		if json.Unmarshal(raw, &ev) != nil {
			continue
		}
		v := web.AnchorView{EventID: ev.EventID}
		p, err := anchoring.Proof(r.Context(), s.opts.Anchors, ev.EventID)
		if err != nil && !errors.Is(err, anchoring.ErrNotAnchored) {
			s.log.Error("reading an event's anchors", "event", ev.EventID, "err", err)
			return nil
		}
		if err == nil && len(p.Anchors) > 0 {
			a := p.Anchors[0]
			v.Anchored, v.Block, v.TxHash, v.Anchors = true, a.BlockNumber, a.TxHash.Hex(), len(p.Anchors)
			if a.ChainID != nil {
				v.ChainID = a.ChainID.Uint64()
			}
		}
		out = append(out, v)
	}
	return out
}
