package receipt

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
)

const (
	rawLot    = "https://id.gs1.org/01/09506000134352/10/RAW1"
	yogurtLot = "https://id.gs1.org/01/09506000134369/10/Y1"
)

// epcisEvent completes ev with its CBV 2.0 id.
func epcisEvent(t testing.TB, ev map[string]any) (json.RawMessage, string) {
	t.Helper()
	ev["@context"] = []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}
	ev["eventTimeZoneOffset"] = "+00:00"
	raw, _ := json.Marshal(ev)
	id, err := epcis.HashEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	ev["eventID"] = id
	raw, _ = json.Marshal(ev)
	return raw, id
}

func mustRecord(t testing.TB, k ledger.RecordKind, v any) ledger.Record {
	t.Helper()
	r, err := ledger.NewRecord(k, v)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// claimFixture is a yogurt lot made from a raw-milk lot that a registered
// lab tested, with an origin_in and a lab_tested claim on the yogurt: its
// receipt as a node builds it, all leaves in one anchored window. Extra
// claim records are added as proven records without a verdict.
func claimFixture(t testing.TB, extra ...ledger.Claim) *Receipt {
	t.Helper()
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	origin, _ := epcisEvent(t, map[string]any{
		"type": "ObjectEvent", "eventTime": "2026-03-01T06:00:00.000Z", "action": "ADD", "bizStep": "commissioning",
		"quantityList": []any{map[string]any{"epcClass": rawLot, "quantity": 100, "uom": "LTR"}},
		"ilmd":         map[string]any{"tl:producedAt": "2026-03-01T05:00:00.000000000Z"},
	})
	transform, _ := epcisEvent(t, map[string]any{
		"type": "TransformationEvent", "eventTime": "2026-03-01T18:00:00.000Z", "bizStep": "commissioning",
		"inputQuantityList":  []any{map[string]any{"epcClass": rawLot, "quantity": 100, "uom": "LTR"}},
		"outputQuantityList": []any{map[string]any{"epcClass": yogurtLot, "quantity": 100, "uom": "KGM"}},
	})
	key, _ := crypto.GenerateKey()
	signer := ledger.LabSigner{Address: crypto.PubkeyToAddress(key.PublicKey).Hex(), Lab: "LabMSP", Name: "Test Lab",
		Accreditation: "ISO/IEC 17025", RegisteredAt: "2026-01-01T00:00:00.000000000Z", RegisteredTx: "tx-signer"}
	rep := inspection.Report{ReportID: "R1", Lots: []string{rawLot}, Method: "LC-MS/MS", Standard: "EN 15662",
		SampledAt: "2026-03-01T07:00:00Z", IssuedAt: "2026-03-01T10:00:00Z", Verdict: "pass",
		Analytes: []inspection.Analyte{{Name: "Glyphosate", Value: "0.01", Unit: "mg/kg", Limit: "0.1", Pass: true}},
		Document: inspection.Document{SHA256: strings.Repeat("ab", 32), URI: "https://lab.example/R1.pdf"}}
	sig, err := inspection.Sign(rep, key)
	if err != nil {
		t.Fatal(err)
	}
	inspect, inspectID := epcisEvent(t, map[string]any{
		"type": "ObjectEvent", "eventTime": "2026-03-01T10:00:00.000Z", "action": "OBSERVE", "bizStep": "inspecting",
		"quantityList":  []any{map[string]any{"epcClass": rawLot}},
		"tl:inspection": map[string]any{"tl:reportId": "R1"},
	})
	rec := ledger.InspectionRecord{Report: rep, Signature: hexutil.Encode(sig), Signer: signer.Address, Lab: "LabMSP",
		SubmittedAt: "2026-03-01T10:00:00.000000000Z", TxID: "tx-inspect", EventID: inspectID}
	raw := ledger.LotSummary{ID: rawLot, GTIN: "09506000134352", Lot: "RAW1", ProducedAt: "2026-03-01T05:00:00.000000000Z",
		Origin:  &ledger.Origin{Producer: "https://id.gs1.org/414/9506000134376", Place: ledger.Place{Location: "https://id.gs1.org/414/9506000134376"}},
		Outputs: []string{yogurtLot}}
	yogurt := ledger.LotSummary{ID: yogurtLot, GTIN: "09506000134369", Lot: "Y1", ProducedAt: "2026-03-01T18:00:00.000000000Z",
		Inputs: []ledger.LotQuantity{{Lot: rawLot, Quantity: ledger.Quantity{Value: "100", UOM: "LTR"}}}}
	product := ledger.Product{ID: "https://id.gs1.org/01/09506000134369", GTIN: "09506000134369", Name: "Yogurt", Owner: "BrandMSP"}
	cs := []ledger.Claim{
		{ID: "claim-1", Subject: product.ID, GTIN: product.GTIN, Kind: ledger.ClaimOriginIn, Wording: "Milk from the Allgäu", Brand: "BrandMSP",
			Params: ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: "the Allgäu", GLNs: []string{"9506000134376"}}}},
		{ID: "claim-2", Subject: product.ID, GTIN: product.GTIN, Kind: ledger.ClaimLabTested, Wording: "Lab tested", Brand: "BrandMSP",
			Params: ledger.ClaimParams{LabTested: &ledger.LabTestedParams{Analytes: []string{"Glyphosate"}, MaxAgeDays: 30}}},
	}
	tr := claims.Trace{Lot: yogurt, Product: &product, Upstream: []ledger.LotSummary{raw},
		Events: []json.RawMessage{transform}, UpstreamEvents: []json.RawMessage{origin, inspect},
		Inspections: []ledger.InspectionRecord{rec}, Signers: []ledger.LabSigner{signer}, At: at}
	var results []claims.Result
	for _, c := range cs {
		results = append(results, claims.Evaluate(tr, c))
	}
	if results[0].Status != claims.Holds || results[1].Status != claims.Holds {
		t.Fatalf("fixture claims do not hold: %+v", results)
	}

	recs := []ledger.Record{mustRecord(t, ledger.RecordProduct, &product), mustRecord(t, ledger.RecordLot, &yogurt),
		mustRecord(t, ledger.RecordLot, &raw), mustRecord(t, ledger.RecordInspection, &rec), mustRecord(t, ledger.RecordLabSigner, &signer)}
	cs = append(cs, extra...)
	for i := range cs {
		recs = append(recs, mustRecord(t, ledger.RecordClaim, &cs[i]))
	}
	events := []json.RawMessage{transform, origin, inspect}
	var ids []string
	for _, e := range events {
		var f struct {
			ID string `json:"eventID"`
		}
		_ = json.Unmarshal(e, &f)
		ids = append(ids, f.ID)
	}
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	mw := merkle.NewWindow(ids)
	tree := mw.Tree()
	w := ethanchor.Window{Channel: "trustline", FromBlock: 1, ToBlock: 9, Root: tree.Root()}
	proof := func(id string) Proof {
		i, _ := mw.Index(id)
		path, err := tree.Proof(i)
		if err != nil {
			t.Fatal(err)
		}
		return Proof{Window: w, Size: uint64(mw.Len()), LeafIndex: uint64(i), Path: path}
	}
	var c Contents
	for i, e := range events {
		c.Events = append(c.Events, Entry{Event: e, EventID: ids[i], TxID: "tx", Block: 2, Proof: proof(ids[i]), Upstream: i > 0})
	}
	for _, r := range recs {
		c.Records = append(c.Records, RecordEntry{Record: r, TxID: "tx", Block: 3, Proof: proof(r.ID)})
	}
	c.Claims = results
	r, err := BuildWith(Subject{DigitalLink: yogurtLot, Lots: []string{yogurtLot}}, c, at)
	if err != nil {
		t.Fatal(err)
	}
	fakeAnchors(r, 1)
	return roundTrip(t, r)
}

