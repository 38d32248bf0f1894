package custodycmd_test

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/custodycmd"
)

func TestParseReadingsCSV(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		device  string
		want    int
		wantErr string
	}{
		{"full", "time,device,temperature_c,humidity_pct\n2025-06-01T08:00:00Z,logger-1,4.5,80\n2025-06-01T08:15:00Z,logger-1,4.75,\n", "", 2, ""},
		{"reordered, BOM, comments", "\ufeffTemperature_C,Time,Device\n# exported 2025-06-01\n4,2025-06-01T08:00:00+02:00,l1\n\n", "", 1, ""},
		{"device from flag", "time,temperature_c\n2025-06-01T08:00:00Z,3\n", "truck-7", 1, ""},
		{"no device", "time,temperature_c\n2025-06-01T08:00:00Z,3\n", "", 0, `no "device" column`},
		{"missing temperature column", "time,device\n2025-06-01T08:00:00Z,l\n", "", 0, `lacks column "temperature_c"`},
		{"bad time", "time,device,temperature_c\n01/06/2025 08:00,l,3\n", "", 0, "line 2: time"},
		{"bad temperature", "time,device,temperature_c\n2025-06-01T08:00:00Z,l,warm\n", "", 0, "line 2: temperature_c"},
		{"bad humidity", "time,device,temperature_c,humidity_pct\n2025-06-01T08:00:00Z,l,3,x\n", "", 0, "humidity_pct"},
		{"header only", "time,device,temperature_c\n", "", 0, "no readings"},
		{"empty", "", "", 0, "empty"},
		{"duplicate column", "time,time,temperature_c\n", "", 0, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := custodycmd.ParseReadingsCSV(strings.NewReader(tc.csv), tc.device)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(rs) != tc.want {
				t.Fatalf("got %d readings, %v; want %d", len(rs), err, tc.want)
			}
			for _, r := range rs {
				if r.TemperatureC == nil || r.Device == "" || r.Time == "" {
					t.Fatalf("incomplete reading %+v", r)
				}
			}
		})
	}
	rs, _ := custodycmd.ParseReadingsCSV(strings.NewReader("time,device,temperature_c,humidity_pct\n2025-06-01T08:00:00Z,l,4.5,80\n2025-06-01T08:01:00Z,l,5,\n"), "")
	if *rs[0].TemperatureC != 4.5 || *rs[0].HumidityPct != 80 || rs[1].HumidityPct != nil {
		t.Fatalf("values %+v %+v", rs[0], rs[1])
	}
}
