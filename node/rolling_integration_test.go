package node_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// A real node whose index was written with an older layout, on the real
// testnet with a few thousand events on the ledger, keeps answering
// through its rolling rebuild from block 0 through the org's peer while
// writes keep committing: every request for a lot's trace JSON, page and
// badge is answered 200 (or, were the old layout not servable, the
// documented 503 problem+json with Retry-After), never a 500 or a broken
// connection. After the swap the node catches up; its digest equals a
// fresh rebuild's through the peer and a fresh node's, the ETags its
// pages carry equal the fresh node's, and every event committed during
// the rebuild is there once.
func TestIntegrationRollingRebuild(t *testing.T) {
	rollingRebuildUnderLoad(t, rollingCase{layout: index.Layout - 1})
}

// `trustline node start --rebuild` on a node whose index is of this
// layout: the same rebuild from block 0 behind the served index, forced
// by the operator.
func TestIntegrationRollingRebuildForced(t *testing.T) {
	rollingRebuildUnderLoad(t, rollingCase{args: []string{"--rebuild"}})
}

// An index the binary cannot serve. Written by a newer trustline, it is
// refused: exit 2 and one line naming both layouts and what to do, the
// index untouched; started as that line says (--rebuild), the node
// answers every request with the documented 503 until the rebuilt index
// replaces it. Written by a layout older than index.OldestServed, it is
// rebuilt from scratch behind the same 503, without being asked.
func TestIntegrationRollingRebuildUnservable(t *testing.T) {
	t.Run("newer", func(t *testing.T) {
		rollingRebuildUnderLoad(t, rollingCase{layout: index.Layout + 1, args: []string{"--rebuild"}, refusedFirst: true})
	})
	t.Run("older than served", func(t *testing.T) {
		rollingRebuildUnderLoad(t, rollingCase{layout: index.OldestServed - 1})
	})
}

// rollingCase is how a node's index is made to need a rebuild.
type rollingCase struct {
	layout       int      // the layout its checkpoint is set to; 0: left as written
	args         []string // added to the restart's node start
	refusedFirst bool     // a restart without args is refused first
}

// servable: the old index keeps serving during the rebuild.
func (c rollingCase) servable() bool {
	return c.layout == 0 || c.layout >= index.OldestServed && c.layout <= index.Layout
}

