package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"sort"
	"testing"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

var update = flag.Bool("update", false, "rewrite testdata/traces.golden")

// tracePaths are the resolver paths of every lot and unit of the testdata,
// a unit also without its lot, and misses.
func tracePaths(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../index/testdata/supply.json")
	if err != nil {
		t.Fatal(err)
	}
	var seq []struct{ Event ledger.Event }
	if err := json.Unmarshal(b, &seq); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{
		"/01/" + gtinA + "/10/NOPE": true, "/01/" + gtinB + "/10/J1/21/NOPE": true, "/01/" + gtinB + "/10/J2/21/S1": true,
	}
	for _, s := range seq {
		for _, l := range s.Event.Lots {
			set[digitallink.Link{GTIN: l.GTIN, Lot: l.Lot}.Path()] = true
		}
		for _, u := range s.Event.Units {
			set[digitallink.Link{GTIN: u.GTIN, Lot: u.Lot, Serial: u.Serial}.Path()] = true
			set[digitallink.Link{GTIN: u.GTIN, Serial: u.Serial}.Path()] = true
		}
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// TestTraceGolden pins the trace JSON, byte for byte, to the output of the
// trace path before it was optimised (testdata/traces.golden; -update
// rewrites it).
func TestTraceGolden(t *testing.T) {
	s := testServer(t)
	var got bytes.Buffer
	for _, p := range tracePaths(t) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", p, nil)
		req.Header.Set("Accept", "application/json")
		s.ServeHTTP(rec, req)
		got.WriteString("GET " + p + " " + rec.Header().Get("Content-Type") + "\n")
		got.Write(rec.Body.Bytes())
	}
	checkGolden(t, "testdata/traces.golden", got.Bytes())
}

// checkGolden compares got with the golden file (rewritten first under
// -update) and names the first line that differs.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(gl), len(wl)) {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(gl), len(wl))
	}
}
