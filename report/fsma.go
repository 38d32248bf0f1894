package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

// CTE is one Critical Tracking Event of one lot with its Key Data
// Elements: the values found (Values) and, for every KDE its section
// requires and the records do not hold, a Gap.
type CTE struct {
	Type CTEType `json:"type"`
	// Lot is the lot's Digital Link; GTIN its product.
	Lot  string `json:"lot"`
	GTIN string `json:"gtin"`
	// FTL is the product's Food Traceability List food (a key of
	// ledger.FTLFoods), empty when it is not on the list.
	FTL string `json:"foodTraceabilityList,omitempty"`
	// Member is the organisation (MSP id) that recorded the event; From and
	// To the parties of a shipment.
	Member    string         `json:"member"`
	From      string         `json:"from,omitempty"`
	To        string         `json:"to,omitempty"`
	EventID   string         `json:"eventId"`
	EventTime string         `json:"eventTime"`
	Values    map[KDE]string `json:"kdes"`
	Gaps      []Gap          `json:"gaps,omitempty"`
	shipment  string         // the shipment of a shipping or receiving event
	lot       *ledger.LotSummary
}

// Gap is a KDE a CTE's section requires that the records do not hold.
type Gap struct {
	KDE    KDE    `json:"kde"`
	Name   string `json:"name"`
	CFR    string `json:"cfr"`
	Reason string `json:"reason"`
}

func (g Gap) String() string { return fmt.Sprintf("%s (%s): %s", g.Name, g.CFR, g.Reason) }

// TLC is a lot's traceability lot code: its GS1 element string,
// (01)GTIN(10)lot, which names the lot worldwide as the rule wants.
func TLC(gtin, lot string) string { return "(01)" + gtin + "(10)" + lot }

// tlcOf is the TLC of a lot Digital Link, or the link itself.
func tlcOf(link string) string {
	l, err := digitallink.Parse(link)
	if err != nil || l.GTIN == "" || l.Lot == "" {
		return link
	}
	return TLC(l.GTIN, l.Lot)
}

// lotOf is the lot Digital Link of an identifier naming a lot or one of
// its units; empty for anything else (SSCCs, products).
func lotOf(id string) string {
	l, err := digitallink.Parse(id)
	if err != nil || l.GTIN == "" || l.Lot == "" {
		return ""
	}
	return l.LotLink().String()
}

// isUnitOf reports whether a canonical identifier is a serialised unit of
// a lot (a prefix test: parsing every EPC of a large commissioning event
// cost most of a recall scope's time).
func isUnitOf(id, lot string) bool {
	return len(id) > len(lot)+4 && id[len(lot):len(lot)+4] == "/21/" && strings.HasPrefix(id, lot)
}

// canon is digitallink.Canonical, without parsing the links the chaincode
// writes (already canonical: https://id.gs1.org/…, no query).
func canon(id string) string {
	const p = digitallink.CanonicalBase + "/01/"
	if n := len(p) + 14; strings.HasPrefix(id, p) && (len(id) == n || len(id) > n && id[n] == '/') && !strings.ContainsAny(id, "?#%") {
		return id
	}
	return digitallink.Canonical(id)
}

// set is what CTEs reads: every lot of the traces once, with its events
// decoded, and what the traces tell of products and places.
type set struct {
	lots     []*lotData
	byLink   map[string]*lotData
	products map[string]*ledger.Product // by GTIN
	summary  map[string]ledger.LotSummary
	// shipments by the id of their ship and receive events: events
	// recorded before tl:from and tl:to existed name neither party.
	shipments map[string]*ledger.Shipment
	places    map[string]string // location id → description
}

type lotData struct {
	tr     *nodeapi.Trace
	events []*epcis.Event
}

