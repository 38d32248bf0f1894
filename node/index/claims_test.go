package index

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

func claimTx(block uint64, at string, cs ...ledger.Claim) tx {
	return tx{Block: block, Event: ledger.Event{Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: "c" + at, Timestamp: at, Claims: cs}}
}

// Claims are evaluated when registered, re-evaluated when evidence about
// the lot or an upstream lot arrives, and a superseded claim drops out.
func TestClaimsEvaluatedOnApply(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	cold := ledger.Claim{ID: "claim-1", Subject: "https://id.gs1.org/01/" + juice, GTIN: juice, Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
		Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 60}}}
	stricter := cold
	stricter.ID, stricter.Supersedes = "claim-2", "claim-1"
	stricter.Params = ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 30}}
	superseded := cold
	superseded.SupersededBy = "claim-2"

	// Before the recall (seq[8]): claim after the shipment.
	full := append([]tx{}, seq[:8]...)
	full = append(full, claimTx(8, "2025-06-07T00:00:00.000000000Z", cold))
	full = append(full, seq[8:]...)
	full = append(full, claimTx(20, "2025-06-10T00:00:00.000000000Z", superseded, stricter))
	for i := range full {
		if i > 0 && !full[i-1].pos().Before(full[i].pos()) {
			full[i].Tx = full[i-1].Tx + 1
		}
	}

	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, full[:9])
	rs, err := x.ClaimResults(juice, "J1")
	if err != nil || len(rs) != 1 {
		t.Fatalf("ClaimResults = %+v, %v", rs, err)
	}
	if r := rs[0]; r.Claim != "claim-1" || r.Status != claims.Pending || r.EvaluatedAt != "2025-06-07T00:00:00.000000000Z" {
		t.Fatalf("result after registering = %+v", r)
	}
	// The recall of an input lot re-evaluates the juice made from it.
	applyAll(t, x, full[9:10])
	rs, _ = x.ClaimResults(juice, "J1")
	if len(rs) != 1 || rs[0].EvaluatedAt != "2025-06-09T00:00:00.000000000Z" {
		t.Fatalf("result after the upstream recall = %+v", rs)
	}
	if st, reason := claims.Overall(mustLot(t, x, juice, "J1"), rs); st != claims.Fails || reason != "Recalled through an ingredient lot" {
		t.Errorf("Overall = %s %q", st, reason)
	}
	applyAll(t, x, full[10:])
	rs, _ = x.ClaimResults(juice, "J1")
	if len(rs) != 1 || rs[0].Claim != "claim-2" {
		t.Fatalf("results after superseding = %+v", rs)
	}
	all, err := x.Claims(juice)
	if err != nil || len(all) != 2 || all[0].SupersededBy != "claim-2" {
		t.Fatalf("Claims = %+v, %v", all, err)
	}
	if rs, _ := x.ClaimResults(apples, "L1"); len(rs) != 0 {
		t.Errorf("apples have no claims, got %+v", rs)
	}
	tr, err := x.ClaimTrace(juice, "J1", mustTime(t, "2025-06-10T00:00:00Z"))
	if err != nil || len(tr.Upstream) != 2 || len(tr.Events) == 0 || tr.Product == nil {
		t.Errorf("ClaimTrace = %+v, %v", tr, err)
	}

	// Results are part of the state: a rebuild has the same digest.
	y := openMem(t, vfs.NewMem())
	defer y.Close()
	applyAll(t, y, full)
	dx, _ := x.Digest()
	dy, _ := y.Digest()
	if dx != dy {
		t.Errorf("digests differ after the same transactions: %s %s", dx, dy)
	}
}

const (
	apples = "09506000134352"
	juice  = "09506000134369"
)

func signerTx(block uint64, at string, s ledger.LabSigner) tx {
	return tx{Block: block, Event: ledger.Event{Function: "Lab:RegisterLabSigner", MSPID: "LabMSP", TxID: "s" + at, Timestamp: at, LabSigners: []ledger.LabSigner{s}}}
}

