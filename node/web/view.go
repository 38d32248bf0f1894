package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// Source is what a page reads besides the trace; *index.Index is one.
type Source interface {
	LabSigner(address string) (ledger.LabSigner, error)
	Recall(gtin, lot string) (ledger.Recall, error)
	EventsOfLot(gtin, lot string) ([]json.RawMessage, error)
}

// Links are the page's links to the machine-readable forms of itself.
type Links struct {
	JSON, Linkset, Events, QR string
}

// Page is the view of a product, lot or unit that the template renders.
type Page struct {
	Title   string
	Product *ledger.Product
	Lot     *ledger.LotSummary
	Unit    *ledger.Unit
	Recalls []RecallView
	Origins []OriginView
	// Reports are the lab reports on the lot and on the lots it was made from.
	Reports         []Report
	Timeline        []Step
	Chart           *Chart
	Breaches        int
	Inputs, Outputs []LotRef
	EventCount      int
	Links           Links
	Claims          []ClaimView  // the brand's claims and their verdicts (claims.go)
	Anchors         []AnchorView // the events' anchors on Ethereum (anchors.go)
	Expiry          *ExpiryView  // days to the lot's expiry (expiry.html)
}

// ExpiryView is how far a lot is from its expiry when the page is served.
type ExpiryView struct {
	// Days are the whole days left: 0 expires within a day, negative has
	// expired.
	Days int
}

// RecallView is a recall that applies to the page's lot.
type RecallView struct {
	ledger.Recall
	At Time
	// Via is the upstream lot recalled, when it is not the page's own lot.
	Via *LotRef
}

// OriginView is where a lot (the page's or an ingredient) was produced.
type OriginView struct {
	ledger.Origin
	Lot        *LotRef // set for an ingredient's origin
	ProducedAt Time
	Producer   string
	Place      string
	Map        string // a link to the position on OpenStreetMap
}

// Report is a lab report recorded on the ledger.
type Report struct {
	ID, Method, Standard, Verdict string
	Sampled, Issued               Time
	Lot                           *LotRef // set for an ingredient's report
	Signer                        string
	Lab                           ledger.LabSigner
	Document                      string
	DocumentSHA256                string
	Analytes                      []Analyte
}

// Analyte is one measured value of a report.
type Analyte struct {
	Name, Value, Unit, Limit string
	Pass                     bool
}

// Step is one event of the custody timeline.
type Step struct {
	Kind    string // CSS class: made, ship, receive, readings, inspect, transform, recall, pack
	Title   string
	Detail  string
	At      Time
	Place   string
	Breach  bool
	Reading []Reading
}

// Reading is a cold-chain measurement.
type Reading struct {
	At           Time
	Device       string
	TemperatureC float64
	Breach       bool
}

// LotRef names a lot and links to its page on this node.
type LotRef struct {
	Label, Href, Quantity string
}

// Time is a ledger or EPCIS time shown in UTC.
type Time struct {
	t time.Time
}

// IsZero reports a missing or unparsable time.
func (t Time) IsZero() bool { return t.t.IsZero() }

// ISO is the machine-readable form for <time datetime>.
func (t Time) ISO() string { return t.t.UTC().Format(time.RFC3339) }

// String shows the time in UTC, with the zone named so that nobody reads it
// as local time.
func (t Time) String() string {
	if t.t.IsZero() {
		return "unknown time"
	}
	return t.t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// Date shows the day only.
func (t Time) Date() string {
	if t.t.IsZero() {
		return "unknown date"
	}
	return t.t.UTC().Format("2 Jan 2006")
}

func parseTime(s string) Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Time{}
	}
	return Time{t}
}

