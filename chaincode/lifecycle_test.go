package chaincode

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/chaincode/internal/stubfake"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// runLife drives a lot through its whole life: origin, lab report, two
// hand-offs with readings, a transformation, units and a recall. It returns
// every chaincode event payload, in order.
func runLife(e *env) []ledger.Event {
	var events []ledger.Event
	okEv := func(msp, fn string, args ...string) string {
		resp, ev := e.ok(msp, fn, args...)
		events = append(events, ev)
		return resp
	}
	l := e.setupLot("L1")
	e.registerLabKey()
	r := e.report("R-1", l.ID)
	okEv(lab, "Lab:SubmitInspection", mustJSON(r), sign(e.t, r, e.labKey))
	okEv(supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: l.ID, To: logistics, Destination: glnWarehouse,
		BizTransactions: []ledger.BizTransaction{{Type: "desadv", ID: "urn:epcglobal:cbv:bt:9506000134376:D1"}},
		Readings:        []ledger.Reading{e.readingAt(0, 4)}}))
	okEv(logistics, "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: l.ID, Readings: []ledger.Reading{e.readingAt(0, 5)}}))
	okEv(logistics, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: l.ID, To: supplier, Destination: glnFarm}))
	okEv(logistics, "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: l.ID, Readings: []ledger.Reading{e.readingAt(-time.Minute, 6)}}))
	okEv(supplier, "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: l.ID, Readings: []ledger.Reading{e.readingAt(0, 7)}}))
	okEv(supplier, "Batch:Transform", mustJSON(ledger.TransformRequest{
		Inputs:  []ledger.LotQuantity{{Lot: l.ID, Quantity: ledger.Quantity{Value: "500", UOM: "KGM"}}},
		Outputs: []ledger.TransformOutput{{GTIN: gtinSauce, Lot: "S1", Quantity: ledger.Quantity{Value: "1000", UOM: "H87"}, Expiry: e.rfc(365 * 24 * time.Hour)}},
	}))
	okEv(brand, "Product:CommissionUnits", lotURI(gtinSauce, "S1"), `["0001","0002"]`)
	okEv(brand, "Product:Recall", l.ID, "Salmonella", "I")
	return events
}

func TestLotLife(t *testing.T) {
	e := newEnv(t)
	runLife(e)
	tomato, sauce := lotURI(gtinTomato, "L1"), lotURI(gtinSauce, "S1")

	got := e.lot(tomato)
	want := ledger.Counts{Events: 9, Inspections: 1, Shipments: 2, Readings: 4, Excursions: 0, Units: 0}
	if got.Status != ledger.StatusRecalled || got.Custodian != supplier || got.Counts != want || got.Remaining.Value != "500" {
		t.Fatalf("tomato lot = %+v", got)
	}
	s := e.lot(sauce)
	if s.Status != ledger.StatusRecalled || len(s.RecalledVia) != 1 || s.RecalledVia[0] != tomato || s.Counts.Units != 2 || s.Recall != nil {
		t.Fatalf("sauce lot = %+v", s)
	}

	var doc struct {
		Context []any  `json:"@context"`
		Type    string `json:"type"`
		Body    struct {
			Events []struct {
				Type      string `json:"type"`
				EventID   string `json:"eventID"`
				EventTime string `json:"eventTime"`
				BizStep   string `json:"bizStep"`
			} `json:"eventList"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal([]byte(e.query(lab, "Query:GetLotEvents", tomato)), &doc); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for i, ev := range doc.Body.Events {
		steps = append(steps, ev.BizStep)
		if i > 0 && ev.EventTime < doc.Body.Events[i-1].EventTime {
			t.Errorf("events out of time order at %d", i)
		}
		var raw string
		raw = e.query(brand, "Query:GetEvent", ev.EventID)
		if !strings.Contains(raw, ev.EventID) {
			t.Errorf("GetEvent(%s) = %s", ev.EventID, raw)
		}
	}
	wantSteps := "commissioning inspecting shipping receiving shipping sensor_reporting receiving commissioning "
	if doc.Type != "EPCISDocument" || len(doc.Context) != 2 || strings.Join(steps, " ") != wantSteps {
		t.Fatalf("lot events = %s %q", doc.Type, steps)
	}
	e.queryFail(brand, "no EPCIS event", "Query:GetEvent", "ni:///sha-256;00?ver=CBV2.0")
	e.queryFail(brand, "unknown lot", "Query:GetLotEvents", lotURI(gtinSauce, "S9"))
	e.queryFail(brand, "does not name a lot", "Query:GetLot", "https://id.gs1.org/01/"+gtinSauce)
	e.queryFail(brand, "is not a valid GS1 Digital Link", "Query:GetUpstream", "ftp://x")
	e.queryFail(brand, "unknown lot", "Query:GetDownstream", lotURI(gtinSauce, "S9"))
}

// TestReplayPayloads rebuilds the state from the chaincode events alone,
// as a member node does, and compares it with the ledger: every record,
// byte for byte, and nothing more. Only the lot event index is derived.
func TestReplayPayloads(t *testing.T) {
	e := newEnv(t)
	runLife(e)
	e.ok(brand, "Governance:ProposeRoles", testnetRoles())
	e.ok(supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{lotURI(gtinSauce, "S1")}}))
	rebuilt := map[string]string{}
	put := func(key string, v any) {
		b, err := marshalCanonical(v)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt[key] = string(b)
	}
	for _, ev := range e.events {
		lotKeys := map[string]string{}
		for _, l := range ev.Lots {
			lotKeys[l.ID] = mustKey(ledger.ObjectRecall, l.GTIN, l.Lot)
			put(mustKey(ledger.ObjectLot, l.GTIN, l.Lot), l)
		}
		for _, p := range ev.Products {
			put(mustKey(ledger.ObjectProduct, p.GTIN), p)
		}
		for _, u := range ev.Units {
			put(mustKey(ledger.ObjectUnit, u.GTIN, u.Serial), u)
		}
		for _, s := range ev.Shipments {
			put(mustKey(ledger.ObjectShipment, s.ID), s)
		}
		for _, u := range ev.LogisticUnits {
			put(mustKey(ledger.ObjectLogisticUnit, u.SSCC), u)
		}
		for _, s := range ev.LabSigners {
			put(mustKey(ledger.ObjectLabSigner, strings.ToLower(s.Address)), s)
		}
		for _, r := range ev.Inspections {
			put(mustKey(ledger.ObjectInspection, r.Report.ReportID), r)
		}
		for _, r := range ev.Recalls {
			put(lotKeys[r.Lot], r)
		}
		if ev.Roles != nil {
			put(mustKey(ledger.ObjectRoles), ev.Roles)
		}
		for _, p := range ev.RoleProposals {
			put(mustKey(ledger.ObjectRoleProposal, p.ID), p)
		}
		for _, raw := range ev.EPCIS {
			var head struct {
				EventID string `json:"eventID"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				t.Fatal(err)
			}
			rebuilt[mustKey(ledger.ObjectEvent, head.EventID)] = string(raw)
		}
	}
	want := e.l.Snapshot()
	for k := range want {
		if strings.HasPrefix(k, "\x00"+ledger.ObjectLotEvent+"\x00") {
			delete(want, k)
		}
	}
	for k, v := range want {
		if rebuilt[k] != v {
			t.Errorf("ledger key %q not rebuilt from events:\n got %s\nwant %s", k, rebuilt[k], v)
		}
	}
	for k := range rebuilt {
		if _, ok := want[k]; !ok {
			t.Errorf("events rebuilt %q, which the ledger does not have", k)
		}
	}
}

