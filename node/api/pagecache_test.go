package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/node/index"
)

// metric reads a counter or gauge of h's /metrics.
func metric(t testing.TB, h http.Handler, name string) float64 {
	t.Helper()
	r := get(t, h, "/metrics", "")
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lotSummary is the index's summary of lot (a Digital Link), updated at at.
func lotSummary(t *testing.T, n *apitest.Node, lot string, at time.Time) ledger.LotSummary {
	t.Helper()
	l, err := digitallink.Parse(lot)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := n.Index.Lot(l.GTIN, l.Lot)
	if err != nil {
		t.Fatal(err)
	}
	ls.UpdatedAt = ledger.FormatTime(at)
	return ls
}

// TestRenderCacheNeverStale: the consumer page of juice J1 (and of its
// unit S1), once kept in the render cache, is served from it until a
// change of anything it shows, and each kind of change gives the page as
// a node without the cache renders it: an event on the lot, on the lot it
// was made from, a recall upstream, a claim (evaluated on
// registration), a product's or unit's record, an anchored window, the
// clock passing a day of days-to-expiry, and off-ledger content through
// Server.Invalidate. A write of node-local data (scan counts) and a lab
// signer's record (J1 shows no lab report) keep the page cached.
func TestRenderCacheNeverStale(t *testing.T) {
	at := time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC)
	apples2 := "https://id.gs1.org/01/" + apitest.GTINApples + "/10/L2"
	cases := []struct {
		name    string
		path    string
		anchor  apitest.Anchoring
		setup   func(t *testing.T, n *apitest.Node, c *clock) // before the page is kept
		change  func(t *testing.T, n *apitest.Node, c *clock)
		changes bool // the page's bytes change (else only a new render)
		kept    bool // the page does not show what changed: still cached
	}{
		{"event on the lot", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			n.Observe(t, apitest.LotJuice, at)
		}, true, false},
		{"event on the lot, unit page", juice + "/21/S1", apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			n.Observe(t, apitest.LotJuice, at)
		}, true, false},
		{"event on an ingredient lot", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			n.Observe(t, apitest.LotApples, at)
		}, true, false},
		{"recall of an ingredient lot", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			ls := lotSummary(t, n, apples2, at)
			rc := ledger.Recall{Lot: apples2, Reason: "Salmonella", Class: "I", RecalledBy: "BrandMSP", RecalledAt: ledger.FormatTime(at), TxID: "rc", EventID: "ev-rc"}
			ls.Status, ls.Recall = ledger.StatusRecalled, &rc
			n.Apply(t, ledger.Event{Function: "Product:Recall", MSPID: "BrandMSP", TxID: "rc", Timestamp: rc.RecalledAt, Recalls: []ledger.Recall{rc}, Lots: []ledger.LotSummary{ls}})
		}, true, false},
		{"claim registered and evaluated", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			ts := ledger.FormatTime(at)
			c := ledger.Claim{ID: "claim-c1", Subject: "https://id.gs1.org/01/" + apitest.GTINJuice, GTIN: apitest.GTINJuice, Kind: ledger.ClaimColdChain,
				Wording: "Cold all the way", Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 60}}, Brand: "BrandMSP", RegisteredAt: ts, RegisteredTx: "c1"}
			n.Apply(t, ledger.Event{Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: "c1", Timestamp: ts, Claims: []ledger.Claim{c}})
		}, true, false},
		{"product record", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			p, err := n.Index.Product(apitest.GTINJuice)
			if err != nil {
				t.Fatal(err)
			}
			p.Name = "Renamed juice"
			n.Apply(t, ledger.Event{Function: "Product:RegisterProduct", MSPID: "BrandMSP", Timestamp: ledger.FormatTime(at), Products: []ledger.Product{p}})
		}, true, false},
		{"unit record", juice + "/21/S1", apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			u, err := n.Index.Unit(apitest.GTINJuice, "S1")
			if err != nil {
				t.Fatal(err)
			}
			u.CommissionedAt = ledger.FormatTime(at)
			n.Apply(t, ledger.Event{Function: "Product:CommissionUnits", MSPID: "BrandMSP", Timestamp: ledger.FormatTime(at), Units: []ledger.Unit{u}})
		}, false, false},
		{"lab signer", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			n.Apply(t, ledger.Event{Function: "Lab:RegisterSigner", MSPID: "LabMSP", Timestamp: ledger.FormatTime(at),
				LabSigners: []ledger.LabSigner{{Address: "0x00000000000000000000000000000000000000aa", Lab: "LabMSP", Name: "Another lab"}}})
		}, false, true}, // J1's page shows no lab report
		{"anchored window", juice, apitest.Pending, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			n.Anchor(t)
		}, true, false},
		{"a day of the clock", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, c *clock) {
			c.add(24 * time.Hour)
		}, true, false},
		{"off-ledger content", juice, apitest.Anchored, nil, func(t *testing.T, n *apitest.Node, _ *clock) {
			n.API.Invalidate(index.LotSubject(apitest.GTINJuice, "J1"))
		}, false, false},
		// An unanswered ticket turns the service claim to fails at its
		// deadline, with no transaction: the entry lasts until then.
		{"a service ticket's deadline", juice, apitest.Anchored, func(t *testing.T, n *apitest.Node, c *clock) {
			fileTicket(t, n, c.Now().Add(-30*time.Minute), 60)
		}, func(t *testing.T, n *apitest.Node, c *clock) {
			c.add(29 * time.Minute)
			hits := metric(t, n.API, "trustline_node_render_cache_hits_total")
			if get(t, n.API, juice, browser); metric(t, n.API, "trustline_node_render_cache_hits_total") != hits+1 {
				t.Errorf("the page was not kept until the deadline")
			}
			badge := func() string { return string(get(t, n.API, "/badge"+juice+".json", "").body) }
			if b := badge(); !strings.Contains(b, `"status":"pending"`) {
				t.Errorf("badge before the deadline: %s", b)
			}
			c.add(2 * time.Minute)
			if b := badge(); !strings.Contains(b, `"status":"fails"`) || !strings.Contains(b, "is unanswered after 1 h (limit 1 h)") {
				t.Errorf("badge after the deadline: %s", b)
			}
		}, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)} // before J1's expiry
			n := apitest.Start(t, &apitest.Options{Anchoring: tc.anchor, Now: c.Now})
			if tc.setup != nil {
				tc.setup(t, n, c)
			}
			// The same index and anchors through a node without the cache.
			fresh := api.New(n.Index, &api.Options{BaseURL: "https://node.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Anchors: anchorsOf(n), Now: c.Now, RenderCache: -1})
			// Kept from the second request (admission).
			get(t, n.API, tc.path, browser)
			before := get(t, n.API, tc.path, browser)
			get(t, n.API, tc.path, "application/json")
			get(t, n.API, tc.path, "application/json") // kept too
			hits := metric(t, n.API, "trustline_node_render_cache_hits_total")
			if again := get(t, n.API, tc.path, browser); !bytes.Equal(again.body, before.body) ||
				metric(t, n.API, "trustline_node_render_cache_hits_total") != hits+1 {
				t.Fatalf("the second request was not served from the cache")
			}
			misses := metric(t, n.API, "trustline_node_render_cache_misses_total")
			tc.change(t, n, c)
			after := get(t, n.API, tc.path, browser)
			if missed := metric(t, n.API, "trustline_node_render_cache_misses_total") == misses+1; missed == tc.kept {
				t.Errorf("after the change: rendered again %v, want %v", missed, !tc.kept)
			}
			want := get(t, fresh, tc.path, browser)
			if after.code != http.StatusOK || !bytes.Equal(after.body, want.body) || after.h.Get("ETag") != want.h.Get("ETag") {
				t.Errorf("after the change: %d, ETag %s; without the cache ETag %s", after.code, after.h.Get("ETag"), want.h.Get("ETag"))
			}
			if tc.changes && bytes.Equal(after.body, before.body) {
				t.Errorf("the change did not change the page: the test does not test")
			}
			// The trace JSON, kept too, is never stale either.
			if j, want := get(t, n.API, tc.path, "application/json"), get(t, fresh, tc.path, "application/json"); !bytes.Equal(j.body, want.body) || j.h.Get("ETag") != want.h.Get("ETag") {
				t.Errorf("trace JSON after the change: ETag %s; without the cache %s", j.h.Get("ETag"), want.h.Get("ETag"))
			}
		})
	}
	t.Run("node-local writes", func(t *testing.T) {
		n := apitest.Start(t, nil)
		get(t, n.API, juice, browser)
		get(t, n.API, juice, browser) // kept
		if err := n.Index.LocalPut("scans", "J1", []byte("1")); err != nil {
			t.Fatal(err)
		}
		hits := metric(t, n.API, "trustline_node_render_cache_hits_total")
		get(t, n.API, juice, browser)
		if metric(t, n.API, "trustline_node_render_cache_hits_total") != hits+1 {
			t.Errorf("a node-local write invalidated the page")
		}
	})
}

