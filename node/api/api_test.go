package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
)

// testServer serves an in-memory index of the index package's testdata.
func testServer(t testing.TB) *Server {
	t.Helper()
	idx := indextest.Supply(t)
	return New(idx, &Options{BaseURL: "https://node.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// browser is Chromium's Accept header for a page.
const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

const (
	gtinA = "09506000134352"
	gtinB = "09506000134369"
)

func TestAPI(t *testing.T) {
	s := testServer(t)
	shipEvent := "ni:///sha-256;" + strings.Repeat("06", 32) + "?ver=CBV2.0"
	for _, tc := range []struct {
		name     string
		method   string
		target   string
		accept   string
		status   int
		ctype    string
		contains []string
	}{
		{"lot trace", "", "/01/" + gtinB + "/10/J1", "application/json", 200, "application/json",
			[]string{`"status":"recalled"`, `"recalledVia":["https://id.gs1.org/01/` + gtinA + `/10/L1"]`, `"direction":"upstream"`, `"bizStep":"shipping"`}},
		{"unit trace", "", "/01/" + gtinB + "/10/J1/21/S1", "", 200, "application/json", []string{`"serial":"S1"`}},
		{"GTIN-13 spelling", "", "/01/9506000134369/10/J1", "", 200, "application/json", []string{`"lot":"J1"`}},
		{"product", "", "/01/" + gtinA, "", 200, "application/json", []string{`"name":"Apples"`}},
		{"logistic unit", "", "/00/106141412345678908", "", 200, "application/json", []string{`"status":"in-transit"`}},
		{"linkset by query", "", "/01/" + gtinB + "/10/J1?linkType=all", "", 200, "application/linkset+json",
			[]string{`"anchor":"https://id.gs1.org/01/` + gtinB + `/10/J1"`, `"https://gs1.org/voc/traceability"`, `"https://gs1.org/voc/epcis"`, `https://node.example/events?MATCH_anyEPCClass=`}},
		{"linkset by Accept", "", "/01/" + gtinB + "/10/J1/21/S2", "application/linkset+json", 200, "application/linkset+json", []string{`"https://gs1.org/voc/pip"`, `MATCH_anyEPC`}},
		{"unknown lot", "", "/01/" + gtinA + "/10/NOPE", "", 404, "application/problem+json", []string{`"status":404`, `"instance":"/01/`}},
		{"unknown lot linkset", "", "/01/" + gtinA + "/10/NOPE?linkType=all", "", 404, "application/problem+json", nil},
		{"bad check digit", "", "/01/09506000134353/10/L1", "", 400, "application/problem+json", []string{`"segment":"01"`, `invalid-digital-link`}},
		{"unknown AI", "", "/01/" + gtinA + "/99/x", "", 400, "application/problem+json", []string{`"title":"Invalid GS1 Digital Link"`}},
		{"root: EPCIS top-level resources", "", "/", "", 200, "application/json", []string{`"type":"Collection"`, `"events"`}},
		{"location not resolved", "", "/414/9506000134352", "", 404, "application/problem+json", nil},
		{"POST", "POST", "/01/" + gtinA, "", 405, "application/problem+json", []string{`method-not-allowed`}},
		{"browser lot page", "", "/01/" + gtinB + "/10/J1", browser, 200, "text/html", []string{`<!doctype html>`, `<html lang="en">`, `class="recall"`, `Juice`, `href="/01/` + gtinB + `/10/J1?format=json"`}},
		{"browser unit page", "", "/01/" + gtinB + "/10/J1/21/S1", browser, 200, "text/html", []string{`<dd>S1</dd>`}},
		{"browser product page", "", "/01/" + gtinA, browser, 200, "text/html", []string{`<h1>Apples</h1>`, `0 °C to 8 °C`}},
		{"browser unknown lot", "", "/01/" + gtinA + "/10/NOPE", browser, 404, "text/html", []string{`Product not found`}},
		{"browser bad check digit", "", "/01/09506000134353/10/L1", browser, 400, "text/html", []string{`This code cannot be read`}},
		{"browser root", "", "/", browser, 404, "text/html", nil},
		{"browser asks JSON", "", "/01/" + gtinB + "/10/J1?format=json", browser, 200, "application/json", []string{`"lot":{`}},
		{"browser asks linkset", "", "/01/" + gtinB + "/10/J1?linkType=all", browser, 200, "application/linkset+json", nil},
		{"browser logistic unit", "", "/00/106141412345678908", browser, 200, "application/json", nil},
		{"JSON preferred by q", "", "/01/" + gtinB + "/10/J1", "text/html;q=0.5, application/json", 200, "application/json", nil},
		{"any type", "", "/01/" + gtinB + "/10/J1", "*/*", 200, "application/json", nil},
		{"text wildcard", "", "/01/" + gtinB + "/10/J1", "text/*", 200, "text/html", nil},
		{"qr png", "", "/qr/01/" + gtinB + "/10/J1/21/S1.png", "", 200, "image/png", []string{"\x89PNG"}},
		{"qr svg", "", "/qr/01/" + gtinB + "/10/J1.svg", "", 200, "image/svg+xml", []string{`<svg`, `<title>https://node.example/01/` + gtinB + `/10/J1</title>`}},
		{"qr GTIN-13 spelling", "", "/qr/01/9506000134369.svg", "", 200, "image/svg+xml", []string{`https://node.example/01/` + gtinB + `<`}},
		{"qr bad link", "", "/qr/01/09506000134353/10/L1.png", "", 400, "application/problem+json", []string{`"segment":"01"`}},
		{"qr no format", "", "/qr/01/" + gtinB, "", 404, "application/problem+json", nil},
		{"qr other format", "", "/qr/01/" + gtinB + ".gif", "", 404, "application/problem+json", nil},
		{"events all", "", "/events", "", 200, "application/ld+json", []string{`"type":"EPCISQueryDocument"`, `"eventList":[{`}},
		{"events by sscc", "", "/events?MATCH_anyEPC=" + url.QueryEscape("https://id.gs1.org/00/106141412345678908") + "&EQ_bizStep=shipping", "", 200, "application/ld+json", []string{`"bizStep":"shipping"`}},
		{"events bad time", "", "/events?GE_eventTime=yesterday", "", 400, "application/problem+json", []string{`GE_eventTime`}},
		{"events bad perPage", "", "/events?perPage=0", "", 400, "application/problem+json", []string{`perPage`}},
		{"events unknown param", "", "/events?EQ_nothing=ADD", "", 400, "application/problem+json", []string{`EQ_nothing`}},
		{"events bad token", "", "/events?nextPageToken=zz", "", 400, "application/problem+json", []string{`nextPageToken`}},
		{"event by id", "", "/events/" + url.PathEscape(shipEvent), "", 200, "application/ld+json", []string{shipEvent, `"shipping"`}},
		{"event unknown", "", "/events/nope", "", 404, "application/problem+json", nil},
		{"healthz", "", "/healthz", "", 200, "application/json", []string{`"status":"ok"`, `"indexBlock":8`}}, // block 9 is applied tx by tx: not known complete
		{"metrics", "", "/metrics", "", 200, "text/plain", []string{`trustline_node_index_block 8`, `go_goroutines`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, tc.target, nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			for _, want := range tc.contains {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %s:\n%s", want, body)
				}
			}
			if strings.HasPrefix(tc.ctype, "application/problem") {
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.status || p.Type == "" || p.Title == "" {
					t.Errorf("problem = %+v, %v", p, err)
				}
			}
		})
	}
}

func TestEventsPagingLink(t *testing.T) {
	s := testServer(t)
	target := "/events?perPage=3"
	var n, pages int
	for target != "" {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		var doc struct {
			EPCISBody struct {
				QueryResults struct {
					ResultsBody struct {
						EventList []json.RawMessage `json:"eventList"`
					} `json:"resultsBody"`
				} `json:"queryResults"`
			} `json:"epcisBody"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		n += len(doc.EPCISBody.QueryResults.ResultsBody.EventList)
		pages++
		target = ""
		if l := rec.Header().Get("Link"); l != "" {
			u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`))
			if err != nil {
				t.Fatal(err)
			}
			target = u.RequestURI()
		}
	}
	if n != 7 || pages != 3 {
		t.Errorf("%d events on %d pages, want 7 on 3", n, pages)
	}
}

