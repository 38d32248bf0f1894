package chaincode

import (
	"reflect"
	"strings"
	"testing"

	"github.com/trustline/trustline/ledger"
)

// TestFaultSweep fails, one after another, every call a function makes to
// the ledger API, until it runs without reaching the fault. Each injected
// error must abort the transaction, commit nothing and not panic.
func TestFaultSweep(t *testing.T) {
	for _, c := range authzCases() {
		if len(c.allowed) == 0 {
			continue
		}
		t.Run(c.fn, func(t *testing.T) {
			// Call 1 is contractapi's own GetCreator, whose error it ignores.
			for n := 2; ; n++ {
				e := newEnv(t)
				args := c.setup(e)
				before := e.l.Snapshot()
				tx := e.tx(c.allowed[0])
				tx.FailCall = n
				r := e.l.Invoke(e.cc, tx, append([]string{c.fn}, args...)...)
				if !r.Faulted {
					if !r.OK() {
						t.Fatalf("%s failed without a fault: %s", c.fn, r.Response.Message)
					}
					if n < 3 {
						t.Fatalf("%s made only %d ledger calls", c.fn, n-1)
					}
					return
				}
				if r.OK() || r.Committed {
					t.Fatalf("%s succeeded despite a fault at call %d", c.fn, n)
				}
				if !strings.Contains(r.Response.Message, "injected fault") {
					t.Fatalf("%s at fault %d: error %q hides the cause", c.fn, n, r.Response.Message)
				}
				if !reflect.DeepEqual(before, e.l.Snapshot()) {
					t.Fatalf("%s changed state despite a fault at call %d", c.fn, n)
				}
			}
		})
	}
}

func TestFaultSweepQueries(t *testing.T) {
	e := newEnv(t)
	runLife(e)
	e.ok(supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{lotURI(gtinSauce, "S1")}}))
	var rec ledger.InspectionRecord
	e.queryJSON(&rec, brand, "Query:GetInspection", "R-1")
	var l ledger.LotSummary
	e.queryJSON(&l, brand, "Query:GetLot", lotURI(gtinTomato, "L1"))
	var p ledger.RoleProposal
	e.okJSON(&p, lab, "Governance:ProposeRoles", testnetRoles())
	queries := [][]string{
		{"Query:GetEvent", rec.EventID},
		{"Query:GetLot", lotURI(gtinSauce, "S1")},
		{"Query:GetLotEvents", lotURI(gtinTomato, "L1")},
		{"Query:GetUpstream", lotURI(gtinSauce, "S1")},
		{"Query:GetDownstream", lotURI(gtinTomato, "L1")},
		{"Query:GetProduct", gtinTomato},
		{"Query:GetUnit", lotURI(gtinSauce, "S1") + "/21/0001"},
		{"Query:GetShipment", l.LastShipment},
		{"Query:GetLogisticUnit", ssccPallet},
		{"Query:GetInspection", "R-1"},
		{"Lab:GetLabSigner", rec.Signer},
		{"Lab:ListLabSigners"},
		{"Governance:GetRoles"},
		{"Governance:GetRoleProposal", p.ID},
		{"System:GetPing", lab, "x"},
	}
	for _, q := range queries {
		t.Run(q[0], func(t *testing.T) {
			// Call 1 is contractapi's own GetCreator, whose error it ignores.
			for n := 2; ; n++ {
				tx := e.tx(brand)
				tx.FailCall = n
				r := e.l.Evaluate(e.cc, tx, q...)
				if !r.Faulted {
					if !r.OK() && q[0] != "System:GetPing" {
						t.Fatalf("%s failed without a fault: %s", q[0], r.Response.Message)
					}
					return
				}
				if r.OK() {
					t.Fatalf("%s succeeded despite a fault at call %d", q[0], n)
				}
			}
		})
	}
}

// TestCorruptRecords checks that a stored record that does not decode is
// reported, not silently replaced.
func TestCorruptRecords(t *testing.T) {
	e := newEnv(t)
	l := e.setupLot("L1")
	e.l.Invoke(corruptor{mustKey(ledger.ObjectLot, gtinTomato, "L1")}, e.tx(brand))
	e.queryFail(brand, "decoding stored record", "Query:GetLot", l.ID)
	e.fail(supplier, "decoding stored record", "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: l.ID, To: brand, Destination: glnFarm}))
	e.l.Invoke(corruptor{mustKey(ledger.ObjectRoles)}, e.tx(brand))
	e.fail(brand, "decoding stored record", "Governance:Init", testnetRoles())
}
