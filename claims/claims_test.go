package claims

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

const (
	rawGTIN    = "04260123450014"
	yogGTIN    = "04260123450021"
	farmGLN    = "4260123451004"
	storeGLN   = "4260123454005"
	signerAddr = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
	brandMSP   = "BrandMSP"
)

var (
	rawLot = "https://id.gs1.org/01/" + rawGTIN + "/10/RM-1"
	yogLot = "https://id.gs1.org/01/" + yogGTIN + "/10/YG-1-A"
	t0     = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC) // harvest
)

func h(d float64) time.Time { return t0.Add(time.Duration(d * float64(time.Hour))) }

func iso(t time.Time) string { return t.Format(time.RFC3339) }

type rd struct {
	at string
	c  float64
}

// ev builds an EPCIS event as the chaincode records it.
func ev(id, bizStep string, at time.Time, lots []string, extra map[string]any, readings ...rd) json.RawMessage {
	m := map[string]any{"type": "ObjectEvent", "eventID": id, "eventTime": at.Format("2006-01-02T15:04:05.000Z07:00"), "bizStep": bizStep}
	var ql []map[string]any
	for _, l := range lots {
		ql = append(ql, map[string]any{"epcClass": l})
	}
	m["quantityList"] = ql
	var sl []any
	for _, r := range readings {
		sl = append(sl, map[string]any{
			"sensorMetadata": map[string]any{"time": r.at, "deviceID": "urn:tl:logger:van"},
			"sensorReport":   []any{map[string]any{"type": "Temperature", "value": r.c, "uom": "CEL"}},
		})
	}
	if len(sl) > 0 {
		m["sensorElementList"] = sl
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func fixture() Trace {
	origin := &ledger.Origin{
		Producer: "https://id.gs1.org/414/" + farmGLN,
		Place: ledger.Place{Location: "https://id.gs1.org/414/" + farmGLN, Geo: &ledger.Geo{Latitude: 47.5683, Longitude: 10.2201},
			Address: &ledger.Address{City: "Oberstaufen", Country: "DE"}},
		FarmingPractice: "organic",
	}
	raw := ledger.LotSummary{ID: rawLot, GTIN: rawGTIN, Lot: "RM-1", Origin: origin, ProducedAt: iso(t0), Status: ledger.StatusActive}
	yog := ledger.LotSummary{ID: yogLot, GTIN: yogGTIN, Lot: "YG-1-A", Inputs: []ledger.LotQuantity{{Lot: rawLot}}, ProducedAt: iso(h(6)), Status: ledger.StatusActive}
	rawEvents := []json.RawMessage{
		ev("ev-rm-made", "commissioning", h(1), []string{rawLot}, map[string]any{"ilmd": map[string]any{"tl:producedAt": iso(t0)}}),
		ev("ev-rm-ship", "shipping", h(2), []string{rawLot}, map[string]any{"tl:shipment": "S1", "tl:to": "LogisticsMSP"}, rd{iso(h(2)), 3.8}),
		ev("ev-rm-read", "sensor_reporting", h(3), []string{rawLot}, nil, rd{iso(h(2.5)), 4.1}, rd{iso(h(3)), 4.3}),
		ev("ev-rm-recv", "receiving", h(4), []string{rawLot}, map[string]any{"tl:shipment": "S1", "tl:to": "SupplierMSP"}, rd{iso(h(3.75)), 4.5}),
		ev("ev-lab", "inspecting", h(5), []string{rawLot}, nil),
		ev("ev-transform", "", h(6), nil, map[string]any{"inputQuantityList": []any{map[string]any{"epcClass": rawLot}}, "outputQuantityList": []any{map[string]any{"epcClass": yogLot}}}),
	}
	yogEvents := []json.RawMessage{
		rawEvents[5],
		ev("ev-yg-ship", "shipping", h(20), []string{yogLot}, map[string]any{"tl:shipment": "S2", "tl:to": brandMSP}, rd{iso(h(20)), 5.1}),
		ev("ev-yg-recv", "receiving", h(22), []string{yogLot}, map[string]any{"tl:shipment": "S2", "tl:to": brandMSP, "bizLocation": map[string]any{"id": "https://id.gs1.org/414/" + storeGLN}},
			rd{iso(h(21)), 4.9}, rd{iso(h(22)), 4.6}),
	}
	report := inspection.Report{
		ReportID: "BFL-1", Lots: []string{rawLot}, Method: "LC-MS/MS", Standard: "Regulation (EU) 2023/915",
		SampledAt: iso(h(-2)), IssuedAt: iso(h(-1)), Verdict: inspection.VerdictPass,
		Analytes: []inspection.Analyte{
			{Name: "Total plate count (30 °C)", Value: "18000", Unit: "cfu/mL", Limit: "100000", Pass: true},
			{Name: "Aflatoxin M1", Value: "0.008", Unit: "µg/kg", Limit: "0.05", Pass: true},
			{Name: "Glyphosate", Value: "0.002", Unit: "mg/kg", Limit: "0.05", Pass: true},
		},
	}
	return Trace{
		Lot:            yog,
		Product:        &ledger.Product{GTIN: yogGTIN, TempMinC: 2, TempMaxC: 7, Owner: brandMSP},
		Upstream:       []ledger.LotSummary{raw},
		Events:         yogEvents,
		UpstreamEvents: rawEvents,
		Inspections:    []ledger.InspectionRecord{{Report: report, Signer: signerAddr, Lab: "LabMSP", EventID: "ev-lab"}},
		Signers:        []ledger.LabSigner{{Address: signerAddr, Lab: "LabMSP", Name: "Bavarian Food Lab", Accreditation: "DAkkS D-PL-14521-01"}},
		At:             h(22),
	}
}

func claim(kind ledger.ClaimKind, p ledger.ClaimParams) ledger.Claim {
	return ledger.Claim{ID: "claim-1", Subject: "https://id.gs1.org/01/" + yogGTIN, GTIN: yogGTIN, Kind: kind, Wording: "promise", Params: p, Brand: brandMSP}
}

// dropEvent removes the event with id from both lists.
func dropEvent(tr *Trace, id string) {
	del := func(l []json.RawMessage) []json.RawMessage {
		return slices.DeleteFunc(l, func(r json.RawMessage) bool { return strings.Contains(string(r), `"eventID":"`+id+`"`) })
	}
	tr.Events, tr.UpstreamEvents = del(tr.Events), del(tr.UpstreamEvents)
}

func replaceEvent(tr *Trace, id string, with json.RawMessage) {
	for _, l := range [][]json.RawMessage{tr.Events, tr.UpstreamEvents} {
		for i, r := range l {
			if strings.Contains(string(r), `"eventID":"`+id+`"`) {
				l[i] = with
			}
		}
	}
}

func TestEvaluate(t *testing.T) {
	fts := func(hours int, places ...string) ledger.ClaimParams {
		return ledger.ClaimParams{FarmToShelf: &ledger.FarmToShelfParams{Hours: hours, RetailPlaces: places}}
	}
	cold := func(gap int) ledger.ClaimParams {
		return ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: gap}}
	}
	lab := func(days int, analytes ...string) ledger.ClaimParams {
		return ledger.ClaimParams{LabTested: &ledger.LabTestedParams{Analytes: analytes, MaxAgeDays: days}}
	}
	origin := func(glns []string, poly ...ledger.Geo) ledger.ClaimParams {
		return ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: "Bavaria", GLNs: glns, Polygon: poly}}
	}
	cert := func(days int) ledger.ClaimParams {
		return ledger.ClaimParams{Certified: &ledger.CertifiedParams{Scheme: "EU 2018/848", ValidDays: days}}
	}
	// S2 (lot A to the store, 02:00 to 04:00 UTC) with other readings, and
	// other ledger times in the event-time zone given. S1's longest gap is 45 min.
	s2 := func(tr *Trace, ship, recv time.Time, shipReadings []rd, recvReadings ...rd) {
		replaceEvent(tr, "ev-yg-ship", ev("ev-yg-ship", "shipping", ship, []string{yogLot}, map[string]any{"tl:shipment": "S2", "tl:to": brandMSP}, shipReadings...))
		replaceEvent(tr, "ev-yg-recv", ev("ev-yg-recv", "receiving", recv, []string{yogLot}, map[string]any{"tl:shipment": "S2", "tl:to": brandMSP}, recvReadings...))
		tr.At = recv
	}
	m := func(hours, minutes int) time.Time {
		return h(float64(hours)).Add(time.Duration(minutes) * time.Minute)
	}
	lateFirst := func(tr *Trace) { // first reading 50 min after shipping
		s2(tr, h(20), h(22), nil, rd{iso(m(20, 50)), 4.9}, rd{iso(m(21, 30)), 4.7}, rd{iso(h(22)), 4.6})
	}
	earlyLast := func(tr *Trace) { // last reading 50 min before receiving
		s2(tr, h(20), h(22), []rd{{iso(h(20)), 5.1}}, rd{iso(m(20, 30)), 4.9}, rd{iso(m(21, 10)), 4.7})
	}
	afterTheFact := func(tr *Trace) { // shipped and received after the logger's trip, 50 min apart
		s2(tr, h(20), m(20, 50), nil, rd{iso(h(17)), 4.9}, rd{iso(m(17, 30)), 4.7}, rd{iso(h(18)), 4.6})
	}
	zones := func(tr *Trace) { // lateFirst with ledger and logger times in other zones
		s2(tr, h(20).In(time.FixedZone("CET", 3600)), h(22).In(time.FixedZone("EST", -5*3600)), nil,
			rd{"2026-03-02T08:20:00+05:30", 4.9}, rd{iso(m(21, 30)), 4.7}, rd{iso(h(22)), 4.6})
	}
	bavaria := []ledger.Geo{{Latitude: 47.2, Longitude: 9.9}, {Latitude: 47.2, Longitude: 13.9}, {Latitude: 50.6, Longitude: 13.9}, {Latitude: 50.6, Longitude: 9.9}}
	addCert := func(tr *Trace, issued time.Time, verdict string) {
		tr.Inspections = append(tr.Inspections, ledger.InspectionRecord{
			Report: inspection.Report{ReportID: "ORG-7", Lots: []string{rawLot}, Standard: "Organic (EU 2018/848) certificate",
				SampledAt: iso(issued), IssuedAt: iso(issued), Verdict: verdict},
			Signer: signerAddr, EventID: "ev-cert",
		})
	}
	tests := []struct {
		name     string
		kind     ledger.ClaimKind
		params   ledger.ClaimParams
		mutate   func(*Trace)
		want     Status
		reason   string
		evidence []string
	}{
		// farm_to_shelf_within
		{"farm to shelf exactly at the limit", ledger.ClaimFarmToShelf, fts(22), nil, Holds,
			"received at a retail place on 2026-03-02 04:00 UTC, 22 h after harvest on 2026-03-01 06:00 UTC (limit 22 h)", []string{"ev-rm-made", "ev-yg-recv"}},
		{"farm to shelf one hour over", ledger.ClaimFarmToShelf, fts(21), nil, Fails, "22 h after harvest on 2026-03-01 06:00 UTC, over the 21 h limit", []string{"ev-yg-recv"}},
		{"farm to shelf harvest time with an offset", ledger.ClaimFarmToShelf, fts(22), func(tr *Trace) {
			tr.Upstream[0].ProducedAt = "2026-03-01T07:00:00+01:00"
		}, Holds, "22 h after harvest on 2026-03-01 06:00 UTC", nil},
		{"farm to shelf harvest in a western zone", ledger.ClaimFarmToShelf, fts(22), func(tr *Trace) {
			tr.Upstream[0].ProducedAt = "2026-02-28T23:59:00-06:00" // 05:59 UTC: one minute over
		}, Fails, "22 h 1 min after harvest", nil},
		{"farm to shelf not yet at retail", ledger.ClaimFarmToShelf, fts(22), func(tr *Trace) {
			dropEvent(tr, "ev-yg-recv")
			tr.At = h(21)
		}, Pending, "not yet received at a retail place (1 h of 22 h left)", nil},
		{"farm to shelf too late without receipt", ledger.ClaimFarmToShelf, fts(22), func(tr *Trace) {
			dropEvent(tr, "ev-yg-recv")
			tr.At = h(23)
		}, Fails, "not received at a retail place 23 h after harvest", nil},
		{"farm to shelf receipt by a non-owner is not retail", ledger.ClaimFarmToShelf, fts(22), func(tr *Trace) {
			tr.Product.Owner = "OtherBrandMSP"
		}, Pending, "not yet received at a retail place", nil},
		{"farm to shelf retail place by GLN", ledger.ClaimFarmToShelf, fts(22, storeGLN), func(tr *Trace) {
			tr.Product.Owner = "OtherBrandMSP"
		}, Holds, "22 h after harvest", nil},

		// cold_chain
		{"cold chain holds with gaps exactly at the limit", ledger.ClaimColdChain, cold(60), nil, Holds,
			"all 7 readings from origin to retail within 2–7 °C; longest gap in transit 1 h (limit 1 h)", []string{"ev-rm-ship", "ev-yg-recv"}},
		{"cold chain gap one minute over", ledger.ClaimColdChain, cold(59), nil, Fails,
			"no reading for 1 h between 2026-03-02 02:00 UTC and 03:00 UTC on shipment S2 (limit 59 min)", []string{"ev-yg-ship", "ev-yg-recv"}},
		{"cold chain reading exactly at the maximum", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			replaceEvent(tr, "ev-yg-ship", ev("ev-yg-ship", "shipping", h(20), []string{yogLot}, map[string]any{"tl:shipment": "S2"}, rd{iso(h(20)), 7}))
		}, Holds, "within 2–7 °C", nil},
		{"cold chain breach", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			replaceEvent(tr, "ev-yg-recv", ev("ev-yg-recv", "receiving", h(22), []string{yogLot}, map[string]any{"tl:shipment": "S2", "tl:to": brandMSP},
				rd{"2026-03-02T08:10:00+05:00", 9.4}, rd{iso(h(22)), 7.01}))
		}, Fails, "reading of 9.4 °C at 2026-03-02 03:10 UTC (urn:tl:logger:van) exceeds 7 °C; 2 readings outside 2–7 °C", []string{"ev-yg-recv"}},
		{"cold chain narrower range from the claim", ledger.ClaimColdChain, ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 60, Range: &ledger.TempRange{MinC: 2, MaxC: 4}}}, nil, Fails,
			"reading of 4.1 °C at 2026-03-01 08:30 UTC (urn:tl:logger:van) exceeds 4 °C", []string{"ev-rm-read"}},
		{"cold chain below the minimum", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			replaceEvent(tr, "ev-rm-read", ev("ev-rm-read", "sensor_reporting", h(3), []string{rawLot}, nil, rd{iso(h(2.5)), 1.5}, rd{iso(h(3)), 4.3}))
		}, Fails, "reading of 1.5 °C at 2026-03-01 08:30 UTC (urn:tl:logger:van) is below 2 °C", []string{"ev-rm-read"}},
		{"cold chain shipment without readings", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			replaceEvent(tr, "ev-yg-ship", ev("ev-yg-ship", "shipping", h(20), []string{yogLot}, map[string]any{"tl:shipment": "S2"}))
			replaceEvent(tr, "ev-yg-recv", ev("ev-yg-recv", "receiving", h(22), []string{yogLot}, map[string]any{"tl:shipment": "S2", "tl:to": brandMSP}))
		}, Fails, "shipment S2 carried no temperature readings", []string{"ev-yg-ship", "ev-yg-recv"}},
		{"cold chain missing readings in the middle of a leg", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			dropEvent(tr, "ev-rm-read")
		}, Fails, "no reading for 1 h 45 min between 2026-03-01 08:00 UTC and 09:45 UTC on shipment S1 (limit 1 h)", nil},
		{"cold chain first reading exactly at the limit after shipping", ledger.ClaimColdChain, cold(50), lateFirst, Holds,
			"longest gap in transit 50 min (limit 50 min)", []string{"ev-yg-recv"}},
		{"cold chain first reading one minute over the limit after shipping", ledger.ClaimColdChain, cold(49), lateFirst, Fails,
			"no reading for 50 min between shipping at 2026-03-02 02:00 UTC and the first reading at 02:50 UTC on shipment S2 (limit 49 min)", []string{"ev-yg-ship", "ev-yg-recv"}},
		{"cold chain last reading exactly at the limit before receiving", ledger.ClaimColdChain, cold(50), earlyLast, Holds,
			"longest gap in transit 50 min (limit 50 min)", nil},
		{"cold chain last reading one minute over the limit before receiving", ledger.ClaimColdChain, cold(49), earlyLast, Fails,
			"no reading for 50 min between the last reading at 2026-03-02 03:10 UTC and receiving at 04:00 UTC on shipment S2 (limit 49 min)", []string{"ev-yg-recv"}},
		{"cold chain gap across midnight names both dates", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			s2(tr, m(17, 30), h(20), []rd{{iso(m(17, 30)), 5.1}}, rd{iso(h(19)), 4.9}, rd{iso(h(20)), 4.6})
		}, Fails, "no reading for 1 h 30 min between 2026-03-01 23:30 UTC and 2026-03-02 01:00 UTC on shipment S2", nil},
		{"cold chain reading before shipping covers the start", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			// The logger was started 5 min before the ship transaction.
			s2(tr, h(20), h(22), []rd{{iso(m(19, 55)), 5.1}}, rd{iso(m(20, 55)), 4.9}, rd{iso(m(21, 55)), 4.7}, rd{iso(h(22)), 4.6})
		}, Holds, "longest gap in transit 1 h (limit 1 h)", nil},
		{"cold chain gap from a reading before shipping is the logger's", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			s2(tr, h(20), h(22), []rd{{iso(m(19, 55)), 5.1}}, rd{iso(m(20, 56)), 4.9}, rd{iso(h(22)), 4.6})
		}, Fails, "no reading for 1 h 1 min between 2026-03-02 01:55 UTC and 02:56 UTC on shipment S2", nil},
		{"cold chain leg recorded after the logger's trip, at the limit", ledger.ClaimColdChain, cold(50), afterTheFact, Holds,
			"longest gap in transit 50 min (limit 50 min)", nil},
		{"cold chain leg recorded after the logger's trip, one minute over", ledger.ClaimColdChain, cold(49), afterTheFact, Fails,
			"no reading for 50 min between shipping at 2026-03-02 02:00 UTC and receiving at 02:50 UTC on shipment S2 (limit 49 min)", []string{"ev-yg-ship", "ev-yg-recv"}},
		{"cold chain reading after receiving covers the end", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			// The logger's clock runs 3 min ahead of the ledger.
			s2(tr, h(20), h(22), []rd{{iso(m(20, 3)), 5.1}}, rd{iso(m(21, 3)), 4.9}, rd{iso(m(22, 3)), 4.6})
		}, Holds, "longest gap in transit 1 h (limit 1 h)", nil},
		{"cold chain event times with zone offsets, at the limit", ledger.ClaimColdChain, cold(50), zones, Holds, "longest gap in transit 50 min", nil},
		{"cold chain event times with zone offsets, one minute over", ledger.ClaimColdChain, cold(49), zones, Fails,
			"no reading for 50 min between shipping at 2026-03-02 02:00 UTC and the first reading at 02:50 UTC on shipment S2 (limit 49 min)", []string{"ev-yg-ship", "ev-yg-recv"}},
		{"cold chain open leg without readings is pending", ledger.ClaimColdChain, cold(45), func(tr *Trace) {
			replaceEvent(tr, "ev-yg-ship", ev("ev-yg-ship", "shipping", h(20), []string{yogLot}, map[string]any{"tl:shipment": "S2"}))
			dropEvent(tr, "ev-yg-recv")
			tr.At = h(23) // long after shipping: the logger is read out on receipt
		}, Pending, "4 readings within 2–7 °C so far; not yet received at a retail place", nil},
		{"cold chain open leg with a late first reading is pending", ledger.ClaimColdChain, cold(50), func(tr *Trace) {
			replaceEvent(tr, "ev-yg-ship", ev("ev-yg-ship", "shipping", h(20), []string{yogLot}, map[string]any{"tl:shipment": "S2"}))
			replaceEvent(tr, "ev-yg-recv", ev("ev-yg-read", "sensor_reporting", h(21), []string{yogLot}, nil, rd{iso(m(20, 51)), 4.9}))
			tr.At = h(21)
		}, Pending, "no reading for 51 min between shipping at 2026-03-02 02:00 UTC and the first reading at 02:51 UTC on shipment S2 (limit 50 min); the shipment is still in transit", []string{"ev-yg-ship", "ev-yg-read"}},
		{"cold chain open leg with a reading out of range fails at once", ledger.ClaimColdChain, cold(50), func(tr *Trace) {
			replaceEvent(tr, "ev-yg-ship", ev("ev-yg-ship", "shipping", h(20), []string{yogLot}, map[string]any{"tl:shipment": "S2"}))
			replaceEvent(tr, "ev-yg-recv", ev("ev-yg-read", "sensor_reporting", h(21), []string{yogLot}, nil, rd{iso(m(20, 51)), 9.9}))
			tr.At = h(21)
		}, Fails, "reading of 9.9 °C at 2026-03-02 02:51 UTC", []string{"ev-yg-read"}},
		{"cold chain in transit is pending", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			dropEvent(tr, "ev-yg-recv")
			tr.At = h(21)
		}, Pending, "5 readings within 2–7 °C so far; not yet received at a retail place", nil},
		{"cold chain ignores the shop after retail", ledger.ClaimColdChain, cold(60), func(tr *Trace) {
			tr.Events = append(tr.Events, ev("ev-shop", "sensor_reporting", h(30), []string{yogLot}, nil, rd{iso(h(30)), 12}))
			tr.At = h(30)
		}, Holds, "all 7 readings", nil},

		// lab_tested
		{"lab tested on the upstream lot", ledger.ClaimLabTested, lab(30, "Glyphosate", "aflatoxin m1"), nil, Holds,
			"report BFL-1 by Bavarian Food Lab (DAkkS D-PL-14521-01), sampled from ingredient lot " + rawLot + " on 2026-03-01 04:00 UTC, passes Glyphosate, aflatoxin m1", []string{"ev-lab"}},
		{"lab tested analyte with a qualifier", ledger.ClaimLabTested, lab(30, "Total plate count"), nil, Holds, "passes Total plate count", nil},
		{"lab tested exactly at the age limit", ledger.ClaimLabTested, lab(1, "Glyphosate"), nil, Holds, "passes Glyphosate", nil},
		{"lab tested one second too old", ledger.ClaimLabTested, lab(1, "Glyphosate"), func(tr *Trace) { tr.At = tr.At.Add(time.Second) }, Fails,
			"report BFL-1 was sampled on 2026-03-01 04:00 UTC, 24 h ago, older than 1 days", []string{"ev-lab"}},
		{"lab tested revoked signer", ledger.ClaimLabTested, lab(30, "Glyphosate"), func(tr *Trace) {
			tr.Signers[0].Revoked, tr.Signers[0].RevokedAt = true, iso(h(10))
		}, Fails, "report BFL-1 does not count: its signer " + signerAddr + " (Bavarian Food Lab) was revoked on 2026-03-01 16:00 UTC", []string{"ev-lab"}},
		{"lab tested unregistered signer", ledger.ClaimLabTested, lab(30, "Glyphosate"), func(tr *Trace) { tr.Signers = nil }, Fails, "is not a registered lab signer", nil},
		{"lab tested analyte not covered", ledger.ClaimLabTested, lab(30, "Lead"), nil, Pending,
			"no report of a registered lab signer covering Lead is recorded yet (report BFL-1 does not cover Lead)", nil},
		{"lab tested failing analyte", ledger.ClaimLabTested, lab(30, "Glyphosate"), func(tr *Trace) {
			tr.Inspections[0].Report.Verdict = "fail"
			tr.Inspections[0].Report.Analytes[2].Pass = false
		}, Fails, "report BFL-1 has verdict fail: Glyphosate 0.002 mg/kg over the limit 0.05", nil},
		{"lab tested no reports", ledger.ClaimLabTested, lab(30, "Glyphosate"), func(tr *Trace) { tr.Inspections = nil }, Pending, "no report", nil},

		// origin_in
		{"origin by GLN", ledger.ClaimOriginIn, origin([]string{"https://id.gs1.org/414/" + farmGLN}), nil, Holds,
			"the origin (Oberstaufen, DE at 47.5683, 10.2201) lies in Bavaria", []string{"ev-rm-made"}},
		{"origin by bare GLN", ledger.ClaimOriginIn, origin([]string{farmGLN}), nil, Holds, "lies in Bavaria", nil},
		{"origin in polygon", ledger.ClaimOriginIn, origin(nil, bavaria...), nil, Holds, "lies in Bavaria", nil},
		{"origin on the polygon's edge", ledger.ClaimOriginIn, origin(nil, ledger.Geo{Latitude: 47.5683, Longitude: 9}, ledger.Geo{Latitude: 47.5683, Longitude: 11}, ledger.Geo{Latitude: 49, Longitude: 10}), nil, Holds, "lies in Bavaria", nil},
		{"origin outside polygon", ledger.ClaimOriginIn, origin([]string{storeGLN}, ledger.Geo{Latitude: 48, Longitude: 11}, ledger.Geo{Latitude: 48, Longitude: 12}, ledger.Geo{Latitude: 49, Longitude: 12}), nil, Fails,
			"origin of " + rawLot + " (Oberstaufen, DE at 47.5683, 10.2201) lies outside Bavaria", []string{"ev-rm-made"}},
		{"origin unknown", ledger.ClaimOriginIn, origin([]string{farmGLN}), func(tr *Trace) { tr.Upstream = nil }, Pending, "no origin is recorded yet", nil},

		// certified
		{"certified without a certificate", ledger.ClaimCertified, cert(365), nil, Pending, "no EU 2018/848 certificate for the origin producer https://id.gs1.org/414/" + farmGLN + " is recorded yet", nil},
		{"certified current", ledger.ClaimCertified, cert(365), func(tr *Trace) { addCert(tr, h(-24*30), "pass") }, Holds,
			"current EU 2018/848 certificate: ORG-7 by Bavarian Food Lab, issued 2026-01-30 06:00 UTC", []string{"ev-cert"}},
		{"certified exactly at expiry", ledger.ClaimCertified, cert(30), func(tr *Trace) { addCert(tr, h(22-24*30), "pass") }, Holds, "current", nil},
		{"certified expired", ledger.ClaimCertified, cert(30), func(tr *Trace) { addCert(tr, h(21-24*30), "pass") }, Fails, "expired after 30 days", nil},
		{"certified by a revoked signer", ledger.ClaimCertified, cert(365), func(tr *Trace) {
			addCert(tr, h(-24), "pass")
			tr.Signers[0].Revoked = true
		}, Fails, "certificate ORG-7 for https://id.gs1.org/414/" + farmGLN + " does not count", nil},
		{"certified fail verdict", ledger.ClaimCertified, cert(365), func(tr *Trace) { addCert(tr, h(-24), "fail") }, Fails, "has verdict fail", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := fixture()
			if tt.mutate != nil {
				tt.mutate(&tr)
			}
			c := claim(tt.kind, tt.params)
			if err := c.Params.Check(c.Kind); err != nil {
				t.Fatalf("Params.Check: %v", err)
			}
			r := Evaluate(tr, c)
			checkWhy(t, r.Why)
			if r.Status != tt.want || !strings.Contains(r.Reason, tt.reason) {
				t.Fatalf("Evaluate = %s %q\nwant %s %q", r.Status, r.Reason, tt.want, tt.reason)
			}
			for _, id := range tt.evidence {
				if !slices.Contains(r.Evidence, id) {
					t.Errorf("evidence %v lacks %s", r.Evidence, id)
				}
			}
			if r.Claim != c.ID || r.Lot != yogLot || r.EvaluatedAt != ledger.FormatTime(tr.At) {
				t.Errorf("result header = %+v", r)
			}
			// Deterministic: the same trace in another order gives the same result.
			tr2 := tr
			tr2.Events = slices.Clone(tr.Events)
			tr2.UpstreamEvents = slices.Clone(tr.UpstreamEvents)
			slices.Reverse(tr2.Events)
			slices.Reverse(tr2.UpstreamEvents)
			if r2 := Evaluate(tr2, c); r2.Status != r.Status || r2.Reason != r.Reason || !slices.Equal(r2.Evidence, r.Evidence) {
				t.Errorf("reordered events: %+v, want %+v", r2, r)
			}
		})
	}
}

