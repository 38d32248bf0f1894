package api

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/node/recallnotice"
	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/report"
)

// The demo story's lots (node/index/testdata/demo.json).
const (
	demoMilk    = "https://id.gs1.org/01/04260123450014/10/RM-F1"
	demoYogurtA = "https://id.gs1.org/01/04260123450021/10/YG-F1-A"
	demoYogurtB = "https://id.gs1.org/01/04260123450021/10/YG-F1-B"
)

func get(h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	h.ServeHTTP(w, req)
	return w
}

// TestRecallScopeAPI: /recall/scope of the demo story's raw milk reaches
// both yogurt lots, lot A's five jars, the store that holds them and
// every shipment; a revalidation is a 304 from the tag cache; bad requests
// are 400 problems that say what is wrong, an unknown lot 404; it is on
// the member surface: the public handler answers it 401.
func TestRecallScopeAPI(t *testing.T) {
	idx := indextest.Demo(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	on := New(idx, &Options{Logger: log}).Member()
	off := New(idx, &Options{Logger: log})

	w := get(on, "/recall/scope?lot="+url.QueryEscape(demoMilk))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("scope: %d %s", w.Code, w.Body.String())
	}
	var sc report.Scope
	if err := json.Unmarshal(w.Body.Bytes(), &sc); err != nil {
		t.Fatal(err)
	}
	lots := map[string]report.ScopeLot{}
	for _, l := range sc.Lots {
		lots[l.ID] = l
	}
	if len(sc.Lots) != 3 || lots[demoYogurtA].Custodian != "BrandMSP" || lots[demoYogurtB].Custodian != "BrandMSP" ||
		lots[demoYogurtA].Units != 5 || len(sc.Units) != 5 || lots[demoYogurtA].Remaining != "1200 EA" ||
		lots[demoYogurtB].Location != "https://id.gs1.org/414/4260123454005" || lots[demoMilk].Location != "https://id.gs1.org/414/4260123453008" {
		t.Errorf("scope lots %+v, units %v", sc.Lots, sc.Units)
	}
	if len(sc.Shipments) != 4 || sc.Shipments[2].To != "BrandMSP" || sc.Shipments[2].Quantity != "1200 EA" ||
		!strings.HasSuffix(sc.Shipments[2].Destination, "4260123454005") {
		t.Errorf("shipments %+v", sc.Shipments)
	}
	tag := w.Header().Get("ETag")
	if tag == "" || !strings.HasPrefix(w.Header().Get("Cache-Control"), "private") {
		t.Errorf("caching headers: ETag %q, Cache-Control %q", tag, w.Header().Get("Cache-Control"))
	}
	if w := get(on, "/recall/scope?lot="+url.QueryEscape(demoMilk), "If-None-Match", tag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("revalidation: %d %s", w.Code, w.Body.String())
	}
	if w := get(on, "/recall/scope?lot="+url.QueryEscape(demoYogurtA), "If-None-Match", tag); w.Code != http.StatusOK {
		t.Errorf("another lot's scope revalidated with the milk's tag: %d", w.Code)
	}

	for _, tt := range []struct {
		query, want string
		code        int
	}{
		{"", "give exactly one lot", 400},
		{"?lot=" + url.QueryEscape(demoMilk) + "&lot=" + url.QueryEscape(demoYogurtA), "give exactly one lot", 400},
		{"?lot=" + url.QueryEscape(demoMilk) + "&format=csv", "unknown parameter format", 400},
		{"?lot=" + url.QueryEscape("https://id.gs1.org/01/04260123450021"), "not a lot", 400},
		{"?lot=" + url.QueryEscape("https://id.gs1.org/01/04260123450022/10/X"), "check digit", 400},
		{"?lot=" + url.QueryEscape("https://id.gs1.org/01/04260123450021/10/NOPE"), "not found", 404},
	} {
		w := get(on, "/recall/scope"+tt.query)
		if w.Code != tt.code || w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("GET /recall/scope%s: %d %s, want %d problem with %q", tt.query, w.Code, w.Body.String(), tt.code, tt.want)
		}
	}
	if w := get(off, "/recall/scope?lot="+url.QueryEscape(demoMilk)); w.Code != http.StatusUnauthorized {
		t.Errorf("recall scope on the public handler: %d", w.Code)
	}
}

