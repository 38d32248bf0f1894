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
	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// Source is what a page reads besides the trace; *index.Index is one.
type Source interface {
	LabSigner(address string) (ledger.LabSigner, error)
	Recall(gtin, lot string) (ledger.Recall, error)
	EventsOfLot(gtin, lot string) ([]json.RawMessage, error)
	Product(gtin string) (ledger.Product, error)
}

// Location is what location master data says of a place.
type Location struct {
	Name    string      `json:"name,omitempty"`
	Town    string      `json:"town,omitempty"`
	Country string      `json:"country,omitempty"`
	Geo     *ledger.Geo `json:"geo,omitempty"`
	// TimeZone is the place's IANA time zone ("Europe/Berlin"), if known.
	TimeZone string `json:"timeZone,omitempty"`
}

// Locations looks places up in location master data by GLN.
type Locations interface {
	Location(gln string) (Location, bool)
}

// LocationMap is location data by GLN (a node's configuration).
type LocationMap map[string]Location

// Location implements Locations.
func (m LocationMap) Location(gln string) (Location, bool) {
	l, ok := m[gln]
	return l, ok
}

// Option tunes a page.
type Option func(*options)

type options struct {
	lang      *Lang
	members   map[string]string
	locations Locations
}

// In renders the page in language l (English by default).
func In(l *Lang) Option { return func(o *options) { o.lang = l } }

// Members names organisations: MSP id → display name (from the org cards
// or the role table); an unnamed one shows as its MSP id without "MSP".
func Members(names map[string]string) Option { return func(o *options) { o.members = names } }

// WithLocations looks places up in location master data; without it, or
// for a place it lacks, the page uses what the ledger itself records (an
// origin's address and position), else the GLN.
func WithLocations(l Locations) Option { return func(o *options) { o.locations = l } }

// Links are the page's links to the machine-readable forms of itself.
type Links struct {
	JSON, Linkset, Events, QR string
}

// Page is the view of a product, lot or unit that the template renders.
type Page struct {
	// L is the page's language.
	L       *Lang
	Title   string
	Product *ledger.Product
	Lot     *ledger.LotSummary
	Unit    *ledger.Unit
	Recalls []RecallView
	Origins []OriginView
	// Reports are the lab reports on the lot and on the lots it was made from.
	Reports []Report
	// Timeline is the whole journey: the lot's events and those of the lots
	// it was made from, in time order.
	Timeline []Step
	// Map shows the origin and the stops with a known position.
	Map             *Map
	Breaches        int
	Inputs, Outputs []LotRef
	EventCount      int
	// LocalTimes is set when some time is shown in a zone other than UTC.
	LocalTimes bool
	Links      Links
	Claims     []ClaimView  // the brand's claims and their verdicts (claims.go)
	Anchors    []AnchorView // the events' anchors on Ethereum (anchors.go)
	Expiry     *ExpiryView  // days to the lot's expiry (expiry.html)
	Service    *ServiceForm // the form to write to the brand, on its node (service.go)
}

