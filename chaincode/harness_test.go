package chaincode

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/trustline/trustline/chaincode/internal/stubfake"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// The testnet's organisations, and one that is not a member.
const (
	brand     = "BrandMSP"
	supplier  = "SupplierMSP"
	lab       = "LabMSP"
	logistics = "LogisticsMSP"
	outsider  = "OutsiderMSP"
)

var allOrgs = []string{brand, supplier, lab, logistics}

// Fixture identifiers, all with valid check digits.
const (
	gtinTomato   = "09506000134352"
	gtinSauce    = "09506000134369"
	gtinUnknown  = "09506000134376"
	glnFarm      = "9506000134376"
	glnWarehouse = "9506000134383"
	ssccPallet   = "009506000100000018"
	ssccPallet2  = "009506000100000025"
)

func lotURI(gtin, lot string) string { return "https://id.gs1.org/01/" + gtin + "/10/" + lot }
func glnURI(gln string) string       { return "https://id.gs1.org/414/" + gln }
func ssccURI(s string) string        { return "https://id.gs1.org/00/" + s }

// t0 is the first transaction's time; each transaction is a minute later.
var t0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// env is a chaincode on an in-memory ledger with the four testnet orgs.
type env struct {
	t   *testing.T
	l   *stubfake.Ledger
	cc  *contractapi.ContractChaincode
	ids map[string]stubfake.Identity
	now time.Time
	// labKey signs reports; registerLabKey registers it.
	labKey *ecdsa.PrivateKey
	// events are the payloads of every successful write, in order, and
	// results what those transactions did (their slim events and writes).
	events  []ledger.Event
	results []stubfake.Result
}

func testnetRoles() string {
	return `{"BrandMSP":["brand"],"SupplierMSP":["supplier"],"LabMSP":["lab"],"LogisticsMSP":["logistics"]}`
}

// The chaincode and the identities are built once: the chaincode keeps no
// state between transactions, and building its metadata is slow.
var shared = sync.OnceValues(func() (*contractapi.ContractChaincode, map[string]stubfake.Identity) {
	cc, err := New()
	if err != nil {
		panic(err)
	}
	ids := map[string]stubfake.Identity{}
	for _, msp := range append(allOrgs, outsider) {
		id, err := stubfake.NewIdentity(msp, "user1@"+strings.ToLower(msp))
		if err != nil {
			panic(err)
		}
		ids[msp] = id
	}
	return cc, ids
})

// newBareEnv has no role table yet.
func newBareEnv(t *testing.T) *env {
	t.Helper()
	cc, ids := shared()
	e := &env{t: t, l: stubfake.NewLedger("trustline"), cc: cc, ids: ids, now: t0}
	k, err := crypto.HexToECDSA("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	if err != nil {
		t.Fatal(err)
	}
	e.labKey = k
	return e
}

// newEnv has the testnet's role table.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := newBareEnv(t)
	e.ok(brand, "Governance:Init", testnetRoles())
	return e
}

func (e *env) tick() time.Time {
	e.now = e.now.Add(time.Minute)
	return e.now
}

func (e *env) tx(msp string) stubfake.Tx {
	return stubfake.Tx{Creator: e.ids[msp], Time: e.tick()}
}

func (e *env) invoke(msp, fn string, args ...string) stubfake.Result {
	return e.l.Invoke(e.cc, e.tx(msp), append([]string{fn}, args...)...)
}

// ok runs a write that must succeed; it checks the transaction set exactly
// one complete chaincode event and returns the response and the event.
func (e *env) ok(msp, fn string, args ...string) (string, ledger.Event) {
	e.t.Helper()
	r := e.invoke(msp, fn, args...)
	if !r.OK() {
		e.t.Fatalf("%s as %s failed: %s", fn, msp, r.Response.Message)
	}
	if len(r.Events) != 1 || r.Events[0].Name != ledger.EventName {
		e.t.Fatalf("%s set %d events %v, want exactly one %q", fn, len(r.Events), r.Events, ledger.EventName)
	}
	ev := completeEvent(e.t, fn, r)
	wantFn := fn
	if fn == "Capture:Record" && len(args) > 1 {
		wantFn = args[1] // the payload names the function that states the fact
	}
	if ev.Function != wantFn || ev.MSPID != msp || ev.TxID != r.TxID || ev.Timestamp != ledger.FormatTime(e.now) {
		e.t.Fatalf("%s event header = %s %s %s %s", fn, ev.Function, ev.MSPID, ev.TxID, ev.Timestamp)
	}
	checkPayloadComplete(e.t, fn, r.Writes, ev)
	e.events = append(e.events, ev)
	e.results = append(e.results, r)
	return string(r.Response.Payload), ev
}