// anchorsOf is n's anchoring store as the API takes it (nil without).
func anchorsOf(n *apitest.Node) anchoring.Store {
	if n.Anchors == nil {
		return nil
	}
	return n.Anchors
}

// fileTicket registers a service_within claim on the juice (answers
// within minutes) and files an unanswered ticket about lot J1 at at, as
// the chaincode records them (the product's service chain started by the
// claim and extended by the filing), anchored; it returns the chain.
func fileTicket(t *testing.T, n *apitest.Node, at time.Time, minutes int) *ledger.ServiceChain {
	t.Helper()
	ts := ledger.FormatTime(at)
	product := "https://id.gs1.org/01/" + apitest.GTINJuice
	c := ledger.Claim{ID: "claim-svc", Subject: product, GTIN: apitest.GTINJuice, Kind: ledger.ClaimService, Wording: "Answered within the hour",
		Params: ledger.ClaimParams{Service: &ledger.ServiceParams{AnswerMinutes: minutes, WindowDays: 30}}, Brand: "BrandMSP", RegisteredAt: ts, RegisteredTx: "svc-claim",
		SchemaVersion: ledger.RecordSchema}
	sc := &ledger.ServiceChain{Product: product, GTIN: apitest.GTINJuice, UpdatedAt: ts, UpdatedTx: "svc-claim", SchemaVersion: ledger.RecordSchema}
	n.Apply(t, ledger.Event{Function: "Claim:RegisterClaim", MSPID: "BrandMSP", TxID: "svc-claim", Timestamp: ts, Claims: []ledger.Claim{c}, ServiceChains: []ledger.ServiceChain{*sc}})
	serviceTx(t, n, at, sc, ledger.ServiceExt{Ticket: "tkt-aaaaaaaaaaaaaaaaaaaaaaaaaa", Step: ledger.ServiceFiled, Topic: "complaint",
		MessageSHA256: strings.Repeat("a", 64), Lot: apitest.LotJuice})
	n.Anchor(t)
	return sc
}

