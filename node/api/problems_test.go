package api

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/web"
)

// TestProblemKindsTranslated: every problem kind this package writes (its
// sources' s.problem calls and Problem literals; the EPCIS interface's
// standard exceptions are for developers and stay English) has a title
// and detail in every language, and zh-CN and de do not fall back to
// English.
func TestProblemKindsTranslated(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	kindRE := regexp.MustCompile(`(?:s\.problem\([^,]+, r, [^,]+, "|fail\([^,]+, "|ProblemTypePrefix \+ ")([a-z-]+)"`)
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range kindRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 15 {
		t.Fatalf("found only %d problem kinds in the sources: %v", len(used), used)
	}
	en := web.English
	for kind := range used {
		if !slices.Contains(web.ProblemKinds(), kind) {
			t.Errorf("problem kind %q has no texts (package web, problems.go)", kind)
			continue
		}
		et, ed, _ := en.Problem(kind)
		for _, code := range []string{"zh-CN", "de"} {
			l := web.LangOf(code)
			title, detail, ok := l.Problem(kind)
			if !ok || title == "" || detail == "" || title == et || detail == ed {
				t.Errorf("%s (%s): %q / %q falls back to English", kind, code, title, detail)
			}
		}
	}
}

// TestProblemLanguages: problem+json keeps its type and English texts by
// default and is in the language asked for otherwise, saying so; HTML
// problem pages follow ?lang=.
func TestProblemLanguages(t *testing.T) {
	s, _, _ := deskServer(t, "BrandMSP")
	get := func(target, accept, lang string) (*httptest.ResponseRecorder, Problem) {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept", accept)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var p Problem
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
		}
		return rec, p
	}
	unknown := "/01/" + gtinA + "/10/NOPE"
	for _, tc := range []struct {
		name, target, lang, wantLang, wantType, wantTitle, wantDetail string
	}{
		{"404 default", unknown, "", "en", "not-found", "Not found", "NOPE"},
		{"404 de", unknown, "de-DE,de;q=0.9", "de", "not-found", "Nicht gefunden", "Zu dieser Adresse liegt hier kein Eintrag vor."},
		{"404 zh by ?lang", unknown + "?lang=zh-CN", "de", "zh-CN", "not-found", "未找到", "这里没有该地址所指内容的记录。"},
		{"bad link zh", "/01/09506000134353/10/L1", "zh-CN,zh;q=0.9", "zh-CN", "invalid-digital-link", "无效的 GS1 数字链接", "这个地址不是有效的 GS1 数字链接。"},
		{"bad badge de", "/badge/01/" + gtinA + ".svg", "de", "de", "invalid-badge", "Ungültige Plakettenadresse", "Charge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, p := get(tc.target, "application/json", tc.lang)
			if p.Type != ProblemTypePrefix+tc.wantType || p.Title != tc.wantTitle || !strings.Contains(p.Detail, tc.wantDetail) {
				t.Errorf("%d %+v; want %s %q %q", rec.Code, p, tc.wantType, tc.wantTitle, tc.wantDetail)
			}
			if got := rec.Header().Get("Content-Language"); got != tc.wantLang {
				t.Errorf("Content-Language %q, want %s", got, tc.wantLang)
			}
			if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Language") {
				t.Errorf("Vary %q", rec.Header().Values("Vary"))
			}
		})
	}
	// The service desk's refusals, as problem+json in Chinese.
	for i := 0; i < 10; i++ {
		req := httptest.NewRequest("POST", "/service/tickets", strings.NewReader(`{"subject":"x","topic":"question","message":"hi"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", "zh-CN")
		req.RemoteAddr = "192.0.2.7:1234"
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var p Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		want := map[int]string{400: "留言无效", 429: "请求过于频繁"}[rec.Code]
		if want == "" || p.Title != want || rec.Header().Get("Content-Language") != "zh-CN" {
			t.Fatalf("filing %d: %d %+v", i, rec.Code, p)
		}
		if rec.Code == 429 {
			break
		}
	}
	// Problem pages: in the language of ?lang=, the cause folded in English.
	for lang, want := range map[string]string{"de": "Produkt nicht gefunden", "zh-CN": "未找到该商品", "en": "Product not found"} {
		rec, _ := get(unknown+"?lang="+lang, browser, "")
		body := rec.Body.String()
		if rec.Code != 404 || !strings.Contains(body, want) || !strings.Contains(body, `<html lang="`+lang+`">`) {
			t.Errorf("%s problem page: %d\n%.1500s", lang, rec.Code, body)
		}
	}
}
