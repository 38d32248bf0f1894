package custodycmd

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/trustline/trustline/ledger"
)

// CSVFormat documents what ParseReadingsCSV accepts, for --help.
const CSVFormat = `The CSV file is what a data logger exports: a header row naming the
columns, then one reading per row. Columns (any order, names case-insensitive):
  time            RFC 3339 time of the reading (required)
  device          logger id (required, unless --device is given)
  temperature_c   temperature in °C (required)
  humidity_pct    relative humidity in percent (optional)
Empty lines and lines starting with # are skipped.`

// ParseReadingsCSV reads readings from a data logger's CSV export (see
// CSVFormat); device fills in for a missing device column.
func ParseReadingsCSV(r io.Reader, device string) ([]ledger.Reading, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("CSV is empty: want a header row and readings")
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[name]; dup {
			return nil, fmt.Errorf("CSV header names column %q twice", name)
		}
		col[name] = i
	}
	for _, need := range []string{"time", "temperature_c"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("CSV header %q lacks column %q", strings.Join(header, ","), need)
		}
	}
	if _, ok := col["device"]; !ok && device == "" {
		return nil, errors.New(`CSV has no "device" column: add one or pass --device`)
	}
	var out []ledger.Reading
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rd := ledger.Reading{Time: field("time"), Device: field("device")}
		if rd.Device == "" {
			rd.Device = device
		}
		if _, err := time.Parse(time.RFC3339Nano, rd.Time); err != nil {
			return nil, fmt.Errorf("CSV line %d: time %q is not RFC 3339", line, rd.Time)
		}
		t, err := strconv.ParseFloat(field("temperature_c"), 64)
		if err != nil {
			return nil, fmt.Errorf("CSV line %d: temperature_c %q is not a number", line, field("temperature_c"))
		}
		rd.TemperatureC = &t
		if h := field("humidity_pct"); h != "" {
			v, err := strconv.ParseFloat(h, 64)
			if err != nil {
				return nil, fmt.Errorf("CSV line %d: humidity_pct %q is not a number", line, h)
			}
			rd.HumidityPct = &v
		}
		out = append(out, rd)
	}
	if len(out) == 0 {
		return nil, errors.New("CSV has no readings")
	}
	return out, nil
}
