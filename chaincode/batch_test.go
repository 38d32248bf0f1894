package chaincode

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
)

func TestCreateBatch(t *testing.T) {
	e := newEnv(t)
	l := e.setupLot("L1")
	want := ledger.LotSummary{
		ID: lotURI(gtinTomato, "L1"), GTIN: gtinTomato, Lot: "L1", Product: "Tomatoes",
		Quantity: ledger.Quantity{Value: "1000", UOM: "KGM"}, Remaining: ledger.Quantity{Value: "1000", UOM: "KGM"},
		CreatedBy: supplier, Custodian: supplier, Status: ledger.StatusActive,
	}
	if l.ID != want.ID || l.Product != want.Product || l.Quantity != want.Quantity || l.Remaining != want.Remaining ||
		l.Custodian != supplier || l.CreatedBy != supplier || l.Status != ledger.StatusActive || l.Counts.Events != 1 {
		t.Fatalf("CreateBatch = %+v", l)
	}
	if o := l.Origin; o == nil || o.Producer != glnURI(glnFarm) || o.Place.Location != glnURI(glnFarm)+"/254/field-7" || len(o.Evidence) != 1 {
		t.Fatalf("origin = %+v", l.Origin)
	}
	var ev struct {
		Type     string `json:"type"`
		EventID  string `json:"eventID"`
		BizStep  string `json:"bizStep"`
		ILMD     map[string]json.RawMessage
		Quantity []struct {
			EPCClass string  `json:"epcClass"`
			Quantity float64 `json:"quantity"`
			UOM      string  `json:"uom"`
		} `json:"quantityList"`
	}
	doc := e.query(lab, "Query:GetLotEvents", l.ID)
	var d struct {
		Body struct {
			Events []json.RawMessage `json:"eventList"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil || len(d.Body.Events) != 1 {
		t.Fatalf("GetLotEvents = %s, %v", doc, err)
	}
	if err := json.Unmarshal(d.Body.Events[0], &ev); err != nil {
		t.Fatal(err)
	}
	var ilmd map[string]json.RawMessage
	_ = json.Unmarshal(d.Body.Events[0], &struct {
		ILMD *map[string]json.RawMessage `json:"ilmd"`
	}{&ilmd})
	if ev.Type != "ObjectEvent" || ev.BizStep != "commissioning" || !strings.HasPrefix(ev.EventID, "ni:///sha-256;") ||
		len(ev.Quantity) != 1 || ev.Quantity[0].Quantity != 1000 || ev.Quantity[0].EPCClass != l.ID {
		t.Fatalf("commissioning event = %+v", ev)
	}
	for _, k := range []string{"cbvmda:lotNumber", "cbvmda:itemExpirationDate", "tl:producer", "tl:place", "tl:farmingPractice", "tl:evidence", "tl:producedAt"} {
		if _, ok := ilmd[k]; !ok {
			t.Errorf("ILMD lacks %s: %s", k, d.Body.Events[0])
		}
	}

	e.t = t
	tests := []struct {
		name   string
		caller string
		mutate func(*ledger.BatchRequest)
		want   string
	}{
		{"duplicate", supplier, func(*ledger.BatchRequest) {}, "lot https://id.gs1.org/01/09506000134352/10/L1 already exists (created by SupplierMSP"},
		{"gtin check digit", supplier, func(r *ledger.BatchRequest) { r.GTIN = "09506000134353" }, "check digit"},
		{"unregistered product", supplier, func(r *ledger.BatchRequest) { r.GTIN = gtinUnknown }, "product 09506000134376 is not registered"},
		{"lot chars", supplier, func(r *ledger.BatchRequest) { r.Lot = "L 2" }, `lot number "L 2"`},
		{"lot too long", supplier, func(r *ledger.BatchRequest) { r.Lot = strings.Repeat("L", 21) }, "lot number"},
		{"empty lot", supplier, func(r *ledger.BatchRequest) { r.Lot = "" }, "lot number"},
		{"zero quantity", supplier, func(r *ledger.BatchRequest) { r.Quantity.Value = "0" }, `batch quantity value "0" is not positive`},
		{"negative quantity", supplier, func(r *ledger.BatchRequest) { r.Quantity.Value = "-5" }, `batch quantity value "-5" is not a decimal`},
		{"too precise", supplier, func(r *ledger.BatchRequest) { r.Quantity.Value = "1.0000001" }, "at most 6 decimals"},
		{"float syntax", supplier, func(r *ledger.BatchRequest) { r.Quantity.Value = "1e3" }, "not a decimal"},
		{"bad unit", supplier, func(r *ledger.BatchRequest) { r.Quantity.UOM = "kg" }, `unit "kg" is not a UN/CEFACT`},
		{"producer check digit", supplier, func(r *ledger.BatchRequest) { r.Producer = "9506000134377" }, "check digit"},
		{"producer not a place", supplier, func(r *ledger.BatchRequest) { r.Producer = lotURI(gtinTomato, "L1") }, "does not name a place"},
		{"producer malformed link", supplier, func(r *ledger.BatchRequest) { r.Producer = "https://id.gs1.org/414/123" }, "is not a valid GS1 Digital Link"},
		{"location malformed", supplier, func(r *ledger.BatchRequest) { r.Place.Location = "https://id.gs1.org/414/9506000134376/254/" }, "place location"},
		{"no geo", supplier, func(r *ledger.BatchRequest) { r.Place.Geo = nil }, "place needs geo coordinates"},
		{"latitude", supplier, func(r *ledger.BatchRequest) { r.Place.Geo.Latitude = 91 }, "latitude 91 is outside"},
		{"longitude", supplier, func(r *ledger.BatchRequest) { r.Place.Geo.Longitude = -181 }, "longitude -181 is outside"},
		{"no address", supplier, func(r *ledger.BatchRequest) { r.Place.Address = nil }, "place needs an address"},
		{"no city", supplier, func(r *ledger.BatchRequest) { r.Place.Address.City = "" }, "place city is required"},
		{"country", supplier, func(r *ledger.BatchRequest) { r.Place.Address.Country = "ITA" }, `country "ITA" is not an ISO 3166-1`},
		{"street control", supplier, func(r *ledger.BatchRequest) { r.Place.Address.Street = "a\nb" }, "control character"},
		{"producedAt syntax", supplier, func(r *ledger.BatchRequest) { r.ProducedAt = "yesterday" }, `producedAt "yesterday" is not an RFC 3339 time`},
		{"producedAt future", supplier, func(r *ledger.BatchRequest) { r.ProducedAt = e.rfc(time.Hour) }, "is in the future of the transaction time"},
		{"producedAt ancient", supplier, func(r *ledger.BatchRequest) { r.ProducedAt = "2015-01-01T00:00:00Z" }, "more than 1825 days before"},
		{"expiry before production", supplier, func(r *ledger.BatchRequest) { r.Expiry = e.rfc(-48 * time.Hour) }, "is not after production"},
		{"expired", supplier, func(r *ledger.BatchRequest) { r.Expiry = e.rfc(-time.Hour) }, "has passed"},
		{"expiry far", supplier, func(r *ledger.BatchRequest) { r.Expiry = "2040-01-01T00:00:00Z" }, "more than 3650 days after production"},
		{"expiry syntax", supplier, func(r *ledger.BatchRequest) { r.Expiry = "2025-13-01" }, "expiry"},
		{"no practice", supplier, func(r *ledger.BatchRequest) { r.FarmingPractice = "" }, "farmingPractice is required"},
		{"evidence kind", supplier, func(r *ledger.BatchRequest) { r.Evidence[0].Kind = "hologram" }, `kind "hologram" is not one of`},
		{"evidence hash", supplier, func(r *ledger.BatchRequest) { r.Evidence[0].SHA256 = "ABCD" }, "evidence sha256"},
		{"evidence uri", supplier, func(r *ledger.BatchRequest) { r.Evidence[0].URI = "not a uri" }, "is not an absolute URI"},
		{"too much evidence", supplier, func(r *ledger.BatchRequest) {
			for range 50 {
				r.Evidence = append(r.Evidence, r.Evidence[0])
			}
		}, "51 evidence items"},
		{"brand", brand, func(r *ledger.BatchRequest) { r.Lot = "L9" }, `BrandMSP does not hold role "supplier"`},
		{"lab", lab, func(r *ledger.BatchRequest) { r.Lot = "L9" }, `does not hold role "supplier"`},
		{"logistics", logistics, func(r *ledger.BatchRequest) { r.Lot = "L9" }, `does not hold role "supplier"`},
		{"outsider", outsider, func(r *ledger.BatchRequest) { r.Lot = "L9" }, "not a member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			req := e.batchReq(gtinTomato, "L1")
			tt.mutate(&req)
			e.fail(tt.caller, tt.want, "Batch:CreateBatch", mustJSON(req))
		})
	}
	e.t = t
	e.fail(supplier, `unknown field "colour"`, "Batch:CreateBatch", `{"colour":"red"}`)
	e.fail(supplier, "batch must be a JSON BatchRequest", "Batch:CreateBatch", `[]`)
	// A GTIN-13 and a lot that needs escaping are normalised.
	req := e.batchReq("9506000134352", "L/2%")
	var l2 ledger.LotSummary
	e.okJSON(&l2, supplier, "Batch:CreateBatch", mustJSON(req))
	if l2.ID != "https://id.gs1.org/01/09506000134352/10/L%2F2%25" {
		t.Fatalf("escaped lot id = %s", l2.ID)
	}
	if got := e.lot("https://example.com/01/09506000134352/10/L%2F2%25?17=261231"); got.ID != l2.ID {
		t.Fatalf("lot by another resolver = %s", got.ID)
	}
}

func TestTransform(t *testing.T) {
	e := newEnv(t)
	a := e.setupLot("A")
	b := e.setupLot("B")
	req := func(outLot string) ledger.TransformRequest {
		return ledger.TransformRequest{
			Inputs: []ledger.LotQuantity{
				{Lot: a.ID, Quantity: ledger.Quantity{Value: "400.5", UOM: "KGM"}},
				{Lot: b.ID, Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}},
			},
			Outputs: []ledger.TransformOutput{{GTIN: gtinSauce, Lot: outLot, Quantity: ledger.Quantity{Value: "800", UOM: "H87"}, Expiry: e.rfc(200 * 24 * time.Hour)}},
		}
	}
	var outs []ledger.LotSummary
	ev := e.okJSON(&outs, supplier, "Batch:Transform", mustJSON(req("S1")))
	if len(outs) != 1 || outs[0].ID != lotURI(gtinSauce, "S1") || len(outs[0].Inputs) != 2 || outs[0].Custodian != supplier || outs[0].Origin != nil {
		t.Fatalf("Transform = %+v", outs)
	}
	if len(ev.Lots) != 3 || len(ev.EPCIS) != 1 {
		t.Fatalf("event has %d lots, %d EPCIS events", len(ev.Lots), len(ev.EPCIS))
	}
	var te struct {
		Type string `json:"type"`
		In   []any  `json:"inputQuantityList"`
		Out  []any  `json:"outputQuantityList"`
	}
	if err := json.Unmarshal(ev.EPCIS[0], &te); err != nil || te.Type != "TransformationEvent" || len(te.In) != 2 || len(te.Out) != 1 {
		t.Fatalf("transformation event = %+v %v", te, err)
	}
	if got := e.lot(a.ID); got.Remaining.Value != "599.5" || len(got.Outputs) != 1 || got.Counts.Events != 2 {
		t.Fatalf("input lot after transform = %+v", got)
	}

	// Upstream and downstream, through a second transformation.
	second := ledger.TransformRequest{
		Inputs:  []ledger.LotQuantity{{Lot: outs[0].ID, Quantity: ledger.Quantity{Value: "800", UOM: "H87"}}},
		Outputs: []ledger.TransformOutput{{GTIN: gtinSauce, Lot: "S2", Quantity: ledger.Quantity{Value: "10", UOM: "H87"}, Expiry: e.rfc(100 * 24 * time.Hour)}},
	}
	e.ok(supplier, "Batch:Transform", mustJSON(second))
	var up ledger.Trace
	e.queryJSON(&up, brand, "Query:GetUpstream", lotURI(gtinSauce, "S2"))
	if len(up.Lots) != 3 || len(up.Edges) != 3 || up.Lots[0].ID != outs[0].ID || up.Direction != ledger.Upstream {
		t.Fatalf("upstream = %+v", up)
	}
	var down ledger.Trace
	e.queryJSON(&down, brand, "Query:GetDownstream", a.ID)
	if len(down.Lots) != 2 || len(down.Edges) != 2 || down.Lots[1].ID != lotURI(gtinSauce, "S2") {
		t.Fatalf("downstream = %+v", down)
	}
	if got := e.lot(outs[0].ID); got.Remaining.Value != "0" {
		t.Fatalf("fully consumed lot remaining = %s", got.Remaining.Value)
	}

	e.t = t
	e.ok(supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: b.ID, To: logistics, Destination: glnWarehouse}))
	tests := []struct {
		name   string
		caller string
		mutate func(*ledger.TransformRequest)
		want   string
	}{
		{"in transit", supplier, func(r *ledger.TransformRequest) {}, "is in transit (shipment"},
		{"too much", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Inputs[0].Quantity.Value = "600" }, "600 KGM of lot " + a.ID + " requested, only 599.5 KGM remain"},
		{"unit mismatch", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Inputs[0].Quantity.UOM = "LTR" }, "unit LTR does not match lot"},
		{"input twice", supplier, func(r *ledger.TransformRequest) { r.Inputs[1] = r.Inputs[0] }, "is listed twice"},
		{"unknown input", supplier, func(r *ledger.TransformRequest) { r.Inputs[0].Lot = lotURI(gtinTomato, "Z") }, "unknown lot"},
		{"malformed input", supplier, func(r *ledger.TransformRequest) { r.Inputs[0].Lot = "https://id.gs1.org/01/123" }, "input lot"},
		{"bad input quantity", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Inputs[0].Quantity.Value = "0" }, "is not positive"},
		{"no inputs", supplier, func(r *ledger.TransformRequest) { r.Inputs = nil }, "needs inputs and outputs"},
		{"no outputs", supplier, func(r *ledger.TransformRequest) { r.Outputs = nil }, "needs inputs and outputs"},
		{"output exists", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Outputs[0].Lot = "S1" }, "already exists"},
		{"output is input", supplier, func(r *ledger.TransformRequest) {
			r.Inputs = r.Inputs[:1]
			r.Outputs[0].GTIN, r.Outputs[0].Lot = gtinTomato, "A"
		}, "lot " + a.ID + " already exists"},
		{"output twice", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Outputs = append(r.Outputs, r.Outputs[0]) }, "already exists"},
		{"output product unknown", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Outputs[0].GTIN = gtinUnknown }, "not registered"},
		{"output gtin", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Outputs[0].GTIN = "1" }, "output gtin"},
		{"output expired", supplier, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1]; r.Outputs[0].Expiry = e.rfc(-time.Minute) }, "is not after production"},
		{"brand", brand, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1] }, `does not hold role "supplier"`},
		{"logistics", logistics, func(r *ledger.TransformRequest) { r.Inputs = r.Inputs[:1] }, `does not hold role "supplier"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := req("S3")
			tt.mutate(&r)
			e.fail(tt.caller, tt.want, "Batch:Transform", mustJSON(r))
		})
	}
	e.t = t
	e.fail(supplier, "transformation must be a JSON TransformRequest", "Batch:Transform", `{"inputs":1}`)
}