// inspectionTx records a passing report on lot signed by signer, as
// SubmitInspection does: the record and its inspecting event on the lot.
func inspectionTx(t *testing.T, block uint64, at, reportID, signer, lot string) tx {
	t.Helper()
	rec := ledger.InspectionRecord{
		Report: inspection.Report{ReportID: reportID, Lots: []string{lot}, Standard: "Regulation (EU) 2023/915", SampledAt: at, IssuedAt: at, Verdict: inspection.VerdictPass,
			Analytes: []inspection.Analyte{{Name: "Patulin", Value: "3", Unit: "µg/kg", Limit: "50", Pass: true}}},
		Signer: signer, Lab: "LabMSP", SubmittedAt: at, TxID: "i" + at, EventID: "ev-" + reportID,
	}
	raw, err := json.Marshal(map[string]any{
		"type": "ObjectEvent", "eventID": rec.EventID, "eventTime": at, "action": "OBSERVE", "bizStep": "inspecting",
		"quantityList": []any{map[string]any{"epcClass": lot}}, "tl:inspection": map[string]any{"tl:reportId": reportID},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx{Block: block, Event: ledger.Event{Function: "Lab:SubmitInspection", MSPID: "LabMSP", TxID: rec.TxID, Timestamp: at,
		EPCIS: []json.RawMessage{raw}, Inspections: []ledger.InspectionRecord{rec}}}
}

// results returns the stored verdicts on every lot of the test, by lot
// and claim: a lot that was not re-evaluated keeps its EvaluatedAt.
func results(t *testing.T, x *Index) map[string]claims.Result {
	t.Helper()
	out := map[string]claims.Result{}
	for _, l := range [][2]string{{apples, "L1"}, {apples, "L2"}, {apples, "L3"}, {juice, "J1"}} {
		rs, err := x.ClaimResults(l[0], l[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			out[l[1]+" "+r.Claim] = r
		}
	}
	return out
}

// Revoking a lab signer re-evaluates exactly the lots whose trace holds
// one of its reports: the inspected lot and the lots made from it. A
// lot-level claim on an ingredient lot is evaluated on that lot alone.
func TestClaimsSignerRevocationAndLotClaims(t *testing.T) {
	seq := loadSeq(t, "supply.json")[:8] // apples L1 and L2 made into juice J1, shipped
	const at = "2025-06-07T%02d:00:00.000000000Z"
	ts := func(h int) string { return fmt.Sprintf(at, h) }
	a := ledger.LabSigner{Address: "0xAbC0000000000000000000000000000000000001", Lab: "LabMSP", Name: "Bench A", Accreditation: "ISO 17025", RegisteredAt: ts(2)}
	b := ledger.LabSigner{Address: "0xAbC0000000000000000000000000000000000002", Lab: "LabMSP", Name: "Bench B", Accreditation: "ISO 17025", RegisteredAt: ts(3)}
	c := ledger.LabSigner{Address: "0xAbC0000000000000000000000000000000000003", Lab: "LabMSP", Name: "Bench C", Accreditation: "ISO 17025", RegisteredAt: ts(9)}
	revokedA := a
	revokedA.Revoked, revokedA.RevokedAt, revokedA.RevokedReason = true, ts(8), "key leaked"
	l3 := ledger.LotSummary{ID: "https://id.gs1.org/01/" + apples + "/10/L3", GTIN: apples, Lot: "L3", Status: ledger.StatusActive, ProducedAt: ts(1)}
	lab := func(id, gtin string) ledger.Claim {
		return ledger.Claim{ID: id, Subject: "https://id.gs1.org/01/" + gtin, GTIN: gtin, Kind: ledger.ClaimLabTested, Wording: "Patulin tested",
			Params: ledger.ClaimParams{LabTested: &ledger.LabTestedParams{Analytes: []string{"Patulin"}, MaxAgeDays: 30}}}
	}
	onL2 := lab("claim-l2", apples)
	onL2.Subject, onL2.Lot = "https://id.gs1.org/01/"+apples+"/10/L2", "L2"

	seq = append(seq,
		tx{Block: 20, Event: ledger.Event{Function: "Batch:CreateBatch", MSPID: "SupplierMSP", TxID: "l3", Timestamp: ts(1), Lots: []ledger.LotSummary{l3}}},
		signerTx(21, ts(2), a),
		signerTx(22, ts(3), b),
		inspectionTx(t, 23, ts(4), "R-A", a.Address, "https://id.gs1.org/01/"+apples+"/10/L2"),
		inspectionTx(t, 24, ts(5), "R-B", b.Address, l3.ID),
		claimTx(25, ts(6), lab("claim-apples", apples), lab("claim-juice", juice)),
	)

	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, seq)
	before := results(t, x)
	for k, want := range map[string]claims.Status{
		"L1 claim-apples": claims.Pending, "L2 claim-apples": claims.Holds, "L3 claim-apples": claims.Holds, "J1 claim-juice": claims.Holds,
	} {
		if r := before[k]; r.Status != want || r.EvaluatedAt != ts(6) {
			t.Fatalf("%s before the revocation = %+v, want %s at %s", k, r, want, ts(6))
		}
	}

	// Revoke A: L2 (inspected) and J1 (made from it) turn to fails; L1
	// (J1's other input) and L3 (inspected by B) are not re-evaluated.
	applyAll(t, x, []tx{signerTx(26, ts(8), revokedA)})
	after := results(t, x)
	for _, k := range []string{"L2 claim-apples", "J1 claim-juice"} {
		r := after[k]
		if r.Status != claims.Fails || r.EvaluatedAt != ts(8) || !strings.Contains(r.Reason, "report R-A does not count: its signer "+a.Address+" (Bench A) was revoked") {
			t.Errorf("%s after revoking A = %+v", k, r)
		}
	}
	for _, k := range []string{"L1 claim-apples", "L3 claim-apples"} {
		if !sameResult(after[k], before[k]) {
			t.Errorf("%s was re-evaluated by an unrelated revocation: %+v, was %+v", k, after[k], before[k])
		}
	}

	// A new signer has no reports: nothing is re-evaluated.
	applyAll(t, x, []tx{signerTx(27, ts(9), c)})
	if got := results(t, x); !equalResults(got, after) {
		t.Errorf("registering a signer without reports changed results:\n%+v\nwas\n%+v", got, after)
	}

	// A lot-level claim on the ingredient lot L2 has a result on L2 as of
	// its own transaction, none on J1, and leaves the other lots alone.
	applyAll(t, x, []tx{claimTx(28, ts(10), onL2)})
	final := results(t, x)
	if r, ok := final["L2 claim-l2"]; !ok || r.Status != claims.Fails || r.EvaluatedAt != ts(10) || r.Lot != onL2.Subject {
		t.Errorf("lot claim on L2 = %+v, %v", r, ok)
	}
	if r := final["L2 claim-apples"]; r.Status != claims.Fails || r.EvaluatedAt != ts(10) {
		t.Errorf("L2's other claim with the new one = %+v", r)
	}
	for _, m := range []map[string]claims.Result{final, after} {
		delete(m, "L2 claim-l2")
		delete(m, "L2 claim-apples") // re-evaluated with L2's new claim, to the same verdict
	}
	if !equalResults(final, after) {
		t.Errorf("a lot claim on L2 changed other results:\n%+v\nwas\n%+v", final, after)
	}
	if tr, err := x.ClaimTrace(juice, "J1", mustTime(t, "2025-06-07T10:00:00Z")); err != nil || len(tr.Inspections) != 1 {
		t.Errorf("J1's trace = %+v, %v; want the report on L2", tr.Inspections, err)
	}

	// The signer table is state like the rest: a rebuild has the same digest.
	all := append(seq, signerTx(26, ts(8), revokedA), signerTx(27, ts(9), c), claimTx(28, ts(10), onL2))
	y := openMem(t, vfs.NewMem())
	defer y.Close()
	applyAll(t, y, all)
	dx, _ := x.Digest()
	dy, _ := y.Digest()
	if dx != dy {
		t.Errorf("digests differ after the same transactions: %s %s", dx, dy)
	}
}

func equalResults(a, b map[string]claims.Result) bool {
	if len(a) != len(b) {
		return false
	}
	for k, r := range a {
		if o, ok := b[k]; !ok || !sameResult(o, r) {
			return false
		}
	}
	return true
}

func sameResult(a, b claims.Result) bool {
	return a.Status == b.Status && a.Reason == b.Reason && a.EvaluatedAt == b.EvaluatedAt && slices.Equal(a.Evidence, b.Evidence)
}

func mustLot(t *testing.T, x *Index, gtin, lot string) ledger.LotSummary {
	t.Helper()
	l, err := x.Lot(gtin, lot)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestClaimsBatchedAsOneByOne: a batch evaluates each lot's claims once, as
// of the last transaction that affected it (flushClaims), and leaves the
// results that evaluating after every transaction leaves, in blocks of
// every size. Also when a transaction without a ledger time, which
// evaluates nothing, changes the evidence of a lot whose evaluation is
// pending: there, the lab report on the raw milk, or the yogurt's recall.
// (The sequences need not be the chaincode's: the index must be the same
// however it is batched.)
func TestClaimsBatchedAsOneByOne(t *testing.T) {
	seq := loadSeq(t, "demo.json")
	cases := map[string][]tx{"demo": seq}
	for what, is := range map[string]func(tx) bool{
		"report": func(s tx) bool { return len(s.Event.Inspections) > 0 },
		"recall": func(s tx) bool { return len(s.Event.Recalls) > 0 },
	} {
		k := slices.IndexFunc(seq, is)
		if k < 0 {
			t.Fatalf("the demo story has no %s", what)
		}
		untimed := slices.Clone(seq)
		untimed[k].Event.Timestamp = ""
		cases["untimed "+what] = untimed
		cases["untimed "+what+" last"] = untimed[:k+1]
	}
	// Claims are evaluated as of a time, and a report or event after it
	// is no evidence yet: the untimed report, moved after the milk is made
	// into yogurt (a later time than its own), is evidence for the
	// yogurt's lab-tested claim.
	k := slices.IndexFunc(seq, func(s tx) bool { return len(s.Event.Inspections) > 0 })
	r := slices.IndexFunc(seq, func(s tx) bool { return s.Event.Function == "Batch:Transform" })
	if r < k {
		t.Fatal("the demo story makes the yogurt before the milk's report")
	}
	late := slices.Concat(seq[:k], seq[k+1:r+1], []tx{cases["untimed report"][k]})
	cases["untimed report late"] = late
	for name, seq := range cases {
		t.Run(name, func(t *testing.T) {
			// Each transaction in a block of its own, in the order given.
			x := openMem(t, vfs.NewMem())
			defer x.Close()
			for i, s := range seq {
				if _, err := x.Apply(Position{Block: uint64(i) + 1, TxID: s.Event.TxID}, &s.Event); err != nil {
					t.Fatal(err)
				}
			}
			one := digest(t, x)
			for _, per := range []int{1, 3, len(seq)} {
				y := openMem(t, vfs.NewMem())
				var bs []Block
				for i, s := range seq {
					if i%per == 0 {
						bs = append(bs, Block{Number: uint64(len(bs)) + 1})
					}
					b := &bs[len(bs)-1]
					b.Txs = append(b.Txs, Tx{Pos: Position{Block: b.Number, Tx: len(b.Txs), TxID: s.Event.TxID}, Event: &s.Event})
				}
				z := openMem(t, vfs.NewMem())
				for _, b := range bs { // one block a batch: the evaluations of each transaction
					if _, err := z.ApplyBlocks([]Block{b}); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := y.ApplyBlocks(bs); err != nil {
					t.Fatal(err)
				}
				if got, want := digest(t, y), digest(t, z); got != want {
					t.Errorf("%d transactions a block: one batch gives digest %s, a batch a block %s", per, got, want)
				}
				if per == 1 && digest(t, z) != one {
					t.Errorf("a batch a transaction gives digest %s, Apply %s", digest(t, z), one)
				}
				y.Close()
				z.Close()
			}
		})
	}
}
