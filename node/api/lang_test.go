package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLanguages: the consumer page, its error pages and the badges speak
// the language of ?lang=, else of Accept-Language, else English, and say
// that they vary by it.
func TestLanguages(t *testing.T) {
	s := testServer(t)
	for _, tc := range []struct {
		name, target, accept, lang string
		want                       []string
	}{
		{"page by Accept-Language", "/01/" + gtinB + "/10/J1", "zh-CN,zh;q=0.9", "zh-CN", []string{`<html lang="zh-CN">`, "已召回", `<a href="?lang=de" lang="de">Deutsch</a>`}},
		{"page by ?lang", "/01/" + gtinB + "/10/J1?lang=de", "zh-CN", "de", []string{`<html lang="de">`, "Zurückgerufen", "Der Weg"}},
		{"page default", "/01/" + gtinB + "/10/J1", "fr", "en", []string{`<html lang="en">`, "Journey"}},
		{"product page", "/01/" + gtinA + "?lang=de", "", "de", []string{"0 °C bis 8 °C", "Haltbarkeit"}},
		{"error page", "/01/" + gtinA + "/10/NOPE", "de-DE", "de", []string{"Produkt nicht gefunden", "Sie"}},
		{"bad link page", "/01/09506000134353/10/L1?lang=zh-CN", "", "zh-CN", []string{"无法识别这个二维码"}},
		{"badge svg", "/badge/01/" + gtinB + "/10/J1.svg", "zh-CN", "zh-CN", []string{"✗ 已召回", "trustline 承诺"}},
		{"badge svg by ?lang", "/badge/01/" + gtinB + "/10/J1.svg?lang=de", "zh-CN", "de", []string{"✗ zurückgerufen"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.target, nil)
			req.Header.Set("Accept", browser)
			if tc.accept != "" {
				req.Header.Set("Accept-Language", tc.accept)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			body := rec.Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%.2000s", w, body)
				}
			}
			if got := rec.Header().Get("Content-Language"); got != tc.lang {
				t.Errorf("Content-Language %q, want %s", got, tc.lang)
			}
			if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Language") {
				t.Errorf("Vary %q lacks Accept-Language", rec.Header().Values("Vary"))
			}
		})
	}
	// Badge JSON carries the label in the language asked for.
	req := httptest.NewRequest("GET", "/badge/01/"+gtinB+"/10/J1.json", nil)
	req.Header.Set("Accept-Language", "de")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var b Badge
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Lang != "de" || b.Label != "✗ zurückgerufen" {
		t.Errorf("badge JSON %s (%v)", rec.Body.String(), err)
	}
}
