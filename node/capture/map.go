package capture

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// Call is a captured event mapped onto the contract function that states
// it: client.Capture(ctx, SourceEventID, Function, Args).
type Call struct {
	// SourceEventID is the captured event's eventID or, without one, its
	// CBV event hash (epcis.Current).
	SourceEventID string
	Function      string
	Args          []string
	// BizStep is the event's business step, bare ("shipping"): what a
	// client's permissions name.
	BizStep string
	// Lots are the lots the call concerns when it states a fact about
	// those lots alone (a batch's origin, readings of a lot, units, an
	// inspection): calls on disjoint lots may be submitted concurrently
	// (Service, pipelining). Nil for a call that moves custody or
	// containment (shipping, receiving, packing, transformation, anything
	// naming a logistic unit), which keeps its place in document order.
	Lots []string
}

// Trustline's extension members a captured event may carry beyond those
// of epcis.Event: tl:signature is the lab's EIP-712 signature (0x hex) of
// the report in tl:inspection.
const signatureMember = "tl:signature"

// UnsupportedError is a captured event the consortium's contract cannot
// state, or states only with members it lacks; Reason names the part.
type UnsupportedError struct{ Reason string }

func (e *UnsupportedError) Error() string { return e.Reason }

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Reason: fmt.Sprintf(format, args...)}
}

// Map maps a captured event onto the contract function that states it:
//
//	ObjectEvent ADD commissioning, epcList of units       Product:CommissionUnits
//	ObjectEvent ADD commissioning, a lot with ILMD        Batch:CreateBatch
//	ObjectEvent shipping (tl:to, a destination location)  Custody:Ship
//	ObjectEvent receiving                                 Custody:Receive
//	ObjectEvent sensor_reporting                          Custody:RecordReadings
//	ObjectEvent inspecting with tl:inspection and tl:signature   Lab:SubmitInspection
//	TransformationEvent                                   Batch:Transform
//	AggregationEvent ADD packing / DELETE unpacking       Custody:Pack / Custody:Unpack
//
// Anything else is an *UnsupportedError naming what the contract cannot
// state. sourceID is the event's id on the ledger (see Call).
func Map(ev *epcis.Event, sourceID string) (Call, error) {
	c, err := mapCall(ev, sourceID)
	if err == nil {
		switch c.Function {
		case client.FnCreateBatch, client.FnRecordReadings, client.FnCommissionUnits, client.FnSubmitInspection:
			c.Lots = lotsOnly(ev)
		}
	}
	return c, err
}

// lotsOnly returns the lots (as canonical Digital Links) an event names,
// or nil when it names anything else: a logistic unit, a location as an
// object, an identifier the contract does not know.
func lotsOnly(ev *epcis.Event) []string {
	var ids []string
	ids = append(ids, ev.EPCList...)
	ids = append(ids, ev.ChildEPCs...)
	ids = append(ids, ev.InputEPCList...)
	ids = append(ids, ev.OutputEPCList...)
	if ev.ParentID != "" {
		ids = append(ids, ev.ParentID)
	}
	for _, ql := range [][]epcis.QuantityElement{ev.QuantityList, ev.ChildQuantityList, ev.InputQuantityList, ev.OutputQuantityList} {
		for _, q := range ql {
			ids = append(ids, q.EPCClass)
		}
	}
	var lots []string
	for _, id := range ids {
		l, err := link("", id)
		if err != nil || (l.Level() != digitallink.Lot && l.Level() != digitallink.Unit) || l.Lot == "" {
			return nil
		}
		lots = append(lots, l.LotLink().String())
	}
	return lots
}

