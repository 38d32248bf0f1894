package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	gtinApples = "09506000134352"
	gtinJuice  = "09506000134369"
	lotJuice   = "https://id.gs1.org/01/" + gtinJuice + "/10/J1"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report -update rewrites it):\n%s", name, got)
	}
}

func collect(t *testing.T, sel report.Selection) []report.CTE {
	t.Helper()
	traces, err := report.Collect(context.Background(), indextest.Supply(t).ReportSource(), sel)
	if err != nil {
		t.Fatal(err)
	}
	ctes, err := report.CTEs(traces)
	if err != nil {
		t.Fatal(err)
	}
	return report.InWindow(ctes, sel)
}

// TestFSMA204Golden: the sortable spreadsheet of the supply fixture (apples
// L1 and L2 harvested, made into juice J1, packed, shipped): every CTE the
// story has, every KDE the records hold filled, every other one a named
// gap; the xlsx, opened with excelize, holds the same rows, one sheet per
// CTE type, a frozen header row and an autofilter.
func TestFSMA204Golden(t *testing.T) {
	for _, tt := range []struct {
		name string
		sel  report.Selection
	}{
		{"fsma204-lot-J1", report.Selection{Lot: lotJuice}},
		{"fsma204-gtin-apples", report.Selection{GTIN: gtinApples}},
		{"fsma204-window", report.Selection{From: time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 6, 7, 0, 0, 0, 0, time.UTC)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctes := collect(t, tt.sel)
			tab := report.FSMATable(ctes)
			var csv bytes.Buffer
			if err := tab.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".csv", csv.Bytes())
			js, _ := json.MarshalIndent(ctes, "", "  ")
			golden(t, tt.name+".json", append(js, '\n'))
			if len(tab.Sheets) != 1+len(report.CTETypes) {
				t.Errorf("%d sheets, want all CTEs and one per CTE type", len(tab.Sheets))
			}
			checkXLSX(t, tab)
		})
	}
}

// TestFSMA204Story checks the golden spreadsheet's content, so that an
// -update cannot bless a regression: each CTE of the story is there with
// the KDEs its records hold.
func TestFSMA204Story(t *testing.T) {
	ctes := collect(t, report.Selection{Lot: lotJuice})
	got := map[string]report.CTE{}
	for _, c := range ctes {
		got[string(c.Type)+" "+c.Lot] = c
	}
	for _, want := range []struct {
		key    string
		values map[report.KDE]string
		gaps   []report.KDE
	}{
		{"Harvesting https://id.gs1.org/01/" + gtinApples + "/10/L1", map[report.KDE]string{
			report.KDEProduct: "Apples, Acme, fruit", report.KDEQuantity: "100 KGM", report.KDEDate: "2025-06-02"},
			[]report.KDE{report.KDERecipient, report.KDEHarvestFarm, report.KDERefDocType, report.KDERefDocNumber}},
		{"Transformation " + lotJuice, map[report.KDE]string{
			report.KDETLC: "(01)" + gtinJuice + "(10)J1", report.KDEQuantity: "30 LTR", report.KDEDate: "2025-06-03",
			report.KDEInputs: "(01)" + gtinApples + "(10)L1 Apples, Acme, fruit, 40 KGM; (01)" + gtinApples + "(10)L2 Apples, Acme, fruit, 10 KGM"},
			[]report.KDE{report.KDETLCSource, report.KDERefDocType, report.KDERefDocNumber}},
		{"Shipping " + lotJuice, map[report.KDE]string{
			report.KDETLC: "(01)" + gtinJuice + "(10)J1", report.KDEQuantity: "30 LTR", report.KDEDate: "2025-06-06",
			report.KDEProduct: "Juice, Acme, fruit", report.KDERecipient: "https://id.gs1.org/414/9506000134352"},
			[]report.KDE{report.KDEShippedFrom, report.KDETLCSource, report.KDERefDocType, report.KDERefDocNumber}},
	} {
		c, ok := got[want.key]
		if !ok {
			t.Errorf("no CTE %s among %d", want.key, len(ctes))
			continue
		}
		for k, v := range want.values {
			if c.Values[k] != v {
				t.Errorf("%s: %s = %q, want %q", want.key, k, c.Values[k], v)
			}
		}
		var gaps []report.KDE
		for _, g := range c.Gaps {
			if g.Reason == "" || g.CFR == "" {
				t.Errorf("%s: gap %+v is not named", want.key, g)
			}
			gaps = append(gaps, g.KDE)
		}
		if strings.Join(kdes(gaps), ",") != strings.Join(kdes(want.gaps), ",") {
			t.Errorf("%s: gaps %v, want %v", want.key, gaps, want.gaps)
		}
	}
	if len(ctes) != 4 { // harvesting L1, L2; transformation J1; shipping J1
		t.Errorf("%d CTEs, want 4: %+v", len(ctes), ctes)
	}
}