func TestApplies(t *testing.T) {
	l := fixture().Lot
	product := claim(ledger.ClaimColdChain, ledger.ClaimParams{})
	lot := product
	lot.Subject, lot.Lot = yogLot, "YG-1-A"
	other := lot
	other.Lot = "YG-1-B"
	superseded := product
	superseded.SupersededBy = "claim-2"
	tests := []struct {
		name string
		c    ledger.Claim
		want bool
	}{
		{"product claim", product, true},
		{"lot claim", lot, true},
		{"other lot", other, false},
		{"other product", ledger.Claim{GTIN: rawGTIN}, false},
		{"superseded", superseded, false},
	}
	for _, tt := range tests {
		if got := Applies(tt.c, l); got != tt.want {
			t.Errorf("%s: Applies = %v", tt.name, got)
		}
	}
}

func TestOverall(t *testing.T) {
	l := fixture().Lot
	hold := Result{Wording: "Cold chain", Status: Holds, Reason: "ok"}
	pend := Result{Wording: "Organic", Status: Pending, Reason: "no certificate"}
	fail := Result{Wording: "48 h", Status: Fails, Reason: "too slow"}
	recalled := l
	recalled.Recall = &ledger.Recall{Reason: "cold-chain breach"}
	tests := []struct {
		name   string
		l      ledger.LotSummary
		rs     []Result
		want   Status
		reason string
	}{
		{"all hold", l, []Result{hold, hold}, Holds, "2 claims hold"},
		{"one pending", l, []Result{hold, pend}, Pending, "Organic: no certificate"},
		{"one fails", l, []Result{pend, fail, hold}, Fails, "48 h: too slow"},
		{"recalled", recalled, []Result{hold}, Fails, "Recalled: cold-chain breach"},
		{"none", l, nil, Pending, "no claims"},
	}
	for _, tt := range tests {
		if st, reason := Overall(tt.l, tt.rs); st != tt.want || reason != tt.reason {
			t.Errorf("%s: Overall = %s %q", tt.name, st, reason)
		}
	}
}
