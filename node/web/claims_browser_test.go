package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// claimFixture is the juice fixture with four claims on the juice: farm
// to shelf and origin hold, the cold chain fails (the truck's 11.5 °C),
// and a lab claim waits for a report.
func claimFixture(t *testing.T) *index.Index {
	t.Helper()
	idx := fixture(t)
	subject := "https://id.gs1.org/01/" + gtinJuice
	cs := []ledger.Claim{
		{ID: "claim-a", Kind: ledger.ClaimFarmToShelf, Wording: "7 days from orchard to shelf",
			Params: ledger.ClaimParams{FarmToShelf: &ledger.FarmToShelfParams{Hours: 168, RetailPlaces: []string{"9506000134390"}}}},
		{ID: "claim-b", Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
			Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 180, RetailPlaces: []string{"9506000134390"}}}},
		{ID: "claim-c", Kind: ledger.ClaimOriginIn, Wording: "Apples from the Betuwe",
			Params: ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: "the Betuwe", GLNs: []string{"9506000134376"}}}},
		{ID: "claim-d", Kind: ledger.ClaimLabTested, Wording: "Tested for patulin",
			Params: ledger.ClaimParams{LabTested: &ledger.LabTestedParams{Analytes: []string{"Patulin"}, MaxAgeDays: 30}}},
	}
	for i := range cs {
		cs[i].Subject, cs[i].GTIN, cs[i].Brand = subject, gtinJuice, "OrchardMSP"
	}
	cp := idx.Checkpoint()
	ev := ledger.Event{Function: "Claim:RegisterClaim", MSPID: "OrchardMSP", TxID: "txclaims", Timestamp: "2025-09-24T00:00:00.000000000Z", Claims: cs}
	if _, err := idx.Apply(index.Position{Block: cp.Block + 1, TxID: ev.TxID}, &ev); err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestClaimViews(t *testing.T) {
	idx := claimFixture(t)
	rs, err := idx.ClaimResults(gtinJuice, "J2509-03")
	if err != nil || len(rs) != 4 {
		t.Fatalf("ClaimResults = %+v, %v", rs, err)
	}
	want := map[string]string{"claim-a": "holds", "claim-b": "fails", "claim-c": "holds", "claim-d": "pending"}
	for _, v := range ClaimViews(rs, "/badge"+juicePath) {
		if v.Status != want[v.ID] || v.Badge != "/badge"+juicePath+".svg?claim="+v.ID {
			t.Errorf("%s: %+v (reason %q), want %s", v.ID, v.Status, v.Reason, want[v.ID])
		}
	}
}

// TestBrowserClaims renders the juice page with its claim badges in
// headless Chromium and saves a screenshot (testdata/screenshots).
func TestBrowserClaims(t *testing.T) {
	ctx := phoneBrowser(t)
	idx := claimFixture(t)
	r := New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		tr, err := idx.Trace(gtinJuice, "J2509-03", "B000142")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		p, err := TracePage(idx, tr, Links{JSON: juicePath + "?format=json"})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		rs, err := idx.ClaimResults(gtinJuice, "J2509-03")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		p.Claims = ClaimViews(rs, "/badge/01/"+gtinJuice+"/10/J2509-03")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = r.Page(w, p)
	}))
	defer srv.Close()

	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(srv.URL+juicePath),
		chromedp.WaitVisible(chromedp.CSS(".claims .badge-holds")),
		chromedp.WaitVisible(chromedp.CSS(".claims .badge-fails")),
		chromedp.WaitVisible(chromedp.CSS(".claims .badge-pending")),
		// A failing claim opens its evidence by itself.
		chromedp.WaitVisible(chromedp.CSS(".claim-fails .claim-body")),
	)
	if err != nil {
		t.Fatal(err)
	}
	failing, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".claim-fails .claim-body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(failing, "reading of 11.5 °C") || !strings.Contains(failing, "exceeds 8 °C") {
		t.Errorf("failing claim reads %q", failing)
	}
	// Badges sit just below the header, visible without scrolling.
	top, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('.claims').getBoundingClientRect().top`))
	if err != nil {
		t.Fatal(err)
	}
	if top > 844 {
		t.Errorf("claims start at %g px, below the first screen", top)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("testdata", "screenshots", "juice-claims-390.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
}