// TestDeterministic runs the same transactions on two ledgers and expects
// byte-identical state and events.
func TestDeterministic(t *testing.T) {
	run := func() (map[string]string, []ledger.Event) {
		e := newEnv(t)
		evs := runLife(e)
		return e.l.Snapshot(), evs
	}
	s1, e1 := run()
	s2, e2 := run()
	if !reflect.DeepEqual(s1, s2) {
		var diff []string
		for k := range s1 {
			if s1[k] != s2[k] {
				diff = append(diff, k)
			}
		}
		sort.Strings(diff)
		t.Fatalf("state differs between runs at %q", diff)
	}
	if !reflect.DeepEqual(e1, e2) {
		t.Fatal("events differ between runs")
	}
}

// TestQueriesWriteNothing evaluates every query and checks no writes happen
// (checked by env.query) and unknown functions fail cleanly.
func TestQueriesAndUnknownFunctions(t *testing.T) {
	e := newEnv(t)
	runLife(e)
	e.query(outsider, "Governance:GetRoles")
	e.query(outsider, "Lab:ListLabSigners")
	r := e.l.Evaluate(e.cc, e.tx(brand), "Query:Nope")
	if r.OK() || !strings.Contains(r.Response.Message, "Nope") {
		t.Fatalf("unknown function: %v", r.Response)
	}
	r = e.l.Evaluate(e.cc, stubfake.Tx{Creator: e.ids[brand]}, "Query:GetLot", lotURI(gtinTomato, "L1"))
	if r.OK() || !strings.Contains(r.Response.Message, "timestamp") {
		t.Fatalf("query without a timestamp: %v", r.Response)
	}
}

