package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/report"
)

// BenchmarkRecallScope measures, on an index of TRUSTLINE_BENCH_LOTS lots
// (benchIndex; default 1,000,000), the recall scope and the FSMA 204 export
// of lot B0000000 after it was made into TRUSTLINE_BENCH_FANOUT lots
// (default 100), each commissioned into TRUSTLINE_BENCH_UNITS serialised
// units (default 1,000: 100,000 units in all) and shipped. "lookup" is one
// trace of a lot in the same run, the baseline of the ratios. Time and
// memory per operation are the benchmark's own figures (-benchmem).
func BenchmarkRecallScope(b *testing.B) {
	lots := envInt("TRUSTLINE_BENCH_LOTS", 1_000_000)
	fanout := envInt("TRUSTLINE_BENCH_FANOUT", 100)
	units := envInt("TRUSTLINE_BENCH_UNITS", 1_000)
	idx, _ := benchIndex(b, lots)
	root := "https://id.gs1.org/01/" + benchGTIN + "/10/B0000000"
	t0 := time.Now()
	addFanout(b, idx, root, fanout, units)
	b.Logf("fan-out of %d lots × %d units applied in %.1fs", fanout, units, time.Since(t0).Seconds())
	src, ctx := idx.ReportSource(), context.Background()

	b.Run("lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := src.Trace(ctx, root); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sc, err := report.RecallScope(ctx, src, root)
			if err != nil {
				b.Fatal(err)
			}
			if len(sc.Units) != fanout*units || len(sc.Lots) != fanout+1 {
				b.Fatalf("scope of %d lots, %d units", len(sc.Lots), len(sc.Units))
			}
		}
	})
	for _, format := range []string{report.FormatCSV, report.FormatXLSX} {
		b.Run("fsma204-"+format, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				ctes, err := report.SelectCTEs(ctx, src, report.Selection{Lot: root})
				if err != nil {
					b.Fatal(err)
				}
				var buf bytes.Buffer
				if err := report.FSMATable(ctes).Write(&buf, format); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size)/1024, "KiB")
		})
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("heap in use after the run: %.1f MiB", float64(ms.HeapInuse)/(1<<20))
}

// addFanout makes root into n lots of benchGTIN (F00000…), each
// commissioned into u units and shipped to RetailerMSP, unless the index
// already holds them (a kept TRUSTLINE_BENCH_INDEX).
func addFanout(b *testing.B, idx *index.Index, root string, n, u int) {
	b.Helper()
	first := fmt.Sprintf("F%05d", 0)
	if _, err := idx.Lot(benchGTIN, first); err == nil {
		return
	}
	at := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	blk := uint64(1 << 40) // after benchIndex's blocks
	id := 0
	eventID := func() string { id++; return fmt.Sprintf("ni:///sha-256;f%063x?ver=CBV2.1", id) }
	raw := func(e epcis.Event) json.RawMessage {
		e.Context, e.EventID = epcis.DefaultContext(), eventID()
		e.EventTime, e.EventTimeZoneOffset = at.Format(time.RFC3339), "+00:00"
		at = at.Add(time.Second)
		b, err := json.Marshal(e)
		if err != nil {
			panic(err)
		}
		return b
	}
	one := func(v float64) *float64 { return &v }
	for k := range n {
		lot := fmt.Sprintf("F%05d", k)
		link := "https://id.gs1.org/01/" + benchGTIN + "/10/" + lot
		ts := ledger.FormatTime(at)
		l := ledger.LotSummary{ID: link, GTIN: benchGTIN, Lot: lot, Product: "Apples",
			Quantity: ledger.Quantity{Value: fmt.Sprint(u), UOM: "H87"}, Remaining: ledger.Quantity{Value: fmt.Sprint(u), UOM: "H87"},
			ProducedAt: ts, Expiry: "2025-12-01T00:00:00.000000000Z", CreatedBy: "SupplierMSP", Custodian: "SupplierMSP", Status: "active",
			Inputs: []ledger.LotQuantity{{Lot: root, Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}}}, CreatedAt: ts, UpdatedAt: ts}
		transform := &ledger.Event{Function: "Batch:Transform", MSPID: "SupplierMSP", TxID: "ft" + lot, Timestamp: ts, Lots: []ledger.LotSummary{l},
			EPCIS: []json.RawMessage{raw(epcis.Event{Type: epcis.TransformationEvent, BizStep: "commissioning", Disposition: "active",
				InputQuantityList:  []epcis.QuantityElement{{EPCClass: root, Quantity: one(1), UOM: "KGM"}},
				OutputQuantityList: []epcis.QuantityElement{{EPCClass: link, Quantity: one(float64(u)), UOM: "H87"}}})}}
		commission := &ledger.Event{Function: "Product:CommissionUnits", MSPID: "BrandMSP", TxID: "fu" + lot, Timestamp: ts}
		ev := epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionAdd, BizStep: "commissioning", Disposition: "active"}
		for j := range u {
			s := fmt.Sprintf("%s-%d", lot, j)
			ev.EPCList = append(ev.EPCList, link+"/21/"+s)
			commission.Units = append(commission.Units, ledger.Unit{ID: link + "/21/" + s, GTIN: benchGTIN, Lot: lot, Serial: s, LotID: link,
				CommissionedBy: "BrandMSP", CommissionedAt: ts})
		}
		commission.EPCIS = []json.RawMessage{raw(ev)}
		shipID := "fs" + lot
		shipEv := raw(epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionObserve, BizStep: "shipping", Disposition: "in_transit",
			QuantityList:       []epcis.QuantityElement{{EPCClass: link, Quantity: one(float64(u)), UOM: "H87"}},
			BizTransactionList: []epcis.BizTransaction{{Type: "desadv", BizTransaction: "urn:epcglobal:cbv:bt:9506000134352:" + lot}},
			DestinationList:    []epcis.Destination{{Type: "location", Destination: "https://id.gs1.org/414/9506000134383"}},
			From:               "SupplierMSP", To: "RetailerMSP", Shipment: shipID})
		ship := &ledger.Event{Function: "Custody:Ship", MSPID: "SupplierMSP", TxID: shipID, Timestamp: ts, EPCIS: []json.RawMessage{shipEv},
			Shipments: []ledger.Shipment{{ID: shipID, Lots: []string{link}, From: "SupplierMSP", To: "RetailerMSP",
				Destination: "https://id.gs1.org/414/9506000134383", Status: ledger.ShipmentInTransit, ShippedAt: ts}}}
		var txs []index.Tx
		for i, e := range []*ledger.Event{transform, commission, ship} {
			txs = append(txs, index.Tx{Pos: index.Position{Block: blk, Tx: i, TxID: e.TxID}, Event: e})
		}
		if _, err := idx.ApplyBlock(blk, txs); err != nil {
			b.Fatal(err)
		}
		blk++
	}
}