// TestDaysToExpiry: the trace JSON of a lot and of one of its units
// carries the whole days to the lot's expiry until it expires, and its
// entity tag follows the figure.
func TestDaysToExpiry(t *testing.T) {
	idx := indextest.Demo(t)
	now := time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC) // the yogurt expires on 2025-06-28 at 08:00
	s := New(idx, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	path := func(link string) string { return strings.TrimPrefix(link, "https://id.gs1.org") }
	days := func(p string) (*int, string) {
		w := get(s, p, "Accept", "application/json")
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, w.Code, w.Body.String())
		}
		var tr nodeapi.Trace
		if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		return tr.DaysToExpiry, w.Header().Get("ETag")
	}
	for _, tt := range []struct {
		link string
		want int
	}{{demoYogurtA, 26}, {demoYogurtA + "/21/SF1001", 26}, {demoMilk, 2}} {
		if d, _ := days(path(tt.link)); d == nil || *d != tt.want {
			t.Errorf("%s: days to expiry %v, want %d", tt.link, d, tt.want)
		}
	}
	for _, p := range []string{path(demoYogurtA), path(demoYogurtA + "/21/SF1001")} {
		if w := get(s, p, "Accept", browser); !strings.Contains(w.Body.String(), "(26 days left)") {
			t.Errorf("page %s does not show the days to expiry: %d", p, w.Code)
		}
	}
	_, before := days(path(demoYogurtA))
	now = now.Add(24 * time.Hour)
	if d, after := days(path(demoYogurtA)); d == nil || *d != 25 || after == before {
		t.Errorf("a day later: %v days, tag %s (was %s)", d, after, before)
	}
	now = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	if d, _ := days(path(demoYogurtA)); d != nil {
		t.Errorf("expired lot: days to expiry %d", *d)
	}
	if w := get(s, path(demoYogurtA), "Accept", browser); !strings.Contains(w.Body.String(), "(expired)") {
		t.Errorf("the page of an expired lot does not say so")
	}
}

// TestLogisticUnitRecalled: a pallet holding a lot recalled through the
// lot it was made from names that lot, so its label's scan tells of the
// recall.
func TestLogisticUnitRecalled(t *testing.T) {
	w := get(testServer(t), "/00/106141412345678908", "Accept", "application/json")
	var v LogisticUnitView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	if len(v.RecalledLots) != 1 || v.RecalledLots[0] != "https://id.gs1.org/01/"+gtinB+"/10/J1" || v.SSCC == "" {
		t.Errorf("logistic unit %s", w.Body.String())
	}
}

// TestRecallNotices: /recall/notices streams the notice of each recall
// the index records while the stream is open (the demo story's recall of
// lot B, with its scope and position) as a server-sent "recall" event;
// it is on the member surface: the public handler answers it 401.
func TestRecallNotices(t *testing.T) {
	steps := indextest.DemoSteps(t)
	idx := indextest.Empty(t)
	last := len(steps) - 1 // Product:Recall of lot B
	indextest.ApplyBlocks(t, idx, steps[:last]...)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(New(idx, &Options{Logger: log}).Member())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/recall/notices")
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/recall/notices: %v %v", resp, err)
	}
	defer resp.Body.Close()
	// The handler took its place in the feed before it answered.
	indextest.ApplyBlocks(t, idx, steps[last])
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			event = v
		}
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var got recallnotice.Notice
			if err := json.Unmarshal([]byte(data), &got); err != nil || event != "recall" || got.Recall.Lot != demoYogurtB || got.Scope == nil ||
				got.Position.Block != steps[last].Block {
				t.Errorf("event %q: %s (%v)", event, data, err)
			}
			break
		}
	}
	off := New(idx, &Options{Logger: log})
	if w := get(off, "/recall/notices"); w.Code != http.StatusUnauthorized {
		t.Errorf("notices on the public handler: %d", w.Code)
	}
}
