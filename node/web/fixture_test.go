package web

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// The fixture is a realistic supply chain: apples harvested with an origin
// and a lab report, pressed into juice; the juice is inspected, handed off
// twice (with one cold-chain breach), sold as serialised bottles, and the
// apples are recalled, which recalls the juice.
const (
	gtinApples = "09506000134352"
	gtinJuice  = "09506000134369"
	lotApples  = "https://id.gs1.org/01/" + gtinApples + "/10/A2509-17"
	lotJuice   = "https://id.gs1.org/01/" + gtinJuice + "/10/J2509-03"
	labAddr    = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
	juicePath  = "/01/" + gtinJuice + "/10/J2509-03/21/B000142"
	applesPath = "/01/" + gtinApples + "/10/A2509-17"
)

var ctx = []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", map[string]string{"tl": "https://trustline.github.io/ns/epcis/"}}

type ev = map[string]any

var nEvent int

func storedEvent(e ev) json.RawMessage {
	nEvent++
	e["@context"] = ctx
	e["eventID"] = fmt.Sprintf("ni:///sha-256;%064x?ver=CBV2.0", nEvent)
	e["eventTimeZoneOffset"] = "+00:00"
	if _, ok := e["type"]; !ok {
		e["type"] = "ObjectEvent"
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return b
}

func readings(device string, at string, temps ...float64) []ev {
	var out []ev
	for i, t := range temps {
		out = append(out, ev{
			"sensorMetadata": ev{"time": fmt.Sprintf("%s:%02d:00.000Z", at, i*20), "deviceID": "urn:trustline:device:" + device},
			"sensorReport":   []ev{{"type": "Temperature", "value": t, "uom": "CEL"}},
		})
	}
	return out
}

func lot(gtin, num, product string, q ledger.Quantity, origin *ledger.Origin, inputs []ledger.LotQuantity) ledger.LotSummary {
	return ledger.LotSummary{
		ID: "https://id.gs1.org/01/" + gtin + "/10/" + num, GTIN: gtin, Lot: num, Product: product,
		Quantity: q, Remaining: q, ProducedAt: "2025-09-17T06:30:00.000000000Z", Expiry: "2026-03-17T00:00:00.000000000Z",
		Origin: origin, Inputs: inputs, CreatedBy: "OrchardMSP", Custodian: "OrchardMSP", Status: ledger.StatusActive,
		CreatedAt: "2025-09-17T06:30:00.000000000Z", CreatedTx: "tx", UpdatedAt: "2025-09-17T06:30:00.000000000Z",
	}
}

func inspection(id, lotID, at string, analytes ...ev) json.RawMessage {
	return storedEvent(ev{
		"eventTime": at, "action": "OBSERVE", "bizStep": "inspecting", "disposition": "conformant",
		"certificationInfo": "https://lab.example/reports/" + id + ".pdf",
		"quantityList":      []ev{{"epcClass": lotID}},
		"tl:inspection": ev{
			"tl:reportId": id, "tl:lab": "LabMSP", "tl:signer": labAddr, "tl:method": "LC-MS/MS multi-residue",
			"tl:standard": "EN 15662:2018", "tl:sampledAt": "2025-09-18T08:00:00Z", "tl:issuedAt": "2025-09-19T15:00:00Z",
			"tl:verdict": "pass", "tl:documentSha256": "9f2c1d7a4b8e3f60c5d2e1a7b9f4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6",
			"tl:analytes": analytes,
		},
	})
}

func analyte(name, value, unit, limit string, pass bool) ev {
	return ev{"tl:name": name, "tl:value": value, "tl:unit": unit, "tl:limit": limit, "tl:pass": pass}
}

func fixtureEvents() []ledger.Event {
	kg := ledger.Quantity{Value: "12000", UOM: "KGM"}
	origin := &ledger.Origin{
		Producer: "https://id.gs1.org/414/9506000134376",
		Place: ledger.Place{
			Location: "https://id.gs1.org/414/9506000134376/254/north-block",
			Geo:      &ledger.Geo{Latitude: 51.98436, Longitude: 5.11234},
			Address:  &ledger.Address{Street: "Boomgaardweg 12", City: "Tiel", PostalCode: "4005 LB", Region: "Gelderland", Country: "NL"},
		},
		FarmingPractice: "Integrated pest management, GLOBALG.A.P. certified",
		Evidence: []ledger.Evidence{
			{Kind: ledger.EvidencePhoto, SHA256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b", URI: "https://media.orchard.example/harvest/A2509-17.jpg"},
			{Kind: ledger.EvidenceDocument, SHA256: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", URI: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"},
		},
	}
	apples := lot(gtinApples, "A2509-17", "Elstar apples", kg, origin, nil)
	juice := lot(gtinJuice, "J2509-03", "Cloudy apple juice", ledger.Quantity{Value: "7500", UOM: "LTR"}, nil,
		[]ledger.LotQuantity{{Lot: lotApples, Quantity: ledger.Quantity{Value: "11800", UOM: "KGM"}}})
	juice.CreatedBy, juice.Custodian = "PressMSP", "RetailMSP"
	juice.ProducedAt, juice.Expiry = "2025-09-20T10:00:00.000000000Z", "2026-01-20T00:00:00.000000000Z"
	apples.Outputs = []string{lotJuice}
	recall := ledger.Recall{Lot: lotApples, Reason: "Patulin above the legal limit found in retained samples of this harvest.",
		Class: ledger.RecallClassII, RecalledBy: "OrchardMSP", RecalledAt: "2025-10-02T09:15:00.000000000Z", TxID: "tx-recall"}
	apples.Recall = &recall
	apples.Status = ledger.StatusRecalled
	juice.Status = ledger.StatusBreach
	juice.Breach = &ledger.Breach{Time: "2025-09-22T14:20:00.000000000Z", Device: "truck-7", TemperatureC: 11.5, MinC: 0, MaxC: 8}
	dc := "https://id.gs1.org/414/9506000134383/254/dock-3"
	store := "https://id.gs1.org/414/9506000134390"
	return []ledger.Event{
		{Products: []ledger.Product{
			{ID: "https://id.gs1.org/01/" + gtinApples, GTIN: gtinApples, Name: "Elstar apples", Brand: "Betuwe Orchards", Category: "fruit", TempMinC: 0, TempMaxC: 4, ShelfLifeDays: 180, Owner: "OrchardMSP"},
			{ID: "https://id.gs1.org/01/" + gtinJuice, GTIN: gtinJuice, Name: "Cloudy apple juice", Brand: "Betuwe Orchards", Category: "juice", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 120, Owner: "OrchardMSP"},
		}},
		{LabSigners: []ledger.LabSigner{{Address: labAddr, Lab: "LabMSP", Name: "Rivierenland Food Laboratory", Accreditation: "ISO/IEC 17025, RvA L 412", RegisteredAt: "2025-01-10T00:00:00.000000000Z"}}},
		{Lots: []ledger.LotSummary{apples}, EPCIS: []json.RawMessage{storedEvent(ev{
			"eventTime": "2025-09-17T06:30:00.000Z", "action": "ADD", "bizStep": "commissioning", "disposition": "active",
			"quantityList": []ev{{"epcClass": lotApples, "quantity": 12000, "uom": "KGM"}},
			"readPoint":    ev{"id": origin.Place.Location}, "bizLocation": ev{"id": origin.Place.Location},
		})}},
		{EPCIS: []json.RawMessage{inspection("RFL-2025-08812", lotApples, "2025-09-19T15:05:00.000Z",
			analyte("Captan", "0.12", "mg/kg", "3", true), analyte("Chlorpyrifos", "0", "mg/kg", "0.01", true))}},
		{Lots: []ledger.LotSummary{juice}, EPCIS: []json.RawMessage{storedEvent(ev{
			"type": "TransformationEvent", "eventTime": "2025-09-20T10:00:00.000Z", "bizStep": "commissioning", "disposition": "active",
			"inputQuantityList":  []ev{{"epcClass": lotApples, "quantity": 11800, "uom": "KGM"}},
			"outputQuantityList": []ev{{"epcClass": lotJuice, "quantity": 7500, "uom": "LTR"}},
		})}},
		{EPCIS: []json.RawMessage{inspection("RFL-2025-09120", lotJuice, "2025-09-21T11:00:00.000Z",
			analyte("Patulin", "18", "µg/kg", "50", true), analyte("Brix", "11.2", "°Bx", "10", true), analyte("E. coli", "<10", "CFU/ml", "100", true))}},
		{Units: []ledger.Unit{{ID: "https://id.gs1.org/01/" + gtinJuice + "/10/J2509-03/21/B000142", GTIN: gtinJuice, Lot: "J2509-03", Serial: "B000142", LotID: lotJuice, CommissionedBy: "PressMSP", CommissionedAt: "2025-09-21T12:00:00.000000000Z"}}},
		{EPCIS: []json.RawMessage{storedEvent(ev{
			"eventTime": "2025-09-22T06:00:00.000Z", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
			"quantityList": []ev{{"epcClass": lotJuice}}, "destinationList": []ev{{"type": "location", "destination": dc}},
			"tl:from": "PressMSP", "tl:to": "ColdLogisticsMSP", "tl:shipment": "sh1",
			"sensorElementList": readings("truck-7", "2025-09-22T06", 4.1, 4.4),
		})}},
		{EPCIS: []json.RawMessage{storedEvent(ev{
			"eventTime": "2025-09-22T15:00:00.000Z", "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
			"quantityList": []ev{{"epcClass": lotJuice}}, "bizLocation": ev{"id": dc},
			"tl:from": "PressMSP", "tl:to": "ColdLogisticsMSP", "tl:shipment": "sh1",
			"sensorElementList": readings("truck-7", "2025-09-22T14", 6.8, 11.5, 7.2),
		})}},
		{EPCIS: []json.RawMessage{storedEvent(ev{
			"eventTime": "2025-09-23T05:00:00.000Z", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
			"quantityList": []ev{{"epcClass": lotJuice}}, "destinationList": []ev{{"type": "location", "destination": store}},
			"tl:from": "ColdLogisticsMSP", "tl:to": "RetailMSP", "tl:shipment": "sh2",
			"sensorElementList": readings("van-2", "2025-09-23T05", 5.0),
		})}},
		{EPCIS: []json.RawMessage{storedEvent(ev{
			"eventTime": "2025-09-23T09:30:00.000Z", "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
			"quantityList": []ev{{"epcClass": lotJuice}}, "bizLocation": ev{"id": store},
			"tl:from": "ColdLogisticsMSP", "tl:to": "RetailMSP", "tl:shipment": "sh2",
			"sensorElementList": readings("van-2", "2025-09-23T09", 5.6),
		})}},
		{Recalls: []ledger.Recall{recall}, EPCIS: []json.RawMessage{storedEvent(ev{
			"eventTime": "2025-10-02T09:15:00.000Z", "action": "OBSERVE", "disposition": "recalled",
			"quantityList": []ev{{"epcClass": lotApples}}, "tl:recall": ev{"tl:reason": recall.Reason, "tl:class": recall.Class},
		})}},
	}
}

// fixture returns an in-memory index of the fixture.
func fixture(t testing.TB) *index.Index {
	t.Helper()
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for i, e := range fixtureEvents() {
		e.TxID = fmt.Sprintf("tx%d", i)
		e.Timestamp = "2025-09-17T06:30:00.000000000Z"
		if _, err := idx.Apply(index.Position{Block: uint64(i + 1), TxID: e.TxID}, &e); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}
