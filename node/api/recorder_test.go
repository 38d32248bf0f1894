package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/index/indextest"
)

// strictWriter is a ResponseWriter that, like net/http's, sends the header
// on the first Write or Flush and fails the test on a second WriteHeader
// (net/http logs "superfluous response.WriteHeader call"); its Write fails
// like a connection whose client went away.
type strictWriter struct {
	t       *testing.T
	h       http.Header
	code    int
	failing bool
}

func (w *strictWriter) Header() http.Header { return w.h }

func (w *strictWriter) WriteHeader(code int) {
	if w.code != 0 {
		w.t.Errorf("superfluous WriteHeader(%d) after %d", code, w.code)
		return
	}
	w.code = code
}

func (w *strictWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.failing {
		return 0, errors.New("write: broken pipe")
	}
	return len(b), nil
}

// The status recorder lets one status through, whatever the handler does
// after it started answering, and counts the status that was sent.
func TestRecorderWritesHeaderOnce(t *testing.T) {
	s := testServer(t)
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		code int
	}{
		{"header twice", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			w.WriteHeader(http.StatusInternalServerError)
		}, 404},
		{"header after body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "partial")
			w.WriteHeader(http.StatusInternalServerError)
		}, 200},
		{"header after flush", func(w http.ResponseWriter, r *http.Request) {
			_ = http.NewResponseController(w).Flush()
			w.WriteHeader(http.StatusInternalServerError)
		}, 200},
		{"panic after body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "partial")
			panic("boom")
		}, 200},
		{"early hints then status", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusTeapot)
		}, 418},
	} {
		t.Run(tc.name, func(t *testing.T) {
			route := "test-" + strings.ReplaceAll(tc.name, " ", "-")
			var logBuf syncBuffer
			srv := httptest.NewUnstartedServer(s.route(route, tc.h))
			srv.Config.ErrorLog = log.New(&logBuf, "", 0)
			srv.Start()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			srv.Close() // waits for the handler, and its log
			if resp.StatusCode != tc.code {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.code)
			}
			if strings.Contains(logBuf.String(), "superfluous") {
				t.Errorf("server logged:\n%s", logBuf.String())
			}
			if n := counterValue(t, s, "trustline_node_http_requests_total", "route", route, "code", strconv.Itoa(tc.code)); n != 1 {
				t.Errorf("requests{route=%q,code=%d} = %v, want 1", route, tc.code, n)
			}
		})
	}
}

// A consumer page whose client went away mid-write gets no error page
// (and so no second status) after it: under load this was the node's
// "superfluous response.WriteHeader call".
func TestPageWriteFailureWritesNoSecondHeader(t *testing.T) {
	s := testServer(t)
	w := &strictWriter{t: t, h: http.Header{}, failing: true}
	r := httptest.NewRequest("GET", "/01/"+gtinB+"/10/J1", nil)
	r.Header.Set("Accept", browser)
	s.ServeHTTP(w, r)
	if w.code != http.StatusOK {
		t.Errorf("status %d, want the page's 200", w.code)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// counterValue is the value of the counter name with the label pairs
// given, as the Server's /metrics registry has it (0 when absent).
func counterValue(t *testing.T, s *Server, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := s.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// With anchoring, /healthz carries its health (degraded while its steps
// fail, with the lag and the last error) and /metrics its figures.
func TestAnchoringHealthAndMetrics(t *testing.T) {
	s0 := testServer(t)
	st := anchoring.Status{Anchored: true, LastBlock: 5, Anchors: 2, GasUsed: 61234, Failures: 3, Failing: true, LastError: "anchoring: dial tcp: connection refused"}
	s := New(s0.idx, &Options{Logger: s0.log, Anchoring: func() anchoring.Status { return st }})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var h Health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	height := s0.idx.Checkpoint().NextBlock()
	if h.Status != "degraded" || h.Anchoring == nil || h.Anchoring.State != "degraded" || h.Anchoring.LagBlocks != height-6 ||
		h.Anchoring.LastError != st.LastError || h.Anchoring.LastBlock != 5 {
		t.Errorf("healthz %s", rec.Body)
	}
	st.Failing = false
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if !strings.Contains(rec.Body.String(), `"status":"ok"`) {
		t.Errorf("healthz after recovery %s", rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		"trustline_node_anchoring_last_block 5",
		fmt.Sprintf("trustline_node_anchoring_lag_blocks %d", height-6),
		"trustline_node_anchoring_failures_total 3",
		"trustline_node_anchoring_anchors_total 2",
		"trustline_node_anchoring_gas_used_total 61234",
		"trustline_node_follower_parse_errors_total 0",
	} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestIndexCacheMetrics: /metrics reports the index's block cache, its
// capacity and its use, and the record table: the records it holds (the
// supply sequence's lots, written by its applies), its bytes and its
// capacity (the block cache and the table share the default 512 MiB).
func TestIndexCacheMetrics(t *testing.T) {
	s := New(indextest.Supply(t), &Options{Logger: slog.New(slog.DiscardHandler)})
	for _, p := range tracePaths(t) {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p+"?format=json", nil))
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"trustline_node_index_cache_capacity_bytes 1.34217728e+08\n", "trustline_node_index_record_table_capacity_bytes 4.02653184e+08\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
	for _, name := range []string{"trustline_node_index_cache_bytes", "trustline_node_index_cache_hits_total", "trustline_node_index_cache_misses_total",
		"trustline_node_index_record_table_records", "trustline_node_index_record_table_bytes"} {
		var v float64
		i := strings.Index(body, "\n"+name+" ")
		if i < 0 {
			t.Errorf("no %s", name)
			continue
		}
		if _, err := fmt.Sscan(body[i+len(name)+2:], &v); err != nil || v < 0 || (strings.Contains(name, "record_table") && v == 0) {
			t.Errorf("%s: %v %v", name, v, err)
		}
	}
}
