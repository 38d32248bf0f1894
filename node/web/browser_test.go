package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustline/trustline/internal/testenv/browser"
)

// phoneBrowser starts headless Chromium with a phone's viewport (390×844)
// for one test (browser.Phone).
func phoneBrowser(t *testing.T) context.Context { return browser.Phone(t) }

// TestBrowserPage renders the fixture's juice bottle page in headless
// Chromium at a phone's viewport, checks that the key elements are
// visible, and saves a full-page screenshot in testdata/screenshots (git
// ignored) for a person to look at.
func TestBrowserPage(t *testing.T) {
	ctx := phoneBrowser(t)
	idx := fixture(t)
	r := New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		tr, err := idx.Trace(gtinJuice, "J2509-03", "B000142")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		p, err := TracePage(idx, tr, Links{JSON: juicePath + "?format=json", Linkset: juicePath + "?linkType=all", Events: "/events", QR: "/qr" + juicePath + ".svg"})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = r.Page(w, p)
	}))
	defer srv.Close()

	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(srv.URL+juicePath),
		chromedp.WaitVisible(chromedp.CSS(".recall")),
		chromedp.WaitVisible(chromedp.CSS(".verified")),
		chromedp.WaitVisible(chromedp.CSS(".readings li.breach")),
		chromedp.WaitVisible(chromedp.CSS(".chart svg circle.pt-bad")),
	)
	if err != nil {
		t.Fatal(err)
	}
	verified, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".verified")))
	if err != nil {
		t.Fatal(err)
	}
	recallTop, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('.recall').getBoundingClientRect().top`))
	if err != nil {
		t.Fatal(err)
	}
	scrollWidth, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verified, "Signature verified: Rivierenland Food Laboratory") {
		t.Errorf("verified mark %q", verified)
	}
	if recallTop != 0 {
		t.Errorf("recall banner at %g px, want it first on the page", recallTop)
	}
	if scrollWidth > 390 {
		t.Errorf("page is %g px wide on a 390 px phone: it scrolls sideways", scrollWidth)
	}
	out := filepath.Join("testdata", "screenshots", "juice-390.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
}
