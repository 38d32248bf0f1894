package chaincode_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/trustline/trustline/chaincode"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// fixture is the four organisations' contracts and identifiers unique to
// this run, so that tests never collide with state a previous run left.
type fixture struct {
	t      *testing.T
	c      map[string]*client.Contract // by MSP id
	run    string
	gtinA  string // a chilled raw product (2 to 8 °C)
	gtinB  string // a product made from it (0 to 25 °C)
	labKey *ecdsa.PrivateKey
	seq    atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, c: map[string]*client.Contract{}, run: strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36*36), 36)}
	for _, org := range testnet.Orgs {
		f.c[testnet.MSPID(org)] = testkit.Contract(t, org)
	}
	f.gtinA, f.gtinB = uniqueGTIN(t, 1), uniqueGTIN(t, 2)
	var err error
	if f.labKey, err = crypto.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []ledger.ProductRequest{
		{GTIN: f.gtinA, Name: "Tomatoes", Brand: "Acme", Category: "vegetables", TempMinC: 2, TempMaxC: 8, ShelfLifeDays: 14},
		{GTIN: f.gtinB, Name: "Tomato sauce", Brand: "Acme", Category: "sauces", TempMinC: 0, TempMaxC: 25, ShelfLifeDays: 365},
	} {
		f.submit("BrandMSP", "Product:RegisterProduct", mustJSON(p))
	}
	f.submit("LabMSP", "Lab:RegisterLabSigner", crypto.PubkeyToAddress(f.labKey.PublicKey).Hex(), "Lab One", "ISO/IEC 17025 D-PL-1")
	return f
}

