package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/node/api/apitest"
)

const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

const juice = "/01/" + apitest.GTINJuice + "/10/J1"

// cacheable are the cacheable responses of the fixture's juice lot J1:
// sinceOK marks those answering If-Modified-Since.
var cacheable = []struct {
	name, path, accept string
	sinceOK            bool
}{
	{"trace json", juice, "application/json", true},
	{"unit trace json", juice + "/21/S1", "application/json", true},
	{"page", juice, browser, false},
	{"unit page", juice + "/21/S1", browser, false},
	{"product page", "/01/" + apitest.GTINJuice, browser, false},
	{"product json", "/01/" + apitest.GTINJuice, "application/json", true},
	{"linkset", juice + "?linkType=all", "", true},
	{"badge svg", "/badge" + juice + ".svg", "", true},
	{"badge json", "/badge" + juice + ".json", "", true},
	{"receipt", juice + "?format=receipt", "", false},
}

// onLot are the representations of J1 itself, which a new event on J1
// must change.
var onLot = []string{"trace json", "unit trace json", "page", "unit page", "badge svg", "badge json", "receipt"}

type response struct {
	code int
	h    http.Header
	body []byte
}

func get(t testing.TB, h http.Handler, path, accept string, hdr ...string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// etags are the ETags of every cacheable response of n, by name.
func etags(t *testing.T, n *apitest.Node) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range cacheable {
		r := get(t, n.API, c.path, c.accept)
		if r.code != http.StatusOK || r.h.Get("ETag") == "" {
			t.Fatalf("%s: %d, ETag %q: %.200s", c.name, r.code, r.h.Get("ETag"), r.body)
		}
		out[c.name] = r.h.Get("ETag")
	}
	return out
}

// TestCaching: every cacheable response carries an ETag, Cache-Control
// with a short max-age and stale-while-revalidate, and Last-Modified where
// the ledger dates it; If-None-Match with it gives 304 without a body,
// with another tag the response; If-Modified-Since gives 304 where the
// date covers the response.
func TestCaching(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored})
	for _, c := range cacheable {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, n.API, c.path, c.accept)
			tag, cc := r.h.Get("ETag"), r.h.Get("Cache-Control")
			if r.code != http.StatusOK || !strings.HasPrefix(tag, `W/"`) || !strings.Contains(cc, "max-age=60") || !strings.Contains(cc, "stale-while-revalidate") {
				t.Fatalf("%d, ETag %q, Cache-Control %q", r.code, tag, cc)
			}
			nm := get(t, n.API, c.path, c.accept, "If-None-Match", tag)
			if nm.code != http.StatusNotModified || len(nm.body) != 0 || nm.h.Get("ETag") != tag {
				t.Fatalf("If-None-Match: %d, %d bytes, ETag %q", nm.code, len(nm.body), nm.h.Get("ETag"))
			}
			if list := get(t, n.API, c.path, c.accept, "If-None-Match", `"other", `+strings.TrimPrefix(tag, "W/")); list.code != http.StatusNotModified {
				t.Errorf("If-None-Match list with the strong form: %d", list.code)
			}
			if other := get(t, n.API, c.path, c.accept, "If-None-Match", `W/"other"`); other.code != http.StatusOK || !bytes.Equal(other.body, r.body) && c.name != "receipt" {
				t.Errorf("If-None-Match of another tag: %d", other.code)
			}
			lm := r.h.Get("Last-Modified")
			if c.sinceOK && lm == "" && c.name != "linkset" { // a linkset has no date
				t.Errorf("no Last-Modified")
			}
			if lm != "" {
				ims := get(t, n.API, c.path, c.accept, "If-Modified-Since", lm)
				if want := map[bool]int{true: http.StatusNotModified, false: http.StatusOK}[c.sinceOK]; ims.code != want {
					t.Errorf("If-Modified-Since %s: %d, want %d", lm, ims.code, want)
				}
				if ims := get(t, n.API, c.path, c.accept, "If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"); ims.code != http.StatusOK {
					t.Errorf("If-Modified-Since long ago: %d", ims.code)
				}
			}
		})
	}
	// Not cacheable: problems, receipts not anchored yet.
	if r := get(t, n.API, "/01/"+apitest.GTINJuice+"/10/NOPE", "application/json"); r.code != http.StatusNotFound || r.h.Get("ETag") != "" || r.h.Get("Cache-Control") != "no-store" {
		t.Errorf("unknown lot: %d, ETag %q, Cache-Control %q", r.code, r.h.Get("ETag"), r.h.Get("Cache-Control"))
	}
	pending := apitest.Start(t, &apitest.Options{Anchoring: apitest.Pending})
	if r := get(t, pending.API, juice+"?format=receipt", ""); r.code != http.StatusConflict || r.h.Get("ETag") != "" {
		t.Errorf("pending receipt: %d, ETag %q", r.code, r.h.Get("ETag"))
	}
}

