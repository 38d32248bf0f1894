package web

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// The demo's jar (internal/demo): Hofmann farm's morning milk in
// Oberstaufen, tested by the Bavarian Food Lab, carried by ColdLine's
// tanker to its hub in Kempten and on to the Alpenwiese dairy in
// Sonthofen, made into Greek yogurt, serialised, and shipped to the Munich
// store. Events are recorded in UTC, as the chaincode records them; the
// places' time zones come from location master data (jarLocations).
const (
	gtinMilk  = "04260123450014"
	gtinYog   = "04260123450021"
	farmGLN   = "4260123451004"
	hubGLN    = "4260123452001"
	plantGLN  = "4260123453008"
	storeGLN  = "4260123454005"
	lotMilk   = "https://id.gs1.org/01/" + gtinMilk + "/10/RM-1"
	lotYog    = "https://id.gs1.org/01/" + gtinYog + "/10/YG-1-A"
	jarPath   = "/01/" + gtinYog + "/10/YG-1-A/21/S1001"
	jarSigner = "0x8A1f5c2E6b3D4a9F0e7C1b2A3d4E5f6A7b8C9d0E"
)

// jarMembers are the consortium's display names (org cards).
var jarMembers = map[string]string{
	"BrandMSP": "Alpenwiese", "SupplierMSP": "Hofmann Hof & Molkerei", "LabMSP": "Bavarian Food Lab", "LogisticsMSP": "ColdLine Logistics",
}

// jarLocations is location master data for the jar's places.
type jarLocations map[string]Location

func (m jarLocations) Location(gln string) (Location, bool) { l, ok := m[gln]; return l, ok }

var jarPlaces = jarLocations{
	farmGLN:  {Name: "Hofmann Hof", Town: "Oberstaufen", Country: "DE", Geo: &ledger.Geo{Latitude: 47.5683, Longitude: 10.2201}, TimeZone: "Europe/Berlin"},
	hubGLN:   {Name: "ColdLine Hub", Town: "Kempten", Country: "DE", Geo: &ledger.Geo{Latitude: 47.7267, Longitude: 10.3139}, TimeZone: "Europe/Berlin"},
	plantGLN: {Name: "Alpenwiese Molkerei", Town: "Sonthofen", Country: "DE", Geo: &ledger.Geo{Latitude: 47.5151, Longitude: 10.2816}, TimeZone: "Europe/Berlin"},
	storeGLN: {Name: "Alpenwiese Laden", Town: "München", Country: "DE", Geo: &ledger.Geo{Latitude: 48.1374, Longitude: 11.5755}, TimeZone: "Europe/Berlin"},
}

func gln(g string) string { return "https://id.gs1.org/414/" + g }