// TracePage builds the page of a lot or unit trace.
func TracePage(src Source, tr index.Trace, links Links) (*Page, error) {
	lot := tr.Lot
	p := &Page{Product: tr.Product, Lot: &lot, Unit: tr.Unit, Links: links, EventCount: len(tr.Events)}
	p.Title = lotLabel(lot.ID)
	if p.Product != nil {
		p.Title = p.Product.Name + " · lot " + lot.Lot
	}
	if tr.Recall != nil {
		p.Recalls = append(p.Recalls, RecallView{Recall: *tr.Recall, At: parseTime(tr.Recall.RecalledAt)})
	}
	for _, via := range lot.RecalledVia {
		l, err := digitallink.Parse(via)
		if err != nil || via == lot.ID {
			continue
		}
		r, err := src.Recall(l.GTIN, l.Lot)
		if err != nil {
			return nil, fmt.Errorf("web: recall of %s: %w", via, err)
		}
		ref := lotRef(via, ledger.Quantity{})
		p.Recalls = append(p.Recalls, RecallView{Recall: r, At: parseTime(r.RecalledAt), Via: &ref})
	}

	if lot.Origin != nil {
		p.Origins = append(p.Origins, originView(*lot.Origin, lot.ProducedAt, nil))
	}
	for _, up := range tr.Upstream.Lots {
		if up.Origin != nil {
			ref := lotRef(up.ID, ledger.Quantity{})
			p.Origins = append(p.Origins, originView(*up.Origin, up.ProducedAt, &ref))
		}
	}

	var tmin, tmax *float64
	if p.Product != nil {
		tmin, tmax = &p.Product.TempMinC, &p.Product.TempMaxC
	}
	var readings []Reading
	for _, raw := range tr.Events {
		var ev epcis.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("web: EPCIS event of %s: %w", lot.ID, err)
		}
		if ev.Inspection != nil {
			r, err := report(src, &ev, nil)
			if err != nil {
				return nil, err
			}
			p.Reports = append(p.Reports, r)
		}
		st := step(&ev, lot.ID, tmin, tmax)
		if ev.Inspection != nil {
			st.Title = "Inspected by " + p.Reports[len(p.Reports)-1].Lab.Name
		}
		readings = append(readings, st.Reading...)
		for _, r := range st.Reading {
			if r.Breach {
				p.Breaches++
			}
		}
		p.Timeline = append(p.Timeline, st)
	}
	// Ingredients' lab reports matter to the consumer as much as the lot's own.
	for _, up := range tr.Upstream.Lots {
		evs, err := src.EventsOfLot(up.GTIN, up.Lot)
		if err != nil {
			return nil, fmt.Errorf("web: events of %s: %w", up.ID, err)
		}
		for _, raw := range evs {
			var ev epcis.Event
			if json.Unmarshal(raw, &ev) != nil || ev.Inspection == nil {
				continue
			}
			ref := lotRef(up.ID, ledger.Quantity{})
			r, err := report(src, &ev, &ref)
			if err != nil {
				return nil, err
			}
			p.Reports = append(p.Reports, r)
		}
	}
	if len(readings) > 0 {
		slices.SortStableFunc(readings, func(a, b Reading) int { return a.At.t.Compare(b.At.t) })
		p.Chart = newChart(readings, tmin, tmax)
	}
	for _, in := range lot.Inputs {
		p.Inputs = append(p.Inputs, lotRef(in.Lot, in.Quantity))
	}
	for _, out := range lot.Outputs {
		p.Outputs = append(p.Outputs, lotRef(out, ledger.Quantity{}))
	}
	return p, nil
}

// ProductPage builds the page of a product without a lot.
func ProductPage(prod ledger.Product, links Links) *Page {
	return &Page{Title: prod.Name, Product: &prod, Links: links}
}

func originView(o ledger.Origin, producedAt string, lot *LotRef) OriginView {
	v := OriginView{Origin: o, Lot: lot, ProducedAt: parseTime(producedAt), Producer: placeLabel(o.Producer)}
	var parts []string
	if a := o.Place.Address; a != nil {
		for _, s := range []string{a.Street, strings.TrimSpace(a.PostalCode + " " + a.City), a.Region, a.Country} {
			if s != "" {
				parts = append(parts, s)
			}
		}
	}
	if o.Place.Location != "" && len(parts) == 0 {
		parts = append(parts, placeLabel(o.Place.Location))
	}
	v.Place = strings.Join(parts, ", ")
	if g := o.Place.Geo; g != nil {
		lat, lon := strconv.FormatFloat(g.Latitude, 'f', 5, 64), strconv.FormatFloat(g.Longitude, 'f', 5, 64)
		v.Map = "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=13/" + lat + "/" + lon
	}
	return v
}

func report(src Source, ev *epcis.Event, lot *LotRef) (Report, error) {
	in := ev.Inspection
	r := Report{
		ID: in.ReportID, Method: in.Method, Standard: in.Standard, Verdict: in.Verdict,
		Sampled: parseTime(in.SampledAt), Issued: parseTime(in.IssuedAt), Lot: lot,
		Signer: in.Signer, Document: strings.Join(ev.CertificationInfo, " "), DocumentSHA256: in.DocumentSHA256,
	}
	// The chaincode accepted the report only if its EIP-712 signature
	// recovered to a registered signer, so the signer is on the ledger.
	s, err := src.LabSigner(in.Signer)
	if err != nil {
		return r, fmt.Errorf("web: signer of report %s: %w", in.ReportID, err)
	}
	r.Lab = s
	for _, a := range in.Analytes {
		r.Analytes = append(r.Analytes, Analyte{Name: a.Name, Value: a.Value, Unit: a.Unit, Limit: a.Limit, Pass: a.Pass})
	}
	return r, nil
}

