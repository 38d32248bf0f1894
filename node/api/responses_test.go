package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/node/index/indextest"
)

// TestResponsesPinned pins every fixture lot's, unit's and product's
// response (page and trace JSON, in zh-CN, en and de) to its status,
// Content-Type, ETag and the SHA-256 of its body
// (testdata/responses.golden; -update rewrites it). A change to the trace
// read path or to rendering that is meant to be invisible (a per-lot
// trace record, a render cache) must leave this file as it is; the clock
// is fixed because the pages count the days to expiry.
func TestResponsesPinned(t *testing.T) {
	at := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	s := New(indextest.Supply(t), &Options{BaseURL: "https://node.example",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return at }})
	paths := tracePaths(t)
	products := map[string]bool{}
	for _, p := range paths {
		if len(p) >= 18 {
			products[p[:18]] = true // /01/{gtin}
		}
	}
	for p := range products {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var got bytes.Buffer
	for _, p := range paths {
		for _, lang := range []string{"zh-CN", "en", "de"} {
			for _, accept := range []string{browser, "application/json"} {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", p, nil)
				req.Header.Set("Accept", accept)
				req.Header.Set("Accept-Language", lang)
				s.ServeHTTP(rec, req)
				sum := sha256.Sum256(rec.Body.Bytes())
				kind := "page"
				if accept == "application/json" {
					kind = "json"
				}
				fmt.Fprintf(&got, "%s %s %s %d %q %q %s\n", p, lang, kind, rec.Code,
					rec.Header().Get("Content-Type"), rec.Header().Get("ETag"), hex.EncodeToString(sum[:]))
			}
		}
	}
	checkGolden(t, "testdata/responses.golden", got.Bytes())
}

// TestResponsesConcurrent: pages and trace JSON served concurrently, kept
// by the render cache or (without it, every time) rendered into pooled
// buffers, equal those served one at a time.
func TestResponsesConcurrent(t *testing.T) {
	for _, rc := range []int{0, -1} {
		t.Run(fmt.Sprintf("RenderCache %d", rc), func(t *testing.T) { responsesConcurrent(t, rc) })
	}
}

func responsesConcurrent(t *testing.T, renderCache int) {
	at := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	s := New(indextest.Supply(t), &Options{BaseURL: "https://node.example", RenderCache: renderCache,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return at }})
	type call struct{ path, lang, accept string }
	var calls []call
	for _, p := range tracePaths(t) {
		for _, lang := range []string{"zh-CN", "en"} {
			for _, accept := range []string{browser, "application/json"} {
				calls = append(calls, call{p, lang, accept})
			}
		}
	}
	serve := func(c call) string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("Accept", c.accept)
		req.Header.Set("Accept-Language", c.lang)
		s.ServeHTTP(rec, req)
		return fmt.Sprintf("%d %s %s", rec.Code, rec.Header().Get("ETag"), rec.Body.Bytes())
	}
	want := make([]string, len(calls))
	for i, c := range calls {
		want[i] = serve(c)
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for round := range 20 {
				for i := range calls {
					j := (i + g*7 + round) % len(calls)
					if got := serve(calls[j]); got != want[j] {
						t.Errorf("%+v, round %d: differs from the response served alone", calls[j], round)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
