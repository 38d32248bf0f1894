package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// jarServer serves the demo jar's page as a node would: in the language of
// ?lang= or Accept-Language, with member names and location master data.
// jarServer serves the demo jar's page at jarPath; with ?desk=1, with
// the brand's complaint form, as a node with a service desk serves it.
func jarServer(t testing.TB) *httptest.Server {
	idx := jarFixture(t)
	r := New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != jarPath { // robots.txt, favicon.ico: not found, as on a node
			http.NotFound(w, req)
			return
		}
		tr, err := idx.Trace(gtinYog, "YG-1-A", "S1001")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		lang := MatchLang(req)
		p, err := TracePage(idx, tr, Links{JSON: jarPath + "?format=json", QR: "/qr" + jarPath + ".svg"}, In(lang), Members(jarMembers), WithLocations(jarPlaces))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		rs, err := idx.ClaimResults(gtinYog, "YG-1-A")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		p.Claims = ClaimViews(rs, "/badge/01/"+gtinYog+"/10/YG-1-A")
		if req.URL.Query().Get("desk") == "1" { // the brand's node with its service desk (service: in its config)
			p.Service = NewServiceForm("/service/tickets", tr.ID, tr.Product.Brand, 2000)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Language", lang.Code)
		_ = r.Page(w, p)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBrowserJar renders the demo jar's page in headless Chromium at a
// phone's viewport in Chinese, English and German (the switcher's links),
// checks local times, names, the journey, the map and the badges, and saves
// full-page screenshots in testdata/screenshots (git ignored) for a person
// to look at.
func TestBrowserJar(t *testing.T) {
	ctx := phoneBrowser(t)
	srv := jarServer(t)
	for _, tc := range []struct {
		code   string
		want   []string
		badges string
	}{
		{"zh-CN", []string{"由 Hofmann Hof & Molkerei 发往 ColdLine Logistics", "2025年6月10日 09:10 UTC+2", "Alpenwiese Laden, München"}, "✓ 已兑现"},
		{"en", []string{"Shipped by Hofmann Hof & Molkerei to ColdLine Logistics", "10 Jun 2025, 09:10 UTC+2", "Alpenwiese Laden, München"}, "✓ holds"},
		{"de", []string{"Versandt von Hofmann Hof & Molkerei an ColdLine Logistics", "10.06.2025, 09:10 UTC+2", "Alpenwiese Laden, München"}, "✓ erfüllt"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(390, 844),
				chromedp.Navigate(srv.URL+jarPath+"?lang="+tc.code),
				chromedp.WaitVisible(chromedp.CSS(".claims .badge-holds")),
				chromedp.WaitVisible(chromedp.CSS(".map svg .map-origin")),
				chromedp.WaitVisible(chromedp.CSS(".timeline .chart svg")),
			)
			if err != nil {
				t.Fatal(err)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range append(tc.want, tc.badges) {
				if !strings.Contains(text, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
			if err != nil || lang != tc.code {
				t.Errorf("html lang %q (%v)", lang, err)
			}
			// The viewer's own time is added to each time's title.
			title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.timeline time').title`))
			if err != nil || !strings.Contains(title, "UTC") || strings.Count(title, "\n") != 1 {
				t.Errorf("a time's title reads %q (%v), want UTC and the viewer's time", title, err)
			}
			charts, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelectorAll('.timeline .chart').length`))
			if err != nil || charts != 3 {
				t.Errorf("%g leg charts (%v), want 3", charts, err)
			}
			scrollWidth, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
			if err != nil || scrollWidth > 390 {
				t.Errorf("page is %g px wide on a 390 px phone (%v)", scrollWidth, err)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join("testdata", "screenshots", "jar-"+tc.code+"-390.png")
			if err := os.WriteFile(out, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s (%d bytes)", out, len(shot))
		})
	}
}
