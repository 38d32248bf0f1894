package receipt

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
)

// NewServiceStory is lot B's receipt file (the story's, newStory) when its
// product has a service_within claim and a ticket filed and answered, as a
// node builds it in format 5: the product's two service events, and its
// service chain record (started by the claim, extended by each service
// event), proven the latest by the window's state. The sources of
// receipttest.ServiceCases.
func NewServiceStory(t testing.TB) []byte {
	t.Helper()
	s := newStory(t)
	const gtin = "09506000134352"
	product := "https://id.gs1.org/01/" + gtin
	sc := ledger.ServiceChain{Product: product, GTIN: gtin, UpdatedAt: "2026-03-02T09:00:00.000000000Z", UpdatedTx: "tx-S-0", SchemaVersion: ledger.RecordSchema}
	rec := mustRecord(t, ledger.RecordService, &sc)
	items := []leafItem{{record: &rec, id: rec.ID, tx: "tx-S-0", block: 16}}
	block := uint64(17)
	for i, x := range []ledger.ServiceExt{
		{Ticket: "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa", Step: ledger.ServiceFiled, Topic: "complaint", MessageSHA256: strings.Repeat("a", 64), Lot: "B1"},
		{Ticket: "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa", Step: ledger.ServiceAnswered, Outcome: "answered"},
	} {
		step, at := ledger.BizStepServiceRequest, "2026-03-03T10:00:00.000Z"
		if x.Step == ledger.ServiceAnswered {
			step, at = ledger.BizStepServiceResponse, "2026-03-03T10:20:00.000Z"
		}
		raw, id := storyEvent(t, map[string]any{"type": "ObjectEvent", "eventTime": at, "action": "OBSERVE", "bizStep": step,
			"quantityList": []any{map[string]any{"epcClass": product}}, ledger.ServiceMember: x})
		tx := "tx-S-" + string(rune('1'+i))
		sc.Events++
		sc.EventChain = ledger.NextEventChain(sc.EventChain, id)
		sc.LastEvent, sc.UpdatedAt, sc.UpdatedTx = id, at, tx
		rec := mustRecord(t, ledger.RecordService, &sc)
		items = append(items, leafItem{event: raw, id: id, tx: tx, block: block, service: true}, leafItem{record: &rec, id: rec.ID, tx: tx, block: block})
		block++
	}
	latest := items[len(items)-1].id
	s.items = append(s.items, items...)
	r := buildBound(t, nil, Subject{DigitalLink: lotB, Lots: []string{lotB}}, s.items, func(it leafItem) bool {
		if it.record != nil && it.record.Kind == ledger.RecordService {
			return it.id == latest
		}
		return it.id != s.aEvent.id && it.id != s.lotARecord.id && (it.record == nil || it.id == s.lotBRecord.id)
	}, func(leafItem) bool { return false })
	r.Claims = []claims.Result{{Claim: "claim-svc", Kind: ledger.ClaimService, Wording: "Complaints answered within the hour", Lot: lotB, Status: claims.Holds}}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