// TestNewEventChangesETags: an event on J1 changes the ETag of its page,
// trace JSON, badges and (once anchored) receipt; the old tag then gets
// the new response, not 304.
func TestNewEventChangesETags(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored})
	before := etags(t, n)
	n.Observe(t, apitest.LotJuice, time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC))
	n.Anchor(t)
	after := etags(t, n)
	for _, name := range onLot {
		if before[name] == after[name] {
			t.Errorf("%s: ETag %s unchanged by a new event", name, after[name])
		}
	}
	for _, c := range cacheable {
		if r := get(t, n.API, c.path, c.accept, "If-None-Match", before[c.name]); r.code != map[bool]int{true: http.StatusNotModified, false: http.StatusOK}[before[c.name] == after[c.name]] {
			t.Errorf("%s: the old ETag gets %d", c.name, r.code)
		}
	}
}

// TestReplicasEqualETags: two nodes that index the same events (replicas
// following one peer) give every response the same ETag, before and after
// the same new event.
func TestReplicasEqualETags(t *testing.T) {
	a := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored})
	b := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored})
	check := func(when string) {
		ta, tb := etags(t, a), etags(t, b)
		for _, c := range cacheable {
			if ta[c.name] != tb[c.name] {
				t.Errorf("%s, %s: replicas' ETags %s and %s", when, c.name, ta[c.name], tb[c.name])
			}
		}
	}
	check("fixture")
	for _, n := range []*apitest.Node{a, b} {
		n.Observe(t, apitest.LotJuice, time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC))
		n.Anchor(t)
	}
	check("after an event")
}

// TestCompression: gzip and zstd are negotiated on Accept-Encoding, with
// the same ETag as the identity response; a revalidation of a compressed
// response is a 304 too. Badge streams are not compressed.
func TestCompression(t *testing.T) {
	n := apitest.Start(t, nil)
	plain := get(t, n.API, juice, browser)
	for _, enc := range []string{"gzip", "zstd"} {
		r := get(t, n.API, juice, browser, "Accept-Encoding", enc)
		if r.code != http.StatusOK || r.h.Get("Content-Encoding") != enc || !strings.Contains(strings.Join(r.h.Values("Vary"), ","), "Accept-Encoding") ||
			r.h.Get("ETag") != plain.h.Get("ETag") || len(r.body) >= len(plain.body) {
			t.Fatalf("%s: %d, Content-Encoding %q, Vary %q, ETag %q (plain %q), %d bytes (plain %d)", enc, r.code, r.h.Get("Content-Encoding"),
				r.h.Get("Vary"), r.h.Get("ETag"), plain.h.Get("ETag"), len(r.body), len(plain.body))
		}
		if nm := get(t, n.API, juice, browser, "Accept-Encoding", enc, "If-None-Match", r.h.Get("ETag")); nm.code != http.StatusNotModified || len(nm.body) != 0 {
			t.Errorf("%s revalidation: %d, %d bytes", enc, nm.code, len(nm.body))
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(get(t, n.API, juice, browser, "Accept-Encoding", "gzip").body))
	if err != nil {
		t.Fatal(err)
	}
	if body, err := io.ReadAll(zr); err != nil || !bytes.Equal(body, plain.body) {
		t.Errorf("gunzipped page differs: %v", err)
	}
	// A stream over a real connection: not compressed, events as they come.
	resp, err := http.Get(n.URL + "/badge" + juice + "/stream") // the transport asks for gzip
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Content-Encoding") != "" || resp.Uncompressed {
		t.Fatalf("stream: %q, Content-Encoding %q", resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"))
	}
	line := make([]byte, 64)
	if k, err := resp.Body.Read(line); err != nil || !strings.HasPrefix(string(line[:k]), "event: badge") {
		t.Fatalf("stream's first bytes %q, %v", line[:k], err)
	}
}

// BenchmarkNotModified measures a revalidation answered 304 — the trace
// JSON's and the consumer page's — against a trivial handler that
// compares a constant ETag and answers 304, in the same run, with the
// requests served in memory (no network). It reports ns per 304 of each
// and the ratio trivial/node (1 would be as fast as the trivial handler).
// The trace JSON's 304 comes from the tag cache while the index does not
// change; the page's is computed from its view (the page also shows
// anchors, which the index state does not date) without rendering.
func BenchmarkNotModified(b *testing.B) {
	n := apitest.Start(b, nil)
	const trivialTag = `W/"trivial"`
	trivial := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", trivialTag)
		w.Header().Set("Cache-Control", "public, max-age=60")
		if r.Header.Get("If-None-Match") == trivialTag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte("{}"))
	})
	for _, c := range []struct{ name, accept string }{{"json", "application/json"}, {"page", browser}} {
		b.Run(c.name, func(b *testing.B) {
			tag := get(b, n.API, juice, c.accept).h.Get("ETag")
			serve := func(h http.Handler, path, tag string) {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Accept", c.accept)
				req.Header.Set("Accept-Encoding", "gzip")
				req.Header.Set("If-None-Match", tag)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusNotModified {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
			var base, node time.Duration
			for b.Loop() {
				t0 := time.Now()
				serve(trivial, juice, trivialTag)
				t1 := time.Now()
				serve(n.API, juice, tag)
				base, node = base+t1.Sub(t0), node+time.Since(t1)
			}
			b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "ns/trivial-304")
			b.ReportMetric(float64(node.Nanoseconds())/float64(b.N), "ns/node-304")
			b.ReportMetric(float64(base)/float64(node), "trivial/node")
		})
	}
}