// uniqueGTIN makes a GTIN-14 with a valid check digit from the clock.
func uniqueGTIN(t *testing.T, n int) string {
	body := fmt.Sprintf("09%011d", (time.Now().UnixNano()/1000+int64(n))%1e11)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + strconv.Itoa(d)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// errText is an error with the peers' messages, where the chaincode's
// rejection is.
func errText(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var ee *client.EndorseError
	if errors.As(err, &ee) {
		for _, det := range ee.Details() {
			msg += " | " + det.GetMspId() + ": " + det.GetMessage()
		}
	}
	return msg
}

// submit runs a transaction that must commit and returns its result and id.
func (f *fixture) submitID(msp, fn string, args ...string) ([]byte, string) {
	f.t.Helper()
	res, commit, err := f.c[msp].SubmitAsync(fn, client.WithArguments(args...))
	if err != nil {
		f.t.Fatalf("%s as %s: %s", fn, msp, errText(err))
	}
	st, err := commit.Status()
	if err != nil || !st.Successful {
		f.t.Fatalf("%s as %s did not commit: %v %v", fn, msp, st, err)
	}
	// The next call may be endorsed on another organisation's peer, which
	// must have committed this block first.
	testkit.WaitForBlock(f.t, st.BlockNumber)
	return res, commit.TransactionID()
}

func (f *fixture) submit(msp, fn string, args ...string) []byte {
	f.t.Helper()
	res, _ := f.submitID(msp, fn, args...)
	return res
}

func (f *fixture) submitJSON(out any, msp, fn string, args ...string) {
	f.t.Helper()
	if err := json.Unmarshal(f.submit(msp, fn, args...), out); err != nil {
		f.t.Fatalf("%s result: %v", fn, err)
	}
}

// reject runs a transaction that must be refused with want in the message.
func (f *fixture) reject(msp, want, fn string, args ...string) {
	f.t.Helper()
	_, err := f.c[msp].SubmitTransaction(fn, args...)
	if err == nil {
		f.t.Fatalf("%s as %s committed, want rejection %q", fn, msp, want)
	}
	if !strings.Contains(errText(err), want) {
		f.t.Fatalf("%s as %s: %s\nwant %q", fn, msp, errText(err), want)
	}
}

func (f *fixture) query(msp, fn string, args ...string) []byte {
	f.t.Helper()
	b, err := f.c[msp].EvaluateTransaction(fn, args...)
	if err != nil {
		f.t.Fatalf("%s as %s: %s", fn, msp, errText(err))
	}
	return b
}

func (f *fixture) lot(uri string) ledger.LotSummary {
	f.t.Helper()
	var l ledger.LotSummary
	if err := json.Unmarshal(f.query("BrandMSP", "Query:GetLot", uri), &l); err != nil {
		f.t.Fatal(err)
	}
	return l
}

// newLot creates a fresh lot of the raw product as the supplier.
func (f *fixture) newLot() string {
	f.t.Helper()
	lot := fmt.Sprintf("%s-%d", f.run, f.seq.Add(1))
	now := time.Now().UTC()
	req := ledger.BatchRequest{
		GTIN: f.gtinA, Lot: lot, Quantity: ledger.Quantity{Value: "1000", UOM: "KGM"}, Producer: "9506000134376",
		Place: ledger.Place{
			Geo:     &ledger.Geo{Latitude: 41.9, Longitude: 12.5},
			Address: &ledger.Address{City: "Roma", Country: "IT"},
		},
		ProducedAt: now.Add(-24 * time.Hour).Format(time.RFC3339), Expiry: now.Add(10 * 24 * time.Hour).Format(time.RFC3339),
		FarmingPractice: "organic",
	}
	var l ledger.LotSummary
	f.submitJSON(&l, "SupplierMSP", "Batch:CreateBatch", mustJSON(req))
	return l.ID
}

func readings(temps ...float64) []ledger.Reading {
	out := make([]ledger.Reading, len(temps))
	for i, c := range temps {
		out[i] = ledger.Reading{
			Time:   time.Now().UTC().Add(time.Duration(i-len(temps)) * time.Minute).Format(time.RFC3339),
			Device: "logger-1", TemperatureC: &c,
		}
	}
	return out
}

func (f *fixture) report(id string, lots ...string) (string, string) {
	f.t.Helper()
	now := time.Now().UTC()
	r := inspection.Report{
		ReportID: id, Lots: lots, Method: "LC-MS/MS", Standard: "EN 15662:2018",
		SampledAt: now.Add(-48 * time.Hour).Format(inspection.TimeLayout),
		Analytes:  []inspection.Analyte{{Name: "chlorpyrifos", Value: "0.004", Unit: "mg/kg", Limit: "0.01", Pass: true}},
		Verdict:   inspection.VerdictPass, IssuedAt: now.Add(-time.Hour).Format(inspection.TimeLayout),
		Document: inspection.Document{SHA256: strings.Repeat("ab", 32), URI: "ipfs://bafyreport"},
	}
	sig, err := inspection.Sign(r, f.labKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return mustJSON(r), fmt.Sprintf("0x%x", sig)
}

// TestIntegrationLotLife runs a lot's whole life on the real network and
// follows it through the chaincode events, as a member node does.
func TestIntegrationLotLife(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := testkit.Gateway(t, testnet.Brand).GetNetwork(testnet.ChannelName).ChaincodeEvents(ctx, chaincode.Name)
	if err != nil {
		t.Fatal(err)
	}
	type txRef struct{ id, fn, msp string }
	var txs []txRef
	do := func(out any, msp, fn string, args ...string) {
		t.Helper()
		res, id := f.submitID(msp, fn, args...)
		txs = append(txs, txRef{id, fn, msp})
		if out != nil {
			if err := json.Unmarshal(res, out); err != nil {
				t.Fatalf("%s result: %v", fn, err)
			}
		}
	}

	tomato := f.newLot()
	reportJSON, sig := f.report("R-"+f.run, tomato)
	var rec ledger.InspectionRecord
	do(&rec, "LabMSP", "Lab:SubmitInspection", reportJSON, sig)
	if rec.Signer != crypto.PubkeyToAddress(f.labKey.PublicKey).Hex() {
		t.Fatalf("inspection signer = %s", rec.Signer)
	}
	f.reject("LabMSP", "was already submitted", "Lab:SubmitInspection", reportJSON, sig)

	// Leg 1: supplier to logistics.
	do(nil, "SupplierMSP", "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: tomato, To: "LogisticsMSP", Destination: "9506000134383",
		BizTransactions: []ledger.BizTransaction{{Type: "desadv", ID: "urn:epcglobal:cbv:bt:9506000134376:" + f.run}},
		Readings:        readings(4, 4.5)}))
	if l := f.lot(tomato); l.Status != ledger.StatusInTransit || l.Custodian != "SupplierMSP" {
		t.Fatalf("after ship: %+v", l)
	}
	f.reject("BrandMSP", "only the recipient (LogisticsMSP)", "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: tomato}))
	do(nil, "LogisticsMSP", "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: tomato, Readings: readings(5)}))
	f.reject("LogisticsMSP", "was already received", "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: tomato}))

	// Leg 2: logistics back to the supplier's plant, readings in transit.
	do(nil, "LogisticsMSP", "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: tomato, To: "SupplierMSP", Destination: "9506000134376", Readings: readings(5)}))
	do(nil, "LogisticsMSP", "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: tomato, Readings: readings(6, 7)}))
	f.reject("SupplierMSP", "only the current custodian (LogisticsMSP)", "Custody:RecordReadings", mustJSON(ledger.ReadingsRequest{Lot: tomato, Readings: readings(6)}))
	do(nil, "SupplierMSP", "Custody:Receive", mustJSON(ledger.ReceiveRequest{Lot: tomato, Readings: readings(6)}))

	sauceLot := "S" + f.run
	var outs []ledger.LotSummary
	do(&outs, "SupplierMSP", "Batch:Transform", mustJSON(ledger.TransformRequest{
		Inputs:  []ledger.LotQuantity{{Lot: tomato, Quantity: ledger.Quantity{Value: "600", UOM: "KGM"}}},
		Outputs: []ledger.TransformOutput{{GTIN: f.gtinB, Lot: sauceLot, Quantity: ledger.Quantity{Value: "1200", UOM: "H87"}, Expiry: time.Now().Add(300 * 24 * time.Hour).UTC().Format(time.RFC3339)}},
	}))
	sauce := outs[0].ID
	do(nil, "BrandMSP", "Product:CommissionUnits", sauce, `["0001","0002","0003"]`)
	do(nil, "BrandMSP", "Product:Recall", tomato, "Salmonella", "I")

	l := f.lot(tomato)
	want := ledger.Counts{Events: 9, Inspections: 1, Shipments: 2, Readings: 7, Excursions: 0}
	if l.Status != ledger.StatusRecalled || l.Custodian != "SupplierMSP" || l.Counts != want || l.Remaining.Value != "400" {
		t.Fatalf("tomato lot = %+v", l)
	}
	s := f.lot(sauce)
	if s.Status != ledger.StatusRecalled || !slices.Equal(s.RecalledVia, []string{tomato}) || s.Counts.Units != 3 {
		t.Fatalf("sauce lot = %+v", s)
	}
	var up, down ledger.Trace
	_ = json.Unmarshal(f.query("LabMSP", "Query:GetUpstream", sauce), &up)
	_ = json.Unmarshal(f.query("LabMSP", "Query:GetDownstream", tomato), &down)
	if len(up.Lots) != 1 || up.Lots[0].ID != tomato || len(down.Lots) != 1 || down.Lots[0].ID != sauce {
		t.Fatalf("upstream %+v, downstream %+v", up, down)
	}
	var doc struct {
		Body struct {
			Events []struct {
				EventID string `json:"eventID"`
				BizStep string `json:"bizStep"`
			} `json:"eventList"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal(f.query("SupplierMSP", "Query:GetLotEvents", tomato), &doc); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, ev := range doc.Body.Events {
		steps = append(steps, ev.BizStep)
	}
	if got := strings.Join(steps, ","); got != "commissioning,inspecting,shipping,receiving,shipping,sensor_reporting,receiving,commissioning," {
		t.Fatalf("lot events: %s", got)
	}
	if raw := f.query("LogisticsMSP", "Query:GetEvent", rec.EventID); !strings.Contains(string(raw), `"certificationInfo":"ipfs://bafyreport"`) {
		t.Fatalf("inspection event: %s", raw)
	}

	// One chaincode event per transaction, carrying the call.
	pending := map[string]txRef{}
	for _, tx := range txs {
		pending[tx.id] = tx
	}
	seen := map[string]bool{}
	timeout := time.After(time.Minute)
	for len(pending) > 0 {
		select {
		case ce := <-events:
			var ev ledger.Event
			if err := json.Unmarshal(ce.Payload, &ev); err != nil || ce.EventName != ledger.EventName {
				t.Fatalf("chaincode event %s: %v", ce.EventName, err)
			}
			if seen[ce.TransactionID] {
				t.Fatalf("two events for transaction %s", ce.TransactionID)
			}
			seen[ce.TransactionID] = true
			if tx, ok := pending[ce.TransactionID]; ok {
				if ev.Function != tx.fn || ev.MSPID != tx.msp || ev.TxID != tx.id {
					t.Errorf("transaction %s (%s as %s): event %+v", tx.id, tx.fn, tx.msp, ev)
				}
				delete(pending, ce.TransactionID)
			}
		case <-timeout:
			t.Fatalf("no chaincode event for %d transactions: %v", len(pending), pending)
		}
	}
}

// TestIntegrationAuthorisationMatrix calls every write function as each of
// the four organisations: exactly the allowed ones commit, and a refused
// call changes nothing that the function could have changed.
func TestIntegrationAuthorisationMatrix(t *testing.T) {
	f := newFixture(t)
	const B, S, L, G = "BrandMSP", "SupplierMSP", "LabMSP", "LogisticsMSP"
	all := []string{B, S, L, G}
	lotQuery := func(lot string) func() string {
		return func() string { return string(f.query(B, "Query:GetLot", lot)) }
	}
	type setupResult struct {
		args    []string
		observe func() string
	}
	cases := []struct {
		fn      string
		allowed []string
		setup   func() setupResult
	}{
		{"Governance:Init", nil, func() setupResult {
			roles := mustJSON(testnet.Roles())
			return setupResult{[]string{roles}, func() string { return string(f.query(B, "Governance:GetRoles")) }}
		}},
		{"Governance:ProposeRoles", all, func() setupResult {
			var r ledger.Roles
			_ = json.Unmarshal(f.query(B, "Governance:GetRoles"), &r)
			table := ledger.RoleTable{}
			for _, m := range r.Members {
				table[m.MSPID] = m.Roles
			}
			return setupResult{[]string{mustJSON(table)}, func() string { return string(f.query(B, "Governance:GetRoles")) }}
		}},
		{"Governance:ApproveRoles", []string{B, S, G}, func() setupResult {
			var r ledger.Roles
			_ = json.Unmarshal(f.query(B, "Governance:GetRoles"), &r)
			table := ledger.RoleTable{}
			for _, m := range r.Members {
				table[m.MSPID] = m.Roles
			}
			var p ledger.RoleProposal
			f.submitJSON(&p, L, "Governance:ProposeRoles", mustJSON(table))
			return setupResult{[]string{p.ID}, func() string { return string(f.query(B, "Governance:GetRoleProposal", p.ID)) }}
		}},
		{"Product:RegisterProduct", []string{B}, func() setupResult {
			g := uniqueGTIN(t, int(f.seq.Add(1)))
			req := ledger.ProductRequest{GTIN: g, Name: "P", Brand: "B", Category: "C", TempMinC: 0, TempMaxC: 10, ShelfLifeDays: 10}
			return setupResult{[]string{mustJSON(req)}, func() string {
				_, err := f.c[B].EvaluateTransaction("Query:GetProduct", g)
				return errText(err)
			}}
		}},
		{"Product:CommissionUnits", []string{B}, func() setupResult {
			lot := f.newLot()
			return setupResult{[]string{lot, `["U1"]`}, lotQuery(lot)}
		}},
		{"Product:Recall", []string{B}, func() setupResult {
			lot := f.newLot()
			return setupResult{[]string{lot, "test", "III"}, lotQuery(lot)}
		}},
		{"Batch:CreateBatch", []string{S}, func() setupResult {
			lot := fmt.Sprintf("%s-%d", f.run, f.seq.Add(1))
			now := time.Now().UTC()
			req := ledger.BatchRequest{
				GTIN: f.gtinA, Lot: lot, Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}, Producer: "9506000134376",
				Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 1, Longitude: 1}, Address: &ledger.Address{City: "X", Country: "IT"}},
				ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(48 * time.Hour).Format(time.RFC3339), FarmingPractice: "p",
			}
			uri := "https://id.gs1.org/01/" + f.gtinA + "/10/" + lot
			return setupResult{[]string{mustJSON(req)}, func() string {
				_, err := f.c[B].EvaluateTransaction("Query:GetLot", uri)
				return errText(err)
			}}
		}},
		{"Batch:Transform", []string{S}, func() setupResult {
			lot := f.newLot()
			req := ledger.TransformRequest{
				Inputs:  []ledger.LotQuantity{{Lot: lot, Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}}},
				Outputs: []ledger.TransformOutput{{GTIN: f.gtinB, Lot: fmt.Sprintf("T%s-%d", f.run, f.seq.Add(1)), Quantity: ledger.Quantity{Value: "1", UOM: "H87"}, Expiry: time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}},
			}
			return setupResult{[]string{mustJSON(req)}, lotQuery(lot)}
		}},
		{"Lab:RegisterLabSigner", []string{L}, func() setupResult {
			k, _ := crypto.GenerateKey()
			addr := crypto.PubkeyToAddress(k.PublicKey).Hex()
			return setupResult{[]string{addr, "Lab", "ISO"}, func() string { return string(f.query(B, "Lab:ListLabSigners")) }}
		}},
		{"Lab:RevokeLabSigner", []string{L}, func() setupResult {
			k, _ := crypto.GenerateKey()
			addr := crypto.PubkeyToAddress(k.PublicKey).Hex()
			f.submit(L, "Lab:RegisterLabSigner", addr, "Lab", "ISO")
			return setupResult{[]string{addr, "test"}, func() string { return string(f.query(B, "Lab:GetLabSigner", addr)) }}
		}},
		{"Lab:SubmitInspection", []string{L}, func() setupResult {
			lot := f.newLot()
			r, sig := f.report(fmt.Sprintf("R-%s-%d", f.run, f.seq.Add(1)), lot)
			return setupResult{[]string{r, sig}, lotQuery(lot)}
		}},
		{"Custody:Pack", []string{S}, func() setupResult {
			lot := f.newLot()
			return setupResult{[]string{mustJSON(ledger.PackRequest{SSCC: f.sscc(), Lots: []string{lot}})}, lotQuery(lot)}
		}},
		{"Custody:Unpack", []string{S}, func() setupResult {
			lot := f.newLot()
			sscc := f.sscc()
			f.submit(S, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: sscc, Lots: []string{lot}}))
			return setupResult{[]string{sscc}, lotQuery(lot)}
		}},
		{"Custody:Ship", []string{S}, func() setupResult {
			lot := f.newLot()
			return setupResult{[]string{mustJSON(ledger.ShipRequest{Lot: lot, To: B, Destination: "9506000134383"})}, lotQuery(lot)}
		}},
		{"Custody:Receive", []string{G}, func() setupResult {
			lot := f.newLot()
			f.submit(S, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: lot, To: G, Destination: "9506000134383"}))
			return setupResult{[]string{mustJSON(ledger.ReceiveRequest{Lot: lot})}, lotQuery(lot)}
		}},
		{"Custody:RecordReadings", []string{S}, func() setupResult {
			lot := f.newLot()
			return setupResult{[]string{mustJSON(ledger.ReadingsRequest{Lot: lot, Readings: readings(4)})}, lotQuery(lot)}
		}},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			f.t = t
			// Refused callers first, on one shared setup; each allowed caller
			// then gets its own (the first reuses it).
			s := c.setup()
			fresh := true
			for _, msp := range all {
				if slices.Contains(c.allowed, msp) {
					continue
				}
				before := s.observe()
				_, err := f.c[msp].SubmitTransaction(c.fn, s.args...)
				if err == nil {
					t.Errorf("%s as %s committed; only %v may call it", c.fn, msp, c.allowed)
					fresh = false
					continue
				}
				if !refusal.MatchString(errText(err)) {
					t.Errorf("%s as %s was refused for another reason: %s", c.fn, msp, errText(err))
				}
				if after := s.observe(); after != before {
					t.Errorf("%s as %s was refused (%s) but changed state:\n%s\n%s", c.fn, msp, errText(err), before, after)
				}
			}
			for i, msp := range c.allowed {
				if i > 0 || !fresh {
					s = c.setup()
				}
				if _, err := f.c[msp].SubmitTransaction(c.fn, s.args...); err != nil {
					t.Errorf("%s as %s refused: %s", c.fn, msp, errText(err))
				}
			}
		})
	}
}

// refusal matches the chaincode's authorisation refusals.
var refusal = regexp.MustCompile(`does not hold role|is not a member|only the current custodian|only the recipient|belongs to|already approved|already initialised`)

// sscc makes a fresh SSCC with a valid check digit.
func (f *fixture) sscc() string {
	body := fmt.Sprintf("09506%012d", (time.Now().UnixNano()/1000+f.seq.Add(1))%1e12)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		f.t.Fatal(err)
	}
	return body + strconv.Itoa(d)
}
