package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/trustline/trustline/ledger"
)

// Table is a report as sheets of rows: the sortable spreadsheet. CSV holds
// its first sheet; xlsx all of them, each with a frozen header row and an
// autofilter so that a reader sorts and filters at once.
type Table struct {
	Sheets []Sheet
}

// Sheet is one sheet: a header row and rows of the same width.
type Sheet struct {
	Name   string
	Header []string
	Rows   [][]string
}

// WriteCSV writes the table's first sheet as RFC 4180 CSV.
func (t Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if len(t.Sheets) > 0 {
		s := t.Sheets[0]
		if err := cw.Write(s.Header); err != nil {
			return err
		}
		if err := cw.WriteAll(s.Rows); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the table as an Office Open XML workbook.
func (t Table) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, s := range t.Sheets {
		name := s.Name
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("report: sheet %q: %w", name, err)
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		for c, h := range s.Header {
			width := 18.0
			if len(h) > 40 {
				width = 30
			}
			if err := sw.SetColWidth(c+1, c+1, width); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := sw.SetRow("A1", cells(s.Header), excelize.RowOpts{StyleID: bold}); err != nil {
			return err
		}
		for r, row := range s.Rows {
			if err := sw.SetRow(fmt.Sprintf("A%d", r+2), cells(row)); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		if len(s.Header) > 0 {
			last, err := excelize.CoordinatesToCellName(len(s.Header), len(s.Rows)+1)
			if err != nil {
				return err
			}
			if err := f.AutoFilter(name, "A1:"+last, nil); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

func cells(row []string) []any {
	out := make([]any, len(row))
	for i, v := range row {
		out[i] = v
	}
	return out
}

// Write writes the table as format: "csv" or "xlsx".
func (t Table) Write(w io.Writer, format string) error {
	switch format {
	case FormatCSV:
		return t.WriteCSV(w)
	case FormatXLSX:
		return t.WriteXLSX(w)
	}
	return fmt.Errorf("report: unknown format %q: use csv or xlsx", format)
}

// Spreadsheet formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Context columns of the FSMA 204 sheets, before the KDEs.
var fsmaContext = []string{"Critical tracking event", "Lot", "Event date and time", "Recorded by", "Food Traceability List food"}

// FSMATable is the FDA's electronic sortable spreadsheet of ctes: a sheet
// of all CTEs with every KDE as a column, then one sheet per CTE type
// whose columns are that section's KDEs under the rule's names. Cells of
// missing KDEs are empty; the column "Missing KDEs" names each with its
// CFR paragraph and why it is missing.
func FSMATable(ctes []CTE) Table {
	all := Sheet{Name: "All CTEs"}
	all.Header = append(append([]string{}, fsmaContext...), kdeNames(KDEs)...)
	all.Header = append(all.Header, "Missing KDEs", "EPCIS event ID")
	for _, c := range ctes {
		all.Rows = append(all.Rows, fsmaRow(c, KDEs))
	}
	t := Table{Sheets: []Sheet{all}}
	for _, typ := range CTETypes {
		var keys []KDE
		s := Sheet{Name: string(typ), Header: append([]string{}, fsmaContext...)}
		for _, r := range typ.Rules() {
			if !containsKDE(keys, r.KDE) {
				keys = append(keys, r.KDE)
				s.Header = append(s.Header, r.Name+" ["+r.CFR+"]")
			}
		}
		s.Header = append(s.Header, "Missing KDEs", "EPCIS event ID")
		for _, c := range ctes {
			if c.Type == typ {
				s.Rows = append(s.Rows, fsmaRow(c, keys))
			}
		}
		t.Sheets = append(t.Sheets, s)
	}
	return t
}

func containsKDE(ks []KDE, k KDE) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func kdeNames(ks []KDE) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name()
	}
	return out
}

func fsmaRow(c CTE, keys []KDE) []string {
	ftl := ""
	if f, ok := ledger.FTLFoodByKey(c.FTL); ok {
		ftl = f.Name
	}
	row := []string{string(c.Type), c.Lot, c.EventTime, c.Member, ftl}
	for _, k := range keys {
		row = append(row, c.Values[k])
	}
	var gaps []string
	for _, g := range c.Gaps {
		gaps = append(gaps, g.String())
	}
	return append(row, strings.Join(gaps, "; "), c.EventID)
}
