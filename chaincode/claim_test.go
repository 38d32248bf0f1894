package chaincode

import (
	"testing"

	"github.com/trustline/trustline/ledger"
)

func coldChainClaim(subject string) ledger.ClaimRequest {
	return ledger.ClaimRequest{
		Subject: subject, Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
		Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 120}},
	}
}

func TestRegisterClaim(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier","brand"],"LabMSP":["lab"],"LogisticsMSP":["logistics"]}`)
	l := e.setupLot("L1")

	var c ledger.Claim
	ev := e.okJSON(&c, brand, "Claim:RegisterClaim", mustJSON(coldChainClaim("9506000134352")))
	if c.ID != "claim-"+ev.TxID || c.Subject != "https://id.gs1.org/01/"+gtinTomato || c.GTIN != gtinTomato || c.Lot != "" ||
		c.Brand != brand || c.RegisteredAt != ev.Timestamp || c.RegisteredTx != ev.TxID || !c.Active() {
		t.Fatalf("claim = %+v", c)
	}
	if len(ev.Claims) != 1 || ev.Claims[0].ID != c.ID || len(ev.EPCIS) != 0 {
		t.Fatalf("event = %+v", ev)
	}

	lotReq := ledger.ClaimRequest{Subject: l.ID, Kind: ledger.ClaimFarmToShelf, Wording: "48 hours from farm to table",
		Params: ledger.ClaimParams{FarmToShelf: &ledger.FarmToShelfParams{Hours: 48}}}
	var lc ledger.Claim
	e.okJSON(&lc, brand, "Claim:RegisterClaim", mustJSON(lotReq))
	if lc.Subject != l.ID || lc.Lot != "L1" || lc.GTIN != gtinTomato {
		t.Fatalf("lot claim = %+v", lc)
	}
	var got ledger.Claim
	e.queryJSON(&got, supplier, "Claim:GetClaim", c.ID)
	if got.ID != c.ID || got.Params.ColdChain == nil || got.Params.ColdChain.MaxGapMinutes != 120 {
		t.Fatalf("GetClaim = %+v", got)
	}
	var list []ledger.Claim
	e.queryJSON(&list, lab, "Claim:ListClaims", gtinTomato)
	if len(list) != 2 {
		t.Fatalf("ListClaims = %+v", list)
	}
	e.queryJSON(&list, lab, "Claim:ListClaims", gtinSauce)
	if len(list) != 0 {
		t.Fatalf("ListClaims(sauce) = %+v", list)
	}
	e.queryFail(brand, `no claim "claim-nope"`, "Claim:GetClaim", "claim-nope")

	bad := func(mut func(*ledger.ClaimRequest)) string {
		r := coldChainClaim(gtinTomato)
		mut(&r)
		return mustJSON(r)
	}
	tests := []struct {
		name, caller, arg, want string
	}{
		{"supplier is not the owner", supplier, bad(func(*ledger.ClaimRequest) {}), "product 09506000134352 belongs to BrandMSP; SupplierMSP cannot make claims about it"},
		{"lab has no brand role", lab, bad(func(*ledger.ClaimRequest) {}), `LabMSP does not hold role "brand"`},
		{"outsider", outsider, bad(func(*ledger.ClaimRequest) {}), "OutsiderMSP is not a member"},
		{"unknown product", brand, bad(func(r *ledger.ClaimRequest) { r.Subject = gtinUnknown }), "is not registered"},
		{"unknown lot", brand, bad(func(r *ledger.ClaimRequest) { r.Subject = lotURI(gtinTomato, "NOPE") }), "unknown lot"},
		{"unit subject", brand, bad(func(r *ledger.ClaimRequest) { r.Subject = l.ID + "/21/S1" }), "names neither a product nor a lot"},
		{"bad gtin", brand, bad(func(r *ledger.ClaimRequest) { r.Subject = "09506000134353" }), "check digit"},
		{"no wording", brand, bad(func(r *ledger.ClaimRequest) { r.Wording = " " }), "claim wording is required"},
		{"unknown kind", brand, bad(func(r *ledger.ClaimRequest) { r.Kind = "tastes_great" }), `claim kind "tastes_great"`},
		{"params of another kind", brand, bad(func(r *ledger.ClaimRequest) {
			r.Params = ledger.ClaimParams{LabTested: &ledger.LabTestedParams{Analytes: []string{"Lead"}, MaxAgeDays: 3}}
		}), "needs params.coldChain"},
		{"bad gap", brand, bad(func(r *ledger.ClaimRequest) { r.Params.ColdChain.MaxGapMinutes = 0 }), "maxGapMinutes 0"},
		{"unknown field", brand, `{"subject":"` + gtinTomato + `","colour":"red"}`, `unknown field "colour"`},
		{"not JSON", brand, "nope", "claim must be a JSON ClaimRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.fail(tt.caller, tt.want, "Claim:RegisterClaim", tt.arg)
		})
	}
}

func TestSupersedeClaim(t *testing.T) {
	e := newEnvWithRoles(t, `{"BrandMSP":["brand"],"SupplierMSP":["supplier","brand"],"LabMSP":["lab"],"LogisticsMSP":["logistics"]}`)
	e.setupLot("L1")
	var old ledger.Claim
	e.okJSON(&old, brand, "Claim:RegisterClaim", mustJSON(coldChainClaim(gtinTomato)))

	// The supplier holds the brand role but does not own the product.
	e.fail(supplier, "SupplierMSP cannot make claims about it", "Claim:SupersedeClaim", old.ID, mustJSON(coldChainClaim(gtinTomato)))
	e.fail(brand, "a claim superseding it must be too, not "+gtinSauce, "Claim:SupersedeClaim", old.ID, mustJSON(coldChainClaim(gtinSauce)))
	e.fail(brand, `no claim "claim-x"`, "Claim:SupersedeClaim", "claim-x", mustJSON(coldChainClaim(gtinTomato)))
	e.fail(brand, "maxGapMinutes 0", "Claim:SupersedeClaim", old.ID, mustJSON(func() ledger.ClaimRequest {
		r := coldChainClaim(gtinTomato)
		r.Params.ColdChain.MaxGapMinutes = 0
		return r
	}()))

	stricter := coldChainClaim(gtinTomato)
	stricter.Params.ColdChain.MaxGapMinutes = 30
	var nc ledger.Claim
	ev := e.okJSON(&nc, brand, "Claim:SupersedeClaim", old.ID, mustJSON(stricter))
	if nc.Supersedes != old.ID || !nc.Active() || len(ev.Claims) != 2 {
		t.Fatalf("new claim %+v, event claims %+v", nc, ev.Claims)
	}
	var got ledger.Claim
	e.queryJSON(&got, brand, "Claim:GetClaim", old.ID)
	if got.SupersededBy != nc.ID || got.SupersededAt != ev.Timestamp || got.Params.ColdChain.MaxGapMinutes != 120 || got.Wording != old.Wording {
		t.Fatalf("superseded claim = %+v (its content must not change)", got)
	}
	e.fail(brand, "claim "+old.ID+" is already superseded by "+nc.ID, "Claim:SupersedeClaim", old.ID, mustJSON(stricter))
}