func step(ev *epcis.Event, self string, tmin, tmax *float64) Step {
	st := Step{At: parseTime(ev.EventTime)}
	if ev.BizLocation != nil {
		st.Place = placeLabel(ev.BizLocation.ID)
	} else if ev.ReadPoint != nil {
		st.Place = placeLabel(ev.ReadPoint.ID)
	}
	switch {
	case ev.Type == "TransformationEvent":
		st.Kind = "transform"
		made := slices.ContainsFunc(ev.OutputQuantityList, func(q epcis.QuantityElement) bool { return q.EPCClass == self })
		if made {
			st.Title = "Made from " + classList(ev.InputQuantityList)
		} else {
			st.Title = "Used to make " + classList(ev.OutputQuantityList)
		}
	case ev.Recall != nil:
		st.Kind, st.Title = "recall", "Recalled (class "+ev.Recall.Class+")"
		st.Detail = ev.Recall.Reason
	case ev.Inspection != nil:
		st.Kind, st.Title = "inspect", "Inspected by "+ev.Inspection.Lab
		st.Detail = "Report " + ev.Inspection.ReportID + ": " + ev.Inspection.Verdict
	case ev.BizStep == "commissioning":
		st.Kind, st.Title = "made", "Produced"
	case ev.BizStep == "shipping":
		st.Kind, st.Title = "ship", "Shipped by "+org(ev.From)+" to "+org(ev.To)
		if len(ev.DestinationList) > 0 {
			st.Place = "to " + placeLabel(ev.DestinationList[0].Destination)
		}
	case ev.BizStep == "receiving":
		st.Kind, st.Title = "receive", "Received by "+org(ev.To)
	case ev.BizStep == "sensor_reporting":
		st.Kind, st.Title = "readings", "Cold-chain readings"
	case ev.BizStep == "packing":
		st.Kind, st.Title = "pack", "Packed into "+placeLabel(ev.ParentID)
	case ev.BizStep == "unpacking":
		st.Kind, st.Title = "pack", "Unpacked from "+placeLabel(ev.ParentID)
	default:
		st.Kind, st.Title = "other", strings.ReplaceAll(cmp.Or(ev.BizStep, ev.Type), "_", " ")
	}
	for _, se := range ev.SensorElementList {
		var meta epcis.SensorMetadata
		if se.SensorMetadata != nil {
			meta = *se.SensorMetadata
		}
		for _, rep := range se.SensorReport {
			if rep.Type != "Temperature" {
				continue
			}
			var c float64 // a report without a value reads 0
			if rep.Value != nil {
				c = *rep.Value
			}
			r := Reading{At: parseTime(meta.Time), Device: device(meta.DeviceID), TemperatureC: c}
			r.Breach = tmin != nil && (c < *tmin || c > *tmax)
			st.Breach = st.Breach || r.Breach
			st.Reading = append(st.Reading, r)
		}
	}
	return st
}

// org shows an MSP id as an organisation name.
func org(msp string) string {
	return cmp.Or(strings.TrimSuffix(msp, "MSP"), "unknown")
}

func device(id string) string {
	if s, ok := strings.CutPrefix(id, "urn:trustline:device:"); ok {
		if u, err := url.PathUnescape(s); err == nil {
			return u
		}
	}
	return id
}

// placeLabel shows a GLN, SGLN or SSCC Digital Link by its key.
func placeLabel(uri string) string {
	l, err := digitallink.Parse(uri)
	if err != nil {
		return uri
	}
	switch {
	case l.GLN != "" && l.GLNExtension != "":
		return "GLN " + l.GLN + " / " + l.GLNExtension
	case l.GLN != "":
		return "GLN " + l.GLN
	case l.SSCC != "":
		return "SSCC " + l.SSCC
	}
	return uri
}

func lotLabel(uri string) string {
	l, err := digitallink.Parse(uri)
	if err != nil || l.Lot == "" {
		return uri
	}
	return "GTIN " + l.GTIN + " · lot " + l.Lot
}

// lotRef links a lot's Digital Link to its page on this node.
func lotRef(uri string, q ledger.Quantity) LotRef {
	r := LotRef{Label: lotLabel(uri)}
	if l, err := digitallink.Parse(uri); err == nil {
		l.Query = nil
		r.Href = l.Path()
	}
	if q.Value != "" {
		r.Quantity = q.Value + " " + uomLabel(q.UOM)
	}
	return r
}

func classList(qs []epcis.QuantityElement) string {
	var out []string
	for _, q := range qs {
		out = append(out, lotLabel(q.EPCClass))
	}
	return strings.Join(out, ", ")
}

// uomLabel shows common UN/CEFACT Rec. 20 codes as people write them.
func uomLabel(uom string) string {
	switch uom {
	case "KGM":
		return "kg"
	case "LTR":
		return "L"
	case "GRM":
		return "g"
	case "H87":
		return "pieces"
	}
	return uom
}
