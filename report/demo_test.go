package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/report"
)

// The demo story's identifiers (internal/demo's Fixture, recorded in
// node/index/testdata/demo.json).
const (
	demoMilk    = "https://id.gs1.org/01/04260123450014/10/RM-F1"
	demoYogurtA = "https://id.gs1.org/01/04260123450021/10/YG-F1-A"
	demoYogurtB = "https://id.gs1.org/01/04260123450021/10/YG-F1-B"
	demoFarm    = "https://id.gs1.org/414/4260123451004"
	demoHub     = "https://id.gs1.org/414/4260123452001"
	demoPlant   = "https://id.gs1.org/414/4260123453008"
	demoStore   = "https://id.gs1.org/414/4260123454005"
	farmAddress = demoFarm + ", Alpweg 12, 87534 Oberstaufen, Bavaria, DE"
	milk        = "Organic raw milk, bulk, Alpenwiese, dairy/raw milk"
	yogurt      = "Organic Greek yogurt 500 g, Alpenwiese, dairy/yogurt"
)

func demoTraces(t *testing.T) []report.CTE {
	t.Helper()
	traces, err := report.Collect(context.Background(), indextest.Demo(t).ReportSource(), report.Selection{Lot: demoMilk})
	if err != nil {
		t.Fatal(err)
	}
	ctes, err := report.CTEs(traces)
	if err != nil {
		t.Fatal(err)
	}
	return ctes
}

// TestFSMA204Demo: the sortable spreadsheet of the demo story (the farm's
// raw milk RM-F1 harvested, carried by ColdLine to the dairy plant, made
// into yogurt lots A and B, both shipped to the Munich store): every CTE
// of the story, each KDE the story records filled and every other one a
// named gap with its CFR paragraph and reason (the story now records
// every KDE of its CTEs: no gap); the xlsx opened with excelize holds the
// same rows.
func TestFSMA204Demo(t *testing.T) {
	ctes := demoTraces(t)
	tab := report.FSMATable(ctes)
	var csv bytes.Buffer
	if err := tab.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	golden(t, "fsma204-demo-RM.csv", csv.Bytes())
	js, _ := json.MarshalIndent(ctes, "", "  ")
	golden(t, "fsma204-demo-RM.json", append(js, '\n'))
	checkXLSX(t, tab)

	tlcMilk, tlcA, tlcB := "(01)04260123450014(10)RM-F1", "(01)04260123450021(10)YG-F1-A", "(01)04260123450021(10)YG-F1-B"
	po, dnHub := "urn:epcglobal:cbv:bt:"+demoPlant[len(demoPlant)-13:]+":PO-F1", "urn:epcglobal:cbv:bt:"+demoHub[len(demoHub)-13:]+":DN-F1"
	dnA, dnB := "urn:epcglobal:cbv:bt:"+demoPlant[len(demoPlant)-13:]+":DN-F1-A", "urn:epcglobal:cbv:bt:"+demoPlant[len(demoPlant)-13:]+":DN-F1-B"
	prd := "urn:epcglobal:cbv:bt:" + demoPlant[len(demoPlant)-13:] + ":PRD-F1"
	type kv = map[report.KDE]string
	// The story in order, every KDE of each CTE recorded: the shipments
	// name the place they leave from (sourceList), the transformation its
	// place (bizLocation) and production order, the harvest its purchase
	// order (bizTransactionList).
	want := []struct {
		typ    report.CTEType
		lot    string
		member string
		values kv
		gaps   []report.KDE
	}{
		{report.Harvesting, demoMilk, "SupplierMSP", kv{report.KDEProduct: milk, report.KDEQuantity: "2400 LTR",
			report.KDEHarvestFarm: farmAddress, report.KDEDate: "2025-05-30", report.KDERecipient: demoHub,
			report.KDERefDocType: "Purchase order", report.KDERefDocNumber: po}, nil},
		{report.Shipping, demoMilk, "SupplierMSP", kv{report.KDETLC: tlcMilk, report.KDETLCSource: farmAddress, report.KDEProduct: milk,
			report.KDEQuantity: "2400 LTR", report.KDERecipient: demoHub, report.KDEDate: "2025-06-01", report.KDEShippedFrom: farmAddress,
			report.KDERefDocType: "Purchase order", report.KDERefDocNumber: po}, nil},
		{report.Receiving, demoMilk, "LogisticsMSP", kv{report.KDETLC: tlcMilk, report.KDETLCSource: farmAddress, report.KDEProduct: milk,
			report.KDEQuantity: "2400 LTR", report.KDEReceivedAt: demoHub, report.KDEDate: "2025-06-01", report.KDEPreviousSource: farmAddress,
			report.KDERefDocType: "Purchase order", report.KDERefDocNumber: po}, nil},
		{report.Shipping, demoMilk, "LogisticsMSP", kv{report.KDETLC: tlcMilk, report.KDETLCSource: farmAddress, report.KDEQuantity: "2400 LTR",
			report.KDERecipient: demoPlant, report.KDEShippedFrom: demoHub, report.KDERefDocType: "Despatch advice", report.KDERefDocNumber: dnHub}, nil},
		{report.Receiving, demoMilk, "SupplierMSP", kv{report.KDETLC: tlcMilk, report.KDEReceivedAt: demoPlant, report.KDEPreviousSource: demoHub,
			report.KDERefDocType: "Despatch advice", report.KDERefDocNumber: dnHub}, nil},
		{report.Transformation, demoYogurtA, "SupplierMSP", kv{report.KDETLC: tlcA, report.KDEProduct: yogurt, report.KDEQuantity: "1200 EA",
			report.KDEInputs: tlcMilk + " " + milk + ", 2400 LTR", report.KDEDate: "2025-06-01", report.KDETLCSource: demoPlant,
			report.KDERefDocType: "Production order", report.KDERefDocNumber: prd}, nil},
		{report.Transformation, demoYogurtB, "SupplierMSP", kv{report.KDETLC: tlcB, report.KDEQuantity: "1150 EA",
			report.KDEInputs: tlcMilk + " " + milk + ", 2400 LTR", report.KDETLCSource: demoPlant, report.KDERefDocNumber: prd}, nil},
		{report.Shipping, demoYogurtA, "SupplierMSP", kv{report.KDETLC: tlcA, report.KDEProduct: yogurt, report.KDEQuantity: "1200 EA",
			report.KDERecipient: demoStore, report.KDEDate: "2025-06-01", report.KDERefDocType: "Despatch advice", report.KDERefDocNumber: dnA,
			report.KDEShippedFrom: demoPlant, report.KDETLCSource: demoPlant}, nil},
		{report.Receiving, demoYogurtA, "BrandMSP", kv{report.KDETLC: tlcA, report.KDEQuantity: "1200 EA", report.KDEReceivedAt: demoStore,
			report.KDERefDocNumber: dnA, report.KDEPreviousSource: demoPlant, report.KDETLCSource: demoPlant}, nil},
		{report.Shipping, demoYogurtB, "SupplierMSP", kv{report.KDETLC: tlcB, report.KDEQuantity: "1150 EA",
			report.KDERecipient: demoStore, report.KDERefDocNumber: dnB, report.KDEShippedFrom: demoPlant, report.KDETLCSource: demoPlant}, nil},
		{report.Receiving, demoYogurtB, "BrandMSP", kv{report.KDETLC: tlcB, report.KDEQuantity: "1150 EA", report.KDEReceivedAt: demoStore,
			report.KDERefDocNumber: dnB, report.KDEPreviousSource: demoPlant, report.KDETLCSource: demoPlant}, nil},
	}
	if len(ctes) != len(want) {
		t.Fatalf("%d CTEs, want the story's %d", len(ctes), len(want))
	}
	for i, w := range want {
		c := ctes[i]
		name := string(w.typ) + " " + w.lot
		if c.Type != w.typ || c.Lot != w.lot || c.Member != w.member {
			t.Errorf("CTE %d is %s %s by %s, want %s by %s", i, c.Type, c.Lot, c.Member, name, w.member)
			continue
		}
		for k, v := range w.values {
			if c.Values[k] != v {
				t.Errorf("%s: %s = %q, want %q", name, k, c.Values[k], v)
			}
		}
		// Every KDE of the CTE's section is either filled or a named gap.
		var gaps []report.KDE
		for _, g := range c.Gaps {
			if g.Reason == "" || !strings.HasPrefix(g.CFR, c.Type.Section()) || g.Name == "" {
				t.Errorf("%s: gap %+v is not named", name, g)
			}
			if c.Values[g.KDE] != "" {
				t.Errorf("%s: %s is both filled and a gap", name, g.KDE)
			}
			gaps = append(gaps, g.KDE)
		}
		for _, r := range c.Type.Rules() {
			if c.Values[r.KDE] == "" && !slices.Contains(gaps, r.KDE) {
				t.Errorf("%s: %s is neither filled nor a gap", name, r.KDE)
			}
		}
		slices.Sort(gaps)
		slices.Sort(w.gaps)
		if !slices.Equal(gaps, w.gaps) {
			t.Errorf("%s: gaps %v, want %v", name, gaps, w.gaps)
		}
	}

	// The completeness report names the same gaps per member.
	groups, err := report.Completeness(ctes, report.ByMember)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.CompletenessTable(groups, report.ByMember).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "kde-demo-member.csv", buf.Bytes())
}