// Modified is the latest ledger time of the state the page shows (its
// product's registration, its lot's last update and recall, the recalls
// and the labs of its reports), the page's Last-Modified; zero when none
// is known. These are the view's members named as package api's
// ledgerTimes reads a JSON body (TestModifiedAsLedgerTimes), read here
// without encoding the view.
func (p *Page) Modified() time.Time {
	var latest string
	at := func(t string) {
		if t > latest {
			latest = t
		}
	}
	if p.Product != nil {
		at(p.Product.RegisteredAt)
	}
	if p.Lot != nil {
		at(p.Lot.UpdatedAt)
		if p.Lot.Recall != nil {
			at(p.Lot.Recall.RecalledAt)
		}
	}
	for _, r := range p.Recalls {
		at(r.RecalledAt)
	}
	for _, r := range p.Reports {
		at(r.Lab.RegisteredAt)
	}
	t, err := time.Parse(time.RFC3339Nano, latest)
	if err != nil {
		return time.Time{}
	}
	return t
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
	By string // the recalling member's name
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

// Step is one event of the journey.
type Step struct {
	Kind   string // CSS class: made, ship, receive, readings, inspect, transform, recall, pack
	Title  string
	Detail string
	At     Time
	Place  string
	// Lot is the ingredient lot the step is of; nil for the page's lot.
	Lot     *LotRef
	Breach  bool
	Reading []Reading
	// Chart is the temperature chart of the leg this step ends (shipping
	// to receiving).
	Chart *Chart
	// InLeg is set when the step's readings are in a leg's chart: only
	// those out of range are listed.
	InLeg bool
}

// Listed are the readings the step lists: all, or only those out of range
// when a chart shows the leg's.
func (s Step) Listed() []Reading {
	if !s.InLeg {
		return s.Reading
	}
	var out []Reading
	for _, r := range s.Reading {
		if r.Breach {
			out = append(out, r)
		}
	}
	return out
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

// Time is a ledger or EPCIS time, shown in the local time of its place.
type Time struct {
	t    time.Time
	zone *time.Location // nil: UTC
}

// IsZero reports a missing or unparsable time.
func (t Time) IsZero() bool { return t.t.IsZero() }

// ISO is the machine-readable form for <time datetime>.
func (t Time) ISO() string { return t.t.UTC().Format(time.RFC3339) }

// Local is the time in its place's zone.
func (t Time) Local() time.Time {
	if t.zone == nil {
		return t.t.UTC()
	}
	return t.t.In(t.zone)
}

// String shows the time in English.
func (t Time) String() string { return English.When(t) }

// Date shows the day only, in English.
func (t Time) Date() string { return English.Date(t) }

func parseTime(s string) Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Time{}
	}
	return Time{t: t}
}

func (t Time) in(zone *time.Location) Time { t.zone = zone; return t }

// builder builds one page.
type builder struct {
	src    Source
	o      options
	l      *Lang
	p      *Page
	places map[string]Location // what the ledger records of places, by GLN
	zones  map[string]*time.Location
	// lastPlace is where the lot being walked was last seen; stops are the
	// places of the journey in order, for the map.
	lastPlace string
	stops     []stop
}

func newBuilder(src Source, opts []Option) *builder {
	b := &builder{src: src, places: map[string]Location{}, zones: map[string]*time.Location{}}
	for _, o := range opts {
		o(&b.o)
	}
	b.l = cmp.Or(b.o.lang, English)
	return b
}

