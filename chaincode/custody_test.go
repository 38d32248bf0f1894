package chaincode

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

func (e *env) readingAt(d time.Duration, temp float64) ledger.Reading {
	return ledger.Reading{Time: e.rfc(d), Device: "logger-17", TemperatureC: ptr(temp), HumidityPct: ptr(60.0)}
}

func TestShipReceive(t *testing.T) {
	e := newEnv(t)
	l := e.setupLot("L1")
	ship := ledger.ShipRequest{
		Lot: l.ID, To: logistics, Destination: glnURI(glnWarehouse) + "/254/dock-3",
		BizTransactions: []ledger.BizTransaction{{Type: "po", ID: "urn:epcglobal:cbv:bt:9506000134376:PO-1"}},
		Readings:        []ledger.Reading{e.readingAt(-10*time.Minute, 4.5)},
	}
	var sh ledger.Shipment
	ev := e.okJSON(&sh, supplier, "Custody:Ship", mustJSON(ship))
	if sh.From != supplier || sh.To != logistics || sh.Status != ledger.ShipmentInTransit || sh.ShipEvent == "" || sh.ID == "" ||
		sh.Destination != glnURI(glnWarehouse)+"/254/dock-3" || len(ev.Shipments) != 1 {
		t.Fatalf("Ship = %+v", sh)
	}
	var epc struct {
		BizStep      string `json:"bizStep"`
		Disposition  string `json:"disposition"`
		BizTx        []epcis.BizTransaction
		Destinations []epcis.Destination   `json:"destinationList"`
		Sensors      []epcis.SensorElement `json:"sensorElementList"`
		From         string                `json:"tl:from"`
		To           string                `json:"tl:to"`
	}
	if err := json.Unmarshal(ev.EPCIS[0], &epc); err != nil || epc.BizStep != "shipping" || epc.Disposition != "in_transit" ||
		len(epc.Sensors) != 1 || len(epc.Sensors[0].SensorReport) != 2 || epc.Sensors[0].SensorMetadata.DeviceID != "urn:trustline:device:logger-17" ||
		epc.From != supplier || epc.To != logistics || epc.Destinations[0].Type != "location" {
		t.Fatalf("shipping event = %+v %v\n%s", epc, err, ev.EPCIS[0])
	}
	got := e.lot(l.ID)
	if got.Status != ledger.StatusInTransit || got.Custodian != supplier || got.Shipment != sh.ID || got.Counts.Readings != 1 || got.Counts.Shipments != 1 {
		t.Fatalf("lot in transit = %+v", got)
	}
	var back ledger.Shipment
	e.queryJSON(&back, brand, "Query:GetShipment", sh.ID)
	if back.ID != sh.ID || back.Status != ledger.ShipmentInTransit {
		t.Fatalf("GetShipment = %+v", back)
	}
	e.queryFail(brand, `no shipment "x"`, "Query:GetShipment", "x")

	e.fail(supplier, "is in transit (shipment "+sh.ID+"); it cannot be shipped alone", "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: l.ID, To: brand, Destination: glnWarehouse}))
	recv := mustJSON(ledger.ReceiveRequest{Lot: l.ID, Readings: []ledger.Reading{e.readingAt(0, 5)}})
	for _, org := range []string{brand, supplier, lab} {
		e.fail(org, "only the recipient (LogisticsMSP) can receive lot "+l.ID+"; "+org+" cannot", "Custody:Receive", recv)
	}
	e.fail(outsider, "not a member", "Custody:Receive", recv)
	ev = e.okJSON(&sh, logistics, "Custody:Receive", recv)
	if sh.Status != ledger.ShipmentReceived || sh.ReceiveEvent == "" || sh.ReceivedAt == "" {
		t.Fatalf("Receive = %+v", sh)
	}
	if !strings.Contains(string(ev.EPCIS[0]), `"bizStep":"receiving"`) || !strings.Contains(string(ev.EPCIS[0]), `"bizTransactionList"`) {
		t.Fatalf("receiving event: %s", ev.EPCIS[0])
	}
	got = e.lot(l.ID)
	if got.Status != ledger.StatusActive || got.Custodian != logistics || got.Shipment != "" || got.LastShipment != sh.ID || got.Counts.Readings != 2 {
		t.Fatalf("received lot = %+v", got)
	}
	e.fail(logistics, "is not in transit: shipment "+sh.ID+" was already received by LogisticsMSP", "Custody:Receive", recv)
	e.fail(supplier, "only the current custodian (LogisticsMSP) can ship lot "+l.ID, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: l.ID, To: brand, Destination: glnWarehouse}))

	// Second leg, a breach in transit.
	e.ok(logistics, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: l.ID, To: brand, Destination: glnWarehouse}))
	var afterReadings ledger.LotSummary
	e.okJSON(&afterReadings, logistics, "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: l.ID, Readings: []ledger.Reading{
		e.readingAt(-30*time.Minute, 6), e.readingAt(-20*time.Minute, 11.5), e.readingAt(-10*time.Minute, 12),
	}}))
	if afterReadings.Status != ledger.StatusBreach || afterReadings.Breach == nil || afterReadings.Breach.TemperatureC != 11.5 ||
		afterReadings.Counts.Excursions != 2 || afterReadings.Breach.MaxC != 8 || afterReadings.Shipment == "" {
		t.Fatalf("lot after excursion = %+v", afterReadings)
	}
	e.ok(brand, "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: l.ID}))
	if got := e.lot(l.ID); got.Status != ledger.StatusBreach || got.Custodian != brand {
		t.Fatalf("breach is sticky: %+v", got)
	}
}

