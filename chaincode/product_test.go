package chaincode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustline/trustline/ledger"
)

// newEnvWithRoles initialises a custom role table.
func newEnvWithRoles(t *testing.T, roles string) *env {
	t.Helper()
	e := newBareEnv(t)
	e.ok(brand, "Governance:Init", roles)
	return e
}

func TestRegisterProduct(t *testing.T) {
	e := newEnv(t)
	var p ledger.Product
	ev := e.okJSON(&p, brand, "Product:RegisterProduct", mustJSON(productReq("9506000134352", "Tomatoes")))
	if p.GTIN != gtinTomato || p.ID != "https://id.gs1.org/01/"+gtinTomato || p.Owner != brand || len(ev.Products) != 1 || len(ev.EPCIS) != 0 {
		t.Fatalf("RegisterProduct = %+v, event %+v", p, ev)
	}
	var got ledger.Product
	e.queryJSON(&got, supplier, "Query:GetProduct", gtinTomato)
	if got != p {
		t.Fatalf("GetProduct = %+v, want %+v", got, p)
	}
	e.queryJSON(&got, supplier, "Query:GetProduct", "9506000134352") // GTIN-13 form
	e.queryFail(brand, "is not registered", "Query:GetProduct", gtinSauce)
	e.queryFail(brand, "check digit", "Query:GetProduct", "09506000134353")

	tests := []struct {
		name   string
		caller string
		mutate func(*ledger.ProductRequest)
		raw    string
		want   string
	}{
		{"duplicate", brand, func(*ledger.ProductRequest) {}, "", "already registered by BrandMSP"},
		{"bad check digit", brand, func(r *ledger.ProductRequest) { r.GTIN = "09506000134353" }, "", "check digit"},
		{"bad length", brand, func(r *ledger.ProductRequest) { r.GTIN = "123" }, "", "product gtin"},
		{"letters", brand, func(r *ledger.ProductRequest) { r.GTIN = "0950600013435X" }, "", "product gtin"},
		{"no name", brand, func(r *ledger.ProductRequest) { r.GTIN, r.Name = gtinSauce, " " }, "", "product name is required"},
		{"control char", brand, func(r *ledger.ProductRequest) { r.GTIN, r.Brand = gtinSauce, "a\tb" }, "", "control character"},
		{"long category", brand, func(r *ledger.ProductRequest) { r.GTIN, r.Category = gtinSauce, strings.Repeat("c", 300) }, "", "longer than 256"},
		{"empty range", brand, func(r *ledger.ProductRequest) { r.GTIN, r.TempMinC, r.TempMaxC = gtinSauce, 8, 8 }, "", "temperature range 8 to 8 °C is empty"},
		{"impossible temp", brand, func(r *ledger.ProductRequest) { r.GTIN, r.TempMinC = gtinSauce, -273 }, "", "tempMinC -273 °C is outside"},
		{"no shelf life", brand, func(r *ledger.ProductRequest) { r.GTIN, r.ShelfLifeDays = gtinSauce, 0 }, "", "shelf life 0 days"},
		{"long shelf life", brand, func(r *ledger.ProductRequest) { r.GTIN, r.ShelfLifeDays = gtinSauce, 5000 }, "", "shelf life 5000 days"},
		{"unknown field", brand, nil, `{"gtin":"` + gtinSauce + `","colour":"red"}`, `unknown field "colour"`},
		{"not JSON", brand, nil, `nope`, "product must be a JSON ProductRequest"},
		{"not on the FTL", brand, func(r *ledger.ProductRequest) { r.GTIN, r.FoodTraceabilityList = gtinSauce, "yogurt" }, "", `food traceability list food "yogurt" is not on the FDA's list`},
		{"supplier", supplier, func(r *ledger.ProductRequest) { r.GTIN = gtinSauce }, "", `SupplierMSP does not hold role "brand", which Product:RegisterProduct requires`},
		{"lab", lab, func(r *ledger.ProductRequest) { r.GTIN = gtinSauce }, "", `does not hold role "brand"`},
		{"logistics", logistics, func(r *ledger.ProductRequest) { r.GTIN = gtinSauce }, "", `does not hold role "brand"`},
		{"outsider", outsider, func(r *ledger.ProductRequest) { r.GTIN = gtinSauce }, "", "OutsiderMSP is not a member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			arg := tt.raw
			if tt.mutate != nil {
				req := productReq(gtinTomato, "Tomatoes")
				tt.mutate(&req)
				arg = mustJSON(req)
			}
			e.fail(tt.caller, tt.want, "Product:RegisterProduct", arg)
		})
	}
}

// TestRegisterProductFTL: a product on the FDA Food Traceability List
// keeps its food; one registered without it stores the same bytes as
// before the field existed (no foodTraceabilityList member).
func TestRegisterProductFTL(t *testing.T) {
	e := newEnv(t)
	req := productReq("9506000134352", "Tomatoes")
	req.FoodTraceabilityList = "tomatoes"
	var p ledger.Product
	ev := e.okJSON(&p, brand, "Product:RegisterProduct", mustJSON(req))
	if p.FoodTraceabilityList != "tomatoes" || ev.Products[0].FoodTraceabilityList != "tomatoes" {
		t.Fatalf("RegisterProduct = %+v", p)
	}
	var plain ledger.Product
	e.okJSON(&plain, brand, "Product:RegisterProduct", mustJSON(productReq(gtinSauce, "Sauce")))
	if b := mustJSON(plain); strings.Contains(b, "foodTraceabilityList") {
		t.Fatalf("a product off the list is stored with the member: %s", b)
	}
}