// okJSON is ok, decoding the response into out.
func (e *env) okJSON(out any, msp, fn string, args ...string) ledger.Event {
	e.t.Helper()
	resp, ev := e.ok(msp, fn, args...)
	if err := json.Unmarshal([]byte(resp), out); err != nil {
		e.t.Fatalf("%s response: %v\n%s", fn, err, resp)
	}
	return ev
}

// fail runs a write that must be rejected with a message containing want
// (or matching the regexp after "re:"),
// having attempted no write and no event.
func (e *env) fail(msp, want, fn string, args ...string) {
	e.t.Helper()
	before := e.l.Snapshot()
	r := e.invoke(msp, fn, args...)
	if r.OK() {
		e.t.Fatalf("%s as %s succeeded, want error %q", fn, msp, want)
	}
	if re, ok := strings.CutPrefix(want, "re:"); ok {
		if !regexp.MustCompile(re).MatchString(r.Response.Message) {
			e.t.Fatalf("%s as %s: error %q does not match %s", fn, msp, r.Response.Message, re)
		}
	} else if !strings.Contains(r.Response.Message, want) {
		e.t.Fatalf("%s as %s: error %q does not contain %q", fn, msp, r.Response.Message, want)
	}
	if len(r.Writes) != 0 || len(r.Events) != 0 {
		e.t.Fatalf("%s as %s failed (%s) after %d writes and %d events", fn, msp, r.Response.Message, len(r.Writes), len(r.Events))
	}
	if !reflect.DeepEqual(before, e.l.Snapshot()) {
		e.t.Fatalf("%s as %s failed but changed the state", fn, msp)
	}
}

// query evaluates a read that must succeed without writing.
func (e *env) query(msp, fn string, args ...string) string {
	e.t.Helper()
	r := e.l.Evaluate(e.cc, e.tx(msp), append([]string{fn}, args...)...)
	if !r.OK() {
		e.t.Fatalf("%s as %s failed: %s", fn, msp, r.Response.Message)
	}
	if len(r.Writes) != 0 || len(r.Events) != 0 {
		e.t.Fatalf("query %s wrote %d keys and %d events", fn, len(r.Writes), len(r.Events))
	}
	return string(r.Response.Payload)
}

func (e *env) queryJSON(out any, msp, fn string, args ...string) {
	e.t.Helper()
	if err := json.Unmarshal([]byte(e.query(msp, fn, args...)), out); err != nil {
		e.t.Fatalf("%s response: %v", fn, err)
	}
}

// queryFail evaluates a read that must fail with a message containing want.
func (e *env) queryFail(msp, want, fn string, args ...string) {
	e.t.Helper()
	r := e.l.Evaluate(e.cc, e.tx(msp), append([]string{fn}, args...)...)
	if r.OK() || !strings.Contains(r.Response.Message, want) {
		e.t.Fatalf("%s: got ok=%v %q, want error containing %q", fn, r.OK(), r.Response.Message, want)
	}
}