func TestVerifyClaims(t *testing.T) {
	r := claimFixture(t)
	rep, err := Verify(ctxT(t), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Claims) != 2 || len(rep.Records) != 7 {
		t.Fatalf("untampered receipt: OK=%v, %d claims, %d records: %+v", rep.OK(), len(rep.Claims), len(rep.Records), rep.Claims)
	}
	for _, c := range rep.Claims {
		if c.Recomputed == nil || c.Recomputed.Status != claims.Holds {
			t.Errorf("claim %s re-evaluated to %+v", c.Claim, c.Recomputed)
		}
	}
	recordOf := func(r *Receipt, k ledger.RecordKind, has string) int {
		return slices.IndexFunc(r.Records, func(x Record) bool { return x.Type == k && strings.Contains(string(x.Record), has) })
	}
	edit := func(r *Receipt, i int, f func(map[string]any)) {
		var m map[string]any
		if err := json.Unmarshal(r.Records[i].Record, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		r.Records[i].Record, _ = json.Marshal(m)
	}
	for _, tc := range []struct {
		name   string
		tamper func(r *Receipt)
		claim  string // the claim that must fail, "" for none
		want   error
		record Part // a record check that must fail too, "" for none
		extra  []ledger.Claim
	}{
		{"status turned", func(r *Receipt) { r.Claims[1].Status = claims.Fails }, "claim-2", ErrClaimMismatch, "", nil},
		{"reason reworded", func(r *Receipt) { r.Claims[0].Reason = "lies in Bavaria" }, "claim-1", ErrClaimMismatch, "", nil},
		{"evidence dropped", func(r *Receipt) { r.Claims[1].Evidence = nil }, "claim-2", ErrClaimMismatch, "", nil},
		{"evaluation time moved past the report's age", func(r *Receipt) {
			r.Claims[1].EvaluatedAt = "2026-06-01T00:00:00.000000000Z"
		}, "claim-2", ErrClaimMismatch, "", nil},
		{"signer record altered", func(r *Receipt) {
			edit(r, recordOf(r, ledger.RecordLabSigner, "Test Lab"), func(m map[string]any) { m["name"] = "Other Lab" })
		}, "claim-2", ErrClaimMismatch, PartRecord, nil},
		{"report verdict rewritten", func(r *Receipt) {
			i := recordOf(r, ledger.RecordInspection, "R1")
			edit(r, i, func(m map[string]any) { m["report"].(map[string]any)["verdict"] = "fail" })
			// Even with the id recomputed the signature no longer matches.
			v, canon, err := ledger.DecodeRecord(ledger.RecordInspection, r.Records[i].Record)
			if err != nil || v == nil {
				t.Fatal(err)
			}
			r.Records[i].RecordID = canon.ID
		}, "claim-2", ErrClaimMismatch, PartRecord, nil},
		{"claim record dropped", func(r *Receipt) {
			r.Records = slices.Delete(r.Records, recordOf(r, ledger.RecordClaim, "claim-1"), recordOf(r, ledger.RecordClaim, "claim-1")+1)
		}, "claim-1", ErrClaimEvidence, "", nil},
		{"ingredient lot dropped", func(r *Receipt) {
			r.Records = slices.Delete(r.Records, recordOf(r, ledger.RecordLot, "RAW1\""), recordOf(r, ledger.RecordLot, "RAW1\"")+1)
		}, "claim-1", ErrClaimEvidence, "", nil},
		{"ingredient event passed off as the lot's own", func(r *Receipt) { r.Events[1].Upstream = false }, "claim-1", ErrClaimEvidence, "", nil},
		{"claim superseded in the receipt itself", func(*Receipt) {}, "claim-1", ErrClaimEvidence, "",
			[]ledger.Claim{{ID: "claim-3", Supersedes: "claim-1", Kind: ledger.ClaimOriginIn, GTIN: "09506000134369", Wording: "Milk from Bavaria",
				Params: ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: "Bavaria", GLNs: []string{"9506000134376"}}}}}},
		{"a claim record edited to supersede another", func(r *Receipt) {
			edit(r, recordOf(r, ledger.RecordClaim, "claim-2"), func(m map[string]any) { m["supersedes"] = "claim-1" })
		}, "", nil, PartRecord, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := claimFixture(t, tc.extra...)
			tc.tamper(r)
			r = roundTrip(t, r)
			rep, err := Verify(ctxT(t), r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("tampered receipt verifies")
			}
			for _, c := range rep.Claims {
				failed := false
				for _, f := range c.Failures {
					failed = failed || errors.Is(f, tc.want)
				}
				if c.Claim == tc.claim && !failed {
					t.Errorf("claim %s: failures %v, want %v", c.Claim, c.Failures, tc.want)
				}
			}
			recordFailed := false
			for _, v := range rep.Records {
				recordFailed = recordFailed || v.Failed(PartRecord)
			}
			if tc.record != "" && !recordFailed {
				t.Errorf("no record check failed")
			}
		})
	}
}

