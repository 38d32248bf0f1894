package report_test

import (
	"encoding/json"
	"testing"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/report"
)

// TestKDEsFromStandardFields: a lot recorded with every standard field the
// rule's KDEs map to (origin in ILMD and the lot record, bizTransactionList,
// sourceList and destinationList, bizLocation) yields shipping and
// receiving CTEs without gaps, and harvesting with only the reference
// document missing.
func TestKDEsFromStandardFields(t *testing.T) {
	const (
		lot    = "https://id.gs1.org/01/09506000134352/10/T1"
		farm   = "https://id.gs1.org/414/9506000134352/254/F1"
		dc     = "https://id.gs1.org/414/9506000134383"
		desadv = "urn:epcglobal:cbv:bt:9506000134352:D-1"
	)
	q := func(v float64) *float64 { return &v }
	ilmd, _ := epcis.ILMDExt{ProducedAt: "2025-06-01T06:00:00.000000000Z", Producer: farm}.ILMD()
	events := []epcis.Event{
		{Type: epcis.ObjectEvent, EventID: "e1", EventTime: "2025-06-01T08:00:00.000Z", EventTimeZoneOffset: "+02:00", Action: epcis.ActionAdd,
			BizStep: "commissioning", QuantityList: []epcis.QuantityElement{{EPCClass: lot, Quantity: q(500), UOM: "KGM"}}, ILMD: ilmd},
		{Type: epcis.ObjectEvent, EventID: "e2", EventTime: "2025-06-01T22:30:00.000Z", EventTimeZoneOffset: "+02:00", Action: epcis.ActionObserve,
			BizStep: "shipping", QuantityList: []epcis.QuantityElement{{EPCClass: lot, Quantity: q(500), UOM: "KGM"}},
			BizTransactionList: []epcis.BizTransaction{{Type: "desadv", BizTransaction: desadv}},
			SourceList:         []epcis.Source{{Type: "location", Source: farm}}, DestinationList: []epcis.Destination{{Type: "location", Destination: dc}},
			From: "SupplierMSP", To: "LogisticsMSP", Shipment: "s1"},
		{Type: epcis.ObjectEvent, EventID: "e3", EventTime: "2025-06-02T09:00:00.000Z", EventTimeZoneOffset: "+02:00", Action: epcis.ActionObserve,
			BizStep: "receiving", QuantityList: []epcis.QuantityElement{{EPCClass: lot, Quantity: q(500), UOM: "KGM"}},
			BizTransactionList: []epcis.BizTransaction{{Type: "desadv", BizTransaction: desadv}}, BizLocation: &epcis.Location{ID: dc},
			From: "SupplierMSP", To: "LogisticsMSP", Shipment: "s1"},
	}
	tr := nodeapi.Trace{ID: lot, Product: &ledger.Product{GTIN: "09506000134352", Name: "Tomatoes", Brand: "Acme", Category: "vegetables", FoodTraceabilityList: "tomatoes"},
		Lot: ledger.LotSummary{ID: lot, GTIN: "09506000134352", Lot: "T1", CreatedBy: "SupplierMSP",
			Origin: &ledger.Origin{Producer: farm, Place: ledger.Place{Location: farm, Address: &ledger.Address{Street: "Feldweg 1", City: "Kempten", PostalCode: "87435", Country: "DE"}}}}}
	for _, e := range events {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		tr.Events = append(tr.Events, raw)
	}
	ctes, err := report.CTEs([]nodeapi.Trace{tr})
	if err != nil {
		t.Fatal(err)
	}
	if len(ctes) != 3 {
		t.Fatalf("%d CTEs: %+v", len(ctes), ctes)
	}
	place := farm + ", Feldweg 1, 87435 Kempten, DE"
	for i, want := range []struct {
		typ    report.CTEType
		member string
		values map[report.KDE]string
		gaps   int
	}{
		{report.Harvesting, "SupplierMSP", map[report.KDE]string{report.KDEHarvestFarm: place, report.KDERecipient: dc,
			report.KDEDate: "2025-06-01", report.KDEQuantity: "500 KGM", report.KDEProduct: "Tomatoes, Acme, vegetables"}, 2},
		{report.Shipping, "SupplierMSP", map[report.KDE]string{report.KDEShippedFrom: place, report.KDERecipient: dc, report.KDETLCSource: place,
			report.KDEDate: "2025-06-02", report.KDERefDocType: "Despatch advice", report.KDERefDocNumber: desadv}, 0},
		{report.Receiving, "LogisticsMSP", map[report.KDE]string{report.KDEPreviousSource: place, report.KDEReceivedAt: dc,
			report.KDEDate: "2025-06-02", report.KDETLC: "(01)09506000134352(10)T1"}, 0},
	} {
		c := ctes[i]
		if c.Type != want.typ || c.Member != want.member || len(c.Gaps) != want.gaps || c.FTL != "tomatoes" {
			t.Errorf("CTE %d: %s by %s, gaps %+v", i, c.Type, c.Member, c.Gaps)
		}
		for k, v := range want.values {
			if c.Values[k] != v {
				t.Errorf("%s %s = %q, want %q", c.Type, k, c.Values[k], v)
			}
		}
	}
}