// TracePage builds the page of a lot or unit trace.
func TracePage(src Source, tr index.Trace, links Links, opts ...Option) (*Page, error) {
	b := newBuilder(src, opts)
	lot := tr.Lot
	p := &Page{L: b.l, Product: tr.Product, Lot: &lot, Unit: tr.Unit, Links: links, EventCount: len(tr.Events)}
	b.p = p
	if p.Product != nil {
		p.Title = b.l.T("product.lot", p.Product.Name, lot.Lot)
	} else {
		p.Title = b.lotLabel(lot.ID)
	}
	// What the ledger records of places: the origins' addresses.
	for _, l := range append([]ledger.LotSummary{lot}, tr.Upstream.Lots...) {
		if o := l.Origin; o != nil {
			b.learnPlace(o.Place)
		}
	}
	if tr.Recall != nil {
		p.Recalls = append(p.Recalls, RecallView{Recall: *tr.Recall, By: b.member(tr.Recall.RecalledBy), At: parseTime(tr.Recall.RecalledAt)})
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
		ref := b.lotRef(via, ledger.Quantity{})
		p.Recalls = append(p.Recalls, RecallView{Recall: r, By: b.member(r.RecalledBy), At: parseTime(r.RecalledAt), Via: &ref})
	}

	if lot.Origin != nil {
		p.Origins = append(p.Origins, b.originView(*lot.Origin, lot.ProducedAt, nil))
	}
	for _, up := range tr.Upstream.Lots {
		if up.Origin != nil {
			ref := b.lotRef(up.ID, ledger.Quantity{})
			p.Origins = append(p.Origins, b.originView(*up.Origin, up.ProducedAt, &ref))
		}
	}

	// The whole journey: the lot's own events, then those of the lots it was
	// made from (farm, tanker, plant), merged in time order.
	type lotEvents struct {
		lot    *LotRef
		self   string
		prod   *ledger.Product
		events []json.RawMessage
	}
	all := []lotEvents{{self: lot.ID, prod: p.Product, events: tr.Events}}
	for _, up := range tr.Upstream.Lots {
		evs, err := src.EventsOfLot(up.GTIN, up.Lot)
		if err != nil {
			return nil, fmt.Errorf("web: events of %s: %w", up.ID, err)
		}
		ref := b.lotRef(up.ID, ledger.Quantity{})
		if up.Product != "" {
			ref.Label = up.Product // the steps name the ingredient by its product
		}
		var prod *ledger.Product
		if pr, err := src.Product(up.GTIN); err == nil {
			prod = &pr
		}
		all = append(all, lotEvents{lot: &ref, self: up.ID, prod: prod, events: evs})
	}
	seen := map[string]bool{}
	var legs []*leg
	for _, le := range all {
		var tmin, tmax *float64
		if le.prod != nil {
			tmin, tmax = &le.prod.TempMinC, &le.prod.TempMaxC
		}
		var open *leg
		var steps []Step
		b.lastPlace = ""
		for _, raw := range le.events {
			var ev epcis.Event
			if err := jsondec.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("web: EPCIS event of %s: %w", le.self, err)
			}
			if ev.EventID != "" && seen[ev.EventID] {
				continue // a transformation is an event of its inputs and outputs
			}
			seen[ev.EventID] = true
			st := b.step(&ev, le.self, tmin, tmax)
			st.Lot = le.lot
			if ev.Inspection != nil {
				r, err := b.report(&ev, le.lot)
				if err != nil {
					return nil, err
				}
				p.Reports = append(p.Reports, r)
				st.Title = b.l.T("step.inspect", r.Lab.Name)
			}
			for _, r := range st.Reading {
				if r.Breach {
					p.Breaches++
				}
			}
			steps = append(steps, st)
			// A leg runs from shipping to receiving; its readings make its chart.
			i := len(steps) - 1
			switch {
			case st.Kind == "ship":
				open = &leg{tmin: tmin, tmax: tmax, readings: slices.Clone(st.Reading), end: i}
				legs = append(legs, open)
				steps[i].InLeg = true
			case open != nil && (st.Kind == "readings" || st.Kind == "receive"):
				open.readings = append(open.readings, st.Reading...)
				steps[i].InLeg = true
				if len(st.Reading) > 0 || st.Kind == "receive" {
					open.end = i
				}
				if st.Kind == "receive" {
					open = nil
				}
			}
		}
		// Charts go on the step that ends each leg, now that the slice is final.
		for _, lg := range legs {
			if len(lg.readings) == 0 {
				continue
			}
			slices.SortStableFunc(lg.readings, func(a, b Reading) int { return a.At.t.Compare(b.At.t) })
			steps[lg.end].Chart = b.chart(lg.readings, lg.tmin, lg.tmax)
		}
		legs = legs[:0]
		p.Timeline = append(p.Timeline, steps...)
	}
	slices.SortStableFunc(p.Timeline, func(a, b Step) int { return a.At.t.Compare(b.At.t) })
	p.Map = b.journeyMap()
	for _, in := range lot.Inputs {
		p.Inputs = append(p.Inputs, b.lotRef(in.Lot, in.Quantity))
	}
	for _, out := range lot.Outputs {
		p.Outputs = append(p.Outputs, b.lotRef(out, ledger.Quantity{}))
	}
	return p, nil
}

// leg is a shipment's readings, from shipping to receiving.
type leg struct {
	tmin, tmax *float64
	readings   []Reading
	end        int // index of the step that ends it
}

// ProductPage builds the page of a product without a lot.
func ProductPage(prod ledger.Product, links Links, opts ...Option) *Page {
	b := newBuilder(nil, opts)
	return &Page{L: b.l, Title: prod.Name, Product: &prod, Links: links}
}

// member names an organisation.
func (b *builder) member(msp string) string {
	if n := b.o.members[msp]; n != "" {
		return n
	}
	return org(msp)
}

