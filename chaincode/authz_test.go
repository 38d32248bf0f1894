package chaincode

import (
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/ledger"
)

// authzCase is one write function, the state it needs (built by setup,
// which returns the arguments) and the organisations allowed to call it.
type authzCase struct {
	fn      string
	setup   func(e *env) []string
	allowed []string
}

func authzCases() []authzCase {
	lot := lotURI(gtinTomato, "L1")
	return []authzCase{
		{"Governance:Init", func(e *env) []string { return []string{testnetRoles()} }, nil},
		{"Governance:ProposeRoles", func(e *env) []string { return []string{testnetRoles()} }, allOrgs},
		{"Governance:ApproveRoles", func(e *env) []string {
			resp, _ := e.ok(lab, "Governance:ProposeRoles", testnetRoles())
			var p ledger.RoleProposal
			mustUnmarshal(e.t, resp, &p)
			return []string{p.ID}
		}, []string{brand, supplier, logistics}},
		{"Product:RegisterProduct", func(e *env) []string { return []string{mustJSON(productReq(gtinTomato, "T"))} }, []string{brand}},
		{"Product:CommissionUnits", func(e *env) []string { e.setupLot("L1"); return []string{lot, `["1"]`} }, []string{brand}},
		{"Product:Recall", func(e *env) []string { e.setupLot("L1"); return []string{lot, "r", "II"} }, []string{brand}},
		{"Batch:CreateBatch", func(e *env) []string {
			e.setupLot("L0")
			return []string{mustJSON(e.batchReq(gtinTomato, "L1"))}
		}, []string{supplier}},
		{"Batch:Transform", func(e *env) []string {
			e.setupLot("L1")
			return []string{mustJSON(ledger.TransformRequest{
				Inputs:  []ledger.LotQuantity{{Lot: lot, Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}}},
				Outputs: []ledger.TransformOutput{{GTIN: gtinSauce, Lot: "S1", Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}, Expiry: e.rfc(48 * time.Hour)}},
			})}
		}, []string{supplier}},
		{"Lab:RegisterLabSigner", func(e *env) []string {
			return []string{crypto.PubkeyToAddress(e.labKey.PublicKey).Hex(), "Lab", "ISO"}
		}, []string{lab}},
		{"Lab:RevokeLabSigner", func(e *env) []string { return []string{e.registerLabKey(), "lost"} }, []string{lab}},
		{"Lab:SubmitInspection", func(e *env) []string {
			e.setupLot("L1")
			e.registerLabKey()
			r := e.report("R-1", lot)
			return []string{mustJSON(r), sign(e.t, r, e.labKey)}
		}, []string{lab}},
		{"Custody:Pack", func(e *env) []string {
			e.setupLot("L1")
			return []string{mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{lot}})}
		}, []string{supplier}},
		{"Custody:Unpack", func(e *env) []string {
			e.setupLot("L1")
			e.ok(supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{lot}}))
			return []string{ssccPallet}
		}, []string{supplier}},
		{"Custody:Ship", func(e *env) []string {
			e.setupLot("L1")
			return []string{mustJSON(ledger.ShipRequest{Lot: lot, To: brand, Destination: glnWarehouse})}
		}, []string{supplier}},
		{"Custody:Receive", func(e *env) []string {
			e.setupLot("L1")
			e.ok(supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: lot, To: logistics, Destination: glnWarehouse}))
			return []string{mustJSON(ledger.ReceiveRequest{Lot: lot})}
		}, []string{logistics}},
		{"Custody:RecordReadings", func(e *env) []string {
			e.setupLot("L1")
			return []string{mustJSON(ledger.ReadingsRequest{Lot: lot, Readings: []ledger.Reading{e.readingAt(0, 4)}})}
		}, []string{supplier}},
	}
}

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := unmarshalStrict([]byte(s), v); err != nil {
		t.Fatal(err)
	}
}

// refusalRE matches the messages of authorisation refusals.
const refusalRE = `does not hold role|is not a member|only the current custodian|only the recipient|belongs to|already approved|already initialised`

// TestAuthorisationMatrix calls every write function as each organisation
// (and an outsider) on the same state: exactly the allowed ones succeed,
// and the others write nothing.
func TestAuthorisationMatrix(t *testing.T) {
	for _, c := range authzCases() {
		for _, org := range append(allOrgs, outsider) {
			t.Run(c.fn+"/"+org, func(t *testing.T) {
				e := newEnv(t)
				args := c.setup(e)
				if slices.Contains(c.allowed, org) {
					e.ok(org, c.fn, args...)
				} else {
					e.fail(org, "re:"+refusalRE, c.fn, args...)
				}
			})
		}
	}
}