// rollingRebuildUnderLoad: a real node indexes a few thousand events
// written on the real testnet, is stopped, its index made to need a
// rebuild (c), and is restarted while writers commit and clients ask for
// a lot's trace JSON, page and badge; then it is compared with a fresh
// node and a fresh rebuild.
func rollingRebuildUnderLoad(t *testing.T, c rollingCase) {
	n := testkit.Network(t)
	bin := trustlineBinary(t)
	const gtin = "09506000134352"
	prod, _ := json.Marshal(ledger.ProductRequest{GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})
	if _, err := testkit.Contract(t, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(prod)); err != nil &&
		!strings.Contains(err.Error(), "already") {
		t.Fatalf("RegisterProduct: %v", err)
	}
	base, err := runIndexCmd(t, bin, "rebuild", "--testnet-org", testnet.Supplier, "--testnet-dir", n.Dir(),
		"--data-dir", t.TempDir(), "--to", filepath.Join(t.TempDir(), "base"))
	if err != nil {
		t.Fatal(err)
	}

	// The ledger: a few thousand events of lots, readings and units.
	l := &load{gtin: gtin, run: fmt.Sprintf("R%d", time.Now().UnixNano()%1e6)}
	supplier, brand := testkit.Contract(t, testnet.Supplier), testkit.Contract(t, testnet.Brand)
	writes := func(workers int) (stop func()) {
		var stopped atomic.Bool
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { l.worker(&stopped, w, supplier, brand) })
		}
		return func() { stopped.Store(true); wg.Wait() }
	}
	const seedEvents = 2500
	t0 := time.Now()
	stopSeed := writes(32)
	for l.valid.Load() < seedEvents && time.Since(t0) < 3*time.Minute {
		time.Sleep(200 * time.Millisecond)
	}
	stopSeed()
	seeded := l.valid.Load()
	l.mu.Lock()
	seedLots := slices.Clone(l.lots)
	l.mu.Unlock()
	if len(seedLots) == 0 {
		t.Fatalf("no lot written in %s", time.Since(t0))
	}
	t.Logf("ledger: %d events written in %s", seeded, time.Since(t0).Round(time.Second))

	// The node indexes it, then its index is made one of the layout before.
	p := &nodeProc{t: t, bin: bin, netDir: n.Dir(), data: t.TempDir(), listen: freeAddr(t), logPath: filepath.Join(t.TempDir(), "node.log")}
	p.start()
	waitIndexed(t, p)
	p.signal(syscall.SIGTERM)
	oldLayout := index.Layout
	if c.layout != 0 {
		oldLayout = c.layout
		indextest.SetLayout(t, filepath.Join(p.data, "index"), oldLayout)
	}
	if c.refusedFirst {
		refusedLayout(t, p, oldLayout)
	}
	p.args = c.args

	// Restarted, it rebuilds behind the old index while writes go on and
	// clients ask for a lot.
	stopWrites := writes(8)
	writesStopped := false
	defer func() {
		if !writesStopped {
			stopWrites()
		}
	}()
	p.start()
	defer func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() }()
	p.waitHealthy()
	lotPath := "/01/" + gtin + "/10/" + seedLots[0]
	cl := startClients(t, "http://"+p.listen, lotPath, 4)
	swap := watchRebuild(t, p)
	// Writes and requests go on a little after the swap.
	time.Sleep(3 * time.Second)
	stopWrites()
	writesStopped = true
	reqs := cl.end()
	l.settle(t)

	// The figures.
	var during, after, bad int
	codes := map[string]int{}
	var longest, longestSwap time.Duration
	for _, r := range reqs {
		codes[r.class()]++
		if !r.ok(c.servable()) {
			bad++
			if bad <= 10 {
				t.Errorf("%s %s at %s: %s", r.what, r.class(), r.start.Format(time.TimeOnly), r.detail)
			}
		}
		if r.end.Before(swap.last) {
			during++
		} else if r.start.After(swap.first) {
			after++
		}
		longest = max(longest, r.took)
		if r.end.After(swap.last.Add(-2*time.Second)) && r.start.Before(swap.first.Add(2*time.Second)) {
			longestSwap = max(longestSwap, r.took)
		}
	}
	took := swap.first.Sub(swap.status.Started)
	t.Logf("rolling rebuild layout %d -> %d of %d blocks, %d events in %s (%.0f events/s, from the node's start to the swap seen on /healthz)",
		swap.status.FromLayout, swap.status.ToLayout, swap.status.Target, swap.status.Events, took.Round(time.Millisecond),
		float64(swap.status.Events)/took.Seconds())
	t.Logf("requests: %d in all, %d answered during the rebuild, %d after the swap; by answer %v; longest %s, longest within 2s of the swap %s; %d events written during it; load average %s",
		len(reqs), during, after, codes, longest.Round(time.Millisecond), longestSwap.Round(time.Millisecond),
		l.valid.Load()-seeded, loadAvg())
	if during == 0 || after == 0 {
		t.Errorf("requests answered during the rebuild %d, after the swap %d: want some of each", during, after)
	}
	if c.servable() && codes["200"] == 0 {
		t.Errorf("the old index (layout %d, servable) answered no request 200", oldLayout)
	}
	if !c.servable() && (codes["503"] == 0 || codes["200"] == 0) {
		t.Errorf("an unservable index (layout %d): want 503 during the rebuild and 200 after the swap, got %v", oldLayout, codes)
	}
	if log, _ := os.ReadFile(p.logPath); !strings.Contains(string(log), "swapped in the rebuilt index") {
		t.Errorf("the node's log does not say it swapped in the rebuilt index:\n%s", tail(log, 2000))
	}

	// Caught up, the node and a fresh one hold the same index.
	q := &nodeProc{t: t, bin: bin, netDir: n.Dir(), data: t.TempDir(), listen: freeAddr(t), logPath: filepath.Join(t.TempDir(), "fresh.log")}
	q.start()
	defer func() { _ = q.cmd.Process.Kill(); _ = q.cmd.Wait() }()
	waitIndexed(t, p)
	waitIndexed(t, q)
	l.mu.Lock()
	lots := slices.Clone(l.lots)
	l.mu.Unlock()
	if len(lots) <= len(seedLots) {
		t.Fatal("no lot written during the rebuild")
	}
	sample := []string{seedLots[0], lots[len(seedLots)], lots[len(lots)-1]} // before, during and at the end of the rebuild
	for _, lot := range sample {
		for _, v := range []struct{ what, path, accept string }{
			{"trace", "/01/" + gtin + "/10/" + lot, "application/json"},
			{"page", "/01/" + gtin + "/10/" + lot, "text/html"},
			{"badge", "/badge/01/" + gtin + "/10/" + lot + ".svg", ""},
		} {
			pe, pc := etagOf(t, "http://"+p.listen+v.path, v.accept)
			qe, qc := etagOf(t, "http://"+q.listen+v.path, v.accept)
			if pc != 200 || qc != 200 || pe == "" || pe != qe {
				t.Errorf("%s of %s: rebuilt node %d %s, fresh node %d %s", v.what, lot, pc, pe, qc, qe)
			}
		}
	}
	p.signal(syscall.SIGTERM)
	q.signal(syscall.SIGTERM)
	v, err := runIndexCmd(t, bin, "verify", "--testnet-org", testnet.Supplier, "--testnet-dir", n.Dir(), "--data-dir", p.data)
	if err != nil {
		t.Fatal(err)
	}
	if v.Match == nil || !*v.Match || v.LiveDigest != v.Digest {
		t.Errorf("the rebuilt node's index differs from a fresh rebuild: %+v", v)
	}
	if want := base.Events + l.valid.Load(); v.LiveEvents != want {
		t.Errorf("events: rebuilt node %d, want %d before + %d written = %d (lost or doubled)", v.LiveEvents, base.Events, l.valid.Load(), want)
	}
	pi, qi := openIndex(t, filepath.Join(p.data, "index")), openIndex(t, filepath.Join(q.data, "index"))
	pd, err1 := pi.Digest()
	qd, err2 := qi.Digest()
	if err := errors.Join(err1, err2); err != nil || pd != qd || pi.Checkpoint().Layout != index.Layout {
		t.Errorf("digest: rebuilt node %s (layout %d), fresh node %s, %v", pd, pi.Checkpoint().Layout, qd, err)
	}
	missing := 0
	for _, lot := range lots {
		if _, err := pi.Lot(gtin, lot); err != nil {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d lots missing from the rebuilt node's index", missing, len(lots))
	}
	t.Logf("after the swap: digest %s = a fresh rebuild's and a fresh node's, %d events (%d before, %d written), %d lots present, ETags of %d lots equal",
		pd, v.LiveEvents, base.Events, l.valid.Load(), len(lots)-missing, len(sample))
}

