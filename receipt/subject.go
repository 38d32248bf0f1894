package receipt

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// ErrSubject is returned when a receipt's parts are not bound to its
// subject: the subject is missing or malformed, a unit's commissioning is
// not proven, or an event, record or claim is about another lot.
var ErrSubject = errors.New("receipt: not bound to the subject")

// subjectOf is the lot a receipt is about, and the unit when the subject is
// a serialised unit.
func subjectOf(s Subject) (lot digitallink.Link, unit *digitallink.Link, err error) {
	link := s.DigitalLink
	if link == "" && len(s.Lots) > 0 {
		link = s.Lots[0]
	}
	if link == "" {
		return lot, nil, fmt.Errorf("%w: the receipt names no subject", ErrSubject)
	}
	l, err := digitallink.Parse(link)
	if err != nil {
		return lot, nil, fmt.Errorf("%w: subject %q: %v", ErrSubject, link, err)
	}
	switch l.Level() {
	case digitallink.Lot:
	case digitallink.Unit:
		if l.Lot == "" {
			return lot, nil, fmt.Errorf("%w: unit subject %s names no lot", ErrSubject, link)
		}
		u := l
		unit = &u
	default:
		return lot, nil, fmt.Errorf("%w: subject %s is not a lot or a unit", ErrSubject, link)
	}
	lot = digitallink.Link{GTIN: l.GTIN, Lot: l.Lot}
	for _, x := range s.Lots {
		xl, err := digitallink.Parse(x)
		if err != nil || xl.GTIN != lot.GTIN || xl.Lot != lot.Lot || xl.Serial != "" {
			return lot, nil, fmt.Errorf("%w: subject lots list %s, the subject is lot %s", ErrSubject, x, lot)
		}
	}
	return lot, unit, nil
}

// eventNames are the identifiers an EPCIS event names (its EPCs, parent,
// classes of its quantities), and the lots it aggregates into a parent.
type eventNames struct {
	id       string
	all      []string
	parent   string
	children []string // childEPCs and childQuantityList classes
	bizStep  string
	action   string
	epcs     []string
}

type class struct {
	Class string `json:"epcClass"`
}

func namesOf(raw json.RawMessage) eventNames {
	var f struct {
		EventID  string   `json:"eventID"`
		ParentID string   `json:"parentID"`
		EPCs     []string `json:"epcList"`
		Children []string `json:"childEPCs"`
		Inputs   []string `json:"inputEPCList"`
		Outputs  []string `json:"outputEPCList"`
		Action   string   `json:"action"`
		BizStep  string   `json:"bizStep"`
		Q        []class  `json:"quantityList"`
		CQ       []class  `json:"childQuantityList"`
		IQ       []class  `json:"inputQuantityList"`
		OQ       []class  `json:"outputQuantityList"`
	}
	_ = json.Unmarshal(raw, &f) // an event that does not decode names nothing
	n := eventNames{id: f.EventID, parent: f.ParentID, bizStep: f.BizStep, action: f.Action, epcs: f.EPCs}
	n.children = slices.Clone(f.Children)
	for _, c := range f.CQ {
		n.children = append(n.children, c.Class)
	}
	n.all = append([]string{f.ParentID}, slices.Concat(f.EPCs, f.Children, f.Inputs, f.Outputs)...)
	for _, c := range slices.Concat(f.Q, f.CQ, f.IQ, f.OQ) {
		n.all = append(n.all, c.Class)
	}
	return n
}

// lotKey is "GTIN/lot" of a Digital Link naming a lot or a unit of it; ""
// for anything else.
func lotKey(s string) string {
	l, err := digitallink.Parse(s)
	if err != nil || l.GTIN == "" || l.Lot == "" {
		return ""
	}
	return l.GTIN + "/" + l.Lot
}

// namesAny reports whether n names one of lots (by lotKey) or one of
// containers (logistic units the lots were packed in).
func (n eventNames) namesAny(lots, containers map[string]bool) bool {
	for _, s := range n.all {
		if s == "" {
			continue
		}
		if lots[lotKey(s)] || containers[s] {
			return true
		}
	}
	return false
}

