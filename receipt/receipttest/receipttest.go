// Package receipttest is test support, for tests only: production code
// never imports it. It holds the tampering classes of issue 12 (receipts
// that prove a lot's history complete and current) expressed on any
// receipt, so that one table runs both on package receipt's fixture story
// (TestTampering, TestBrowserCheck) and on a real lot's receipt served by a
// node on the real testnet and checked by the real `trustline verify`
// binary, offline and against the real chain (node's
// TestIntegrationNodeAnchorsAndServesReceipts).
//
// Each case picks its target from the receipt's content, never from fixed
// offsets: the subject lot's latest proven record (its recall and breach
// event ids, how many events it counts), the subject lot's own events in
// receipt order, the event carrying a certificationInfo, the state's entry
// of the subject lot. It names the part of the verification that must fail
// (receipt.Part) and a phrase that part's message must contain.
package receipttest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/receipt"
)

// Case is one tampering class: what is done to a receipt, and the failure
// it must cause.
type Case struct {
	Name string
	// Tamper edits a receipt parsed from the base receipt's file; nil for
	// the untampered receipt, which must verify.
	Tamper func(r *receipt.Receipt) error
	// Part is the part whose failure names the problem, and Want a phrase
	// of its message (receipt.PartError: "part: message").
	Part receipt.Part
	Want string
}