// TestEU178Demo: one step back and one step forward of the demo story for
// each member, with the eight items of Regulation 931/2011 (milk and
// yogurt are food of animal origin), as csv and xlsx.
func TestEU178Demo(t *testing.T) {
	traces, err := report.Collect(context.Background(), indextest.Demo(t).ReportSource(), report.Selection{Lot: demoMilk})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		member    string
		back, fwd int
	}{
		// The farm and plant (one member) produced the milk, received it
		// back from ColdLine and shipped both yogurt lots.
		{"SupplierMSP", 2, 3},
		{"LogisticsMSP", 1, 1},
		{"BrandMSP", 2, 0},
	} {
		t.Run(tt.member, func(t *testing.T) {
			ms, err := report.EU178(traces, tt.member)
			if err != nil {
				t.Fatal(err)
			}
			tab := report.EUTable(ms)
			var csv bytes.Buffer
			if err := tab.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			golden(t, "eu178-demo-"+tt.member+".csv", csv.Bytes())
			checkXLSX(t, tab)
			var back, fwd int
			for _, m := range ms {
				if !m.AnimalOrigin {
					t.Errorf("%s is not food of animal origin", m.Lot)
				}
				if m.Description == "" || m.Quantity == "" || m.Dispatcher == "" || m.Recipient == "" || m.Reference == "" ||
					m.DispatchDate == "" && !strings.HasPrefix(m.Dispatcher, "own production") {
					t.Errorf("movement with an empty item: %+v", m)
				}
				if m.Direction == report.Forward {
					fwd++
				} else {
					back++
				}
			}
			if back != tt.back || fwd != tt.fwd {
				t.Errorf("%d back, %d forward; want %d, %d: %+v", back, fwd, tt.back, tt.fwd, ms)
			}
		})
	}
}
