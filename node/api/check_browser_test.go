package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	headless "github.com/trustline/trustline/internal/testenv/browser"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/receipt"
)

// chainedLot records lot C1 of the fixture's apples with one event per
// time, each rewriting the lot's record with its count and event chain as
// the chaincode does, and anchors them.
func chainedLot(t *testing.T, n *apitest.Node, times ...time.Time) string {
	t.Helper()
	const lot = "https://id.gs1.org/01/" + apitest.GTINApples + "/10/C1"
	ls := ledger.LotSummary{ID: lot, GTIN: apitest.GTINApples, Lot: "C1", Status: ledger.StatusActive, Quantity: ledger.Quantity{Value: "100", UOM: "KGM"},
		CreatedBy: "SupplierMSP", Custodian: "SupplierMSP", CreatedAt: times[0].UTC().Format(ledger.TimeLayout), CreatedTx: "tx-c1"}
	for _, at := range times {
		ev := apitest.Event(t, lot, at)
		var e struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(ev.EPCIS[0], &e); err != nil {
			t.Fatal(err)
		}
		ls.Counts.Events++
		ls.EventChain = ledger.NextEventChain(ls.EventChain, e.EventID)
		ls.UpdatedAt = at.UTC().Format(ledger.TimeLayout)
		ev.Lots = []ledger.LotSummary{ls}
		n.Apply(t, ev)
	}
	n.Anchor(t)
	return "/01/" + apitest.GTINApples + "/10/C1"
}

// TestBrowserReceiptCheck loads lot pages served by the node API in
// headless Chromium and reads what the page's receipt check says: complete
// and current as of the newest anchored window for a lot whose record
// chains its events, in each language; what is missing when the receipt
// served leaves the lot's last event out; and, for a lot recorded before
// event chains, that its completeness is not shown. Screenshots go to
// testdata/screenshots (git ignored).
func TestBrowserReceiptCheck(t *testing.T) {
	ctx := headless.Phone(t)
	n := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored, State: true})
	c1 := chainedLot(t, n, time.Date(2025, 6, 7, 8, 0, 0, 0, time.UTC), time.Date(2025, 6, 8, 8, 0, 0, 0, time.UTC))
	// The node, but with the receipt edited by tamper when it is set.
	var mu sync.Mutex
	var tamper func(*receipt.Receipt)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tf := tamper
		mu.Unlock()
		if r.URL.Query().Get("format") != "receipt" || tf == nil {
			n.API.ServeHTTP(w, r)
			return
		}
		r.Header.Del("If-None-Match") // the whole receipt, to edit
		r.Header.Del("If-Modified-Since")
		r.Header.Del("Accept-Encoding")
		rec := httptest.NewRecorder()
		n.API.ServeHTTP(rec, r)
		rc, err := receipt.Parse(rec.Body.Bytes())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		tf(rc)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rc)
	}))
	defer srv.Close()
	// The newest anchored window: what "as of" must name.
	resp, err := http.Get(srv.URL + c1 + "?format=receipt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rc, err := receipt.Parse(body)
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	newest := rc.Windows[slices.IndexFunc(rc.Windows, func(w receipt.Window) bool {
		return w.ToBlock == slices.MaxFunc(rc.Windows, func(a, b receipt.Window) int { return int(a.ToBlock) - int(b.ToBlock) }).ToBlock
	})]
	block, eth := newest.ToBlock, newest.Anchors[0].BlockNumber
	u64 := func(v uint64) string { return strconv.FormatUint(v, 10) }

	check := func(t *testing.T, path, shot string) (string, string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS("#tl-check.ok, #tl-check.bad"))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#tl-check")))
		if err != nil {
			t.Fatal(err)
		}
		class, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('tl-check').className`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('.anchors details').open = true`)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(".anchors")))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("testdata", "screenshots", shot)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", out, text)
		return class, text
	}
	for _, tc := range []struct{ lang, want string }{
		{"en", "✓ Complete and current as of ledger block " + u64(block) + " (anchored in Ethereum block " + u64(eth) + "). Your browser checked that these are all of the lot's 2 recorded events, in order"},
		{"zh-CN", "✓ 截至账本区块 " + u64(block) + "（锚定于以太坊区块 " + u64(eth) + "），记录完整且为最新。您的浏览器已核验：以上就是该批次登记在案的全部 2 条事件"},
		{"de", "✓ Vollständig und aktuell mit Stand Registerblock " + u64(block) + " (verankert in Ethereum-Block " + u64(eth) + "). Ihr Browser hat geprüft, dass dies alle 2 erfassten Ereignisse der Charge sind"},
	} {
		t.Run("current/"+tc.lang, func(t *testing.T) {
			class, text := check(t, c1+"?lang="+tc.lang, "check-current-"+tc.lang+".png")
			if class != "receipt-check ok" || !strings.HasPrefix(text, tc.want) {
				t.Errorf("check says (%s) %q, want %q…", class, text, tc.want)
			}
		})
	}
	t.Run("last event removed", func(t *testing.T) {
		mu.Lock()
		tamper = func(r *receipt.Receipt) { r.Events = r.Events[:len(r.Events)-1] }
		mu.Unlock()
		defer func() { mu.Lock(); tamper = nil; mu.Unlock() }()
		class, text := check(t, c1+"?lang=en", "check-missing-en.png")
		for _, w := range []string{"✗ Your browser could not confirm", "lot C1: only 1 of its 2 recorded events are shown", "is shown on this page but not proven by the receipt"} {
			if class != "receipt-check bad" || !strings.Contains(text, w) {
				t.Errorf("check says (%s) %q, want %q", class, text, w)
			}
		}
	})
	t.Run("recorded before event chains", func(t *testing.T) {
		class, text := check(t, "/01/"+apitest.GTINJuice+"/10/J1?lang=en", "check-unchained-en.png")
		if want := "lot J1 was recorded before trustline committed to each lot's list of events"; class != "receipt-check ok" || !strings.Contains(text, want) {
			t.Errorf("check says (%s) %q, want %q", class, text, want)
		}
	})
}
