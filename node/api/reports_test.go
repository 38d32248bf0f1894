package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/trustline/trustline/node/index/indextest"
)

// TestReports: the member surface serves the reports for regulators from
// the node's index; bad requests are 400 problems, unknown lots and
// reports 404; the public handler answers /reports/ 401 problem+json.
func TestReports(t *testing.T) {
	idx := indextest.Supply(t)
	on := New(idx, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Member()
	off := New(idx, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	lotJ1 := "https://id.gs1.org/01/" + gtinB + "/10/J1"
	get := func(h http.Handler, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	for _, tt := range []struct {
		path, ctype, body string
		code              int
	}{
		{"/reports/fsma204?lot=" + lotJ1, "text/csv; charset=utf-8", "Shipping," + lotJ1 + ",2025-06-06", 200},
		{"/reports/fsma204?gtin=" + gtinA + "&format=json", "application/json", `"type":"Harvesting"`, 200},
		{"/reports/fsma204?from=2025-06-05&to=2025-06-07&format=json", "application/json", `"type":"Shipping"`, 200},
		{"/reports/kde?lot=" + lotJ1 + "&by=member", "text/csv; charset=utf-8", "SupplierMSP,4,0,Harvesting", 200},
		{"/reports/eu178?lot=" + lotJ1 + "&member=RetailerMSP&format=json", "application/json", `"direction":"back"`, 200},
		{"/reports/expiring?within=7d&asOf=2025-11-25&format=json", "application/json", `"daysLeft":6`, 200},
		{"/reports/fsma204", "application/problem+json", "select lots with", 400},
		{"/reports/fsma204?lot=" + lotJ1 + "&format=pdf", "application/problem+json", `format \"pdf\"`, 400},
		{"/reports/fsma204?from=yesterday", "application/problem+json", `from \"yesterday\"`, 400},
		{"/reports/kde?lot=" + lotJ1 + "&by=colour", "application/problem+json", `group by \"colour\"`, 400},
		{"/reports/eu178?lot=" + lotJ1, "application/problem+json", "needs lot and member", 400},
		{"/reports/expiring?within=soon", "application/problem+json", "within", 400},
		{"/reports/fsma204?lot=https://id.gs1.org/01/" + gtinB + "/10/NOPE", "application/problem+json", "not found", 404},
		{"/reports/recall", "application/problem+json", "report recall", 404},
	} {
		w := get(on, tt.path)
		if w.Code != tt.code || w.Header().Get("Content-Type") != tt.ctype || !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("GET %s: %d %s\n%s\nwant %d %s with %q", tt.path, w.Code, w.Header().Get("Content-Type"), w.Body.String(), tt.code, tt.ctype, tt.body)
		}
	}
	w := get(on, "/reports/fsma204?lot="+lotJ1+"&format=xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	if rows, _ := f.GetRows("Transformation"); len(rows) != 2 {
		t.Errorf("Transformation sheet: %v", rows)
	}
	f.Close()
	if w := get(off, "/reports/fsma204?lot="+lotJ1); w.Code != http.StatusUnauthorized ||
		w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), "capture listener") {
		t.Errorf("reports on the public handler: %d %s", w.Code, w.Body.String())
	}
}

// A node runs subscriptions only when its configuration says so (they
// make it send requests to the subscriber's address): without a Manager,
// subscribing is a 501 problem and nothing is stored. Named queries and
// subscriptions are written on the member surface (memberwrites.go).
func TestSubscriptionsOff(t *testing.T) {
	idx := indextest.Supply(t)
	s := New(idx, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Member()
	do := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		s.ServeHTTP(w, r)
		return w
	}
	if w := do(http.MethodPost, "/queries", `{"name":"shipped","query":{"EQ_bizStep":["shipping"]}}`); w.Code != http.StatusCreated {
		t.Fatalf("creating the named query: %d %s", w.Code, w.Body)
	}
	w := do(http.MethodPost, "/queries/shipped/subscriptions", `{"dest":"http://10.0.0.1/hook"}`)
	if w.Code != http.StatusNotImplemented || !strings.Contains(w.Header().Get("Content-Type"), "problem+json") || !strings.Contains(w.Body.String(), "runs no subscriptions") {
		t.Errorf("subscribing on a node without subscriptions: %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}