func jarEvents() []ledger.Event {
	at := func(s string) string { return "2025-06-1" + s + ".000Z" }
	origin := &ledger.Origin{
		Producer: gln(farmGLN),
		Place: ledger.Place{Location: gln(farmGLN), Geo: jarPlaces[farmGLN].Geo,
			Address: &ledger.Address{Street: "Alpweg 12", City: "Oberstaufen", PostalCode: "87534", Region: "Bavaria", Country: "DE"}},
		FarmingPractice: "organic (EU 2018/848), pasture-fed, hay milk",
		Evidence:        []ledger.Evidence{{Kind: ledger.EvidencePhoto, SHA256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b", URI: "https://hofmann-hof.example.org/media/parlour.jpg"}},
	}
	milk := lot(gtinMilk, "RM-1", "Organic raw milk, bulk", ledger.Quantity{Value: "2400", UOM: "LTR"}, origin, nil)
	milk.ProducedAt, milk.CreatedBy, milk.Custodian = at("0T04:30:00"), "SupplierMSP", "SupplierMSP"
	milk.Outputs = []string{lotYog}
	yog := lot(gtinYog, "YG-1-A", "Organic Greek yogurt 500 g", ledger.Quantity{Value: "1200", UOM: "EA"}, nil,
		[]ledger.LotQuantity{{Lot: lotMilk, Quantity: ledger.Quantity{Value: "2400", UOM: "LTR"}}})
	yog.ProducedAt, yog.Expiry, yog.CreatedBy, yog.Custodian = at("1T06:00:00"), "2025-07-08T00:00:00.000Z", "SupplierMSP", "BrandMSP"
	ship := func(t, lotID, from, to, dest, device string, temps ...float64) json.RawMessage {
		return storedEvent(ev{"eventTime": at(t), "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
			"quantityList": []ev{{"epcClass": lotID}}, "destinationList": []ev{{"type": "location", "destination": gln(dest)}},
			"tl:from": from, "tl:to": to, "tl:shipment": "sh-" + t, "sensorElementList": readings(device, at(t)[:13], temps...)})
	}
	recv := func(t, lotID, from, to, place, device string, temps ...float64) json.RawMessage {
		return storedEvent(ev{"eventTime": at(t), "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
			"quantityList": []ev{{"epcClass": lotID}}, "bizLocation": ev{"id": gln(place)},
			"tl:from": from, "tl:to": to, "sensorElementList": readings(device, at(t)[:13], temps...)})
	}
	report := inspection("BFL-1-0417", lotMilk, at("0T20:00:00"),
		analyte("Aflatoxin M1", "0.008", "µg/kg", "0.05", true), analyte("Glyphosate", "0.002", "mg/kg", "0.05", true))
	var r map[string]any
	_ = json.Unmarshal(report, &r)
	r["tl:inspection"].(map[string]any)["tl:signer"] = jarSigner
	r["tl:inspection"].(map[string]any)["tl:lab"] = "LabMSP"
	report, _ = json.Marshal(r)
	return []ledger.Event{
		{Products: []ledger.Product{
			{ID: "https://id.gs1.org/01/" + gtinMilk, GTIN: gtinMilk, Name: "Organic raw milk, bulk", Brand: "Alpenwiese", Category: "dairy/raw milk", TempMinC: 2, TempMaxC: 6, ShelfLifeDays: 5, Owner: "BrandMSP"},
			{ID: "https://id.gs1.org/01/" + gtinYog, GTIN: gtinYog, Name: "Organic Greek yogurt 500 g", Brand: "Alpenwiese", Category: "dairy/yogurt", TempMinC: 2, TempMaxC: 7, ShelfLifeDays: 28, Owner: "BrandMSP"},
		}},
		{LabSigners: []ledger.LabSigner{{Address: jarSigner, Lab: "LabMSP", Name: "Bavarian Food Lab", Accreditation: "DAkkS D-PL-14521-01 (ISO/IEC 17025)", RegisteredAt: "2025-01-10T00:00:00.000000000Z"}}},
		{Lots: []ledger.LotSummary{milk}, EPCIS: []json.RawMessage{storedEvent(ev{
			"eventTime": at("0T04:30:00"), "action": "ADD", "bizStep": "commissioning", "disposition": "active",
			"quantityList": []ev{{"epcClass": lotMilk, "quantity": 2400, "uom": "LTR"}},
			"readPoint":    ev{"id": gln(farmGLN)}, "bizLocation": ev{"id": gln(farmGLN)},
		})}},
		{EPCIS: []json.RawMessage{report}},
		{EPCIS: []json.RawMessage{ship("0T07:10:00", lotMilk, "SupplierMSP", "LogisticsMSP", hubGLN, "farm-tank-1", 3.8)}},
		{EPCIS: []json.RawMessage{recv("0T07:20:00", lotMilk, "SupplierMSP", "LogisticsMSP", hubGLN, "tanker-7", 4.0, 4.1, 4.3)}},
		{EPCIS: []json.RawMessage{ship("0T09:00:00", lotMilk, "LogisticsMSP", "SupplierMSP", plantGLN, "tanker-7", 4.4, 4.2)}},
		{EPCIS: []json.RawMessage{recv("0T10:15:00", lotMilk, "LogisticsMSP", "SupplierMSP", plantGLN, "plant-intake", 4.5)}},
		{Lots: []ledger.LotSummary{yog}, EPCIS: []json.RawMessage{storedEvent(ev{
			"type": "TransformationEvent", "eventTime": at("1T06:00:00"), "bizStep": "commissioning", "disposition": "active",
			"inputQuantityList":  []ev{{"epcClass": lotMilk, "quantity": 2400, "uom": "LTR"}},
			"outputQuantityList": []ev{{"epcClass": lotYog, "quantity": 1200, "uom": "EA"}},
		})}},
		{Units: []ledger.Unit{{ID: "https://id.gs1.org" + jarPath, GTIN: gtinYog, Lot: "YG-1-A", Serial: "S1001", LotID: lotYog, CommissionedBy: "BrandMSP", CommissionedAt: at("1T08:00:00")}}},
		{EPCIS: []json.RawMessage{ship("1T14:00:00", lotYog, "SupplierMSP", "BrandMSP", storeGLN, "van-3", 5.1, 5.0)}},
		{EPCIS: []json.RawMessage{recv("1T17:00:00", lotYog, "SupplierMSP", "BrandMSP", storeGLN, "van-3", 4.9, 4.6)}},
	}
}

// jarFixture returns an in-memory index of the demo jar.
func jarFixture(t testing.TB) *index.Index {
	t.Helper()
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for i, e := range jarEvents() {
		e.TxID = fmt.Sprintf("tx%d", i)
		e.Timestamp = "2025-06-10T04:30:00.000000000Z"
		if _, err := idx.Apply(index.Position{Block: uint64(i + 1), TxID: e.TxID}, &e); err != nil {
			t.Fatal(err)
		}
	}
	// The brand's livestream promises (internal/demo).
	subject := "https://id.gs1.org/01/" + gtinYog
	cs := []ledger.Claim{
		{ID: "cold", Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
			Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 180, RetailPlaces: []string{storeGLN}}}},
		{ID: "fresh", Kind: ledger.ClaimFarmToShelf, Wording: "72 hours from farm to shelf",
			Params: ledger.ClaimParams{FarmToShelf: &ledger.FarmToShelfParams{Hours: 72, RetailPlaces: []string{storeGLN}}}},
		{ID: "lab", Kind: ledger.ClaimLabTested, Wording: "Residues tested by an accredited lab",
			Params: ledger.ClaimParams{LabTested: &ledger.LabTestedParams{Analytes: []string{"Glyphosate", "Aflatoxin M1"}, MaxAgeDays: 30}}},
		{ID: "origin", Kind: ledger.ClaimOriginIn, Wording: "Milk from the Allgäu",
			Params: ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: "the Allgäu", Polygon: []ledger.Geo{
				{Latitude: 47.3, Longitude: 9.8}, {Latitude: 47.3, Longitude: 10.9}, {Latitude: 48.1, Longitude: 10.9}, {Latitude: 48.1, Longitude: 9.8}}}}},
	}
	for i := range cs {
		cs[i].Subject, cs[i].GTIN, cs[i].Brand = subject, gtinYog, "BrandMSP"
	}
	cp := idx.Checkpoint()
	ev := ledger.Event{Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: "txclaims", Timestamp: "2025-06-11T18:00:00.000000000Z", Claims: cs}
	if _, err := idx.Apply(index.Position{Block: cp.Block + 1, TxID: ev.TxID}, &ev); err != nil {
		t.Fatal(err)
	}
	return idx
}
