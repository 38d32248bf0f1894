package capture_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
)

func event(t *testing.T, s string) *epcis.Event {
	t.Helper()
	var ev epcis.Event
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	return &ev
}

// Every event the fixture captures maps onto the function that states
// it, with the arguments the CLI would have given.
func TestMapSupported(t *testing.T) {
	f := capturetest.Example()
	inspect, err := f.Inspect()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, event, fn string
		args            []string
	}{
		{"batch", f.Batch(), client.FnCreateBatch, []string{`{"gtin":"09506000134352","lot":"CAP1","quantity":{"value":"100","uom":"KGM"},"producer":"9506000134376","place":{"geo":{"latitude":52.1,"longitude":4.3},"address":{"street":"","city":"Delft","postalCode":"","region":"","country":"NL"}},"producedAt":"2025-06-01T06:00:00Z","expiry":"2025-06-21T00:00:00Z","farmingPractice":"organic"}`}},
		{"readings", f.Readings(), client.FnRecordReadings, []string{`{"lot":"https://id.gs1.org/01/09506000134352/10/CAP1","readings":[{"time":"2025-06-01T07:50:00Z","device":"urn:trustline:device:logger-17","temperatureC":4.5,"humidityPct":61}]}`}},
		{"pack", f.Pack(), client.FnPack, []string{`{"sscc":"https://id.gs1.org/00/009506000100000018","lots":["https://id.gs1.org/01/09506000134352/10/CAP1"]}`}},
		{"unpack", f.Unpack(), client.FnUnpack, []string{"https://id.gs1.org/00/009506000100000018"}},
		{"transform", f.Transform(), client.FnTransform, []string{`{"inputs":[{"lot":"https://id.gs1.org/01/09506000134352/10/CAP1","quantity":{"value":"40","uom":"KGM"}}],"outputs":[{"gtin":"09506000134369","lot":"SAUCE1","quantity":{"value":"30","uom":"KGM"},"expiry":"2025-06-16T00:00:00Z"}]}`}},
		{"ship", f.Ship(), client.FnShip, []string{`{"lot":"https://id.gs1.org/01/09506000134369/10/SAUCE1","to":"LogisticsMSP","destination":"https://id.gs1.org/414/9506000134383","bizTransactions":[{"type":"po","id":"urn:epcglobal:cbv:bt:9506000134376:PO-example"}],"readings":[{"time":"2025-06-01T07:55:00Z","device":"urn:trustline:device:logger-17","temperatureC":4,"humidityPct":61}]}`}},
		{"receive", f.Receive(), client.FnReceive, []string{`{"lot":"https://id.gs1.org/01/09506000134369/10/SAUCE1","readings":[{"time":"2025-06-01T07:59:00Z","device":"urn:trustline:device:logger-17","temperatureC":4.8,"humidityPct":61}]}`}},
		{"inspect", inspect, client.FnSubmitInspection, []string{`{"reportId":"R-example","lots":["https://id.gs1.org/01/09506000134352/10/CAP1"],"method":"LC-MS/MS","standard":"EN 15662:2018","sampledAt":"2025-05-30T08:00:00Z","analytes":[{"name":"chlorpyrifos","value":"0.004","unit":"mg/kg","limit":"0.01","pass":true}],"verdict":"pass","issuedAt":"2025-06-01T07:00:00Z","document":{"sha256":"abababababababababababababababababababababababababababababababab","uri":"ipfs://bafyreport"}}`, "0x" + strings.Repeat("00", 65)}},
		{"units", f.Units(), client.FnCommissionUnits, []string{"https://id.gs1.org/01/09506000134352/10/CAP1", `["S1","S2"]`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := capture.Map(event(t, c.event), "urn:x")
			if err != nil {
				t.Fatal(err)
			}
			if got.Function != c.fn || got.SourceEventID != "urn:x" || strings.Join(got.Args, "|") != strings.Join(c.args, "|") {
				t.Errorf("Map = %s %q\nwant  %s %q", got.Function, got.Args, c.fn, c.args)
			}
		})
	}
}

// Events the contract cannot state are rejected naming the part.
func TestMapUnsupported(t *testing.T) {
	const h = `"eventTime":"2025-06-01T08:00:00Z","eventTimeZoneOffset":"+00:00"`
	for _, c := range []struct{ event, want string }{
		{`{"type":"TransactionEvent",` + h + `,"action":"ADD","bizTransactionList":[{"bizTransaction":"urn:x:po:1"}],"epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`, "TransactionEvent: the contract states ObjectEvents"},
		{`{"type":"AssociationEvent",` + h + `,"action":"ADD","parentID":"urn:epc:id:grai:4012345.55555.987","childEPCs":["urn:epc:id:giai:4000001.12345"]}`, "AssociationEvent"},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","bizStep":"retail_selling","epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`, `bizStep "retail_selling"`},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`, "without bizStep"},
		{`{"type":"ObjectEvent",` + h + `,"action":"ADD","bizStep":"urn:epcglobal:cbv:bizstep:commissioning","epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}`, "an SGTIN names no lot"},
		{`{"type":"ObjectEvent",` + h + `,"action":"ADD","bizStep":"commissioning","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.4444","quantity":1,"uom":"KGM"}]}`, "without ilmd"},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","bizStep":"shipping","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.4444"}],"destinationList":[{"type":"location","destination":"urn:epc:id:sgln:0614141.07346.0"}]}`, "shipping without tl:to"},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","bizStep":"shipping","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.4444"}],"tl:to":"BrandMSP"}`, "without a destinationList element of type location"},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","bizStep":"sensor_reporting","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.4444"}],"sensorElementList":[{"sensorReport":[{"type":"gs1:Humidity","value":12.1,"uom":"A93"}]}]}`, `not "gs1:Humidity" A93`},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","bizStep":"inspecting","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.4444"}]}`, "inspecting without tl:inspection"},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","bizStep":"receiving","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.4444"},{"epcClass":"urn:epc:class:lgtin:4012345.011111.4445"}]}`, "one lot (one quantityList element) or one logistic unit"},
		{`{"type":"ObjectEvent",` + h + `,"action":"OBSERVE","bizStep":"receiving","errorDeclaration":{"declarationTime":"2025-06-02T08:00:00Z"},"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.011111.4444"}]}`, "errorDeclaration"},
		{`{"type":"AggregationEvent",` + h + `,"action":"OBSERVE","parentID":"urn:epc:id:sscc:0614141.1234567890","childEPCs":["urn:epc:id:sgtin:0614141.107346.2017"]}`, "packing (ADD) and unpacking (DELETE)"},
		{`{"type":"TransformationEvent",` + h + `,"inputEPCList":["urn:epc:id:sgtin:4012345.011122.25"],"outputEPCList":["urn:epc:id:sgtin:4012345.077889.25"]}`, "inputEPCList/outputEPCList"},
	} {
		_, err := capture.Map(event(t, c.event), "urn:x")
		var un *capture.UnsupportedError
		if !errors.As(err, &un) || !strings.Contains(un.Reason, c.want) {
			t.Errorf("Map(%s) = %v, want an UnsupportedError containing %q", c.event, err, c.want)
		}
	}
}
