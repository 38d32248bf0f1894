package receipt_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustline/trustline/internal/testenv/browser"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/receipt/receipttest"
)

// jsVerdict is what TL.check (check.js) resolves to, in part.
type jsVerdict struct {
	OK       bool     `json:"ok"`
	Parts    []string `json:"parts"`
	Complete bool     `json:"complete"`
	Fresh    bool     `json:"fresh"`
	AsOf     *struct {
		Block uint64 `json:"block"`
		Eth   uint64 `json:"eth"`
	} `json:"asOf"`
	Fails []struct {
		Part string `json:"part"`
		Code string `json:"code"`
	} `json:"fails"`
}

// TestBrowserCheck is a differential test of the consumer page's check:
// CheckJS, run in headless Chromium, and Verify (offline) reach the same
// verdict on lot B's receipt untampered and in every tampering class of
// TestTampering, with the same failing parts, and on the same receipt as
// format 3 (complete, its currency unproven offline), and on lot B's
// format 5 receipt with its product's service events, untampered and with
// each class of receipttest.ServiceCases (a service event cut, the service
// chain removed). Claims are left out of the comparison: the page does not
// re-evaluate them.
func TestBrowserCheck(t *testing.T) {
	ctx := browser.Phone(t)
	// A secure context (localhost) for WebCrypto, as a node's https page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><meta charset=utf-8><title>check</title><script>" + receipt.CheckJS() + "</script>"))
	}))
	defer srv.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	s := receipt.NewTamperStory(t, false)
	cases := append(storyCases(t, s), receipttest.Case{Name: "format 3", Tamper: func(r *receipt.Receipt) error { r.Version, r.State = 3, nil; return nil }})
	docs := make([][]byte, len(cases))
	for i := range docs {
		docs[i] = s.Base
	}
	// The product's service events cut (format 5, its service chain).
	svcDoc := receipt.NewServiceStory(t)
	svcBase, err := receipt.Parse(svcDoc)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := receipttest.ServiceCases(svcBase)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range svc {
		cases, docs = append(cases, c), append(docs, svcDoc)
	}
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r, doc, err := tc.Apply(docs[i])
			if err != nil {
				t.Fatal(err)
			}
			rep, err := receipt.Verify(ctxT(t), r, receipt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			lit, _ := json.Marshal(string(doc))
			js, err := chromedp.Run(ctx, chromedp.Evaluate[jsVerdict]("TL.check(JSON.parse("+string(lit)+"))", chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			goParts := reportParts(rep)
			goOK := len(goParts) == 0 && len(rep.Verdicts) > 0
			if js.OK != goOK || !slices.Equal(js.Parts, goParts) {
				t.Fatalf("page: ok %v, parts %v (%+v); Verify: ok %v, parts %v:\n%v", js.OK, js.Parts, js.Fails, goOK, goParts, receipt.Failures(rep))
			}
			if tc.Tamper == nil || tc.Name == "format 3" {
				c := rep.Currency
				if js.AsOf == nil || c == nil || js.AsOf.Block != c.Block || js.AsOf.Eth != c.EthBlock {
					t.Errorf("page: as of %+v; Verify: %+v", js.AsOf, c)
				}
				if !js.Complete || js.Fresh != (r.Version >= 4) {
					t.Errorf("page: complete %v, fresh %v for a format %d receipt", js.Complete, js.Fresh, r.Version)
				}
			}
			if tc.Part != "" && !slices.Contains(js.Parts, string(tc.Part)) {
				t.Errorf("page: parts %v, want %s", js.Parts, tc.Part)
			}
		})
	}
}

// reportParts are the parts of rep's failures, sorted, without claims'.
func reportParts(rep *receipt.Report) []string {
	var fs []*receipt.PartError
	for _, v := range append(slices.Clone(rep.Verdicts), rep.Records...) {
		fs = append(fs, v.Failures...)
	}
	fs = append(fs, rep.Subject...)
	for _, l := range rep.Lots {
		fs = append(fs, l.Failures...)
	}
	if rep.State != nil {
		fs = append(fs, rep.State.Failures...)
	}
	if rep.Service != nil {
		fs = append(fs, rep.Service.Failures...)
	}
	var ps []string
	for _, f := range fs {
		if !slices.Contains(ps, string(f.Part)) {
			ps = append(ps, string(f.Part))
		}
	}
	slices.Sort(ps)
	return ps
}