func newSet(traces []nodeapi.Trace) (*set, error) {
	s := &set{byLink: map[string]*lotData{}, products: map[string]*ledger.Product{}, summary: map[string]ledger.LotSummary{}, shipments: map[string]*ledger.Shipment{}, places: map[string]string{}}
	for i := range traces {
		tr := &traces[i]
		if tr.Lot.ID == "" {
			continue
		}
		if tr.Product != nil {
			s.products[tr.Product.GTIN] = tr.Product
		}
		if sh := tr.Shipment; sh != nil {
			for _, id := range []string{sh.ShipEvent, sh.ReceiveEvent} {
				if id != "" {
					s.shipments[id] = sh
				}
			}
		}
		for _, l := range append(append([]ledger.LotSummary{tr.Lot}, tr.Upstream.Lots...), tr.Downstream.Lots...) {
			if _, ok := s.summary[l.ID]; !ok || l.ID == tr.Lot.ID {
				s.summary[l.ID] = l
			}
			if o := l.Origin; o != nil {
				d := describePlace(o.Place)
				if o.Place.Location != "" {
					s.places[o.Place.Location] = d
				}
				if o.Producer != "" {
					if _, ok := s.places[o.Producer]; !ok {
						s.places[o.Producer] = d
					}
				}
			}
		}
		if _, dup := s.byLink[tr.Lot.ID]; dup {
			continue
		}
		d := &lotData{tr: tr}
		for _, raw := range tr.Events {
			var e epcis.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, fmt.Errorf("report: an event of lot %s: %w", tr.Lot.ID, err)
			}
			d.events = append(d.events, &e)
		}
		s.lots = append(s.lots, d)
		s.byLink[tr.Lot.ID] = d
	}
	return s, nil
}

// describePlace is a location description: the location's id and its
// postal address.
func describePlace(p ledger.Place) string {
	var parts []string
	if p.Location != "" {
		parts = append(parts, p.Location)
	}
	if a := p.Address; a != nil {
		parts = append(parts, formatAddress(*a))
	}
	return strings.Join(parts, ", ")
}