func mapCall(ev *epcis.Event, sourceID string) (Call, error) {
	c := Call{SourceEventID: sourceID, BizStep: epcis.BareVocabulary(ev.BizStep)}
	if ev.ErrorDeclaration != nil {
		return c, unsupported("errorDeclaration: the contract records facts and cannot retract an event; record the correcting fact instead")
	}
	var req any
	var err error
	switch ev.Type {
	case epcis.ObjectEvent:
		switch c.BizStep {
		case "commissioning":
			if ev.Action != epcis.ActionAdd {
				return c, unsupported("commissioning with action %s: want ADD", ev.Action)
			}
			if len(ev.EPCList) > 0 {
				c.Function = client.FnCommissionUnits
				c.Args, err = units(ev)
				return c, err
			}
			c.Function = client.FnCreateBatch
			req, err = batch(ev)
		case "shipping":
			c.Function = client.FnShip
			req, err = ship(ev)
		case "receiving":
			c.Function = client.FnReceive
			req, err = receive(ev)
		case "sensor_reporting":
			c.Function = client.FnRecordReadings
			req, err = readingsReq(ev)
		case "inspecting":
			c.Function = client.FnSubmitInspection
			c.Args, err = inspect(ev)
			return c, err
		case "":
			return c, unsupported("ObjectEvent without bizStep: the contract states commissioning, shipping, receiving, sensor_reporting and inspecting")
		default:
			return c, unsupported("ObjectEvent with bizStep %q: the contract states commissioning, shipping, receiving, sensor_reporting and inspecting", c.BizStep)
		}
	case epcis.TransformationEvent:
		c.Function = client.FnTransform
		req, err = transform(ev)
	case epcis.AggregationEvent:
		switch {
		case ev.Action == epcis.ActionAdd && (c.BizStep == "packing" || c.BizStep == ""):
			c.Function = client.FnPack
			req, err = pack(ev)
		case ev.Action == epcis.ActionDelete && (c.BizStep == "unpacking" || c.BizStep == ""):
			c.Function = client.FnUnpack
			sscc, err := logisticUnit("parentID", ev.ParentID)
			if err != nil {
				return c, err
			}
			c.Args = []string{sscc}
			return c, nil
		default:
			return c, unsupported("AggregationEvent %s with bizStep %q: the contract states packing (ADD) and unpacking (DELETE) of logistic units", ev.Action, c.BizStep)
		}
	default:
		return c, unsupported("%s: the contract states ObjectEvents, TransformationEvents and AggregationEvents (packing, unpacking), not %ss", ev.Type, ev.Type)
	}
	if err != nil {
		return c, err
	}
	b, err := json.Marshal(req)
	if err != nil {
		return c, err
	}
	c.Args = []string{string(b)}
	return c, nil
}

// link returns the GS1 Digital Link an EPC, EPC class or Digital Link
// names.
func link(field, uri string) (digitallink.Link, error) {
	if dl, ok := epcis.EPCDigitalLink(uri); ok {
		uri = dl
	}
	l, err := digitallink.Parse(uri)
	if err != nil {
		return l, unsupported("%s %q is not a GS1 identifier the contract knows (an EPC URI or GS1 Digital Link)", field, uri)
	}
	return l, nil
}

// lotOf returns the lot Digital Link of a quantity element's class.
func lotOf(field string, q epcis.QuantityElement) (digitallink.Link, error) {
	l, err := link(field, q.EPCClass)
	if err != nil {
		return l, err
	}
	if l.Level() != digitallink.Lot {
		return l, unsupported("%s %q is not a lot: the contract records lots (an LGTIN or …/01/{GTIN}/10/{lot})", field, q.EPCClass)
	}
	return l.LotLink(), nil
}

func quantity(field string, q epcis.QuantityElement) (ledger.Quantity, error) {
	if q.Quantity == nil {
		return ledger.Quantity{}, unsupported("%s of %s has no quantity", field, q.EPCClass)
	}
	uom := q.UOM
	if uom == "" {
		uom = "H87" // UN/ECE rec. 20 "piece": EPCIS's default is a count of instances
	}
	return ledger.Quantity{Value: strconv.FormatFloat(*q.Quantity, 'f', -1, 64), UOM: uom}, nil
}

// subject returns the one lot or logistic unit an ObjectEvent concerns.
func subject(ev *epcis.Event) (lot, sscc string, err error) {
	switch {
	case len(ev.QuantityList) == 1 && len(ev.EPCList) == 0:
		l, err := lotOf("quantityList[0].epcClass", ev.QuantityList[0])
		return l.String(), "", err
	case len(ev.EPCList) == 1 && len(ev.QuantityList) == 0:
		if l, err := link("epcList[0]", ev.EPCList[0]); err != nil {
			return "", "", err
		} else if l.Level() == digitallink.Unit {
			return "", "", unsupported("%s: epcList[0] %q is a serialised item; the contract moves one lot (quantityList) or one logistic unit (an SSCC in epcList), not items", ev.BizStep, ev.EPCList[0])
		}
		s, err := logisticUnit("epcList[0]", ev.EPCList[0])
		return "", s, err
	}
	return "", "", unsupported("%s: the contract moves one lot (one quantityList element) or one logistic unit (one SSCC in epcList) per event; this event names %d EPCs and %d classes", ev.BizStep, len(ev.EPCList), len(ev.QuantityList))
}