// verifySubject binds the receipt's proven parts to its subject (item 1 of
// the receipt's guarantees, see the package doc):
//   - a unit subject's commissioning event (naming that serial) is among
//     the proven events;
//   - every event not marked upstream names the subject lot, a unit of it,
//     or a logistic unit a proven event packed the lot into;
//   - every upstream event names a lot reachable from the subject lot's
//     proven record through the proven lot records' inputs (or a logistic
//     unit such a lot was packed into);
//   - every lot record is of the subject lot or one reachable so; every
//     product record is of one of those lots' products;
//   - every claim is about the subject lot.
//
// Parts that failed their own checks are not evidence and are skipped: they
// are already reported.
func verifySubject(r *Receipt, rep *Report, records []any) []*PartError {
	var fs []*PartError
	fail := func(err error) { fs = append(fs, &PartError{Part: PartSubject, Anchor: -1, Err: err}) }
	lot, unit, err := subjectOf(r.Subject)
	if err != nil {
		fail(err)
		return fs
	}
	subjectKey := lot.GTIN + "/" + lot.Lot
	subjectID := lot.String()

	// Lots reachable from the subject through proven lot records' inputs.
	lotRecs := map[string]*ledger.LotSummary{}
	for i := range r.Records {
		if i < len(rep.Records) && rep.Records[i].OK() {
			if l, ok := records[i].(*ledger.LotSummary); ok {
				lotRecs[l.GTIN+"/"+l.Lot] = l
			}
		}
	}
	upstream := map[string]bool{}
	if _, ok := lotRecs[subjectKey]; ok {
		queue := []string{subjectKey}
		for len(queue) > 0 {
			cur := lotRecs[queue[0]]
			queue = queue[1:]
			if cur == nil {
				continue
			}
			for _, in := range cur.Inputs {
				k := lotKey(in.Lot)
				if k != "" && k != subjectKey && !upstream[k] {
					upstream[k] = true
					queue = append(queue, k)
				}
			}
		}
	}
	own := map[string]bool{subjectKey: true}

	var proven []eventNames
	var ups []bool
	for i, e := range r.Events {
		if i < len(rep.Verdicts) && rep.Verdicts[i].OK() {
			if e.Service {
				if !serviceOf(e.Event, subjectKey) {
					fail(fmt.Errorf("%w: service event %s is not a service event of the product of lot %s", ErrSubject, e.EventID, subjectID))
				}
				continue // of the product, no lot: none of the checks below
			}
			proven = append(proven, namesOf(e.Event))
			ups = append(ups, e.Upstream)
		}
	}
	// Logistic units the lots were packed into, by proven events.
	ownC, upC := containersOf(proven, own), containersOf(proven, upstream)

	if unit != nil {
		found := false
		for i, n := range proven {
			if ups[i] || n.action != "ADD" || !isCommissioning(n.bizStep) {
				continue
			}
			for _, epc := range n.epcs {
				if l, err := digitallink.Parse(epc); err == nil && l.GTIN == unit.GTIN && l.Serial == unit.Serial && l.Lot == unit.Lot {
					found = true
				}
			}
		}
		if !found {
			fail(fmt.Errorf("%w: no proven commissioning event names unit %s", ErrSubject, unit))
		}
	}
	for i, n := range proven {
		switch {
		case !ups[i] && !n.namesAny(own, ownC):
			fail(fmt.Errorf("%w: event %s names neither the subject lot %s nor a unit or logistic unit of it", ErrSubject, n.id, subjectID))
		case ups[i] && len(upstream) == 0:
			fail(fmt.Errorf("%w: upstream event %s: the receipt proves no record of lot %s whose inputs it could belong to", ErrSubject, n.id, subjectID))
		case ups[i] && !n.namesAny(upstream, upC):
			fail(fmt.Errorf("%w: upstream event %s names no lot that lot %s was made from", ErrSubject, n.id, subjectID))
		}
	}
	products := map[string]bool{}
	for k, l := range lotRecs {
		if k != subjectKey && !upstream[k] {
			fail(fmt.Errorf("%w: lot record %s is neither the subject lot %s nor a lot it was made from", ErrSubject, l.ID, subjectID))
			continue
		}
		products[l.GTIN] = true
	}
	for i := range r.Records {
		if i < len(rep.Records) && rep.Records[i].OK() {
			if p, ok := records[i].(*ledger.Product); ok && !products[p.GTIN] && p.GTIN != lot.GTIN {
				fail(fmt.Errorf("%w: product record %s is not the product of the subject lot or of a lot it was made from", ErrSubject, p.ID))
			}
		}
	}
	for _, c := range r.Claims {
		if lotKey(c.Lot) != subjectKey {
			fail(fmt.Errorf("%w: claim %s is about lot %s, the subject is lot %s", ErrSubject, c.Claim, c.Lot, subjectID))
		}
	}
	return fs
}

// isCommissioning accepts the CBV commissioning step in its bare, URN and
// web URI forms.
func isCommissioning(bizStep string) bool {
	switch bizStep {
	case "commissioning", "urn:epcglobal:cbv:bizstep:commissioning", "https://ref.gs1.org/cbv/BizStep-commissioning", "cbv:BizStep-commissioning":
		return true
	}
	return false
}