// completeEvent decodes the transaction's slim event, checks it is
// canonical JSON naming its records only by key, and returns the complete
// event a node rebuilds from it and the writes (ledger.Event.Expand),
// checking that its payload is the canonical encoding of that event (what
// the chaincode set before slim events).
func completeEvent(t *testing.T, fn string, r stubfake.Result) ledger.Event {
	t.Helper()
	var slim ledger.Event
	if err := unmarshalStrict(r.Events[0].Payload, &slim); err != nil {
		t.Fatalf("%s event payload: %v\n%s", fn, err, r.Events[0].Payload)
	}
	if canon, _ := marshalCanonical(slim); !bytes.Equal(canon, r.Events[0].Payload) {
		t.Fatalf("%s event payload is not canonical JSON", fn)
	}
	if !slim.Slim() {
		t.Fatalf("%s set a complete event, not a slim one: %s", fn, r.Events[0].Payload)
	}
	writes := map[string][]byte{}
	for _, w := range r.Writes {
		writes[w.Key] = w.Value
	}
	full, err := slim.Expand(func(k string) ([]byte, bool) { v, ok := writes[k]; return v, ok })
	if err != nil {
		t.Fatalf("%s: expanding the slim event: %v\n%s", fn, err, r.Events[0].Payload)
	}
	var ev ledger.Event
	if err := unmarshalStrict(full, &ev); err != nil {
		t.Fatalf("%s complete payload: %v\n%s", fn, err, full)
	}
	if canon, _ := marshalCanonical(ev); !bytes.Equal(canon, full) {
		t.Fatalf("%s: the complete payload is not the canonical encoding of its event:\n%s\n%s", fn, full, canon)
	}
	return ev
}