// serviceTx records a service event of the juice at at, extending its
// service chain sc, as Service:File or Service:Answer does.
func serviceTx(t *testing.T, n *apitest.Node, at time.Time, sc *ledger.ServiceChain, x ledger.ServiceExt) {
	t.Helper()
	ev, id := serviceEvent(t, at, sc.Product, x)
	sc.Events++
	sc.EventChain = ledger.NextEventChain(sc.EventChain, id)
	sc.LastEvent, sc.UpdatedAt, sc.UpdatedTx = id, ledger.FormatTime(at), "svc-"+x.Step
	fn := "Service:File"
	if x.Step == ledger.ServiceAnswered {
		fn = "Service:Answer"
	}
	n.Apply(t, ledger.Event{Function: fn, MSPID: "BrandMSP", TxID: "svc-" + x.Step, Timestamp: ledger.FormatTime(at), EPCIS: []json.RawMessage{ev}, ServiceChains: []ledger.ServiceChain{*sc}})
}

// serviceEvent is a service event of product at at, as the chaincode
// records it, with its id.
func serviceEvent(t *testing.T, at time.Time, product string, x ledger.ServiceExt) (json.RawMessage, string) {
	t.Helper()
	ts := ledger.FormatTime(at)
	ext, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := json.Marshal(map[string]any{
		"type": "ObjectEvent", "eventTime": ts, "eventTimeZoneOffset": "+00:00",
		"action": "OBSERVE", "bizStep": ledger.BizStepServiceRequest, "quantityList": []any{map[string]any{"epcClass": product}},
		ledger.ServiceMember: json.RawMessage(ext),
	})
	if err != nil {
		t.Fatal(err)
	}
	id, err := epcis.HashEventID("ni:///sha-256;?ver=CBV2.0", ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(ev, &m)
	m["eventID"] = id
	if ev, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return ev, id
}
