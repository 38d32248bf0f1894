package capture_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
	"github.com/trustline/trustline/report"
)

// TestMemberRecords: the capture listener serves the node's member
// records (reports, recall scope) to the clients whose entry says
// reports: true, over the same mutual TLS: no certificate is a 401, a
// client without the permission or not listed a 403, problem+json each;
// the public handler answers the same paths 401.
func TestMemberRecords(t *testing.T) {
	org := capturetest.NewOrg(t, "SupplierMSP", "erp", "qa", "stranger")
	apis := api.New(apitest.Index(t), &api.Options{Logger: slog.New(slog.DiscardHandler)})
	s := capturetest.Start(t, org, nil, capture.HandlerOptions{Member: apis.Member(), Clients: []capture.Client{
		{Name: capturetest.CommonName("erp")},
		{Name: capturetest.CommonName("qa"), BizSteps: []string{"inspecting"}, Reports: true},
	}})
	get := func(c *http.Client, h http.Handler, path string) (int, string, string) {
		t.Helper()
		if h != nil {
			req, _ := http.NewRequest("GET", path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()
		}
		resp, err := c.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	fsma := "/reports/fsma204?lot=" + url.QueryEscape(apitest.LotJuice)
	scope := "/recall/scope?lot=" + url.QueryEscape(apitest.LotApples)
	for _, tt := range []struct {
		name   string
		client *http.Client
		public bool
		path   string
		code   int
		ctype  string
		want   string
	}{
		{"qa reads the FSMA 204 report", org.HTTPClient(t, "qa"), false, fsma, 200, "text/csv; charset=utf-8", "Transformation," + apitest.LotJuice},
		{"qa reads the recall scope", org.HTTPClient(t, "qa"), false, scope, 200, "application/json", apitest.LotJuice + "/21/S1"},
		{"qa's bad request", org.HTTPClient(t, "qa"), false, "/reports/fsma204", 400, "application/problem+json", "select lots with"},
		{"no certificate", org.HTTPClient(t, ""), false, fsma, 401, "application/problem+json", "client certificate"},
		{"a capture client without reports", org.HTTPClient(t, "erp"), false, scope, 403, "application/problem+json", "reports: true"},
		{"an unlisted client", org.HTTPClient(t, "stranger"), false, fsma, 403, "application/problem+json", "not allowed"},
		{"the public listener", nil, true, fsma, 401, "application/problem+json", "capture listener"},
		{"the public listener's scope", nil, true, scope, 401, "application/problem+json", "capture listener"},
	} {
		var h http.Handler
		if tt.public {
			h = apis
		}
		code, ctype, body := get(tt.client, h, tt.path)
		if code != tt.code || ctype != tt.ctype || !strings.Contains(body, tt.want) {
			t.Errorf("%s: GET %s: %d %s %.300s, want %d %s with %q", tt.name, tt.path, code, ctype, body, tt.code, tt.ctype, tt.want)
		}
	}
	var sc report.Scope
	if _, _, body := get(org.HTTPClient(t, "qa"), nil, scope); json.Unmarshal([]byte(body), &sc) != nil || len(sc.Lots) != 2 {
		t.Errorf("scope %+v", sc)
	}
	none := capturetest.Start(t, org, nil, capture.HandlerOptions{Clients: []capture.Client{{Name: "*", Reports: true}}})
	if resp, err := org.HTTPClient(t, "qa").Get(none.URL + fsma); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("a listener without member records: %v %v", resp, err)
	}
}
