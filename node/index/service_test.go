package index

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
)

// serviceTx is a Service:File or Service:Answer payload about product
// gtin, as the chaincode writes it.
func serviceTx(block uint64, at string, gtin string, x ledger.ServiceExt) tx {
	ext, _ := json.Marshal(x)
	id := "ni:///sha-256;" + strings.Repeat("0", 40) + x.Step[:1] + x.Ticket[len(x.Ticket)-4:] + strings.Repeat("0", 19) + "?ver=CBV2.0"
	ev := map[string]any{
		"type": "ObjectEvent", "eventID": id, "eventTime": at, "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
		"bizStep": ledger.BizStepServiceRequest, "quantityList": []any{map[string]any{"epcClass": "https://id.gs1.org/01/" + gtin}},
		ledger.ServiceMember: json.RawMessage(ext),
	}
	raw, _ := json.Marshal(ev)
	fn := "Service:File"
	if x.Step == ledger.ServiceAnswered {
		fn = "Service:Answer"
	}
	return tx{Block: block, Event: ledger.Event{Function: fn, MSPID: "BrandMSP", TxID: "s" + at, Timestamp: at, EPCIS: []json.RawMessage{raw}}}
}

// A service event about a product re-evaluates the service claims on all
// its lots, is no lot's event, and is the claim's evidence.
func TestServiceClaimOnApply(t *testing.T) {
	seq := loadSeq(t, "supply.json")[:4] // apples L1 and L2
	claim := ledger.Claim{ID: "claim-svc", Subject: "https://id.gs1.org/01/" + apples, GTIN: apples, Kind: ledger.ClaimService,
		Wording: "Questions answered within the hour", Params: ledger.ClaimParams{Service: &ledger.ServiceParams{AnswerMinutes: 60, WindowDays: 30}}}
	const a, b = "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa", "tkt-bbbbbbbbbbbbbbbbbbbbbbbbbb"
	full := append(seq,
		claimTx(10, "2025-06-05T00:00:00.000000000Z", claim),
		serviceTx(11, "2025-06-06T08:00:00.000000000Z", apples, ledger.ServiceExt{Ticket: a, Step: ledger.ServiceFiled, Topic: "question", MessageSHA256: strings.Repeat("1", 64), Lot: "https://id.gs1.org/01/" + apples + "/10/L2"}),
		serviceTx(12, "2025-06-06T08:20:00.000000000Z", apples, ledger.ServiceExt{Ticket: a, Step: ledger.ServiceAnswered, Outcome: "answered"}),
		serviceTx(13, "2025-06-07T08:00:00.000000000Z", apples, ledger.ServiceExt{Ticket: b, Step: ledger.ServiceFiled, Topic: "complaint", MessageSHA256: strings.Repeat("2", 64), Lot: "https://id.gs1.org/01/" + apples + "/10/L1"}),
		serviceTx(14, "2025-06-07T10:00:00.000000000Z", apples, ledger.ServiceExt{Ticket: b, Step: ledger.ServiceAnswered, Outcome: "refunded"}),
	)
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	want := func(step string, st claims.Status, reason string) {
		t.Helper()
		for _, lot := range []string{"L1", "L2"} {
			rs, err := x.ClaimResults(apples, lot)
			if err != nil || len(rs) != 1 || rs[0].Status != st || !strings.Contains(rs[0].Reason, reason) {
				t.Fatalf("%s: %s: results %+v, %v; want %s %q", step, lot, rs, err, st, reason)
			}
		}
	}
	applyAll(t, x, full[:5])
	want("registered", claims.Pending, "no tickets filed in the last 30 days")
	applyAll(t, x, full[5:6])
	want("filed", claims.Pending, "1 ticket filed in the last 30 days, none answered yet; 1 open, the first due by 2025-06-06 09:00 UTC")
	applyAll(t, x, full[6:7])
	want("answered in time", claims.Holds, "answered within 1 h; the longest took 20 min")
	ce, err := x.ClaimEvidence(apples, "L1")
	if err != nil || len(ce.ServiceEvents) != 2 || len(ce.Results) != 1 {
		t.Fatalf("ClaimEvidence = %+v, %v", ce, err)
	}
	// Re-evaluated from the evidence alone, the verdict is the node's.
	tr := claims.Trace{Lot: mustLot(t, x, apples, "L1"), Service: ce.ServiceEvents, At: mustTime(t, ce.Results[0].EvaluatedAt)}
	if got := claims.Evaluate(tr, claim); got.Status != claims.Holds || got.Reason != ce.Results[0].Reason {
		t.Fatalf("re-evaluated %+v, node %+v", got, ce.Results[0])
	}
	if evs, _ := lotEvents(x.db, apples, "L2", map[string]bool{}); len(evs) != 1 {
		t.Errorf("lot L2 has %d events; the service events are no lot's", len(evs))
	}
	applyAll(t, x, full[7:])
	want("answered late", claims.Fails, "ticket "+b+" filed on 2025-06-07 08:00 UTC was answered 2 h later (limit 1 h); 1 of 2 tickets in the last 30 days answered in time")

	y := openMem(t, vfs.NewMem())
	defer y.Close()
	applyAll(t, y, full)
	dx, _ := x.Digest()
	dy, _ := y.Digest()
	if dx != dy {
		t.Errorf("digests differ after the same transactions: %s %s", dx, dy)
	}
}