// learnPlace records what the ledger says of a place.
func (b *builder) learnPlace(pl ledger.Place) {
	gln := glnOf(pl.Location)
	if gln == "" {
		return
	}
	loc := b.places[gln]
	if a := pl.Address; a != nil {
		loc.Town, loc.Country = a.City, a.Country
	}
	if pl.Geo != nil {
		loc.Geo = pl.Geo
	}
	b.places[gln] = loc
}

// location is what is known of the place uri names: master data first,
// else the ledger's own data.
func (b *builder) location(uri string) (Location, bool) {
	gln := glnOf(uri)
	if gln == "" {
		return Location{}, false
	}
	if b.o.locations != nil {
		if loc, ok := b.o.locations.Location(gln); ok {
			return loc, true
		}
	}
	loc, ok := b.places[gln]
	return loc, ok
}

// placeName shows a place by name and town, else by its GLN.
func (b *builder) placeName(uri string) string {
	if loc, ok := b.location(uri); ok {
		var parts []string
		for _, s := range []string{loc.Name, loc.Town} {
			if s != "" && !slices.Contains(parts, s) {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, ", ")
		}
	}
	return placeLabel(uri)
}

// partyName shows a producer (a party's GLN) by its name in master data,
// else by its GLN: the town of its place would not name it.
func (b *builder) partyName(uri string) string {
	if b.o.locations != nil {
		if loc, ok := b.o.locations.Location(glnOf(uri)); ok && loc.Name != "" {
			return loc.Name
		}
	}
	return placeLabel(uri)
}

// zone is the time zone of an event: its place's, from master data, else
// its own eventTimeZoneOffset.
func (b *builder) zone(place, offset string) *time.Location {
	if loc, ok := b.location(place); ok && loc.TimeZone != "" {
		if z, ok := b.zones[loc.TimeZone]; ok {
			return z
		}
		z, err := time.LoadLocation(loc.TimeZone)
		if err == nil {
			b.zones[loc.TimeZone] = z
			b.p.LocalTimes = true
			return z
		}
	}
	if offset == "" || offset == "+00:00" || offset == "-00:00" || offset == "Z" {
		return nil
	}
	if z, ok := b.zones[offset]; ok {
		return z
	}
	t, err := time.Parse("-07:00", offset)
	if err != nil {
		return nil
	}
	_, secs := t.Zone()
	z := time.FixedZone(zoneName(t), secs)
	b.zones[offset] = z
	b.p.LocalTimes = true
	return z
}

