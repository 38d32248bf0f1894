package chaincode

import (
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
)

// FuzzReferences feeds arbitrary text to the identifier parsers: they
// never panic, and what they accept they return in a canonical form that
// parses back to itself.
func FuzzReferences(f *testing.F) {
	for _, s := range []string{
		lotURI(gtinTomato, "L1"), lotURI(gtinTomato, "L1") + "/21/S1", "https://example.com/dl/01/9506000134352/10/A%2FB?17=261231",
		ssccPallet, ssccURI(ssccPallet), glnFarm, glnURI(glnFarm) + "/254/dock%201", "https://id.gs1.org/01/09506000134352/22/V1/10/L1",
		"", "https://", "https://id.gs1.org/414/", "http://x/00/0", "https://id.gs1.org/01/095060001343520/10/L1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parseLot("lot", s); err == nil {
			if q, err := parseLot("lot", p.Link); err != nil || q != p {
				t.Fatalf("lot %q → %+v, re-parsed %+v, %v", s, p, q, err)
			}
			if l, err := lotLink("lot", p.GTIN, p.Lot); err != nil || l != p.Link {
				t.Fatalf("lotLink(%q, %q) = %q, %v; parsed %q", p.GTIN, p.Lot, l, err, p.Link)
			}
		}
		if g, serial, link, err := parseUnit("unit", s); err == nil {
			if g2, s2, l2, err := parseUnit("unit", link); err != nil || g2 != g || s2 != serial || l2 != link {
				t.Fatalf("unit %q → %q, re-parsed %q %v", s, link, l2, err)
			}
		}
		if sscc, link, err := parseSSCC("sscc", s); err == nil {
			if s2, l2, err := parseSSCC("sscc", link); err != nil || s2 != sscc || l2 != link {
				t.Fatalf("sscc %q → %q, re-parsed %q %v", s, link, l2, err)
			}
		}
		if loc, err := parseLocation("place", s); err == nil {
			if l2, err := parseLocation("place", loc); err != nil || l2 != loc {
				t.Fatalf("place %q → %q, re-parsed %q %v", s, loc, l2, err)
			}
		}
		_, _ = gtin14("gtin", s)
		_, _ = parseAddress(s)
	})
}

// FuzzWriteRequests sends arbitrary JSON to every write function that
// parses a request, on a ledger with a lot, a unit and a shipment: no
// panic, a rejection writes nothing, and an acceptance sets one complete
// event.
func FuzzWriteRequests(f *testing.F) {
	fns := []string{"Product:RegisterProduct", "Batch:CreateBatch", "Batch:Transform", "Custody:Pack",
		"Custody:Ship", "Custody:Receive", "Custody:RecordReadings", "Lab:SubmitInspection", "Governance:ProposeRoles"}
	// Request times near those of the fuzzed transactions.
	seed := &env{now: t0.Add(5 * time.Minute)}
	seeds := []string{
		mustJSON(productReq(gtinUnknown, "X")),
		mustJSON(seed.batchReq(gtinTomato, "L2")),
		mustJSON(ledger.TransformRequest{Inputs: []ledger.LotQuantity{{Lot: lotURI(gtinTomato, "L1"), Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}}},
			Outputs: []ledger.TransformOutput{{GTIN: gtinSauce, Lot: "S1", Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}, Expiry: seed.rfc(72 * time.Hour)}}}),
		mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{lotURI(gtinTomato, "L1")}}),
		mustJSON(ledger.ShipRequest{Lot: lotURI(gtinTomato, "L1"), To: logistics, Destination: glnWarehouse, Readings: []ledger.Reading{seed.readingAt(0, 4)}}),
		mustJSON(ledger.ReceiveRequest{Lot: lotURI(gtinTomato, "L1")}),
		mustJSON(ledger.ReadingsRequest{Lot: lotURI(gtinTomato, "L1"), Readings: []ledger.Reading{seed.readingAt(0, 40)}}),
		mustJSON(seed.report("R", lotURI(gtinTomato, "L1"))),
		testnetRoles(),
		`{"lot":null}`, `{"readings":[{"temperatureC":1e308}]}`, `{"quantity":{"value":"1.5","uom":"KGM"}}`, "\x00", `"`,
	}
	for i, s := range seeds {
		for j := range fns {
			if j == i%len(fns) || i >= len(fns) {
				f.Add(uint8(j), s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, req string) {
		e := newEnv(t)
		e.setupLot("L1")
		e.registerLabKey()
		fn := fns[int(which)%len(fns)]
		args := []string{req}
		if fn == "Lab:SubmitInspection" {
			args = append(args, "0x"+strings.Repeat("11", 65))
		}
		for _, msp := range []string{supplier, brand, lab} {
			r := e.invoke(msp, fn, args...)
			if !r.OK() {
				if len(r.Writes) != 0 || len(r.Events) != 0 {
					t.Fatalf("%s rejected (%s) after %d writes", fn, r.Response.Message, len(r.Writes))
				}
				continue
			}
			if len(r.Events) != 1 {
				t.Fatalf("%s accepted with %d events", fn, len(r.Events))
			}
			ev := completeEvent(t, fn, r)
			checkPayloadComplete(t, fn, r.Writes, ev)
		}
	})
}
