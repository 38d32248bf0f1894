package api

import (
	"bytes"
	"image/png"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestNegotiate(t *testing.T) {
	offers := []string{typeJSON, typeLinkset, typeHTML}
	for _, tc := range []struct{ accept, want string }{
		{"", typeJSON},
		{"*/*", typeJSON},
		{"application/json", typeJSON},
		{"application/linkset+json", typeLinkset},
		{"text/html", typeHTML},
		{browser, typeHTML},
		{"text/html;q=0.5, application/json", typeJSON},
		{"application/json;q=0.5, text/html;q=0.9", typeHTML},
		{"application/*, text/html;q=0.1", typeJSON},
		{"text/html;q=0, */*", typeJSON},
		{"image/png", typeJSON},
		{"text/html;q=bogus", typeHTML},
		{"garbage;;", typeJSON},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		for range 2 { // parsed, then kept
			if got := negotiate(r, offers...); got != tc.want {
				t.Errorf("Accept %q: %s, want %s", tc.accept, got, tc.want)
			}
		}
	}
	// A header too long to keep is parsed each time, as any header is once
	// the store is full.
	long := "text/plain;x=" + strings.Repeat("a", maxParsedAcceptLen) + ", text/html"
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept", long)
	for range 2 {
		if got := negotiate(r, offers...); got != typeHTML {
			t.Errorf("a long Accept header: %s, want %s", got, typeHTML)
		}
	}
	if _, kept := parsedAccept.Load(long); kept {
		t.Error("a header longer than maxParsedAcceptLen was kept")
	}
}

// TestQRRoundTrip decodes the served PNG: it must carry the node's public
// base URL and the canonical path, whatever GTIN spelling was asked for.
func TestQRRoundTrip(t *testing.T) {
	s := testServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/qr/01/9506000134369/10/J1/21/S1.png", nil))
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", cc)
	}
	img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://node.example/01/" + gtinB + "/10/J1/21/S1"; res.GetText() != want {
		t.Errorf("QR says %q, want %q", res.GetText(), want)
	}
}

// BenchmarkResolverPage is a browser's request for a lot page, end to end
// through the handler.
func BenchmarkResolverPage(b *testing.B) {
	s := testServer(b)
	req := httptest.NewRequest("GET", "/01/"+gtinB+"/10/J1/21/S1", nil)
	req.Header.Set("Accept", browser)
	var n int
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		n = rec.Body.Len()
	}
	b.ReportMetric(float64(n), "page-bytes")
}