func kdes(ks []report.KDE) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// checkXLSX writes tab as xlsx, opens it with excelize and checks it holds
// tab's rows, with a frozen header row and an autofilter on every sheet.
func checkXLSX(t *testing.T, tab report.Table) {
	t.Helper()
	var buf bytes.Buffer
	if err := tab.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := f.GetSheetList()
	if len(names) != len(tab.Sheets) {
		t.Fatalf("sheets %v, want %d", names, len(tab.Sheets))
	}
	for i, s := range tab.Sheets {
		if names[i] != s.Name {
			t.Errorf("sheet %d is %q, want %q", i, names[i], s.Name)
		}
		rows, err := f.GetRows(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		want := append([][]string{s.Header}, s.Rows...)
		if len(rows) != len(want) {
			t.Fatalf("sheet %s: %d rows, want %d", s.Name, len(rows), len(want))
		}
		for r := range want {
			// GetRows drops trailing empty cells.
			if g, w := strings.Join(rows[r], "|"), strings.TrimRight(strings.Join(want[r], "|"), "|"); g != w {
				t.Errorf("sheet %s row %d:\n got %s\nwant %s", s.Name, r+1, g, w)
			}
		}
		panes, err := f.GetPanes(s.Name)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("sheet %s: panes %+v, %v; want the header row frozen", s.Name, panes, err)
		}
		if n, err := f.GetDefinedName(), error(nil); err != nil || !hasFilter(n, s.Name) {
			t.Errorf("sheet %s: no autofilter (defined names %+v)", s.Name, n)
		}
	}
}

func hasFilter(names []excelize.DefinedName, sheet string) bool {
	for _, n := range names {
		if n.Name == "_xlnm._FilterDatabase" && n.Scope == sheet {
			return true
		}
	}
	return false
}

// TestCompleteness: a CTE missing a KDE is reported in the completeness
// report of its product, lot and member, with the KDE's name and CFR
// paragraph; a group without gaps reports none.
func TestCompleteness(t *testing.T) {
	ctes := collect(t, report.Selection{Lot: lotJuice})
	for _, by := range []string{report.ByProduct, report.ByLot, report.ByMember} {
		groups, err := report.Completeness(ctes, by)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range groups {
			for _, m := range g.Missing {
				if m.CTE == report.Shipping && m.KDE == report.KDEShippedFrom && m.CFR == "21 CFR 1.1340(a)(5)" && m.Count == 1 {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("by %s: the shipment's missing location shipped from is not reported: %+v", by, groups)
		}
	}
	// A CTE with every KDE counts as complete.
	full := report.CTE{Type: report.Shipping, GTIN: gtinJuice, Lot: lotJuice, Member: "SupplierMSP"}
	groups, _ := report.Completeness(append(ctes, full), report.ByMember)
	if g := groups[0]; g.Key != "SupplierMSP" || g.Complete != 1 || g.CTEs != len(ctes)+1 {
		t.Errorf("complete CTE not counted: %+v", g)
	}
	if _, err := report.Completeness(ctes, "colour"); err == nil || !strings.Contains(err.Error(), `group by "colour"`) {
		t.Errorf("unknown grouping: %v", err)
	}
	var buf bytes.Buffer
	if err := report.CompletenessTable(groups, report.ByMember).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "kde-member.csv", buf.Bytes())
}

func TestSelection(t *testing.T) {
	day := time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		sel  report.Selection
		want string
	}{
		{report.Selection{}, "select lots with"},
		{report.Selection{Lot: lotJuice, GTIN: gtinJuice}, "not a lot and more"},
		{report.Selection{From: day, To: day}, "ends"},
		{report.Selection{Lot: "https://id.gs1.org/01/" + gtinJuice}, "not a lot"},
		{report.Selection{Lot: "nonsense"}, "digitallink"},
	} {
		if err := tt.sel.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.sel, err, tt.want)
		}
	}
	_, err := report.Collect(context.Background(), indextest.Supply(t).ReportSource(), report.Selection{Lot: "https://id.gs1.org/01/" + gtinJuice + "/10/NOPE"})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown lot: %v", err)
	}
}