// waitIndexed waits until the node p has indexed the ledger's height.
func waitIndexed(t *testing.T, p *nodeProc) {
	t.Helper()
	height, err := heightOf(t.Context(), t)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		h, err := p.health()
		if err == nil && h.Rebuild == nil && h.Index.Indexed && h.Index.IndexBlock+1 >= height {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(p.logPath)
			t.Fatalf("node did not reach height %d: %+v, %v\n%s", height, h, err, tail(log, 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func openIndex(t *testing.T, dir string) *index.Index {
	t.Helper()
	idx, err := index.Open(dir, &index.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

func etagOf(t *testing.T, url, accept string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Host = "trace.example" // the badge links to the page on the host asked
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("ETag"), resp.StatusCode
}

// rebuildSeen is what /healthz showed of a rolling rebuild: its last
// status, when it was last seen under way and first seen done.
type rebuildSeen struct {
	status      api.RebuildStatus
	last, first time.Time
}

// watchRebuild polls p's /healthz until the rebuild is swapped in.
func watchRebuild(t *testing.T, p *nodeProc) rebuildSeen {
	t.Helper()
	var s rebuildSeen
	deadline := time.Now().Add(5 * time.Minute)
	for {
		h, err := p.health()
		now := time.Now()
		switch {
		case err != nil:
		case h.Rebuild != nil:
			s.status, s.last = *h.Rebuild, now
		case s.last.IsZero():
			log, _ := os.ReadFile(p.logPath)
			t.Fatalf("the node serves without a rolling rebuild: %+v\n%s", h, tail(log, 4000))
		default:
			s.first = now
			return s
		}
		if now.After(deadline) {
			log, _ := os.ReadFile(p.logPath)
			t.Fatalf("no swap within 5 minutes: %+v\n%s", s.status, tail(log, 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// request is one answer a client got.
type request struct {
	what       string
	start, end time.Time
	took       time.Duration
	code       int
	ctype      string
	retryAfter string
	problem    api.Problem
	err        error
	detail     string
}

func (r request) class() string {
	if r.err != nil {
		return "error"
	}
	return fmt.Sprint(r.code)
}

// ok: 200, or the documented 503 while the old index cannot be served.
func (r request) ok(servable bool) bool {
	switch {
	case r.err != nil:
		return false
	case r.code == http.StatusOK:
		return true
	case r.code == http.StatusServiceUnavailable:
		return !servable && r.ctype == "application/problem+json" && r.retryAfter != "" &&
			strings.HasPrefix(r.problem.Detail, "rebuilding, ")
	}
	return false
}

// clients ask for one lot's trace JSON, page and badge in turn, from
// several goroutines, until end.
type clients struct {
	mu   sync.Mutex
	reqs []request
	stop atomic.Bool
	wg   sync.WaitGroup
}

func startClients(t *testing.T, base, lotPath string, n int) *clients {
	c := &clients{}
	kinds := []struct{ what, path, accept string }{
		{"trace", lotPath, "application/json"},
		{"page", lotPath, "text/html"},
		{"badge", "/badge" + lotPath + ".svg", ""},
	}
	for g := range n {
		c.wg.Go(func() {
			hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{}}
			defer hc.CloseIdleConnections()
			for i := g; !c.stop.Load(); i++ {
				k := kinds[i%len(kinds)]
				req, _ := http.NewRequest(http.MethodGet, base+k.path, nil)
				if k.accept != "" {
					req.Header.Set("Accept", k.accept)
				}
				r := request{what: k.what, start: time.Now()}
				resp, err := hc.Do(req)
				if err == nil {
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					r.code, r.ctype, r.retryAfter = resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After")
					if r.code != http.StatusOK {
						_ = json.Unmarshal(b, &r.problem)
						r.detail = string(tail(b, 300))
					}
				}
				var ne net.Error
				if err != nil {
					r.err, r.detail = err, err.Error()
					if errors.As(err, &ne) && ne.Timeout() {
						r.detail = "timeout: " + r.detail
					}
				}
				r.end = time.Now()
				r.took = r.end.Sub(r.start)
				c.mu.Lock()
				c.reqs = append(c.reqs, r)
				c.mu.Unlock()
			}
		})
	}
	return c
}

func (c *clients) end() []request {
	c.stop.Store(true)
	c.wg.Wait()
	return c.reqs
}

// refusedLayout starts p on its index of a newer layout than the binary
// reads: it must exit 2 with one line naming both layouts and what to
// do, and leave the index as it was.
func refusedLayout(t *testing.T, p *nodeProc, layout int) {
	t.Helper()
	cmd := exec.Command(p.bin, "node", "start", "--testnet-org", testnet.Supplier, "--testnet-dir", p.netDir, "--data-dir", p.data, "--listen", p.listen)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("node start on an index of layout %d: %v, want exit 2\n%s", layout, err, out)
	}
	var errLines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "Error:") || strings.Contains(l, "panic") {
			errLines = append(errLines, l)
		}
	}
	want := fmt.Sprintf("was written with layout %d, newer than this trustline's layout %d: run a trustline that reads layout %d, "+
		"or rebuild the index from the ledger for this one (trustline node start --rebuild", layout, index.Layout, layout)
	if len(errLines) != 1 || !strings.Contains(errLines[0], want) {
		t.Fatalf("node start on an index of layout %d: want one line %q, got:\n%s", layout, want, out)
	}
	db, err := pebble.Open(filepath.Join(p.data, "index"), &pebble.Options{Logger: quietPebble{}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	v, closer, err := db.Get([]byte("m\x00checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	var cp index.Checkpoint
	err = json.Unmarshal(v, &cp)
	closer.Close()
	db.Close()
	if err != nil || cp.Layout != layout {
		t.Fatalf("the refused index's checkpoint changed: layout %d, %v", cp.Layout, err)
	}
	t.Logf("refused in %s, exit 2: %s", time.Since(t0).Round(time.Millisecond), errLines[0])
}

type quietPebble struct{}

func (quietPebble) Infof(string, ...any)  {}
func (quietPebble) Errorf(string, ...any) {}
func (quietPebble) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
