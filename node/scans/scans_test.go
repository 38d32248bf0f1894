package scans

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/trustline/trustline/node/index/indextest"
)

var day = time.Date(2026, 12, 6, 23, 30, 0, 0, time.FixedZone("UTC+1", 3600))

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name          string
		method        string
		target        string
		hdr           map[string]string
		ok            bool
		lang, country string
	}{
		{"phone in Switzerland", "", "/01/x", map[string]string{"Accept-Language": "de-CH,de;q=0.9,en;q=0.8"}, true, "de", "CH"},
		{"Chinese", "", "/01/x", map[string]string{"Accept-Language": "zh-CN,zh;q=0.9"}, true, "zh", "CN"},
		{"preference by weight", "", "/01/x", map[string]string{"Accept-Language": "en;q=0.5, fr-BE"}, true, "fr", "BE"},
		{"no region stated", "", "/01/x", map[string]string{"Accept-Language": "de"}, true, "de", ""},
		{"script is not a country", "", "/01/x", map[string]string{"Accept-Language": "zh-Hant"}, true, "zh", ""},
		{"?lang= overrides", "", "/01/x?lang=de", map[string]string{"Accept-Language": "en-US"}, true, "de", ""},
		{"no language", "", "/01/x", nil, true, "", ""},
		{"unknown language", "", "/01/x", map[string]string{"Accept-Language": "xx-QQ"}, true, "", ""},
		{"junk header", "", "/01/x", map[string]string{"Accept-Language": "<script>alert(1)</script>"}, true, "", ""},
		{"wildcard", "", "/01/x", map[string]string{"Accept-Language": "*"}, true, "", ""},
		{"region code not a country", "", "/01/x", map[string]string{"Accept-Language": "es-419"}, true, "es", ""},
		{"HEAD", "HEAD", "/01/x", nil, false, "", ""},
		{"prefetch", "", "/01/x", map[string]string{"Sec-Purpose": "prefetch;prerender"}, false, "", ""},
		{"old prefetch", "", "/01/x", map[string]string{"Purpose": "prefetch"}, false, "", ""},
		{"language switcher", "", "/01/x?lang=zh-CN", map[string]string{"Sec-Fetch-Site": "same-origin"}, false, "", ""},
		{"from a QR scanner app", "", "/01/x", map[string]string{"Sec-Fetch-Site": "none"}, true, "", ""},
		{"crawler", "", "/01/x", map[string]string{"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}, false, "", ""},
		{"Lighthouse", "", "/01/x", map[string]string{"User-Agent": "Mozilla/5.0 Chrome-Lighthouse"}, false, "", ""},
		{"headless browser", "", "/01/x", map[string]string{"User-Agent": "Mozilla/5.0 HeadlessChrome/131.0"}, false, "", ""},
		{"link preview", "", "/01/x", map[string]string{"User-Agent": "WhatsApp/2.23 (preview)"}, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.method
			if m == "" {
				m = http.MethodGet
			}
			r := httptest.NewRequest(m, tc.target, nil)
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			k, ok := Classify(r, day)
			if ok != tc.ok {
				t.Fatalf("scan %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			want := Key{Day: "2026-12-06", Lang: tc.lang, Country: tc.country}
			if k != want {
				t.Errorf("key %+v, want %+v", k, want)
			}
		})
	}
}

// Counting writes nothing until a flush, and a flush writes every count
// once; reports add what is pending to what is stored, grouped; the
// index's Digest leaves the counts out.
func TestCounterBatchesAndReports(t *testing.T) {
	idx := indextest.Supply(t)
	digest, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	c := New(idx, &Options{FlushEvery: time.Hour})
	a := Key{GTIN: "09506000134352", Lot: "L1", Day: "2026-12-05", Lang: "de", Country: "CH"}
	b := Key{GTIN: "09506000134352", Lot: "L2", Day: "2026-12-06", Lang: "zh", Country: "CN"}
	p := Key{GTIN: "09506000134369", Day: "2026-12-06"}
	for range 3 {
		c.Count(a, "de")
	}
	c.Count(b, "zh-CN")
	stored := func() int {
		n := 0
		if err := idx.LocalScan(Namespace, "", func(string, []byte) bool { n++; return true }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := stored(); n != 0 {
		t.Fatalf("%d counters stored before a flush", n)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := stored(); n != 2 {
		t.Fatalf("%d counters stored after the flush, want 2", n)
	}
	c.Count(a, "de") // pending
	c.Count(p, "en")
	for _, tc := range []struct {
		name  string
		f     Filter
		by    []string
		total uint64
		rows  []Count
	}{
		{"everything", Filter{}, nil, 6, []Count{cnt(a, 4), cnt(b, 1), cnt(p, 1)}},
		{"by product", Filter{}, []string{ByGTIN}, 6, []Count{cnt(Key{GTIN: a.GTIN}, 5), cnt(Key{GTIN: p.GTIN}, 1)}},
		{"by lot", Filter{}, []string{ByLot}, 6, []Count{cnt(Key{GTIN: a.GTIN, Lot: "L1"}, 4), cnt(Key{GTIN: a.GTIN, Lot: "L2"}, 1), cnt(Key{GTIN: p.GTIN}, 1)}},
		{"by day", Filter{GTIN: a.GTIN}, []string{ByDay}, 5, []Count{cnt(Key{Day: "2026-12-05"}, 4), cnt(Key{Day: "2026-12-06"}, 1)}},
		{"by country", Filter{From: "2026-12-06"}, []string{ByCountry}, 2, []Count{cnt(Key{}, 1), cnt(Key{Country: "CN"}, 1)}},
		{"one lot, one day", Filter{GTIN: a.GTIN, Lot: "L1", From: "2026-12-05", To: "2026-12-05"}, []string{ByLang}, 4, []Count{cnt(Key{Lang: "de"}, 4)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Report(tc.f, tc.by)
			if err != nil {
				t.Fatal(err)
			}
			if r.Total != tc.total || len(r.Rows) != len(tc.rows) {
				t.Fatalf("report %+v, want total %d rows %+v", r, tc.total, tc.rows)
			}
			for i := range r.Rows {
				if r.Rows[i] != tc.rows[i] {
					t.Errorf("row %d %+v, want %+v", i, r.Rows[i], tc.rows[i])
				}
			}
		})
	}
	if _, err := c.Report(Filter{}, []string{"ip"}); err == nil {
		t.Error("a report by ip: no error")
	}
	// Run flushes what is pending when it stops.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := stored(); n != 3 {
		t.Fatalf("%d counters stored after Run, want 3", n)
	}
	if r, _ := c.Report(Filter{}, nil); r.Total != 6 {
		t.Errorf("total %d after Run, want 6", r.Total)
	}
	// Counts are node-local: members' indexes of one ledger stay equal.
	if d, _ := idx.Digest(); d != digest {
		t.Error("scan counts changed the index's Digest")
	}
}

func cnt(k Key, n uint64) Count { return Count{ScanKey: k, Scans: n} }

// BenchmarkCount is what counting adds to a page view, from parallel
// requests: classifying the request and an in-memory increment.
func BenchmarkCount(b *testing.B) {
	c := New(indextest.Empty(b), &Options{FlushEvery: time.Hour})
	r := httptest.NewRequest(http.MethodGet, "/01/09506000134352/10/L1", nil)
	r.Header.Set("Accept-Language", "de-CH,de;q=0.9,en;q=0.8")
	r.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k, ok := Classify(r, day)
			if !ok {
				b.Fatal("not a scan")
			}
			k.GTIN, k.Lot = "09506000134352", "L1"
			c.Count(k, "de")
		}
	})
}