// TestEU178Golden: one step back and one step forward of juice J1 for the
// member that made and shipped it and for the one it was shipped to, with
// the eight items of Regulation 931/2011, as csv and xlsx.
func TestEU178Golden(t *testing.T) {
	traces, err := report.Collect(context.Background(), indextest.Supply(t).ReportSource(), report.Selection{Lot: lotJuice})
	if err != nil {
		t.Fatal(err)
	}
	for _, member := range []string{"SupplierMSP", "RetailerMSP"} {
		t.Run(member, func(t *testing.T) {
			ms, err := report.EU178(traces, member)
			if err != nil {
				t.Fatal(err)
			}
			tab := report.EUTable(ms)
			var csv bytes.Buffer
			if err := tab.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			golden(t, "eu178-J1-"+member+".csv", csv.Bytes())
			checkXLSX(t, tab)
			var fwd, back int
			for _, m := range ms {
				if m.Direction == report.Forward {
					fwd++
					if m.Recipient != "RetailerMSP, https://id.gs1.org/414/9506000134352" || m.Quantity != "30 LTR" || m.DispatchDate != "2025-06-06" {
						t.Errorf("forward %+v", m)
					}
				} else {
					back++
				}
			}
			want := map[string][2]int{"SupplierMSP": {2, 1}, "RetailerMSP": {1, 0}}[member]
			if back != want[0] || fwd != want[1] {
				t.Errorf("%d back, %d forward; want %v: %+v", back, fwd, want, ms)
			}
		})
	}
	if !report.AnimalOrigin("Dairy") || report.AnimalOrigin("fruit") {
		t.Error("AnimalOrigin")
	}
}

func TestExpiring(t *testing.T) {
	traces, err := report.Collect(context.Background(), indextest.Supply(t).ReportSource(), report.Selection{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 3 {
		t.Fatalf("%d lots, want 3", len(traces))
	}
	// Every fixture lot expires on 2025-12-01.
	now := time.Date(2025, 11, 25, 12, 0, 0, 0, time.UTC)
	es := report.ExpiringLots(traces, now, 7*24*time.Hour)
	if len(es) != 3 || es[0].DaysLeft != 5 || es[0].Custodian != "SupplierMSP" || es[0].Expiry != "2025-12-01" {
		t.Fatalf("expiring %+v", es)
	}
	if es := report.ExpiringLots(traces, now, 5*24*time.Hour); len(es) != 0 {
		t.Errorf("within 5 days: %+v", es)
	}
	if es := report.ExpiringLots(traces, now.AddDate(0, 1, 0), 7*24*time.Hour); len(es) != 0 {
		t.Errorf("expired lots listed: %+v", es)
	}
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "0d": 0} {
		if got, err := report.ParseWithin(in); err != nil || got != want {
			t.Errorf("ParseWithin(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "7", "-1d", "1.5d", "week"} {
		if _, err := report.ParseWithin(in); err == nil {
			t.Errorf("ParseWithin(%q) accepted", in)
		}
	}
}

// TestRecallScope: a recall of apples L1 reaches juice J1 (made from it),
// J1's two jars, the pallet it was packed on, its custodian and its
// shipment to RetailerMSP.
func TestRecallScope(t *testing.T) {
	sc, err := report.RecallScope(context.Background(), indextest.Supply(t).ReportSource(), "https://id.gs1.org/01/"+gtinApples+"/10/L1")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.MarshalIndent(sc, "", "  ")
	golden(t, "recall-scope-L1.json", append(js, '\n'))
	if len(sc.Lots) != 2 || sc.Lots[1].ID != lotJuice || sc.Lots[1].Units != 2 || len(sc.Units) != 2 ||
		len(sc.LogisticUnits) != 1 || len(sc.Shipments) != 1 || sc.Shipments[0].To != "RetailerMSP" || sc.Shipments[0].Quantity != "30 LTR" {
		t.Errorf("scope %s", js)
	}
	if _, err := report.RecallScope(context.Background(), indextest.Supply(t).ReportSource(), "https://id.gs1.org/01/"+gtinApples); err == nil {
		t.Error("a product link scoped")
	}
}
