package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/node/scans"
)

// What every request of the burst carries that must never be stored.
var personal = []string{
	"203.0.113.77",        // the client's address (RemoteAddr)
	"198.51.100.23",       // X-Forwarded-For
	"2001:db8::4711",      // X-Real-IP
	"Pixel-7731-UNIQUEUA", // User-Agent
	"cookie-secret-4711",  // Cookie
	"referrer.example",    // Referer
	"Hofmann-Shopper",     // a query parameter
}

// A scripted burst of page scans in several languages, over several lots
// and days, mixed with requests that are not scans, is counted exactly;
// the counts reach /scans (JSON and the member page) and /metrics; and no
// key or value of the node's store holds the requests' addresses, User-
// Agents, cookies or anything else of them.
func TestScanBurst(t *testing.T) {
	fs := vfs.NewMem()
	idx, err := index.Open("idx", &index.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	indextest.Apply(t, idx, indextest.SupplySteps(t)...)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC).Unix())
	counter := scans.New(idx, &scans.Options{FlushEvery: time.Hour})
	s := New(idx, &Options{Scans: counter, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Unix(clock.Load(), 0) }})

	type visit struct {
		path, lang, query     string // lang: Accept-Language
		lot                   string
		gtin                  string
		wantLang, wantCountry string
		pageLang              string
	}
	visits := []visit{
		{path: "/01/" + gtinA + "/10/L1", lang: "de-CH,de;q=0.9", gtin: gtinA, lot: "L1", wantLang: "de", wantCountry: "CH", pageLang: "de"},
		{path: "/01/" + gtinA + "/10/L2", lang: "zh-CN,zh;q=0.9", gtin: gtinA, lot: "L2", wantLang: "zh", wantCountry: "CN", pageLang: "zh-CN"},
		{path: "/01/" + gtinB + "/10/J1", lang: "en-GB", gtin: gtinB, lot: "J1", wantLang: "en", wantCountry: "GB", pageLang: "en"},
		{path: "/01/" + gtinB + "/10/J1/21/S1", lang: "fr-FR", gtin: gtinB, lot: "J1", wantLang: "fr", wantCountry: "FR", pageLang: "en"},
		{path: "/01/" + gtinB + "/10/J1", query: "lang=de", gtin: gtinB, lot: "J1", wantLang: "de", pageLang: "de"},
		{path: "/01/" + gtinA, lang: "", gtin: gtinA, pageLang: "en"},
	}
	want := map[scans.Key]uint64{}
	type req struct {
		r    *http.Request
		scan bool
	}
	var script []req
	mk := func(path, accept, lang string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = "203.0.113.77:41234"
		r.Header.Set("X-Forwarded-For", "198.51.100.23")
		r.Header.Set("X-Real-IP", "2001:db8::4711")
		r.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel-7731-UNIQUEUA) Mobile Safari/537.36")
		r.Header.Set("Cookie", "session=cookie-secret-4711")
		r.Header.Set("Referer", "https://referrer.example/private/path")
		r.Header.Set("Accept", accept)
		if lang != "" {
			r.Header.Set("Accept-Language", lang)
		}
		return r
	}
	const rounds = 40
	days := []string{"2026-12-05", "2026-12-06"}
	half := 0 // the first request of the second day
	for round := range rounds {
		if round == rounds/2 {
			half = len(script)
		}
		for i, v := range visits {
			if (round+i)%3 == 0 {
				continue // unequal counts per lot and language
			}
			q := "who=Hofmann-Shopper"
			if v.query != "" {
				q += "&" + v.query
			}
			script = append(script, req{mk(v.path+"?"+q, browser, v.lang), true})
			want[scans.Key{GTIN: v.gtin, Lot: v.lot, Day: days[round*2/rounds], Lang: v.wantLang, Country: v.wantCountry}]++
		}
		// Not scans: JSON, a bot, the switcher, a prefetch, an unknown
		// lot, a receipt, a badge, a QR image.
		notScans := []*http.Request{
			mk("/01/"+gtinB+"/10/J1", "application/json", "de"),
			mk("/01/"+gtinB+"/10/J1?format=json", browser, "de"),
			mk("/01/"+gtinA+"/10/NOPE", browser, "de"),
			mk("/badge/01/"+gtinB+"/10/J1.svg", "", "de"),
			mk("/qr/01/"+gtinB+"/10/J1.svg", "", "de"),
		}
		bot := mk("/01/"+gtinA+"/10/L1", browser, "en")
		bot.Header.Set("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1)")
		switcher := mk("/01/"+gtinA+"/10/L1?lang=zh-CN", browser, "de")
		switcher.Header.Set("Sec-Fetch-Site", "same-origin")
		prefetch := mk("/01/"+gtinA+"/10/L1", browser, "de")
		prefetch.Header.Set("Sec-Purpose", "prefetch")
		for _, r := range append(notScans, bot, switcher, prefetch) {
			script = append(script, req{r, false})
		}
	}
	// Replay the script from 4 clients at once: half of it on each day,
	// flushed in between.
	play := func(part []req) {
		var wg sync.WaitGroup
		next := atomic.Int64{}
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < len(part); i = int(next.Add(1)) - 1 {
					w := httptest.NewRecorder()
					s.ServeHTTP(w, part[i].r)
					if part[i].scan && w.Code != http.StatusOK {
						t.Errorf("%s: %d", part[i].r.URL, w.Code)
					}
				}
			}()
		}
		wg.Wait()
	}
	play(script[:half])
	if err := counter.Flush(); err != nil {
		t.Fatal(err)
	}
	clock.Add(4 * 3600) // 02:00 on the next day
	play(script[half:])

	var total uint64
	for _, n := range want {
		total += n
	}
	check := func(when string) {
		t.Helper()
		rep, err := counter.Report(scans.Filter{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[scans.Key]uint64{}
		for _, c := range rep.Rows {
			got[c.ScanKey] = c.Scans
		}
		if rep.Total != total || len(got) != len(want) {
			t.Errorf("%s: %d scans in %d counts, want %d in %d", when, rep.Total, len(got), total, len(want))
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: %+v counted %d, want %d", when, k, got[k], n)
			}
		}
	}
	check("before the flush")
	if err := counter.Flush(); err != nil {
		t.Fatal(err)
	}
	check("after the flush")
	t.Logf("%d requests, %d scans in %d counts", len(script), total, len(want))

	// The member's views: JSON by lot, the page (the member surface), the
	// metrics (public).
	member := s.Member()
	get := func(target, accept string) (int, string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("Accept", accept)
		if strings.HasPrefix(target, "/scans") {
			member.ServeHTTP(w, r)
		} else {
			s.ServeHTTP(w, r)
		}
		return w.Code, w.Body.String()
	}
	code, body := get("/scans?by=lot&lot=https://id.gs1.org/01/"+gtinB+"/10/J1", "application/json")
	var rep scans.Report
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil {
		t.Fatalf("/scans: %d %s", code, body)
	}
	var j1 uint64
	for k, n := range want {
		if k.Lot == "J1" {
			j1 += n
		}
	}
	if rep.Total != j1 || len(rep.Rows) != 1 || rep.Rows[0].Lot != "J1" || rep.Rows[0].Scans != j1 {
		t.Errorf("/scans for J1: %s, want %d", body, j1)
	}
	code, body = get("/scans", browser)
	if code != 200 || !strings.Contains(body, "<strong>"+fmt.Sprint(total)+"</strong> scans") || !strings.Contains(body, "<td>CH</td>") {
		t.Errorf("member page: %d %s", code, body)
	}
	_, body = get("/metrics", "")
	var deL1 uint64
	for k, n := range want {
		if k.GTIN == gtinA && k.Lang == "de" {
			deL1 += n
		}
	}
	if line := fmt.Sprintf(`trustline_node_scans_total{gtin="%s",lang="de"} %d`, gtinA, deL1); !strings.Contains(body, line) {
		t.Errorf("/metrics lacks %s", line)
	}
	for _, bad := range []string{"/scans?by=ip", "/scans?from=yesterday", "/scans?lot=https://id.gs1.org/01/" + gtinA, "/scans?gtin=123"} {
		if code, body := get(bad, "application/json"); code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, code, body)
		}
	}

	// Scan the whole store, key by key, for anything of the requests.
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := pebble.Open("idx", &pebble.Options{FS: fs, ReadOnly: true, Logger: quietPebble{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	it, err := db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	needles := [][]byte{}
	for _, p := range personal {
		needles = append(needles, []byte(p), []byte(strings.ToLower(p)))
	}
	for _, ip := range []string{"203.0.113.77", "198.51.100.23", "2001:db8::4711"} {
		a := net.ParseIP(ip)
		if v4 := a.To4(); v4 != nil {
			needles = append(needles, v4)
		} else {
			needles = append(needles, a)
		}
	}
	keys, scanKeys := 0, 0
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			t.Fatal(err)
		}
		keys++
		if bytes.Contains(it.Key(), []byte(scans.Namespace)) {
			scanKeys++
		}
		for _, n := range needles {
			if bytes.Contains(it.Key(), n) || bytes.Contains(v, n) {
				t.Errorf("the store holds %q in %q = %.80q", n, it.Key(), v)
			}
		}
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	if scanKeys != len(want) {
		t.Errorf("%d scan counters stored, want %d", scanKeys, len(want))
	}
	t.Logf("scanned %d keys (%d scan counters): none holds request data", keys, scanKeys)
}

type quietPebble struct{}

func (quietPebble) Infof(string, ...any)         {}
func (quietPebble) Errorf(string, ...any)        {}
func (quietPebble) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

// BenchmarkScanCounting is a browser's lot page without and with scan
// counting (Classify, the in-memory count, the metric): counting must
// stay a small fraction of serving the page. Compare off and on of one
// run.
func BenchmarkScanCounting(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			idx := indextest.Supply(b)
			o := &Options{BaseURL: "https://node.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if on {
				o.Scans = scans.New(idx, &scans.Options{FlushEvery: time.Hour})
			}
			s := New(idx, o)
			req := httptest.NewRequest("GET", "/01/"+gtinB+"/10/J1/21/S1", nil)
			req.Header.Set("Accept", browser)
			req.Header.Set("Accept-Language", "de-CH,de;q=0.9,en;q=0.8")
			req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36")
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
