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