// Apply tampers with a copy of doc, a receipt file, as c says and returns
// the receipt as passed on: parsed again from its file, and that file.
func (c Case) Apply(doc []byte) (*receipt.Receipt, []byte, error) {
	r, err := receipt.Parse(doc)
	if err != nil {
		return nil, nil, err
	}
	if c.Tamper != nil {
		if err := c.Tamper(r); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	out, err := r.Marshal()
	if err != nil {
		return nil, nil, err
	}
	if r, err = receipt.Parse(out); err != nil {
		return nil, nil, fmt.Errorf("%s: the tampered receipt does not parse: %w", c.Name, err)
	}
	return r, out, nil
}

// Sources are the other real receipts some classes take their parts from.
type Sources struct {
	// Other is a receipt of another lot, from the same ledger and anchors:
	// the subject changed to its lot, one of its events added, one of its
	// claims added (or, when it carries none, a claim of the base about
	// its lot).
	Other *receipt.Receipt
	// Older is a receipt of the base's lot from before a further event of
	// the lot was anchored; the base is the newer one. Its events and lot
	// record presented under the base's state are the stale record.
	Older *receipt.Receipt
}

// ErrTarget is returned by Cases when the base receipt lacks what a class
// tampers with (a recall, a breach reading, a state, …).
var ErrTarget = errors.New("receipttest: the receipt lacks a tampering target")

// Cases are the tampering classes of issue 12 on base, the untampered
// receipt first: an event removed (the recall, the breach reading), the lot
// record removed with the recall, an event of another lot added (as the
// lot's own and as an ingredient's), events reordered, the subject changed
// to another lot and to a never-commissioned serial, a txId, a block and a
// lot record's txId swapped, certificationInfo changed, a claim about
// another lot, a stale lot record, the state root changed, the state entry
// of another lot. base must be a format 4 receipt whose subject lot record
// has a recall and a breach; src must hold both receipts.
func Cases(base *receipt.Receipt, src Sources) ([]Case, error) {
	if src.Other == nil || src.Older == nil {
		return nil, fmt.Errorf("%w: Sources needs another lot's receipt and an older one of the lot", ErrTarget)
	}
	key, subject, err := lotOf(base.Subject)
	if err != nil {
		return nil, err
	}
	lot, recIdx, err := latestRecord(base, key)
	if err != nil {
		return nil, err
	}
	rec := base.Records[recIdx]
	if lot.Recall == nil || lot.Recall.EventID == "" || lot.Breach == nil || lot.Breach.EventID == "" {
		return nil, fmt.Errorf("%w: lot %s's record has no recall or no breach event", ErrTarget, lot.ID)
	}
	if base.State == nil || len(base.State.Lots) == 0 {
		return nil, fmt.Errorf("%w: no state (format %d)", ErrTarget, base.Version)
	}
	own := ownEvents(base)
	if len(own) < 3 {
		return nil, fmt.Errorf("%w: %d events of lot %s, want 3 or more", ErrTarget, len(own), lot.ID)
	}
	n := lot.Counts.Events
	sw := base.Windows[base.State.Window]

	// The middle one of the lot's own events, and the one before it.
	mid := own[len(own)/2]
	target := base.Events[mid]
	otherTx := ""
	for i := len(own)/2 - 1; i >= 0 && otherTx == ""; i-- {
		if tx := base.Events[own[i]].TxID; tx != target.TxID {
			otherTx = tx
		}
	}
	recTx := ""
	for _, i := range own {
		if tx := base.Events[i].TxID; tx != rec.TxID {
			recTx = tx
			break
		}
	}
	if otherTx == "" || recTx == "" {
		return nil, fmt.Errorf("%w: all the lot's events in one transaction", ErrTarget)
	}
	// The event whose certificationInfo is changed: the first carrying one,
	// else the target, given one.
	cert := slices.IndexFunc(base.Events, func(e receipt.Event) bool {
		var m map[string]json.RawMessage
		return json.Unmarshal(e.Event, &m) == nil && m["certificationInfo"] != nil
	})
	if cert < 0 {
		cert = mid
	}
	certEv := base.Events[cert]

	otherKey, otherLot, err := lotOf(src.Other.Subject)
	if err != nil {
		return nil, fmt.Errorf("the other receipt: %w", err)
	}
	if otherKey == key {
		return nil, fmt.Errorf("%w: the other receipt is of the same lot %s", ErrTarget, subject)
	}
	added := -1 // an event of the other lot the base does not show
	for i, e := range src.Other.Events {
		if !e.Upstream && !e.Service && !slices.ContainsFunc(base.Events, func(b receipt.Event) bool { return b.EventID == e.EventID }) && !names(e.Event, key) {
			added = i
			break
		}
	}
	if added < 0 {
		return nil, fmt.Errorf("%w: the other receipt has no event of its own lot that is not the base's", ErrTarget)
	}
	addedID := src.Other.Events[added].EventID
	claim, ok := otherClaim(base, src.Other, otherLot)
	if !ok {
		return nil, fmt.Errorf("%w: neither receipt carries a claim", ErrTarget)
	}
	olderLot, olderIdx, err := latestRecord(src.Older, key)
	if err != nil {
		return nil, fmt.Errorf("the older receipt: %w", err)
	}
	olderID := src.Older.Records[olderIdx].RecordID
	if olderLot.Counts.Events >= n || olderID == rec.RecordID {
		return nil, fmt.Errorf("%w: the older receipt's record of lot %s (%d events) is not older than the base's (%d)", ErrTarget, subject, olderLot.Counts.Events, n)
	}
	entry := slices.IndexFunc(base.State.Lots, func(l receipt.LotState) bool { k, _, _ := lotOf(receipt.Subject{DigitalLink: l.Lot}); return k == key })
	if entry < 0 {
		entry = 0
	}
	entryRec := base.State.Lots[entry].RecordID

	byID := func(r *receipt.Receipt, id string) (int, error) {
		if i := slices.IndexFunc(r.Events, func(e receipt.Event) bool { return e.EventID == id }); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("%w: event %s not in the receipt", ErrTarget, id)
	}
	remove := func(id string) func(*receipt.Receipt) error {
		return func(r *receipt.Receipt) error {
			i, err := byID(r, id)
			if err == nil {
				r.Events = slices.Delete(r.Events, i, i+1)
			}
			return err
		}
	}
	addFrom := func(upstream bool) func(*receipt.Receipt) error {
		return func(r *receipt.Receipt) error {
			e := src.Other.Events[added]
			e.Upstream = upstream
			e.Window = windowIn(r, src.Other.Windows[e.Window])
			r.Events = append(r.Events, e)
			return nil
		}
	}
	leafMsg := func(what, id, tx string, block uint64) string {
		return fmt.Sprintf("%s %s in tx %s, block %d, with this content, is not the anchored leaf", what, id, tx, block)
	}
	return []Case{
		{Name: "untampered"},
		{"recall event removed", remove(lot.Recall.EventID), receipt.PartLot,
			fmt.Sprintf("lot %s: %d of %d events shown; missing its recall event %s", lot.ID, n-1, n, lot.Recall.EventID)},
		{"breach reading removed", remove(lot.Breach.EventID), receipt.PartLot,
			fmt.Sprintf("%d of %d events shown; missing its cold-chain breach event %s", n-1, n, lot.Breach.EventID)},
		{"lot record removed with the recall", func(r *receipt.Receipt) error {
			if err := remove(lot.Recall.EventID)(r); err != nil {
				return err
			}
			r.Records = slices.DeleteFunc(r.Records, func(x receipt.Record) bool {
				l, ok := decodeLot(x)
				return ok && l.GTIN+"/"+l.Lot == key
			})
			return nil
		}, receipt.PartLot, "lot " + subject + ": the receipt proves no record of the lot"},
		{"event added from another lot", addFrom(false), receipt.PartSubject,
			"event " + addedID + " names neither the subject lot " + subject},
		{"event added from another lot as an ingredient", addFrom(true), receipt.PartSubject,
			// "names no lot that lot … was made from", or, for a lot made
			// from none, "… proves no record of lot … whose inputs it could
			// belong to".
			"upstream event " + addedID},
		{"events reordered", func(r *receipt.Receipt) error {
			// The middle event and the next (own has 3 or more).
			i, j := own[len(own)/2], own[len(own)/2+1]
			r.Events[i], r.Events[j] = r.Events[j], r.Events[i]
			return nil
		}, receipt.PartLot, fmt.Sprintf("lot %s: the %d events shown are not the lot's as recorded", lot.ID, n)},
		{"subject changed to another lot", func(r *receipt.Receipt) error {
			r.Subject = receipt.Subject{DigitalLink: otherLot, Lots: []string{otherLot}}
			return nil
		}, receipt.PartSubject, "names neither the subject lot " + otherLot},
		{"subject changed to a never-commissioned serial", func(r *receipt.Receipt) error {
			r.Subject.DigitalLink = subject + "/21/NEVER-COMMISSIONED"
			return nil
		}, receipt.PartSubject, "no proven commissioning event names unit " + subject + "/21/NEVER-COMMISSIONED"},
		{"txId swapped", func(r *receipt.Receipt) error {
			i, err := byID(r, target.EventID)
			r.Events[i].TxID = otherTx
			return err
		}, receipt.PartPath, leafMsg("event", target.EventID, otherTx, target.Block)},
		{"block swapped", func(r *receipt.Receipt) error {
			i, err := byID(r, target.EventID)
			r.Events[i].Block++
			return err
		}, receipt.PartPath, leafMsg("event", target.EventID, target.TxID, target.Block+1)},
		{"lot record's txId swapped", func(r *receipt.Receipt) error {
			r.Records[recIdx].TxID = recTx
			return nil
		}, receipt.PartPath, leafMsg("lot record", rec.RecordID, recTx, rec.Block)},
		{"certificationInfo changed", func(r *receipt.Receipt) error {
			i, err := byID(r, certEv.EventID)
			if err != nil {
				return err
			}
			var m map[string]any
			if err := json.Unmarshal(r.Events[i].Event, &m); err != nil {
				return err
			}
			m["certificationInfo"] = "https://forged.example/report.pdf"
			r.Events[i].Event, err = json.Marshal(m)
			return err
		}, receipt.PartPath, leafMsg("event", certEv.EventID, certEv.TxID, certEv.Block)},
		{"claim about another lot", func(r *receipt.Receipt) error {
			r.Claims = append(r.Claims, claim)
			return nil
		}, receipt.PartSubject, "claim " + claim.Claim + " is about lot " + claim.Lot + ", the subject is lot " + subject},
		{"stale lot record", func(r *receipt.Receipt) error {
			stale(r, src.Older)
			return nil
		}, receipt.PartState, fmt.Sprintf("lot %s: the record shown (%s) is stale: as of ledger block %d the lot's latest record is %s",
			subject, olderID, sw.ToBlock, rec.RecordID)},
		{"state root changed", func(r *receipt.Receipt) error {
			r.State.Root[7] ^= 0x01
			return nil
		}, receipt.PartState, fmt.Sprintf("window %d..%d's anchored root does not commit to state root", sw.FromBlock, sw.ToBlock)},
		{"state entry of another lot", func(r *receipt.Receipt) error {
			r.State.Lots[entry].Lot = otherLot
			return nil
		}, receipt.PartState, fmt.Sprintf("lot %s's entry (record %s) is not in the state of window %d..%d", otherLot, entryRec, sw.FromBlock, sw.ToBlock)},
	}, nil
}

// lotOf is the key (GTIN/lot) and Digital Link of the lot s is about.
func lotOf(s receipt.Subject) (key, link string, err error) {
	l := s.DigitalLink
	if l == "" && len(s.Lots) > 0 {
		l = s.Lots[0]
	}
	dl, err := digitallink.Parse(l)
	if err != nil || dl.GTIN == "" || dl.Lot == "" {
		return "", "", fmt.Errorf("%w: subject %q names no lot", ErrTarget, l)
	}
	return dl.GTIN + "/" + dl.Lot, digitallink.Link{GTIN: dl.GTIN, Lot: dl.Lot}.String(), nil
}

func decodeLot(x receipt.Record) (*ledger.LotSummary, bool) {
	if x.Type != ledger.RecordLot {
		return nil, false
	}
	v, _, err := ledger.DecodeRecord(x.Type, x.Record)
	if err != nil {
		return nil, false
	}
	l, ok := v.(*ledger.LotSummary)
	return l, ok
}

// latestRecord is r's record of the lot key counting the most events, as
// receipt.Verify goes by, and its index.
func latestRecord(r *receipt.Receipt, key string) (*ledger.LotSummary, int, error) {
	var best *ledger.LotSummary
	idx := -1
	for i, x := range r.Records {
		if l, ok := decodeLot(x); ok && l.GTIN+"/"+l.Lot == key && (best == nil || l.Counts.Events > best.Counts.Events) {
			best, idx = l, i
		}
	}
	if best == nil {
		return nil, 0, fmt.Errorf("%w: no record of lot %s", ErrTarget, key)
	}
	return best, idx, nil
}

// ownEvents are the indexes of r's events of its subject lot itself: not
// an ingredient's, not the product's service events.
func ownEvents(r *receipt.Receipt) []int {
	var own []int
	for i, e := range r.Events {
		if !e.Upstream && !e.Service {
			own = append(own, i)
		}
	}
	return own
}

// names reports whether an event names the lot key anywhere, as a Digital
// Link of the lot or of a unit of it.
func names(event json.RawMessage, key string) bool {
	var v any
	if json.Unmarshal(event, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			l, err := digitallink.Parse(x)
			return err == nil && l.GTIN+"/"+l.Lot == key
		case []any:
			return slices.ContainsFunc(x, walk)
		case map[string]any:
			for _, y := range x {
				if walk(y) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// otherClaim is a claim verdict about the other lot: one of the other
// receipt's, or else one of the base's made about the other lot.
func otherClaim(base, other *receipt.Receipt, otherLot string) (c claims.Result, ok bool) {
	if len(other.Claims) > 0 {
		return other.Claims[0], true
	}
	if len(base.Claims) > 0 {
		c = base.Claims[0]
		c.Lot = otherLot
		return c, true
	}
	return c, false
}

// windowIn is the index in r of window w (the same blocks and root),
// added when r does not list it.
func windowIn(r *receipt.Receipt, w receipt.Window) int {
	for i, x := range r.Windows {
		if x.Channel == w.Channel && x.FromBlock == w.FromBlock && x.ToBlock == w.ToBlock && x.Root == w.Root {
			return i
		}
	}
	r.Windows = append(r.Windows, w)
	return len(r.Windows) - 1
}

// stale puts older's events and records (the lot as it was, complete as of
// that record) in r in place of its own, keeping r's newer state: what a
// node hiding the lot's latest events would serve.
func stale(r, older *receipt.Receipt) {
	r.Events = nil
	for _, e := range older.Events {
		e.Window = windowIn(r, older.Windows[e.Window])
		r.Events = append(r.Events, e)
	}
	r.Records = nil
	for _, x := range older.Records {
		x.Window = windowIn(r, older.Windows[x.Window])
		r.Records = append(r.Records, x)
	}
	r.Claims = slices.Clone(older.Claims)
}