func formatAddress(a ledger.Address) string {
	city := strings.TrimSpace(a.PostalCode + " " + a.City)
	var parts []string
	for _, s := range []string{a.Street, city, a.Region, a.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// place describes a location id: with its address when a lot's origin
// gives it.
func (s *set) place(id string) string {
	if d, ok := s.places[id]; ok && d != id {
		if strings.HasPrefix(d, id) {
			return d
		}
		return id + ", " + d
	}
	return id
}

// CTEs returns the Critical Tracking Events of the traces' lots: one per
// CTE per lot (each lot once, however many traces name it), in event time
// order, then by lot and CTE.
func CTEs(traces []nodeapi.Trace) ([]CTE, error) {
	s, err := newSet(traces)
	if err != nil {
		return nil, err
	}
	return s.ctes(), nil
}

func (s *set) ctes() []CTE {
	var out []CTE
	for _, d := range s.lots {
		for _, e := range d.events {
			t, ok := classify(e, d.tr.Lot.ID)
			if !ok {
				continue
			}
			out = append(out, s.cte(d, e, t))
		}
	}
	slices.SortStableFunc(out, func(a, b CTE) int {
		if c := strings.Compare(a.EventTime, b.EventTime); c != 0 {
			return c
		}
		if c := strings.Compare(a.Lot, b.Lot); c != 0 {
			return c
		}
		return slices.Index(CTETypes, a.Type) - slices.Index(CTETypes, b.Type)
	})
	return out
}

// bizStep is a bizStep's bare CBV name.
func bizStep(s string) string { return strings.TrimPrefix(s, "https://ref.gs1.org/cbv/BizStep-") }

// ilmdString is an ILMD member's string value.
func ilmdString(e *epcis.Event, name string) string {
	var v string
	if raw, ok := e.ILMD[name]; ok {
		_ = json.Unmarshal(raw, &v)
	}
	return v
}

// ILMD values of tl:cte, for the CTEs no CBV business step names.
var cteNames = map[string]CTEType{
	"harvesting": Harvesting, "cooling": Cooling, "initial-packing": InitialPacking,
	"first-land-based-receiving": FirstLandBasedReceiving,
}

func quantityOfClass(l []epcis.QuantityElement, lot string) (epcis.QuantityElement, bool) {
	for _, q := range l {
		if digitallink.Canonical(q.EPCClass) == lot {
			return q, true
		}
	}
	return epcis.QuantityElement{}, false
}

// classify is the CTE event e is for lot, if any.
func classify(e *epcis.Event, lot string) (CTEType, bool) {
	_, made := quantityOfClass(e.QuantityList, lot)
	if e.Type == epcis.TransformationEvent {
		_, out := quantityOfClass(e.OutputQuantityList, lot)
		return Transformation, out
	}
	if t, ok := cteNames[ilmdString(e, "tl:cte")]; ok {
		return t, made
	}
	switch bizStep(e.BizStep) {
	case "commissioning":
		// A lot's own commissioning (Batch:CreateBatch): units are
		// commissioned by EPC, lots made by transformation in a
		// TransformationEvent.
		return Harvesting, made && e.Action == epcis.ActionAdd && e.Type == epcis.ObjectEvent
	case "packing":
		return InitialPacking, made && e.Type == epcis.ObjectEvent
	case "shipping":
		return Shipping, e.Type == epcis.ObjectEvent || e.Type == epcis.TransactionEvent
	case "receiving":
		return Receiving, e.Type == epcis.ObjectEvent || e.Type == epcis.TransactionEvent
	}
	return "", false
}

// cte derives the KDEs of event e as CTE t of lot d.
func (s *set) cte(d *lotData, e *epcis.Event, t CTEType) CTE {
	lot := &d.tr.Lot
	c := CTE{Type: t, Lot: lot.ID, GTIN: lot.GTIN, EventID: e.EventID, EventTime: e.EventTime,
		From: e.From, To: e.To, Values: map[KDE]string{}, lot: lot}
	c.shipment = e.Shipment
	if sh := s.shipments[e.EventID]; sh != nil {
		if c.From == "" {
			c.From, c.To = sh.From, sh.To
		}
		c.shipment = sh.ID
	}
	if p := s.products[lot.GTIN]; p != nil {
		c.FTL = p.FoodTraceabilityList
	}
	switch t {
	case Shipping:
		c.Member = c.From
	case Receiving:
		c.Member = c.To
	default:
		c.Member = lot.CreatedBy
	}
	for _, r := range t.Rules() {
		v, reason := s.value(d, e, t, r.KDE)
		if v != "" {
			c.Values[r.KDE] = v
		} else {
			c.Gaps = append(c.Gaps, Gap{KDE: r.KDE, Name: r.Name, CFR: r.CFR, Reason: reason})
		}
	}
	return c
}

// value is KDE k of event e as CTE t of lot d, or why it is missing.
func (s *set) value(d *lotData, e *epcis.Event, t CTEType, k KDE) (string, string) {
	lot := &d.tr.Lot
	switch k {
	case KDETLC:
		return TLC(lot.GTIN, lot.Lot), ""
	case KDETLCSource:
		return s.tlcSource(d)
	case KDEProduct:
		if v := s.productDescription(lot.GTIN, lot.Product); v != "" {
			return v, ""
		}
		return "", "the node has no product record for GTIN " + lot.GTIN
	case KDEQuantity:
		if q, ok := quantityIn(e, lot.ID, d.events); ok {
			return q, ""
		}
		return "", "the event gives no quantity of the lot"
	case KDEInputs:
		var parts []string
		for _, q := range e.InputQuantityList {
			link := digitallink.Canonical(q.EPCClass)
			desc := tlcOf(link)
			if g, err := digitallink.Parse(link); err == nil {
				if p := s.productDescription(g.GTIN, s.summary[link].Product); p != "" {
					desc += " " + p
				}
			}
			if v := formatQuantity(q); v != "" {
				desc += ", " + v
			}
			parts = append(parts, desc)
		}
		if len(parts) == 0 {
			return "", "the transformation event lists no input quantities"
		}
		return strings.Join(parts, "; "), ""
	case KDEHarvestFarm:
		if o := lot.Origin; o != nil {
			if v := describePlace(o.Place); v != "" {
				return v, ""
			}
			return s.place(o.Producer), ""
		}
		return "", "the lot has no origin (it was not created as a harvested batch)"
	case KDECoolingPlace:
		if t == Cooling {
			if v := location(e); v != "" {
				return s.place(v), ""
			}
			return "", "the cooling event names no bizLocation or readPoint"
		}
		for _, o := range d.events {
			if ct, ok := classify(o, lot.ID); ok && ct == Cooling {
				if v := location(o); v != "" {
					return s.place(v), ""
				}
			}
		}
		return "", "no cooling event with a location is recorded for the lot"
	case KDERecipient:
		ship := e
		if t != Shipping {
			ship = nextShipping(d.events, e, lot.ID)
			if ship == nil {
				return "", "the lot has not been shipped"
			}
		}
		if v := destination(ship); v != "" {
			return s.place(v), ""
		}
		if sh := s.shipments[ship.EventID]; sh != nil && sh.Destination != "" {
			return s.place(sh.Destination), ""
		}
		return "", "the shipping event names no destinationList location"
	case KDEShippedFrom:
		if v := source(e); v != "" {
			return s.place(v), ""
		}
		return "", "the shipping event names no sourceList location, bizLocation or readPoint"
	case KDEReceivedAt:
		if v := location(e); v != "" {
			return s.place(v), ""
		}
		if v := destination(e); v != "" {
			return s.place(v), ""
		}
		if sh := s.shipments[e.EventID]; sh != nil && sh.Destination != "" {
			return s.place(sh.Destination), ""
		}
		return "", "the receiving event names no bizLocation, readPoint or destinationList location"
	case KDEPreviousSource:
		for _, src := range e.SourceList {
			if src.Type == "location" || strings.HasSuffix(src.Type, "SDT-location") {
				return s.place(src.Source), ""
			}
		}
		if ship := shippingOf(d.events, e); ship != nil {
			if v := source(ship); v != "" {
				return s.place(v), ""
			}
		}
		return "", "neither the receiving event nor its shipping event names the location shipped from"
	case KDEDate:
		if t == Harvesting {
			if v := ilmdString(e, "tl:producedAt"); len(v) >= 10 {
				return v[:10], ""
			}
		}
		if v := localDate(e); v != "" {
			return v, ""
		}
		return "", "the event has no eventTime"
	case KDERefDocType, KDERefDocNumber:
		var parts []string
		for _, bt := range e.BizTransactionList {
			if k == KDERefDocType {
				parts = append(parts, docType(bt.Type))
			} else {
				parts = append(parts, bt.BizTransaction)
			}
		}
		if len(parts) == 0 {
			return "", "the event lists no bizTransaction"
		}
		return strings.Join(parts, "; "), ""
	}
	return "", "not recorded"
}

// tlcSource describes where the lot's code was assigned: the origin of a
// batch, the location of the transformation that made the lot.
func (s *set) tlcSource(d *lotData) (string, string) {
	lot := &d.tr.Lot
	if o := lot.Origin; o != nil {
		if v := describePlace(o.Place); v != "" {
			if o.Producer != "" && o.Producer != o.Place.Location {
				v = o.Producer + ", " + v
			}
			return v, ""
		}
		if o.Producer != "" {
			return s.place(o.Producer), ""
		}
	}
	for _, e := range d.events {
		if e.Type != epcis.TransformationEvent {
			continue
		}
		if _, out := quantityOfClass(e.OutputQuantityList, lot.ID); out {
			if v := location(e); v != "" {
				return s.place(v), ""
			}
			return "", "the transformation that made the lot names no bizLocation or readPoint"
		}
	}
	if len(lot.Inputs) > 0 {
		return "", "the transformation that made the lot is not among its events"
	}
	return "", "the lot has no origin place and was not made by a transformation"
}

func (s *set) productDescription(gtin, fallback string) string {
	p := s.products[gtin]
	if p == nil {
		return fallback
	}
	var parts []string
	for _, v := range []string{p.Name, p.Brand, p.Category} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}

// location is an event's bizLocation, else its readPoint.
func location(e *epcis.Event) string {
	if e.BizLocation != nil && e.BizLocation.ID != "" {
		return e.BizLocation.ID
	}
	if e.ReadPoint != nil {
		return e.ReadPoint.ID
	}
	return ""
}

func isLocation(typ string) bool { return typ == "location" || strings.HasSuffix(typ, "SDT-location") }

// destination is an event's destinationList location.
func destination(e *epcis.Event) string {
	for _, d := range e.DestinationList {
		if isLocation(d.Type) {
			return d.Destination
		}
	}
	return ""
}

// source is where a shipping event's goods left from: its sourceList
// location, else its bizLocation or readPoint.
func source(e *epcis.Event) string {
	for _, s := range e.SourceList {
		if isLocation(s.Type) {
			return s.Source
		}
	}
	return location(e)
}

// nextShipping is the lot's first shipping event after e.
func nextShipping(events []*epcis.Event, e *epcis.Event, lot string) *epcis.Event {
	for _, o := range events {
		if o.EventTime >= e.EventTime && o != e {
			if t, ok := classify(o, lot); ok && t == Shipping {
				return o
			}
		}
	}
	return nil
}

// shippingOf is the shipping event of a receiving event's shipment.
func shippingOf(events []*epcis.Event, recv *epcis.Event) *epcis.Event {
	if recv.Shipment == "" {
		return nil
	}
	for _, o := range events {
		if o.Shipment == recv.Shipment && bizStep(o.BizStep) == "shipping" {
			return o
		}
	}
	return nil
}

// quantityIn is the quantity of lot that event e concerns: a quantity
// element of the lot; the number of the lot's units it names; or, for a
// logistic unit, the lot's quantity packed into it.
func quantityIn(e *epcis.Event, lot string, events []*epcis.Event) (string, bool) {
	for _, l := range [][]epcis.QuantityElement{e.QuantityList, e.OutputQuantityList, e.ChildQuantityList, e.InputQuantityList} {
		if q, ok := quantityOfClass(l, lot); ok && q.Quantity != nil {
			return formatQuantity(q), true
		}
	}
	units, parents := 0, map[string]bool{}
	for _, l := range [][]string{e.EPCList, e.ChildEPCs, e.InputEPCList, e.OutputEPCList} {
		for _, id := range l {
			if id = canon(id); isUnitOf(id, lot) {
				units++
			} else {
				parents[id] = true
			}
		}
	}
	if units > 0 {
		return fmt.Sprintf("%d H87", units), true
	}
	for _, o := range events {
		if o.Type == epcis.AggregationEvent && o.Action == epcis.ActionAdd && parents[digitallink.Canonical(o.ParentID)] {
			if q, ok := quantityOfClass(o.ChildQuantityList, lot); ok && q.Quantity != nil {
				return formatQuantity(q), true
			}
		}
	}
	return "", false
}

func formatQuantity(q epcis.QuantityElement) string {
	if q.Quantity == nil {
		return ""
	}
	v := fmt.Sprintf("%g", *q.Quantity)
	if q.UOM != "" {
		v += " " + q.UOM
	}
	return v
}

// localDate is the date of an event's time in its own time zone.
func localDate(e *epcis.Event) string {
	t, err := time.Parse(time.RFC3339Nano, e.EventTime)
	if err != nil {
		if len(e.EventTime) >= 10 {
			return e.EventTime[:10]
		}
		return ""
	}
	if off, err := time.Parse("-07:00", e.EventTimeZoneOffset); err == nil {
		_, secs := off.Zone()
		t = t.In(time.FixedZone(e.EventTimeZoneOffset, secs))
	}
	return t.Format(time.DateOnly)
}

// docTypes name the CBV business transaction types as documents.
var docTypes = map[string]string{
	"bol": "Bill of lading", "cert": "Certificate", "desadv": "Despatch advice", "inv": "Invoice",
	"pedigree": "Pedigree", "po": "Purchase order", "poc": "Purchase order confirmation",
	"prodorder": "Production order", "recadv": "Receiving advice", "rma": "Return merchandise authorisation",
	"testprd": "Test product", "testres": "Test result", "upevt": "Upstream EPCIS event",
}

func docType(t string) string {
	t = strings.TrimPrefix(t, "https://ref.gs1.org/cbv/BTT-")
	if n, ok := docTypes[t]; ok {
		return n
	}
	if t == "" {
		return "Business transaction"
	}
	return t
}
