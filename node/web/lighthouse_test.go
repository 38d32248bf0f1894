package web

import (
	"cmp"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/internal/testenv/browser"
)

// lighthouseDir is where `make lighthouse-tools` installs the pinned
// Lighthouse and axe-core (npm).
const lighthouseDir = ".lighthouse/node_modules"

func needNPMTool(t *testing.T, pkg string) string {
	t.Helper()
	p := filepath.Join(lighthouseDir, pkg)
	_, err := os.Stat(filepath.Join(p, "package.json"))
	testenv.Require(t, "npm "+pkg, "make lighthouse-tools installs it", err == nil, err)
	return p
}

// TestLighthouse audits the demo jar's page, served as a node serves it,
// with the pinned Lighthouse in mobile mode (its default: a 412 px phone,
// simulated slow 4G and a 4× slower CPU) on Debian's Chromium, and holds
// accessibility, best practices and SEO to 95 or more: the page in
// LIGHTHOUSE_LANG (default zh-CN, the livestream shopper's), and the page
// with the brand's complaint form (a node with a service desk) in zh-CN,
// en and de. Performance is a timing, which a loaded machine skews (the
// guide: no timed assertions in tests), so it is logged, and held to 95
// only when LIGHTHOUSE_STRICT=1 (make lighthouse sets it).
func TestLighthouse(t *testing.T) {
	if testing.Short() && !testenv.ToolsRequired() {
		t.Skip("a Lighthouse run takes half a minute a page; make lighthouse runs it")
	}
	chromium := testenv.NeedChromium(t)
	lh := needNPMTool(t, "lighthouse")
	node := testenv.NeedCommand(t, "node", "Debian package nodejs; make lighthouse-tools installs it")
	srv := jarServer(t)
	pages := []struct{ name, query string }{{"jar", "lang=" + cmp.Or(os.Getenv("LIGHTHOUSE_LANG"), "zh-CN")}}
	for _, code := range []string{"zh-CN", "en", "de"} {
		pages = append(pages, struct{ name, query string }{"jar-with-form", "desk=1&lang=" + code})
	}
	for _, pg := range pages {
		t.Run(pg.name+"/"+pg.query[strings.LastIndex(pg.query, "=")+1:], func(t *testing.T) {
			lighthouse(t, node, lh, chromium, srv.URL+jarPath+"?"+pg.query)
		})
	}
}

// lighthouse audits the page at url and checks its scores.
func lighthouse(t *testing.T, node, lh, chromium, url string) {
	out := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(lh, "cli", "index.js"), url,
		"--output=json", "--output-path="+out, "--quiet",
		"--only-categories=performance,accessibility,best-practices,seo",
		"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update",
		"--max-wait-for-load=60000")
	cmd.Env = append(os.Environ(), "CHROME_PATH="+chromium)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lighthouse: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		LighthouseVersion string `json:"lighthouseVersion"`
		Categories        map[string]struct {
			Score     float64 `json:"score"`
			AuditRefs []struct {
				ID     string  `json:"id"`
				Weight float64 `json:"weight"`
			} `json:"auditRefs"`
		} `json:"categories"`
		Audits map[string]struct {
			Score        *float64 `json:"score"`
			Title        string   `json:"title"`
			DisplayValue string   `json:"displayValue"`
		} `json:"audits"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("Lighthouse %s, mobile, %s (load average %s):", rep.LighthouseVersion, url[strings.Index(url, jarPath):], loadavg())
	for _, c := range []string{"performance", "accessibility", "best-practices", "seo"} {
		cat, ok := rep.Categories[c]
		if !ok {
			t.Errorf("no %s score", c)
			continue
		}
		t.Logf("  %-15s %3.0f", c, cat.Score*100)
		if cat.Score < 0.95 && (c != "performance" || os.Getenv("LIGHTHOUSE_STRICT") == "1") {
			t.Errorf("%s scores %.0f, want 95 or more", c, cat.Score*100)
		}
		if cat.Score < 1 {
			for _, ref := range cat.AuditRefs {
				a := rep.Audits[ref.ID]
				if ref.Weight > 0 && a.Score != nil && *a.Score < 1 {
					t.Logf("    %s: %s %s (%.2f)", ref.ID, a.Title, a.DisplayValue, *a.Score)
				}
			}
		}
	}
	for _, id := range []string{"first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"} {
		t.Logf("  %-25s %s", id, rep.Audits[id].DisplayValue)
	}
}

// TestAxe runs the pinned axe-core on the demo jar's page in each
// language at a phone's viewport, without and with the brand's complaint
// form: no serious or critical violation.
func TestAxe(t *testing.T) {
	axe := needNPMTool(t, "axe-core")
	src, err := os.ReadFile(filepath.Join(axe, "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser.PhoneFor(t, 5*time.Minute)
	srv := jarServer(t)
	// The page in each language, and with the brand's complaint form.
	for _, code := range []string{"zh-CN", "en", "de", "zh-CN&desk=1", "en&desk=1", "de&desk=1"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+jarPath+"?lang="+code), chromedp.WaitVisible(chromedp.CSS("footer"))); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](string(src)+";0")); err != nil {
			t.Fatal(err)
		}
		type violation struct {
			ID, Impact, Help string
			Nodes            []struct{ HTML string }
		}
		vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({html: n.html}))})))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			msg := v.ID + " (" + v.Impact + "): " + v.Help
			for _, n := range v.Nodes {
				msg += "\n    " + n.HTML
			}
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("%s: %s", code, msg)
			} else {
				t.Logf("%s: %s", code, msg)
			}
		}
		t.Logf("%s: %d violations, none serious", code, len(vs))
	}
}

// loadavg is the machine's load, to read a timing by.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