func TestPing(t *testing.T) {
	e := newBareEnv(t)
	r := e.invoke(lab, "System:Ping", "n1")
	if !r.OK() {
		t.Fatal(r.Response.Message)
	}
	var rec PingRecord
	e.queryJSON(&rec, brand, "System:GetPing", lab, "n1")
	if rec.MSPID != lab || rec.Nonce != "n1" {
		t.Fatalf("GetPing = %+v", rec)
	}
	if r := e.invoke(lab, "System:Ping", ""); r.OK() {
		t.Fatal("empty nonce accepted")
	}
	e.queryFail(brand, "no ping from LabMSP", "System:GetPing", lab, "n2")
}

// TestEventIDs checks every recorded event's id is its CBV 2.0 hash, as
// any EPCIS 2.0 implementation computes it from the stored JSON-LD (the
// eventID member itself is not hashed), and that events are standalone
// JSON-LD with the EPCIS context.
func TestEventIDs(t *testing.T) {
	e := newEnv(t)
	runLife(e)
	sauce := lotURI(gtinSauce, "S1")
	e.ok(supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{sauce}}))
	e.ok(supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{LogisticUnit: ssccPallet, To: logistics, Destination: glnWarehouse,
		Readings: []ledger.Reading{{Time: e.rfc(0), Device: "urn:epc:id:giai:9506000134376.1", TemperatureC: ptr(3.5), HumidityPct: ptr(40.0)}}}))
	e.ok(logistics, "Custody:Receive", mustJSON(ledger.ReceiveRequest{LogisticUnit: ssccPallet}))
	e.ok(logistics, "Custody:Unpack", ssccPallet)
	n := 0
	for _, ev := range e.events {
		for _, raw := range ev.EPCIS {
			var head struct {
				Context []json.RawMessage `json:"@context"`
				EventID string            `json:"eventID"`
				Time    string            `json:"eventTime"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				t.Fatal(err)
			}
			id, err := epcis.HashEventAs(epcis.Current, raw)
			if err != nil || id != head.EventID {
				t.Errorf("HashEventAs(%s, stored) = %s, %v; eventID %s", epcis.Current, id, err, head.EventID)
			}
			if len(head.Context) != 2 || string(head.Context[0]) != `"`+epcis.EPCISContext+`"` {
				t.Errorf("@context = %s", head.Context)
			}
			if _, err := time.Parse(time.RFC3339, head.Time); err != nil {
				t.Errorf("eventTime %q: %v", head.Time, err)
			}
			var model epcis.Event
			if err := json.Unmarshal(raw, &model); err != nil {
				t.Errorf("epcis.Event cannot decode %s: %v", raw, err)
				continue
			}
			if err := model.Validate(); err != nil {
				t.Errorf("epcis.Event.Validate: %v\n%s", err, raw)
			}
			if id, err := model.HashAs(epcis.Current); err != nil || id != head.EventID {
				t.Errorf("epcis.Event.HashAs = %s, %v; eventID %s", id, err, head.EventID)
			}
			n++
		}
	}
	if n < 13 {
		t.Fatalf("only %d events checked", n)
	}
}
