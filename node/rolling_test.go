package node

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
)

// chainSource serves a fixed chain, each block after delay; a stream
// stays open at its end, as a peer's does.
type chainSource struct {
	chain []follower.Block
	delay time.Duration
}

func (s *chainSource) Blocks(ctx context.Context, start uint64) (<-chan follower.Block, error) {
	out := make(chan follower.Block)
	go func() {
		defer close(out)
		for _, b := range s.chain[min(int(start), len(s.chain)):] {
			select {
			case <-time.After(s.delay):
			case <-ctx.Done():
				return
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return out, nil
}

func (s *chainSource) Height(context.Context) (uint64, error) { return uint64(len(s.chain)), nil }

// fixtureChain is the index package's supply fixture as blocks, followed
// by blocks without a trustline transaction up to height blocks.
func fixtureChain(t testing.TB, height int) []follower.Block {
	t.Helper()
	chain := make([]follower.Block, height)
	for i := range chain {
		chain[i] = follower.Block{Number: uint64(i), Txs: []follower.Tx{{ID: fmt.Sprintf("config%d", i), Valid: true}}}
	}
	for _, s := range indextest.SupplySteps(t) {
		p, err := json.Marshal(s.Event)
		if err != nil {
			t.Fatal(err)
		}
		b := &chain[s.Block]
		for len(b.Txs) <= s.Tx {
			b.Txs = append(b.Txs, follower.Tx{ID: fmt.Sprintf("other%d.%d", s.Block, len(b.Txs)), Valid: true})
		}
		b.Txs[s.Tx] = follower.Tx{ID: s.Event.TxID, Valid: true, Event: &follower.ChaincodeEvent{Name: ledger.EventName, Payload: p}}
	}
	return chain
}

var quiet = slog.New(slog.DiscardHandler)

// follow applies chain to idx as a node does.
func follow(t testing.TB, idx *index.Index, chain []follower.Block) {
	t.Helper()
	f := follower.New(&chainSource{chain: chain}, idx, &follower.Options{StopAt: uint64(len(chain)), Logger: quiet})
	if err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// oldIndex writes an index of chain in dir with a node-local record, as
// written by layout.
func oldIndex(t testing.TB, dir string, chain []follower.Block, layout int) {
	t.Helper()
	idx, err := index.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	follow(t, idx, chain)
	if err := idx.LocalPut("queries", "mine", []byte(`{"kept":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	indextest.SetLayout(t, dir, layout)
}

// fresh is a new in-memory index of chain and the API over it.
func fresh(t testing.TB, chain []follower.Block) (*index.Index, http.Handler) {
	t.Helper()
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	follow(t, idx, chain)
	return idx, api.New(idx, nil)
}

func juicePath(t testing.TB) string {
	t.Helper()
	for _, s := range indextest.SupplySteps(t) {
		for _, l := range s.Event.Lots {
			if l.Lot == "J1" {
				return "/01/" + l.GTIN + "/10/J1?format=json"
			}
		}
	}
	t.Fatal("no lot J1 in the fixture")
	return ""
}

// load asks path of h until stop is closed, counting the answers by
// status code.
type load struct {
	mu    sync.Mutex
	codes map[int]int
	stop  chan struct{}
	done  chan struct{}
}

func startLoad(t *testing.T, url string) *load {
	l := &load{codes: map[int]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			select {
			case <-l.stop:
				return
			default:
			}
			code := 0
			if resp, err := http.Get(url); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			l.mu.Lock()
			l.codes[code]++
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *load) snapshot() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int]int{}
	for k, v := range l.codes {
		out[k] = v
	}
	return out
}

func (l *load) end() map[int]int {
	close(l.stop)
	<-l.done
	return l.snapshot()
}

func getJSON(t testing.TB, url string, v any) (int, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	return resp.StatusCode, resp.Header
}

func openStackFor(idx *index.Index) (http.Handler, func(), error) {
	s := api.New(idx, nil)
	return s, s.CloseStreams, nil
}

// A node whose index has an older layout serves it throughout the
// rebuild: every request of a steady load is answered 200, before,
// during and after the swap; after it the index has the digest, and the
// trace the ETag, of an index built afresh, and keeps the node-local
// records.
func TestRollingRebuildServesThroughout(t *testing.T) {
	chain := fixtureChain(t, 120)
	live := filepath.Join(t.TempDir(), "index")
	oldIndex(t, live, chain, index.Layout-1)

	r, err := openRolling(live, &chainSource{chain: chain, delay: 5 * time.Millisecond}, follower.Options{MinBackoff: 10 * time.Millisecond, Logger: quiet}, quiet, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	if r.old == nil || r.oldLayout != index.Layout-1 {
		t.Fatalf("old index served: %v, layout %d", r.old != nil, r.oldLayout)
	}
	sh := &servingHandler{}
	sh.set(r.handler(api.Options{Logger: quiet}))
	ts := httptest.NewServer(sh)
	defer ts.Close()
	path := juicePath(t)
	l := startLoad(t, ts.URL+path)

	built := make(chan error, 1)
	go func() { built <- r.build(context.Background()) }()
	var h api.Health
	for deadline := time.Now().Add(10 * time.Second); ; {
		if code, _ := getJSON(t, ts.URL+"/healthz", &h); code != 200 {
			t.Fatalf("/healthz during the rebuild: %d", code)
		}
		if h.Rebuild != nil && h.Rebuild.NextBlock > 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if h.Status != "rebuilding" || h.Rebuild == nil || h.Rebuild.Serving != "old index" || h.Rebuild.Target != 120 || h.Rebuild.Percent <= 0 || h.Rebuild.Percent >= 100 {
		t.Fatalf("/healthz during the rebuild: %+v %+v", h, h.Rebuild)
	}
	during := l.snapshot()
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	idx, err := r.swap(sh, openStackFor)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	time.Sleep(100 * time.Millisecond)
	codes := l.end()
	t.Logf("answers during the rebuild %v, in all %v", during, codes)
	if len(codes) != 1 || codes[200] == 0 || during[200] == 0 || codes[200] == during[200] {
		t.Fatalf("answers %v (during the rebuild %v): want 200 only, before and after the swap", codes, during)
	}

	want, wantAPI := fresh(t, chain)
	wd, _ := want.Digest()
	gd, err := idx.Digest()
	if err != nil || gd != wd {
		t.Fatalf("digest after the swap %s (%v), a fresh index's %s", gd, err, wd)
	}
	if cp := idx.Checkpoint(); cp.Layout != index.Layout || cp.NextBlock() != 120 {
		t.Fatalf("checkpoint after the swap: %+v", cp)
	}
	_, hdr := getJSON(t, ts.URL+path, nil)
	rec := httptest.NewRecorder()
	wantAPI.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if hdr.Get("ETag") == "" || hdr.Get("ETag") != rec.Header().Get("ETag") {
		t.Fatalf("ETag after the swap %q, a fresh index's %q", hdr.Get("ETag"), rec.Header().Get("ETag"))
	}
	if v, ok, err := idx.LocalGet("queries", "mine"); err != nil || !ok || string(v) != `{"kept":true}` {
		t.Fatalf("node-local record after the swap: %q %v %v", v, ok, err)
	}
	for _, d := range []string{live + sideSuffix, live + oldSuffix} {
		if exists(d) {
			t.Errorf("%s left after the swap", d)
		}
	}
	h = api.Health{}
	if code, _ := getJSON(t, ts.URL+"/healthz", &h); code != 200 || h.Rebuild != nil {
		t.Fatalf("/healthz after the swap: %d %+v", code, h)
	}
}

// An index of a layout this trustline cannot serve is not refused: every
// request is answered 503 problem+json "rebuilding, N%" until the new
// index is swapped in, /healthz and /metrics show the progress.
func TestRollingRebuildUnservableLayout(t *testing.T) {
	_, r, sh, ts := rebuildFixture(t, index.OldestServed-1, false)
	path := juicePath(t)

	var p api.Problem
	code, hdr := getJSON(t, ts.URL+path, &p)
	if code != 503 || hdr.Get("Content-Type") != "application/problem+json" || hdr.Get("Retry-After") == "" ||
		!strings.HasPrefix(p.Detail, "rebuilding, 0.0%") || p.Type != api.ProblemTypePrefix+"rebuilding" {
		t.Fatalf("during the rebuild: %d %v %+v", code, hdr, p)
	}
	var h api.Health
	if code, _ := getJSON(t, ts.URL+"/healthz", &h); code != 503 || h.Status != "rebuilding" || h.Rebuild == nil ||
		h.Rebuild.Serving != "none" || h.Rebuild.FromLayout != index.OldestServed-1 || h.Rebuild.ToLayout != index.Layout {
		t.Fatalf("/healthz: %d %+v", code, h)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), "trustline_node_index_rebuild_ratio 0") {
		t.Fatalf("/metrics:\n%s", m)
	}
	if err := r.build(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.status(); st.Percent != 100 || st.NextBlock != 40 {
		t.Fatalf("status when built: %+v", st)
	}
	idx, err := r.swap(sh, openStackFor)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if code, _ := getJSON(t, ts.URL+path, nil); code != 200 {
		t.Fatalf("after the swap: %d", code)
	}
	// Node-local records of a layout that cannot be served are not carried over.
	if _, ok, _ := idx.LocalGet("queries", "mine"); ok {
		t.Fatal("node-local record of an unservable layout carried over")
	}
}

// rebuildFixture opens a rolling rebuild of the index of a 40-block
// fixture chain written at layout (replaceNewer: as node start --rebuild)
// and serves it (serveRolling).
func rebuildFixture(t *testing.T, layout int, replaceNewer bool) ([]follower.Block, *rolling, *servingHandler, *httptest.Server) {
	t.Helper()
	chain := fixtureChain(t, 40)
	live := filepath.Join(t.TempDir(), "index")
	oldIndex(t, live, chain, layout)
	r, err := openRolling(live, &chainSource{chain: chain}, follower.Options{Logger: quiet}, quiet, replaceNewer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.close() })
	sh, ts := serveRolling(t, r)
	return chain, r, sh, ts
}

// serveRolling serves r's handler behind a test server, through the
// handler a swap replaces.
func serveRolling(t *testing.T, r *rolling) (*servingHandler, *httptest.Server) {
	t.Helper()
	sh := &servingHandler{}
	sh.set(r.handler(api.Options{Logger: quiet}))
	ts := httptest.NewServer(sh)
	t.Cleanup(ts.Close)
	return sh, ts
}

// A newer layout is still refused: this trustline cannot read it.
func TestRollingRebuildRefusesNewerLayout(t *testing.T) {
	chain := fixtureChain(t, 12)
	live := filepath.Join(t.TempDir(), "index")
	oldIndex(t, live, chain, index.Layout+1)
	_, err := openRolling(live, &chainSource{chain: chain}, follower.Options{Logger: quiet}, quiet, false)
	if !errors.Is(err, index.ErrLayout) {
		t.Fatalf("openRolling: %v, want a LayoutError", err)
	}
}

// Asked to rebuild (node start --rebuild), an index of a newer layout is
// rebuilt for this trustline: 503 "rebuilding" until the swap, which
// replaces it with an index equal to a fresh one.
func TestRollingRebuildReplacesNewerLayoutWhenAsked(t *testing.T) {
	chain, r, sh, ts := rebuildFixture(t, index.Layout+1, true)
	path := juicePath(t)
	var p api.Problem
	code, hdr := getJSON(t, ts.URL+path, &p)
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.HasPrefix(p.Detail, "rebuilding, 0.0%") ||
		!strings.Contains(p.Detail, fmt.Sprintf("layout %d to %d", index.Layout+1, index.Layout)) {
		t.Fatalf("during the rebuild: %d %v %+v", code, hdr, p)
	}
	if err := r.build(context.Background()); err != nil {
		t.Fatal(err)
	}
	idx, err := r.swap(sh, openStackFor)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if code, _ := getJSON(t, ts.URL+path, nil); code != 200 {
		t.Fatalf("after the swap: %d", code)
	}
	want, _ := fresh(t, chain)
	wd, err1 := want.Digest()
	gd, err2 := idx.Digest()
	if err := errors.Join(err1, err2); err != nil || wd != gd || idx.Checkpoint().Layout != index.Layout {
		t.Fatalf("replaced index: digest %s layout %d, fresh %s, %v", gd, idx.Checkpoint().Layout, wd, err)
	}
}

// rollingChildEnv runs TestRollingRebuildChild as the child of
// TestRollingRebuildKilled: a rebuild into the data directory it names,
// printing its progress, until it is killed.
const rollingChildEnv = "TRUSTLINE_TEST_ROLLING_CHILD"

func TestRollingRebuildChild(t *testing.T) {
	live := os.Getenv(rollingChildEnv)
	if live == "" {
		return // only as TestRollingRebuildKilled's child
	}
	r, err := openRolling(live, &chainSource{chain: fixtureChain(t, 400), delay: 10 * time.Millisecond}, follower.Options{Logger: quiet}, quiet, false)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			fmt.Printf("block %d\n", r.status().NextBlock)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	r.build(context.Background())
	t.Fatal("the child was not killed before its rebuild ended")
}

// kill -9 in the middle of a rolling rebuild: at the next start the old
// index serves again and the rebuild resumes from its last commit, then
// swaps in an index equal to a fresh one.
func TestRollingRebuildKilled(t *testing.T) {
	chain := fixtureChain(t, 400)
	live := filepath.Join(t.TempDir(), "index")
	oldIndex(t, live, chain, index.Layout-1)

	cmd := exec.Command(os.Args[0], "-test.run=^TestRollingRebuildChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), rollingChildEnv+"="+live)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var at uint64
	for sc.Scan() {
		if n, err := strconv.ParseUint(strings.TrimPrefix(sc.Text(), "block "), 10, 64); err == nil && n >= 100 {
			at = n
			break
		}
	}
	cmd.Process.Kill() // SIGKILL
	go io.Copy(io.Discard, out)
	cmd.Wait()
	if at == 0 {
		t.Fatal("the child printed no progress")
	}

	r, err := openRolling(live, &chainSource{chain: chain}, follower.Options{Logger: quiet}, quiet, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	resumed := r.idx.Checkpoint().NextBlock()
	t.Logf("killed at block %d; resumed from block %d", at, resumed)
	// The index being built commits without waiting for the disk: the
	// kill may lose its latest commits (what Pebble had not yet written
	// of its log), never part of one.
	if resumed == 0 || resumed > at+1 {
		t.Fatalf("resumed from block %d, killed at %d", resumed, at)
	}
	sh, ts := serveRolling(t, r)
	if code, _ := getJSON(t, ts.URL+juicePath(t), nil); code != 200 {
		t.Fatalf("the old index after the kill: %d", code)
	}
	if err := r.build(context.Background()); err != nil {
		t.Fatal(err)
	}
	idx, err := r.swap(sh, openStackFor)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	want, _ := fresh(t, chain)
	wd, _ := want.Digest()
	if gd, _ := idx.Digest(); gd != wd {
		t.Fatalf("digest after the resumed rebuild %s, a fresh index's %s", gd, wd)
	}
	if cp, wcp := idx.Checkpoint(), want.Checkpoint(); cp.Events != wcp.Events {
		t.Fatalf("events after the resumed rebuild %d, a fresh index's %d", cp.Events, wcp.Events)
	}
}

// A crash inside the swap is completed or undone at the next start.
func TestRecoverSwap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		present []string // of "index", "index.old", "index.rolling"
		want    string   // what index holds after recovery ("": none)
		left    []string
	}{
		{"between the renames", []string{"index.old", "index.rolling"}, "index.rolling", nil},
		{"offline rebuild between the renames", []string{"index.old"}, "index.old", nil},
		{"old not yet removed", []string{"index", "index.old"}, "index", nil},
		{"rebuild under way", []string{"index", "index.rolling"}, "index", []string{"index.rolling"}},
		{"nothing", nil, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, p := range tc.present {
				if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, p, "was"), []byte(p), 0o644)
			}
			live := filepath.Join(dir, "index")
			if err := recoverSwap(live); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(filepath.Join(live, "was"))
			if string(got) != tc.want {
				t.Fatalf("index holds %q, want %q", got, tc.want)
			}
			ents, _ := os.ReadDir(dir)
			var left []string
			for _, e := range ents {
				if e.Name() != "index" {
					left = append(left, e.Name())
				}
			}
			if fmt.Sprint(left) != fmt.Sprint(tc.left) {
				t.Fatalf("left %v, want %v", left, tc.left)
			}
		})
	}
}

// The swap waits for the requests in flight, which finish on the old
// handler; requests arriving meanwhile wait and get the new one.
func TestServingHandlerSwapWaitsForRequests(t *testing.T) {
	release := make(chan struct{})
	var started atomic.Bool
	sh := &servingHandler{}
	sh.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Store(true)
		<-release
		io.WriteString(w, "old")
	}), nil)
	ts := httptest.NewServer(sh)
	defer ts.Close()
	first := make(chan string, 1)
	go func() {
		resp, err := http.Get(ts.URL)
		if err != nil {
			first <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		first <- string(b)
	}()
	for !started.Load() {
		time.Sleep(time.Millisecond)
	}
	swapped := make(chan error, 1)
	go func() {
		swapped <- sh.swap(func() (http.Handler, func(), error) {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "new") }), nil, nil
		})
	}()
	select {
	case <-swapped:
		t.Fatal("swapped while a request was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if got := <-first; got != "old" {
		t.Fatalf("request in flight answered %q", got)
	}
	if err := <-swapped; err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "new" {
		t.Fatalf("after the swap %q", b)
	}
}