func logisticUnit(field, uri string) (string, error) {
	l, err := link(field, uri)
	if err != nil {
		return "", err
	}
	if l.Level() != digitallink.LogisticUnit {
		return "", unsupported("%s %q is not a logistic unit (an SSCC)", field, uri)
	}
	return l.String(), nil
}

func location(field, uri string) (string, error) {
	l, err := link(field, uri)
	if err != nil {
		return "", err
	}
	if l.Level() != digitallink.Location {
		return "", unsupported("%s %q is not a location (an SGLN or …/414/{GLN})", field, uri)
	}
	return digitallink.Link{GLN: l.GLN, GLNExtension: l.GLNExtension}.String(), nil
}

// ilmdString reads a string member of the ILMD.
func ilmdString(ev *epcis.Event, name string) string {
	var s string
	if raw, ok := ev.ILMD[name]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

func ilmdValue(ev *epcis.Event, name string, v any) error {
	raw, ok := ev.ILMD[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return unsupported("ilmd %s: %v", name, err)
	}
	return nil
}

func batch(ev *epcis.Event) (ledger.BatchRequest, error) {
	var r ledger.BatchRequest
	if len(ev.QuantityList) != 1 {
		return r, unsupported("commissioning of a batch names its lot in one quantityList element; this event has %d", len(ev.QuantityList))
	}
	if len(ev.ILMD) == 0 {
		return r, unsupported("commissioning of a batch without ilmd: the contract records a batch's origin (tl:producer, tl:place, tl:producedAt, cbvmda:itemExpirationDate, tl:farmingPractice)")
	}
	l, err := lotOf("quantityList[0].epcClass", ev.QuantityList[0])
	if err != nil {
		return r, err
	}
	if r.Quantity, err = quantity("quantityList[0]", ev.QuantityList[0]); err != nil {
		return r, err
	}
	r.GTIN, r.Lot = l.GTIN, l.Lot
	r.Producer = ilmdString(ev, "tl:producer")
	if r.Producer == "" && ev.BizLocation != nil {
		if r.Producer, err = location("bizLocation", ev.BizLocation.ID); err != nil {
			return r, err
		}
	}
	var place epcis.PlaceExt
	if err := ilmdValue(ev, "tl:place", &place); err != nil {
		return r, err
	}
	r.Place.Location = place.Location
	if g := place.Geo; g != nil {
		r.Place.Geo = &ledger.Geo{Latitude: g.Latitude, Longitude: g.Longitude}
	}
	if a := place.Address; a != nil {
		r.Place.Address = &ledger.Address{Street: a.Street, City: a.City, PostalCode: a.PostalCode, Region: a.Region, Country: a.Country}
	}
	r.ProducedAt = ilmdString(ev, "tl:producedAt")
	if r.ProducedAt == "" {
		r.ProducedAt = ev.EventTime
	}
	r.Expiry = dateTime(ilmdString(ev, "cbvmda:itemExpirationDate"))
	r.FarmingPractice = ilmdString(ev, "tl:farmingPractice")
	var evidence []epcis.EvidenceExt
	if err := ilmdValue(ev, "tl:evidence", &evidence); err != nil {
		return r, err
	}
	for _, e := range evidence {
		r.Evidence = append(r.Evidence, ledger.Evidence{Kind: e.Kind, SHA256: e.SHA256, URI: e.URI})
	}
	r.BizTransactions = bizTransactions(ev)
	return r, nil
}

// units maps a commissioning of serialised units of one lot.
func units(ev *epcis.Event) ([]string, error) {
	var lot string
	var serials []string
	for i, e := range ev.EPCList {
		field := fmt.Sprintf("epcList[%d]", i)
		l, err := link(field, e)
		if err != nil {
			return nil, err
		}
		if l.Level() != digitallink.Unit || l.Lot == "" {
			return nil, unsupported("%s %q: the contract commissions units of a lot, named …/01/{GTIN}/10/{lot}/21/{serial} (an SGTIN names no lot)", field, e)
		}
		ll := l.LotLink().String()
		if lot != "" && ll != lot {
			return nil, unsupported("%s %q is of another lot than %s: commission one lot's units per event", field, e, lot)
		}
		lot = ll
		serials = append(serials, l.Serial)
	}
	b, err := json.Marshal(serials)
	if err != nil {
		return nil, err
	}
	return []string{lot, string(b)}, nil
}

func bizTransactions(ev *epcis.Event) []ledger.BizTransaction {
	var out []ledger.BizTransaction
	for _, bt := range ev.BizTransactionList {
		out = append(out, ledger.BizTransaction{Type: epcis.BareVocabulary(bt.Type), ID: bt.BizTransaction})
	}
	return out
}

func ship(ev *epcis.Event) (ledger.ShipRequest, error) {
	var r ledger.ShipRequest
	var err error
	if r.Lot, r.LogisticUnit, err = subject(ev); err != nil {
		return r, err
	}
	if r.To = ev.To; r.To == "" {
		return r, unsupported("shipping without tl:to: the contract hands custody to a member organisation, named by its MSP id in tl:to")
	}
	for _, d := range ev.DestinationList {
		if epcis.BareVocabulary(d.Type) == "location" {
			if r.Destination, err = location("destinationList location", d.Destination); err != nil {
				return r, err
			}
		}
	}
	if r.Destination == "" {
		return r, unsupported("shipping without a destinationList element of type location: the contract records where goods are shipped to")
	}
	for _, src := range ev.SourceList {
		if epcis.BareVocabulary(src.Type) == "location" {
			if r.Source, err = location("sourceList location", src.Source); err != nil {
				return r, err
			}
		}
	}
	r.BizTransactions = bizTransactions(ev)
	r.Readings, err = readings(ev)
	return r, err
}

func receive(ev *epcis.Event) (ledger.ReceiveRequest, error) {
	var r ledger.ReceiveRequest
	var err error
	if r.Lot, r.LogisticUnit, err = subject(ev); err != nil {
		return r, err
	}
	r.Readings, err = readings(ev)
	return r, err
}

func readingsReq(ev *epcis.Event) (ledger.ReadingsRequest, error) {
	var r ledger.ReadingsRequest
	var err error
	if r.Lot, r.LogisticUnit, err = subject(ev); err != nil {
		return r, err
	}
	if r.Readings, err = readings(ev); err != nil {
		return r, err
	}
	if len(r.Readings) == 0 {
		return r, unsupported("sensor_reporting without sensorElementList: the contract records readings")
	}
	return r, nil
}

// readings maps sensor elements onto cold-chain readings: one reading per
// element, a Temperature report in CEL (required) and an optional
// RelativeHumidity report in percent (A93 or P1).
func readings(ev *epcis.Event) ([]ledger.Reading, error) {
	var out []ledger.Reading
	for i, se := range ev.SensorElementList {
		field := fmt.Sprintf("sensorElementList[%d]", i)
		var r ledger.Reading
		if m := se.SensorMetadata; m != nil {
			r.Time, r.Device = m.Time, m.DeviceID
		}
		for j, rep := range se.SensorReport {
			rf := fmt.Sprintf("%s.sensorReport[%d]", field, j)
			if r.Time == "" {
				r.Time = rep.Time
			}
			if r.Device == "" {
				r.Device = rep.DeviceID
			}
			typ := epcis.BareVocabulary(rep.Type)
			typ = strings.TrimPrefix(typ, "gs1:")
			typ = strings.TrimPrefix(typ, "https://gs1.org/voc/MeasurementType-")
			switch {
			case typ == "Temperature" && rep.Value != nil && rep.UOM == "CEL":
				r.TemperatureC = rep.Value
			case typ == "Temperature" && rep.Value != nil && rep.UOM == "FAH":
				c := (*rep.Value - 32) * 5 / 9
				r.TemperatureC = &c
			case typ == "RelativeHumidity" && rep.Value != nil && (rep.UOM == "A93" || rep.UOM == "P1"):
				r.HumidityPct = rep.Value
			default:
				return nil, unsupported("%s: the contract records temperature (CEL or FAH) and relative humidity (A93) values, not %q %s", rf, rep.Type, rep.UOM)
			}
		}
		if r.TemperatureC == nil {
			return nil, unsupported("%s has no Temperature report: a cold-chain reading needs one", field)
		}
		if r.Time == "" {
			return nil, unsupported("%s has no time (sensorMetadata.time)", field)
		}
		if r.Device == "" {
			r.Device = "unknown"
		}
		out = append(out, r)
	}
	return out, nil
}

func transform(ev *epcis.Event) (ledger.TransformRequest, error) {
	var r ledger.TransformRequest
	if len(ev.InputEPCList) > 0 || len(ev.OutputEPCList) > 0 {
		return r, unsupported("TransformationEvent with inputEPCList/outputEPCList: the contract transforms quantities of lots (inputQuantityList, outputQuantityList)")
	}
	if len(ev.InputQuantityList) == 0 || len(ev.OutputQuantityList) == 0 {
		return r, unsupported("TransformationEvent needs inputQuantityList and outputQuantityList")
	}
	for i, q := range ev.InputQuantityList {
		field := fmt.Sprintf("inputQuantityList[%d]", i)
		l, err := lotOf(field, q)
		if err != nil {
			return r, err
		}
		qty, err := quantity(field, q)
		if err != nil {
			return r, err
		}
		r.Inputs = append(r.Inputs, ledger.LotQuantity{Lot: l.String(), Quantity: qty})
	}
	var outs []epcis.OutputExt
	if err := ilmdValue(ev, "tl:outputs", &outs); err != nil {
		return r, err
	}
	expiry := ilmdString(ev, "cbvmda:itemExpirationDate")
	for i, q := range ev.OutputQuantityList {
		field := fmt.Sprintf("outputQuantityList[%d]", i)
		l, err := lotOf(field, q)
		if err != nil {
			return r, err
		}
		qty, err := quantity(field, q)
		if err != nil {
			return r, err
		}
		exp := expiry
		for _, o := range outs {
			if digitallink.Canonical(o.Lot) == l.String() {
				exp = o.Expiry
			}
		}
		if exp == "" {
			return r, unsupported("%s %s has no expiry: give ilmd cbvmda:itemExpirationDate or tl:outputs", field, l)
		}
		r.Outputs = append(r.Outputs, ledger.TransformOutput{GTIN: l.GTIN, Lot: l.Lot, Quantity: qty, Expiry: dateTime(exp)})
	}
	loc := ev.BizLocation
	if loc == nil {
		loc = ev.ReadPoint
	}
	if loc != nil && loc.ID != "" {
		var err error
		if r.Location, err = location("bizLocation", loc.ID); err != nil {
			return r, err
		}
	}
	r.BizTransactions = bizTransactions(ev)
	return r, nil
}

func pack(ev *epcis.Event) (ledger.PackRequest, error) {
	var r ledger.PackRequest
	var err error
	if r.SSCC, err = logisticUnit("parentID", ev.ParentID); err != nil {
		return r, err
	}
	if len(ev.ChildEPCs) > 0 {
		return r, unsupported("packing childEPCs: the contract packs lots (childQuantityList)")
	}
	for i, q := range ev.ChildQuantityList {
		l, err := lotOf(fmt.Sprintf("childQuantityList[%d]", i), q)
		if err != nil {
			return r, err
		}
		r.Lots = append(r.Lots, l.String())
	}
	if len(r.Lots) == 0 {
		return r, unsupported("packing without childQuantityList")
	}
	return r, nil
}

// inspect maps an inspecting event with the lab's signed report: the
// report is rebuilt from tl:inspection and the inspected lots, and the
// contract checks tl:signature against the lab's registered signers.
func inspect(ev *epcis.Event) ([]string, error) {
	x := ev.Inspection
	if x == nil {
		return nil, unsupported("inspecting without tl:inspection: the contract records a lab's signed report")
	}
	var sig string
	if raw, ok := ev.Extensions[signatureMember]; ok {
		_ = json.Unmarshal(raw, &sig)
	}
	if b, err := hex.DecodeString(strings.TrimPrefix(sig, "0x")); sig == "" || err != nil || len(b) != 65 {
		return nil, unsupported("inspecting without %s: the contract records a report the lab signed (EIP-712, 65 bytes in 0x hex)", signatureMember)
	}
	r := inspection.Report{
		ReportID: x.ReportID, Method: x.Method, Standard: x.Standard, SampledAt: x.SampledAt,
		Verdict: x.Verdict, IssuedAt: x.IssuedAt, Document: inspection.Document{SHA256: x.DocumentSHA256},
	}
	if len(ev.CertificationInfo) > 0 {
		r.Document.URI = ev.CertificationInfo[0]
	}
	for _, a := range x.Analytes {
		r.Analytes = append(r.Analytes, inspection.Analyte{Name: a.Name, Value: a.Value, Unit: a.Unit, Limit: a.Limit, Pass: a.Pass})
	}
	for i, q := range ev.QuantityList {
		l, err := lotOf(fmt.Sprintf("quantityList[%d]", i), q)
		if err != nil {
			return nil, err
		}
		r.Lots = append(r.Lots, l.String())
	}
	if len(r.Lots) == 0 {
		return nil, unsupported("inspecting names no lot (quantityList)")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return []string{string(b), sig}, nil
}

// dateTime makes an xsd:date (cbvmda:itemExpirationDate) the RFC 3339
// time the contract takes: the start of that day, UTC.
func dateTime(s string) string {
	if len(s) == len("2006-01-02") {
		return s + "T00:00:00Z"
	}
	return s
}