func TestCustodyRejections(t *testing.T) {
	e := newEnv(t)
	l := e.setupLot("L1")
	never := e.setupLot("L2")
	ship := func(mutate func(*ledger.ShipRequest)) string {
		r := ledger.ShipRequest{Lot: l.ID, To: logistics, Destination: glnWarehouse, Readings: []ledger.Reading{e.readingAt(0, 4)}}
		mutate(&r)
		return mustJSON(r)
	}
	tests := []struct {
		name, caller, fn, arg, want string
	}{
		{"ship by non-custodian", logistics, "Custody:Ship", ship(func(*ledger.ShipRequest) {}), "only the current custodian (SupplierMSP) can ship lot https://id.gs1.org/01/09506000134352/10/L1"},
		{"ship by brand", brand, "Custody:Ship", ship(func(*ledger.ShipRequest) {}), "only the current custodian (SupplierMSP)"},
		{"ship by outsider", outsider, "Custody:Ship", ship(func(*ledger.ShipRequest) {}), "OutsiderMSP is not a member"},
		{"recipient unknown", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.To = "AcmeMSP" }), `recipient "AcmeMSP" is not a member`},
		{"to self", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.To = supplier }), "cannot ship lot " + l.ID + " to itself"},
		{"destination check digit", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Destination = "9506000134384" }), "check digit"},
		{"destination is a lot", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Destination = l.ID }), "does not name a place"},
		{"no destination", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Destination = "" }), "destination"},
		{"biz tx type", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) {
			r.BizTransactions = []ledger.BizTransaction{{Type: "invoice", ID: "urn:x:1"}}
		}), `business transaction type "invoice" is not a CBV type`},
		{"biz tx id", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) {
			r.BizTransactions = []ledger.BizTransaction{{Type: "po", ID: "PO 1"}}
		}), "is not an absolute URI"},
		{"both lot and unit", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.LogisticUnit = ssccPallet }), "give exactly one of lot and logisticUnit"},
		{"neither", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Lot = "" }), "give exactly one of lot and logisticUnit"},
		{"unknown lot", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Lot = lotURI(gtinTomato, "Q") }), "unknown lot"},
		{"malformed lot", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Lot = "https://id.gs1.org/01/09506000134352/10" }), "is not a valid GS1 Digital Link"},
		{"unknown unit", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Lot, r.LogisticUnit = "", ssccPallet }), "unknown logistic unit https://id.gs1.org/00/" + ssccPallet},
		{"sscc check digit", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Lot, r.LogisticUnit = "", "009506000100000019" }), "check digit"},
		{"hot reading", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].TemperatureC = ptr(150.0) }), "temperature 150 °C is impossible"},
		{"cold reading", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].TemperatureC = ptr(-120.0) }), "temperature -120 °C is impossible"},
		{"no temperature", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].TemperatureC = nil }), "has no temperatureC"},
		{"humidity", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].HumidityPct = ptr(101.0) }), "humidity 101 % is impossible"},
		{"negative humidity", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].HumidityPct = ptr(-1.0) }), "humidity -1 % is impossible"},
		{"reading in the future", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].Time = e.rfc(time.Hour) }), "reading time"},
		{"reading too old", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].Time = e.rfc(-31 * 24 * time.Hour) }), "more than 30 days before the transaction time"},
		{"reading time syntax", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].Time = "noon" }), `reading time "noon" is not an RFC 3339 time`},
		{"reading device", supplier, "Custody:Ship", ship(func(r *ledger.ShipRequest) { r.Readings[0].Device = "" }), "reading device is required"},
		{"ship not JSON", supplier, "Custody:Ship", "{", "shipment must be a JSON ShipRequest"},
		{"ship unknown field", supplier, "Custody:Ship", `{"lot":"x","via":"air"}`, `unknown field "via"`},
		{"receive never shipped", logistics, "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: never.ID}), "lot " + never.ID + " is not in transit"},
		{"receive unknown lot", logistics, "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: lotURI(gtinTomato, "Q")}), "unknown lot"},
		{"receive not JSON", logistics, "Custody:Receive", "[]", "receipt must be a JSON ReceiveRequest"},
		{"readings by non-custodian", logistics, "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: l.ID, Readings: []ledger.Reading{e.readingAt(0, 4)}}), "only the current custodian (SupplierMSP) can record readings of lot"},
		{"no readings", supplier, "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: l.ID}), "no readings given"},
		{"readings impossible", supplier, "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: l.ID, Readings: []ledger.Reading{e.readingAt(0, 1000)}}), "is impossible"},
		{"readings not JSON", supplier, "Custody:RecordReadings", "1", "readings must be a JSON ReadingsRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, tt.fn, tt.arg)
		})
	}
	e.t = t
	many := make([]ledger.Reading, maxReadings+1)
	for i := range many {
		many[i] = e.readingAt(0, 4)
	}
	e.fail(supplier, "1001 readings given", "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: l.ID, Readings: many}))
	// Readings at rest, within range.
	var got ledger.LotSummary
	e.okJSON(&got, supplier, "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: l.ID, Readings: []ledger.Reading{e.readingAt(-time.Hour, 3)}}))
	if got.Status != ledger.StatusActive || got.Counts.Readings != 1 || got.Breach != nil {
		t.Fatalf("lot after readings = %+v", got)
	}
}

func TestLogisticUnits(t *testing.T) {
	e := newEnv(t)
	a := e.setupLot("A")
	b := e.setupLot("B")
	c := e.setupLot("C")
	var u ledger.LogisticUnit
	ev := e.okJSON(&u, supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccURI(ssccPallet), Lots: []string{a.ID, b.ID}}))
	if u.SSCC != ssccPallet || u.Status != ledger.UnitPacked || len(u.Lots) != 2 || u.PackEvent == "" || len(ev.Lots) != 2 {
		t.Fatalf("Pack = %+v", u)
	}
	if !strings.Contains(string(ev.EPCIS[0]), `"type":"AggregationEvent"`) || !strings.Contains(string(ev.EPCIS[0]), `"parentID":"https://id.gs1.org/00/`+ssccPallet) {
		t.Fatalf("pack event: %s", ev.EPCIS[0])
	}
	if got := e.lot(a.ID); got.LogisticUnit != u.ID {
		t.Fatalf("packed lot = %+v", got)
	}
	for _, tt := range []struct {
		name, caller, fn, arg, want string
	}{
		{"sscc reused", supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{c.ID}}), "already exists (packed by SupplierMSP"},
		{"sscc check digit", supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: "009506000100000026", Lots: []string{c.ID}}), "check digit"},
		{"sscc not a unit link", supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: c.ID, Lots: []string{c.ID}}), "does not name a logistic unit"},
		{"lot already packed", supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet2, Lots: []string{a.ID}}), "is packed in logistic unit"},
		{"lot twice", supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet2, Lots: []string{c.ID, c.ID}}), "is listed twice"},
		{"no lots", supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet2}), "no lots given"},
		{"not the holder", logistics, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet2, Lots: []string{c.ID}}), "only the current custodian (SupplierMSP) can pack lot"},
		{"pack by outsider", outsider, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet2, Lots: []string{c.ID}}), "not a member"},
		{"pack not JSON", supplier, "Custody:Pack", "x", "packing must be a JSON PackRequest"},
		{"ship packed lot alone", supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: a.ID, To: logistics, Destination: glnWarehouse}), "is packed in logistic unit https://id.gs1.org/00/" + ssccPallet + "; unpack it before it can be shipped alone"},
		{"ship unit by non-custodian", logistics, "Custody:Ship", mustJSON(ledger.ShipRequest{LogisticUnit: ssccPallet, To: brand, Destination: glnWarehouse}), "only the current custodian (SupplierMSP) can ship logistic unit"},
		{"unpack by non-custodian", brand, "Custody:Unpack", ssccPallet, "only the current custodian (SupplierMSP) can unpack"},
		{"unpack unknown", supplier, "Custody:Unpack", ssccPallet2, "unknown logistic unit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, tt.fn, tt.arg)
		})
	}
	e.t = t
	var sh ledger.Shipment
	e.okJSON(&sh, supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{LogisticUnit: ssccPallet, To: logistics, Destination: glnWarehouse,
		Readings: []ledger.Reading{e.readingAt(0, 9)}}))
	if sh.LogisticUnit != u.ID || len(sh.Lots) != 2 {
		t.Fatalf("unit shipment = %+v", sh)
	}
	for _, id := range []string{a.ID, b.ID} {
		if got := e.lot(id); got.Shipment != sh.ID || got.Status != ledger.StatusBreach || got.Counts.Events != 3 {
			t.Fatalf("lot in shipped unit = %+v", got)
		}
	}
	e.fail(supplier, "logistic unit https://id.gs1.org/00/"+ssccPallet+" is in-transit; only a packed unit can be shipped", "Custody:Ship", mustJSON(ledger.ShipRequest{LogisticUnit: ssccPallet, To: brand, Destination: glnWarehouse}))
	e.fail(supplier, "is in-transit; only a packed unit at rest can be unpacked", "Custody:Unpack", ssccPallet)
	e.fail(logistics, "travels in logistic unit", "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: a.ID}))
	e.fail(brand, "only the recipient (LogisticsMSP) can receive logistic unit", "Custody:Receive", mustJSON(ledger.ReceiveRequest{LogisticUnit: ssccPallet}))
	readings := mustJSON(ledger.ReadingsRequest{LogisticUnit: ssccPallet, Readings: []ledger.Reading{e.readingAt(0, 4)}})
	// Until received, the shipper holds the unit.
	e.fail(logistics, "only the current custodian (SupplierMSP) can record readings of logistic unit", "Custody:RecordReadings", readings)
	e.ok(supplier, "Custody:RecordReadings", readings)
	e.okJSON(&sh, logistics, "Custody:Receive", mustJSON(ledger.ReceiveRequest{LogisticUnit: ssccURI(ssccPallet)}))
	if sh.Status != ledger.ShipmentReceived {
		t.Fatalf("unit receipt = %+v", sh)
	}
	e.fail(logistics, "logistic unit https://id.gs1.org/00/"+ssccPallet+" is not in transit", "Custody:Receive", mustJSON(ledger.ReceiveRequest{LogisticUnit: ssccPallet}))
	var got ledger.LogisticUnit
	e.queryJSON(&got, brand, "Query:GetLogisticUnit", ssccPallet)
	if got.Custodian != logistics || got.Status != ledger.UnitPacked || got.Shipment != "" {
		t.Fatalf("received unit = %+v", got)
	}
	ev = e.okJSON(&got, logistics, "Custody:Unpack", ssccURI(ssccPallet))
	if got.Status != ledger.UnitUnpacked || got.UnpackEvent == "" || !strings.Contains(string(ev.EPCIS[0]), `"action":"DELETE"`) {
		t.Fatalf("Unpack = %+v", got)
	}
	for _, id := range []string{a.ID, b.ID} {
		if l := e.lot(id); l.Custodian != logistics || l.LogisticUnit != "" || l.Counts.Readings != 2 {
			t.Fatalf("unpacked lot = %+v", l)
		}
	}
	e.fail(logistics, "is unpacked; record readings of its lots", "Custody:RecordReadings", readings)
	e.fail(logistics, "is unpacked; only a packed unit can be shipped", "Custody:Ship", mustJSON(ledger.ShipRequest{LogisticUnit: ssccPallet, To: brand, Destination: glnWarehouse}))
	e.fail(logistics, "is unpacked; only a packed unit at rest can be unpacked", "Custody:Unpack", ssccPallet)
	e.fail(logistics, "already exists", "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{a.ID}}))
	e.queryFail(brand, "unknown logistic unit", "Query:GetLogisticUnit", ssccPallet2)
	e.queryFail(brand, "does not name a logistic unit", "Query:GetLogisticUnit", glnURI(glnFarm))
}