func (b *builder) originView(o ledger.Origin, producedAt string, lot *LotRef) OriginView {
	v := OriginView{Origin: o, Lot: lot, ProducedAt: parseTime(producedAt).in(b.zone(o.Place.Location, "")), Producer: b.partyName(o.Producer)}
	var parts []string
	if loc, ok := b.location(o.Place.Location); ok && loc.Name != "" {
		parts = append(parts, loc.Name)
	}
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

func (b *builder) report(ev *epcis.Event, lot *LotRef) (Report, error) {
	in := ev.Inspection
	z := b.zone(eventPlace(ev), ev.EventTimeZoneOffset)
	r := Report{
		ID: in.ReportID, Method: in.Method, Standard: in.Standard, Verdict: in.Verdict,
		Sampled: parseTime(in.SampledAt).in(z), Issued: parseTime(in.IssuedAt).in(z), Lot: lot,
		Signer: in.Signer, Document: strings.Join(ev.CertificationInfo, " "), DocumentSHA256: in.DocumentSHA256,
	}
	// The chaincode accepted the report only if its EIP-712 signature
	// recovered to a registered signer, so the signer is on the ledger.
	s, err := b.src.LabSigner(in.Signer)
	if err != nil {
		return r, fmt.Errorf("web: signer of report %s: %w", in.ReportID, err)
	}
	r.Lab = s
	for _, a := range in.Analytes {
		r.Analytes = append(r.Analytes, Analyte{Name: a.Name, Value: a.Value, Unit: a.Unit, Limit: a.Limit, Pass: a.Pass})
	}
	return r, nil
}

// eventPlace is where an event happened: its business location, else its
// read point.
func eventPlace(ev *epcis.Event) string {
	if ev.BizLocation != nil {
		return ev.BizLocation.ID
	}
	if ev.ReadPoint != nil {
		return ev.ReadPoint.ID
	}
	return ""
}

func (b *builder) step(ev *epcis.Event, self string, tmin, tmax *float64) Step {
	where := eventPlace(ev)
	if where == "" && ev.BizStep == "shipping" && ev.Type != "TransformationEvent" {
		// A shipment happens where the sender is: the last place known.
		where = b.lastPlace
	}
	z := b.zone(where, ev.EventTimeZoneOffset)
	st := Step{At: parseTime(ev.EventTime).in(z)}
	if where != "" {
		st.Place = b.placeName(where)
		b.lastPlace = where
		b.stops = append(b.stops, stop{where, st.At.t})
	}
	l := b.l
	switch {
	case ev.Type == "TransformationEvent":
		st.Kind = "transform"
		made := slices.ContainsFunc(ev.OutputQuantityList, func(q epcis.QuantityElement) bool { return q.EPCClass == self })
		if made {
			st.Title = l.T("step.madeFrom", b.classList(ev.InputQuantityList))
		} else {
			st.Title = l.T("step.usedIn", b.classList(ev.OutputQuantityList))
		}
	case ev.Recall != nil:
		st.Kind, st.Title = "recall", l.T("step.recall", ev.Recall.Class)
		st.Detail = ev.Recall.Reason
	case ev.Inspection != nil:
		st.Kind, st.Title = "inspect", l.T("step.inspect", ev.Inspection.Lab)
		st.Detail = l.T("step.report", ev.Inspection.ReportID, l.T("verdict."+ev.Inspection.Verdict))
	case ev.BizStep == "commissioning":
		st.Kind, st.Title = "made", l.T("step.produced")
	case ev.BizStep == "shipping":
		st.Kind, st.Title = "ship", l.T("step.shipped", b.member(ev.From), b.member(ev.To))
		if len(ev.DestinationList) > 0 {
			dest := ev.DestinationList[0].Destination
			st.Place = l.T("step.to", b.placeName(dest))
			b.stops = append(b.stops, stop{dest, st.At.t})
		}
	case ev.BizStep == "receiving":
		st.Kind, st.Title = "receive", l.T("step.received", b.member(ev.To))
	case ev.BizStep == "sensor_reporting":
		st.Kind, st.Title = "readings", l.T("step.readings")
	case ev.BizStep == "packing":
		st.Kind, st.Title = "pack", l.T("step.packed", placeLabel(ev.ParentID))
	case ev.BizStep == "unpacking":
		st.Kind, st.Title = "pack", l.T("step.unpacked", placeLabel(ev.ParentID))
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
			r := Reading{At: parseTime(meta.Time).in(z), Device: device(meta.DeviceID), TemperatureC: c}
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

// glnOf is the GLN a place's Digital Link names, or "".
func glnOf(uri string) string {
	l, err := digitallink.Parse(uri)
	if err != nil {
		return ""
	}
	return l.GLN
}

func (b *builder) lotLabel(uri string) string {
	l, err := digitallink.Parse(uri)
	if err != nil || l.Lot == "" {
		return uri
	}
	return b.l.T("lot.label", l.GTIN, l.Lot)
}

// lotRef links a lot's Digital Link to its page on this node.
func (b *builder) lotRef(uri string, q ledger.Quantity) LotRef {
	r := LotRef{Label: b.lotLabel(uri)}
	if l, err := digitallink.Parse(uri); err == nil {
		l.Query = nil
		r.Href = l.Path()
	}
	if q.Value != "" {
		v := q.Value
		if f, err := strconv.ParseFloat(q.Value, 64); err == nil {
			v = b.l.Num(f)
		}
		r.Quantity = v + " " + uomLabel(q.UOM)
	}
	return r
}

func (b *builder) classList(qs []epcis.QuantityElement) string {
	var out []string
	for _, q := range qs {
		out = append(out, b.lotLabel(q.EPCClass))
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
