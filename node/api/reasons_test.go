package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClaimReasonLanguages: badges keep the claim's English reason (as
// stored and in receipts) and add its code and its text in the language
// asked for; the page shows the reason in its language.
func TestClaimReasonLanguages(t *testing.T) {
	s, idx, _ := badgeServer(t)
	rs, err := idx.ClaimResults(gtinB, "J1")
	if err != nil || len(rs) != 1 {
		t.Fatalf("ClaimResults: %v %v", rs, err)
	}
	stored, _ := json.Marshal(rs[0])
	get := func(target, accept string) string {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept", browser)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body.String())
		}
		return rec.Body.String()
	}
	texts := map[string]string{}
	for _, tc := range []struct{ lang, accept, query string }{
		{"en", "", ""}, {"zh-CN", "zh-CN,zh;q=0.9", ""}, {"de", "", "?lang=de"},
	} {
		for _, q := range []string{"", "claim=claim-1"} {
			target := "/badge" + juiceLot + ".json" + tc.query
			if q != "" {
				target += map[bool]string{true: "&", false: "?"}[tc.query != ""] + q
			}
			var b struct {
				Badge
				Claims []json.RawMessage `json:"claims"`
			}
			body := get(target, tc.accept)
			if err := json.Unmarshal([]byte(body), &b); err != nil {
				t.Fatal(err)
			}
			// The lot's badge sums up: "{wording}: {reason}".
			wantReason, wantCode := "Cold chain all the way: "+rs[0].Reason, "claim_reason"
			if q != "" {
				wantReason, wantCode = rs[0].Reason, "readings_so_far"
			}
			if b.Reason != wantReason || b.ReasonCode != wantCode || b.ReasonText == "" || b.Lang != tc.lang {
				t.Errorf("%s: reason %q code %q text %q lang %s; want reason %q, code %s", target, b.Reason, b.ReasonCode, b.ReasonText, b.Lang, wantReason, wantCode)
			}
			var c map[string]any
			_ = json.Unmarshal(b.Claims[0], &c)
			if c["reasonCode"] != "readings_so_far" || c["reasonText"] == "" || c["reason"] != rs[0].Reason || (q != "" && c["reasonText"] != b.ReasonText) {
				t.Errorf("%s: claims[0] %s", target, b.Claims[0])
			}
			// The result as stored, with two fields added.
			delete(c, "reasonCode")
			delete(c, "reasonText")
			again, _ := json.Marshal(c)
			var want map[string]any
			_ = json.Unmarshal(stored, &want)
			wantJSON, _ := json.Marshal(want)
			if string(again) != string(wantJSON) {
				t.Errorf("%s: claims[0] without the reason's code and text\n %s\nwant %s", target, again, wantJSON)
			}
			texts[tc.lang] = b.ReasonText
		}
	}
	if texts["en"] == texts["de"] || texts["en"] == texts["zh-CN"] || !strings.Contains(texts["zh-CN"], "尚未送达零售门店") || !strings.Contains(texts["de"], "noch nicht im Handel angekommen") {
		t.Errorf("reason texts %q", texts)
	}
	if svg := get("/badge"+juiceLot+".svg?claim=claim-1&lang=de", ""); !strings.Contains(svg, "noch nicht im Handel angekommen") {
		t.Errorf("SVG title lacks the German reason:\n%s", svg)
	}
	for lang, want := range map[string]string{"zh-CN": "尚未送达零售门店", "de": "noch nicht im Handel angekommen", "en": "not yet received at a retail place"} {
		page := get(juiceLot+"?lang="+lang, "")
		if !strings.Contains(page, want) {
			t.Errorf("%s page lacks %q", lang, want)
		}
		if lang != "en" && strings.Contains(page, `<p lang="en">`) {
			t.Errorf("%s page shows a reason in English", lang)
		}
	}
}
