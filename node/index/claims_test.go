package index

import (
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
)

func claimTx(block uint64, at string, cs ...ledger.Claim) tx {
	return tx{Block: block, Event: ledger.Event{Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: "c" + at, Timestamp: at, Claims: cs}}
}

// Claims are evaluated when registered, re-evaluated when evidence about
// the lot or an upstream lot arrives, and a superseded claim drops out.
func TestClaimsEvaluatedOnApply(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	const juice = "09506000134369"
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
	if rs, _ := x.ClaimResults("09506000134352", "L1"); len(rs) != 0 {
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
