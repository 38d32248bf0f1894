package chaincode

import (
	"encoding/json"
	"testing"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

func captureArgsJSON(args ...string) string { return mustJSON(args) }

func TestCaptureRecord(t *testing.T) {
	e := newEnv(t)
	e.setupLot("L0") // registers the products
	const src = "urn:uuid:6d3a0b2e-8f6c-4d59-9f1e-0b7c1a2d3e4f"
	batch := mustJSON(e.batchReq(gtinTomato, "L1"))
	var rec ledger.CaptureRecord
	ev := e.okJSON(&rec, supplier, "Capture:Record", src, "Batch:CreateBatch", captureArgsJSON(batch))
	if rec.SourceEventID != src || rec.Function != "Batch:CreateBatch" || rec.EventID == "" || len(ev.EPCIS) != 1 || len(ev.Lots) != 1 {
		t.Fatalf("Record = %+v, payload %+v", rec, ev)
	}
	var stored map[string]json.RawMessage
	if err := json.Unmarshal(ev.EPCIS[0], &stored); err != nil {
		t.Fatal(err)
	}
	if string(stored[ledger.SourceEventIDMember]) != `"`+src+`"` || string(stored["eventID"]) != `"`+rec.EventID+`"` {
		t.Fatalf("stored event: %s", ev.EPCIS[0])
	}
	if id, err := epcis.HashEventID(rec.EventID, ev.EPCIS[0]); err != nil || id != rec.EventID {
		t.Fatalf("recorded id %s is not the event's hash (%s, %v)", rec.EventID, id, err)
	}
	if got := e.l.State(mustKey(ledger.ObjectSourceEvent, src)); string(got) != `"`+rec.EventID+`"` {
		t.Fatalf("source index = %s", got)
	}

	// A captured id is recorded once: again (even with another function),
	// or an id that is a recorded event's own id, is refused before the
	// function runs.
	e.fail(supplier, "[exists] EPCIS event "+src+" is already recorded (as "+rec.EventID+")", "Capture:Record", src, "Batch:CreateBatch", captureArgsJSON(batch))
	e.fail(supplier, "[exists]", "Capture:Record", src, "Custody:RecordReadings", captureArgsJSON("{}"))
	e.fail(supplier, "[exists] EPCIS event "+rec.EventID+" is already recorded", "Capture:Record", rec.EventID, "Batch:CreateBatch", captureArgsJSON(mustJSON(e.batchReq(gtinTomato, "L2"))))

	// The function's own validation and authorisation.
	e.fail(brand, "[forbidden]", "Capture:Record", "urn:uuid:2", "Batch:CreateBatch", captureArgsJSON(mustJSON(e.batchReq(gtinTomato, "L3"))))
	e.fail(supplier, "[exists]", "Capture:Record", "urn:uuid:3", "Batch:CreateBatch", captureArgsJSON(batch)) // lot L1 exists
	for _, c := range []struct{ src, fn, args, want string }{
		{"", "Batch:CreateBatch", captureArgsJSON(batch), "[invalid] captured event id"},
		{"not a uri", "Batch:CreateBatch", captureArgsJSON(batch), "[invalid] captured event id"},
		{"urn:uuid:4", "Product:Recall", captureArgsJSON("a", "b", "c"), `[invalid] "Product:Recall" does not state a captured event`},
		{"urn:uuid:4", "Batch:CreateBatch", `["a","b"]`, "[invalid] arguments of Batch:CreateBatch must be a JSON array of 1 strings"},
		{"urn:uuid:4", "Product:CommissionUnits", captureArgsJSON(lotURI(gtinTomato, "L1"), "x"), "[invalid] serials must be a JSON array"},
	} {
		e.fail(supplier, c.want, "Capture:Record", c.src, c.fn, c.args)
	}

	// Units, stated by the brand.
	var units ledger.CaptureRecord
	e.okJSON(&units, brand, "Capture:Record", "urn:uuid:5", "Product:CommissionUnits", captureArgsJSON(lotURI(gtinTomato, "L1"), `["S1","S2"]`))
	if units.EventID == "" || units.Function != "Product:CommissionUnits" {
		t.Fatalf("units = %+v", units)
	}
}
