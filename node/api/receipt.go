package api

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/node/anchoring"
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
	entries, pending, err := s.receiptEntries(r, tr.Events)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(pending) > 0 {
		p := UnanchoredProblem{Problem: Problem{
			Type: ProblemTypePrefix + "not-anchored", Title: "Not anchored yet", Status: http.StatusConflict,
			Detail:   fmt.Sprintf("%d of the trace's %d events are not anchored yet; ask again later", len(pending), len(tr.Events)),
			Instance: r.URL.RequestURI(),
		}, Unanchored: pending}
		w.Header().Set("Retry-After", strconv.Itoa(int(receiptRetry.Seconds())))
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p)
		return
	}
	rc, err := receipt.Build(receipt.Subject{DigitalLink: tr.ID, Lots: []string{tr.Lot.ID}}, entries, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="receipt.json"`)
	writeJSON(w, "application/json", rc)
}

// receiptEntries are the receipt entries of events, and the ids of those
// not anchored yet (in no window, or in one without a recorded anchor).
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
		pos, err := s.idx.EventPosition(ev.EventID)
		if err != nil {
			return nil, nil, err
		}
		p, err := anchoring.Proof(r.Context(), s.opts.Anchors, ev.EventID)
		if errors.Is(err, anchoring.ErrNotAnchored) || err == nil && len(p.Anchors) == 0 {
			pending = append(pending, ev.EventID)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, receipt.Entry{Event: raw, EventID: ev.EventID, TxID: pos.TxID, Block: pos.Block, Proof: p})
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
			path := make([]string, len(p.Path))
			for i, h := range p.Path {
				path[i] = hex.EncodeToString(h[:])
			}
			v.Anchored, v.Block, v.TxHash, v.Anchors = true, a.BlockNumber, a.TxHash.Hex(), len(p.Anchors)
			if a.ChainID != nil {
				v.ChainID = a.ChainID.Uint64()
			}
			v.Root, v.Size, v.Leaf, v.Path = hex.EncodeToString(p.Window.Root[:]), p.Size, p.LeafIndex, strings.Join(path, ",")
		}
		out = append(out, v)
	}
	return out
}