func FuzzResolverPath(f *testing.F) {
	for _, seed := range []string{
		"/01/" + gtinB + "/10/J1", "/01/" + gtinB + "/10/J1/21/S1?linkType=all", "/01/9506000134369",
		"/00/106141412345678908", "/414/9506000134352/254/a", "/01/x", "/01/" + gtinA + "/10/%00",
		"/events?MATCH_epc=%ff", "/events/%zz", "//a", "/01/" + gtinA + "/10/L1?17=991399", "/healthz",
	} {
		f.Add(seed)
	}
	s := testServer(f)
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.Parse(target)
		if err != nil || u.Path == "" || u.Path[0] != '/' || u.Host != "" || u.Scheme != "" {
			t.Skip()
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.URL = u
		req.RequestURI = u.RequestURI()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %q: %d %s", target, rec.Code, rec.Body)
		}
	})
}

// Without a follower the status comes from the checkpoint, which after
// ApplyBlock sits at the start of the next block.
func TestIndexStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cp      index.Checkpoint
		indexed bool
		block   uint64
	}{
		{"empty", index.Checkpoint{}, false, 0},
		{"after ApplyBlock of block 9", index.Checkpoint{Position: index.BlockStart(10), Valid: true}, true, 9},
		{"inside block 9", index.Checkpoint{Position: index.Position{Block: 9, Tx: 3}, Valid: true}, true, 8},
		{"inside block 0", index.Checkpoint{Position: index.Position{Block: 0, Tx: 2}, Valid: true}, false, 0},
	} {
		if st := indexStatus(tc.cp); st.Indexed != tc.indexed || st.IndexBlock != tc.block {
			t.Errorf("%s: indexed %v block %d, want %v %d", tc.name, st.Indexed, st.IndexBlock, tc.indexed, tc.block)
		}
	}
}