func TestTransformRequiresCustodyAndNoRecall(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier"],"LabMSP":["lab"],"LogisticsMSP":["logistics","supplier"]}`)
	a := e.setupLot("A")
	c := e.setupLot("C")
	one := func(lot string) string {
		return mustJSON(ledger.TransformRequest{
			Inputs:  []ledger.LotQuantity{{Lot: lot, Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}}},
			Outputs: []ledger.TransformOutput{{GTIN: gtinSauce, Lot: "X" + lot[len(lot)-1:], Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}, Expiry: e.rfc(48 * time.Hour)}},
		})
	}
	e.fail(logistics, "only the current custodian (SupplierMSP) can transform lot "+a.ID, "Batch:Transform", one(a.ID))
	e.ok(supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{c.ID}}))
	e.fail(supplier, "is packed in logistic unit https://id.gs1.org/00/"+ssccPallet+"; unpack it before it can be transformed", "Batch:Transform", one(c.ID))
	e.ok(brand, "Product:Recall", a.ID, "Salmonella", "I")
	e.fail(supplier, "is recalled (Salmonella); cannot transform it", "Batch:Transform", one(a.ID))

	// A lot made from a recalled lot is recalled too, on query and for transformation.
	e.ok(supplier, "Custody:Unpack", ssccPallet)
	e.ok(supplier, "Batch:Transform", one(c.ID))
	e.ok(brand, "Product:Recall", c.ID, "Salmonella", "I")
	out := lotURI(gtinSauce, "XC")
	got := e.lot(out)
	if got.Status != ledger.StatusRecalled || len(got.RecalledVia) != 1 || got.RecalledVia[0] != c.ID || got.Recall != nil {
		t.Fatalf("lot made from a recalled lot = %+v", got)
	}
	e.fail(supplier, "is made from recalled lot "+c.ID, "Batch:Transform", one(out))
	var down ledger.Trace
	e.queryJSON(&down, lab, "Query:GetDownstream", c.ID)
	if len(down.Lots) != 1 || down.Lots[0].Status != ledger.StatusRecalled {
		t.Fatalf("downstream of recalled lot = %+v", down)
	}
}