func TestCommissionUnits(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier","brand"],"LabMSP":["lab"],"LogisticsMSP":["logistics"]}`)
	l := e.setupLot("L1")
	var units []ledger.Unit
	ev := e.okJSON(&units, brand, "Product:CommissionUnits", l.ID, `["S1","S-2","a.b_c"]`)
	if len(units) != 3 || units[0].ID != l.ID+"/21/S1" || units[0].EventID == "" || units[0].LotID != l.ID {
		t.Fatalf("units = %+v", units)
	}
	var epc struct {
		BizStep string   `json:"bizStep"`
		Action  string   `json:"action"`
		EPCList []string `json:"epcList"`
	}
	if err := json.Unmarshal(ev.EPCIS[0], &epc); err != nil || epc.BizStep != "commissioning" || epc.Action != "ADD" || len(epc.EPCList) != 3 {
		t.Fatalf("commissioning event = %+v, %v", epc, err)
	}
	if got := e.lot(l.ID); got.Counts.Units != 3 || got.Counts.Events != 2 {
		t.Fatalf("lot counts = %+v", got.Counts)
	}
	var u ledger.Unit
	e.queryJSON(&u, logistics, "Query:GetUnit", units[1].ID)
	if u != units[1] {
		t.Fatalf("GetUnit = %+v", u)
	}
	e.queryFail(brand, "unknown unit", "Query:GetUnit", l.ID+"/21/S9")
	e.queryFail(brand, "unknown unit", "Query:GetUnit", lotURI(gtinTomato, "L2")+"/21/S1") // serial exists, other lot
	e.queryFail(brand, "does not name a unit", "Query:GetUnit", l.ID)

	tests := []struct {
		name, caller, lot, serials, want string
	}{
		{"already commissioned", brand, l.ID, `["S9","S1"]`, "unit " + l.ID + "/21/S1 is already commissioned"},
		{"twice in list", brand, l.ID, `["S7","S7"]`, `serial "S7" is listed twice`},
		{"bad serial char", brand, l.ID, `["a b"]`, `serial "a b"`},
		{"serial too long", brand, l.ID, `["` + strings.Repeat("9", 21) + `"]`, "serial"},
		{"empty list", brand, l.ID, `[]`, "0 serials given"},
		{"unknown lot", brand, lotURI(gtinTomato, "NOPE"), `["S1"]`, "unknown lot https://id.gs1.org/01/09506000134352/10/NOPE"},
		{"malformed link", brand, "https://id.gs1.org/01/09506000134353/10/L1", `["S1"]`, "is not a valid GS1 Digital Link"},
		{"unit link as lot", brand, l.ID + "/21/S1", `["S1"]`, "does not name a lot"},
		{"not the owner", supplier, l.ID, `["S8"]`, "product 09506000134352 belongs to BrandMSP; SupplierMSP cannot commission units of lot"},
		{"lab", lab, l.ID, `["S8"]`, `LabMSP does not hold role "brand"`},
		{"logistics", logistics, l.ID, `["S8"]`, `does not hold role "brand"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, "Product:CommissionUnits", tt.lot, tt.serials)
		})
	}
	e.t = t
	e.ok(brand, "Product:Recall", l.ID, "Listeria", "I")
	e.fail(brand, "is recalled (Listeria); cannot commission units", "Product:CommissionUnits", l.ID, `["S8"]`)
}

func TestRecall(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier","brand"],"LabMSP":["lab"],"LogisticsMSP":["logistics"]}`)
	l := e.setupLot("L1")
	for _, tt := range []struct {
		name, caller, lot, reason, class, want string
	}{
		{"bad class", brand, l.ID, "Listeria", "IV", `recall class "IV" is not I, II or III`},
		{"no reason", brand, l.ID, "", "I", "recall reason is required"},
		{"unknown lot", brand, lotURI(gtinTomato, "X"), "r", "I", "unknown lot"},
		{"malformed", brand, "urn:epc:class:lgtin:x", "r", "I", "is not a valid GS1 Digital Link"},
		{"not owner", supplier, l.ID, "r", "I", "belongs to BrandMSP; SupplierMSP cannot recall lot"},
		{"lab", lab, l.ID, "r", "I", `does not hold role "brand"`},
		{"outsider", outsider, l.ID, "r", "I", "not a member"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, "Product:Recall", tt.lot, tt.reason, tt.class)
		})
	}
	e.t = t
	var rc ledger.Recall
	ev := e.okJSON(&rc, brand, "Product:Recall", l.ID, "Listeria monocytogenes", "I")
	if rc.Lot != l.ID || rc.Class != "I" || rc.EventID == "" || len(ev.Recalls) != 1 || len(ev.Lots) != 1 {
		t.Fatalf("Recall = %+v", rc)
	}
	var epc struct {
		Disposition string            `json:"disposition"`
		Recall      map[string]string `json:"tl:recall"`
	}
	if err := json.Unmarshal(ev.EPCIS[0], &epc); err != nil || epc.Disposition != "recalled" || epc.Recall["tl:class"] != "I" {
		t.Fatalf("recall event = %+v %v", epc, err)
	}
	if got := e.lot(l.ID); got.Status != ledger.StatusRecalled || got.Recall == nil || *got.Recall != rc {
		t.Fatalf("recalled lot = %+v", got)
	}
	e.fail(brand, "is already recalled (Listeria monocytogenes", "Product:Recall", l.ID, "again", "II")
}