// A record keeps its id through JSON that differs in spacing and escaping:
// the id is of the canonical form.
func TestRecordIDCanonical(t *testing.T) {
	c := ledger.Claim{ID: "claim-1", Wording: "Cold <chain> & more", Kind: ledger.ClaimColdChain}
	want := mustRecord(t, ledger.RecordClaim, &c)
	escaped, _ := json.MarshalIndent(c, "", "  ") // escapes <, > and &
	if strings.Contains(string(escaped), "<") {
		t.Fatal("expected HTML escaping")
	}
	_, got, err := ledger.DecodeRecord(ledger.RecordClaim, escaped)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID {
		t.Errorf("id %s, want %s", got.ID, want.ID)
	}
	if _, _, err := ledger.DecodeRecord(ledger.RecordClaim, []byte(`{"id":"x","bogus":1}`)); err == nil {
		t.Error("unknown member accepted")
	}
}

// TestClaimsReceiptTestdata keeps the command tests' claims receipt (in
// internal/cli/verifycmd/testdata) verifying; TRUSTLINE_UPDATE_TESTDATA=1
// writes it anew.
func TestClaimsReceiptTestdata(t *testing.T) {
	path := filepath.Join("..", "internal", "cli", "verifycmd", "testdata", "claims-receipt.json")
	if os.Getenv("TRUSTLINE_UPDATE_TESTDATA") == "1" {
		b, err := json.MarshalIndent(claimFixture(t), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctxT(t), r, Options{})
	if err != nil || !rep.OK() {
		t.Fatalf("%s does not verify: %v %+v", path, err, rep)
	}
}

// BenchmarkVerifyClaims verifies the claims fixture offline (3 events, 7
// records, 2 claims re-evaluated) and, as the baseline, the same receipt
// without its claims: the difference is the cost of re-evaluating them.
func BenchmarkVerifyClaims(b *testing.B) {
	r := claimFixture(b)
	bare := *r
	bare.Claims = nil
	for _, bc := range []struct {
		name string
		r    *Receipt
	}{{"with-claims", r}, {"without-claims", &bare}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := Verify(context.Background(), bc.r, Options{})
				if err != nil || !rep.OK() {
					b.Fatal(err)
				}
			}
		})
	}
}