// checkPayloadComplete asserts that the event lists every record written,
// byte for byte as stored, and nothing else: a node rebuilds the state
// from payloads alone.
func checkPayloadComplete(t *testing.T, fn string, writes []stubfake.Write, ev ledger.Event) {
	t.Helper()
	var records [][]byte
	add := func(v any) {
		b, err := marshalCanonical(v)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, b)
	}
	for _, v := range ev.Products {
		add(v)
	}
	for _, v := range ev.Lots {
		add(v)
	}
	for _, v := range ev.Units {
		add(v)
	}
	for _, v := range ev.Shipments {
		add(v)
	}
	for _, v := range ev.LogisticUnits {
		add(v)
	}
	for _, v := range ev.LabSigners {
		add(v)
	}
	for _, v := range ev.Inspections {
		add(v)
	}
	for _, v := range ev.Recalls {
		add(v)
	}
	if ev.Roles != nil {
		add(ev.Roles)
	}
	for _, v := range ev.RoleProposals {
		add(v)
	}
	for _, v := range ev.Claims {
		add(v)
	}
	for _, v := range ev.Locations {
		add(v)
	}
	for _, v := range ev.ServiceChains {
		add(v)
	}
	eventIDs := map[string]bool{}
	for _, raw := range ev.EPCIS {
		var head struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.EventID == "" {
			t.Fatalf("%s: payload EPCIS event without eventID: %s", fn, raw)
		}
		eventIDs[head.EventID] = true
	}
	matched, events := 0, 0
	for _, w := range writes {
		if w.Delete {
			t.Fatalf("%s deleted %q; the ledger never deletes", fn, w.Key)
		}
		typ := strings.Split(w.Key[1:], "\x00")[0]
		switch typ {
		case ledger.ObjectClaimSubject:
			// derived from the claims in the payload
		case ledger.ObjectLotEvent, ledger.ObjectSourceEvent:
			var id string
			if err := json.Unmarshal(w.Value, &id); err != nil || !eventIDs[id] {
				t.Fatalf("%s: index entry for event %s not in the payload", fn, w.Value)
			}
		case ledger.ObjectServiceTicket:
			// derived from the service event in the payload
			var tk ledger.ServiceTicket
			if err := json.Unmarshal(w.Value, &tk); err != nil || !eventIDs[tk.FiledEvent] && !eventIDs[tk.AnswerEvent] {
				t.Fatalf("%s: ticket %s not derived from an event in the payload", fn, w.Value)
			}
		case ledger.ObjectEvent:
			found := false
			for _, raw := range ev.EPCIS {
				found = found || bytes.Equal(raw, w.Value)
			}
			if !found {
				t.Fatalf("%s: stored EPCIS event not in the payload byte for byte:\n%s", fn, w.Value)
			}
			events++
		default:
			found := false
			for _, r := range records {
				found = found || bytes.Equal(r, w.Value)
			}
			if !found {
				t.Fatalf("%s: record %q not in the payload as stored:\n%s", fn, w.Key, w.Value)
			}
			matched++
		}
	}
	if matched != len(records) || events != len(ev.EPCIS) {
		t.Fatalf("%s: payload has %d records and %d events, %d and %d were written", fn, len(records), len(ev.EPCIS), matched, events)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

func (e *env) rfc(d time.Duration) string { return e.now.Add(d).Format(time.RFC3339) }

func productReq(gtin, name string) ledger.ProductRequest {
	return ledger.ProductRequest{GTIN: gtin, Name: name, Brand: "Acme", Category: "vegetables", TempMinC: 2, TempMaxC: 8, ShelfLifeDays: 14}
}

// batchReq is a valid batch of gtin produced a day before e.now.
func (e *env) batchReq(gtin, lot string) ledger.BatchRequest {
	return ledger.BatchRequest{
		GTIN: gtin, Lot: lot, Quantity: ledger.Quantity{Value: "1000", UOM: "KGM"},
		Producer: glnFarm,
		Place: ledger.Place{
			Location: glnURI(glnFarm) + "/254/field-7",
			Geo:      &ledger.Geo{Latitude: 41.9, Longitude: 12.5},
			Address:  &ledger.Address{Street: "Via Appia 1", City: "Roma", PostalCode: "00100", Country: "IT"},
		},
		ProducedAt: e.rfc(-24 * time.Hour), Expiry: e.rfc(10 * 24 * time.Hour),
		FarmingPractice: "organic (EU 2018/848)",
		Evidence:        []ledger.Evidence{{Kind: ledger.EvidencePhoto, SHA256: strings.Repeat("ab", 32), URI: "ipfs://bafyphoto"}},
	}
}

// setupLot registers the tomato product (and the sauce) and creates lot as the supplier.
func (e *env) setupLot(lot string) ledger.LotSummary {
	e.t.Helper()
	var p ledger.Product
	if r := e.l.State(mustKey(ledger.ObjectProduct, gtinTomato)); r == nil {
		e.okJSON(&p, brand, "Product:RegisterProduct", mustJSON(productReq(gtinTomato, "Tomatoes")))
		sauce := productReq(gtinSauce, "Tomato sauce")
		sauce.TempMinC, sauce.TempMaxC = 0, 25
		e.okJSON(&p, brand, "Product:RegisterProduct", mustJSON(sauce))
	}
	var l ledger.LotSummary
	e.okJSON(&l, supplier, "Batch:CreateBatch", mustJSON(e.batchReq(gtinTomato, lot)))
	return l
}

func mustKey(typ string, attrs ...string) string {
	k, err := (&stubfake.Stub{}).CreateCompositeKey(typ, attrs)
	if err != nil {
		panic(err)
	}
	return k
}

func (e *env) lot(uri string) ledger.LotSummary {
	e.t.Helper()
	var l ledger.LotSummary
	e.queryJSON(&l, brand, "Query:GetLot", uri)
	return l
}

// report is a valid inspection report on lots, issued an hour before e.now.
func (e *env) report(id string, lots ...string) inspection.Report {
	return inspection.Report{
		ReportID: id, Lots: lots, Method: "LC-MS/MS", Standard: "EN 15662:2018",
		SampledAt: e.now.Add(-48 * time.Hour).Format(inspection.TimeLayout),
		Analytes:  []inspection.Analyte{{Name: "chlorpyrifos", Value: "0.004", Unit: "mg/kg", Limit: "0.01", Pass: true}},
		Verdict:   inspection.VerdictPass,
		IssuedAt:  e.now.Add(-time.Hour).Format(inspection.TimeLayout),
		Document:  inspection.Document{SHA256: strings.Repeat("cd", 32), URI: "ipfs://bafyreport"},
	}
}

func sign(t *testing.T, r inspection.Report, k *ecdsa.PrivateKey) string {
	t.Helper()
	sig, err := inspection.Sign(r, k)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("0x%x", sig)
}

func (e *env) registerLabKey() string {
	addr := crypto.PubkeyToAddress(e.labKey.PublicKey).Hex()
	e.ok(lab, "Lab:RegisterLabSigner", addr, "Lab One", "ISO/IEC 17025 D-PL-1")
	return addr
}

// corruptor is a chaincode that overwrites one key with bytes that are
// not a record, as a bug or a bad migration might.
type corruptor struct{ key string }

func (c corruptor) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }
func (c corruptor) Invoke(s shim.ChaincodeStubInterface) *peer.Response {
	if err := s.PutState(c.key, []byte(`{"unexpected":true}`)); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}
