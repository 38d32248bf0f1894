package node

// Rolling index rebuild: a node whose index was written with an older
// layout (or started with Options.Rebuild) keeps serving while it builds a
// new index behind it, then swaps it in.
//
//   - The old index is opened read-only (index.OpenOld) and served, frozen
//     at its height, without receipts, anchoring, capture or subscriptions,
//     which write or depend on the anchored records; if its layout is older
//     than index.OldestServed, every request is answered 503 problem+json
//     "rebuilding, N%" instead, with the progress on /healthz.
//   - The new index is built in dataDir/index.rolling from block 0 by a
//     follower of the org's peer, until it reaches the old index's height,
//     then the ledger's.
//   - The swap: the node-local records (anchors, named queries,
//     subscriptions, scan counts) are copied from the old index, and the
//     rest of the node is connected (Node.swapIn: the anchoring chain's
//     dial may take a minute) while the old index still serves; then,
//     under the server's lock (requests in flight finish on the old index,
//     new ones wait), the old index is closed, index is renamed to
//     index.old and index.rolling to index, the new one is opened with the
//     rest of the node over it (which connects to nothing), and index.old
//     is removed.
//   - A crash at any point leaves the old index serving at the next start:
//     the rebuild resumes from index.rolling's checkpoint (each of its
//     commits is whole), and a swap interrupted between its two renames is
//     completed (recoverSwap).
//
// Progress is logged, on /healthz ("rebuild") and in /metrics
// (trustline_node_index_rebuild_*).

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
)

// Suffixes of the index directory during a rolling rebuild.
const (
	sideSuffix = ".rolling" // the index being built
	oldSuffix  = ".old"     // the old index, between the two renames of a swap
)

// catchUpBlocks: a rebuild that has reached the ledger's height within
// this many blocks swaps; the node's follower applies the rest.
const catchUpBlocks = 16

// rolling is a rolling rebuild under way.
type rolling struct {
	live, side string
	src        follower.Source
	fopts      follower.Options
	log        *slog.Logger
	cacheSize  int64 // the caches of the index swapped in (Config.IndexCache)

	old       *index.Index // nil when its layout cannot be served
	oldLayout int
	oldNext   uint64       // the old index's height
	idx       *index.Index // the index being built, in side

	started time.Time
	target  atomic.Uint64
	events  atomic.Uint64
}

// openRolling opens the old index in live for serving and the index
// being built, resumed from an earlier run when it can be. An old index
// of a newer layout than this trustline's is refused (*index.LayoutError)
// unless replaceNewer: then, as one too old, it is not served (503) and
// the swap replaces it.
func openRolling(live string, src follower.Source, fopts follower.Options, log *slog.Logger, replaceNewer bool) (*rolling, error) {
	r := &rolling{live: live, side: live + sideSuffix, src: src, fopts: fopts, log: log, started: time.Now()}
	ilog := log.With("component", "index")
	old, err := index.OpenOld(live, &index.Options{Logger: ilog})
	var le *index.LayoutError
	switch {
	case replaceNewer && errors.As(err, &le) && le.Have > index.Layout:
		r.oldLayout = le.Have
		log.Warn("the index was written by a newer trustline: rebuilding it from block 0 for this one, as asked (--rebuild); "+
			"answering 503 until the new index is built, which then replaces it",
			"layout", le.Have, "layout.new", index.Layout, "dir", live)
	case err != nil:
		return nil, err
	}
	if old != nil {
		cp := old.Checkpoint()
		r.oldLayout, r.oldNext = cp.Layout, cp.NextBlock()
		if cp.Valid && cp.Layout < index.OldestServed {
			old.Close()
			log.Warn("the index's layout cannot be served by this trustline: answering 503 until the new index is built",
				"layout", cp.Layout, "oldestServed", index.OldestServed, "layout.new", index.Layout)
		} else {
			r.old = old
		}
	}
	r.idx, err = index.Open(r.side, &index.Options{NoSync: true, Logger: ilog})
	if err != nil {
		// Another layout, or damaged: it is only a rebuild, start it again.
		log.Warn("discarding an earlier rolling rebuild; starting it again from block 0", "dir", r.side, "err", err)
		if err := os.RemoveAll(r.side); err != nil {
			r.closeOld()
			return nil, err
		}
		if r.idx, err = index.Open(r.side, &index.Options{NoSync: true, Logger: ilog}); err != nil {
			r.closeOld()
			return nil, err
		}
	}
	cp := r.idx.Checkpoint()
	r.events.Store(cp.Events)
	log.Info("rolling index rebuild", "layout.old", r.oldLayout, "layout.new", index.Layout,
		"serving", r.serving(), "oldHeight", r.oldNext, "resumeFromBlock", cp.NextBlock())
	return r, nil
}

func (r *rolling) serving() string {
	if r.old == nil {
		return "none"
	}
	return "old index"
}

// status is the rebuild's progress.
func (r *rolling) status() api.RebuildStatus {
	next := r.idx.Checkpoint().NextBlock()
	target := r.target.Load()
	pct := 0.0
	if target > 0 {
		pct = math.Floor(1000*math.Min(1, float64(next)/float64(target))) / 10
	}
	return api.RebuildStatus{FromLayout: r.oldLayout, ToLayout: index.Layout, Serving: r.serving(),
		NextBlock: next, Target: target, Percent: pct, Events: r.events.Load(), Started: r.started}
}

// handler is what serves during the rebuild, and what ends its streams:
// the API over the old index with base's options, or the 503 answer.
func (r *rolling) handler(base api.Options) (http.Handler, func()) {
	if r.old == nil {
		return newRebuildingHandler(r.status), func() {}
	}
	base.Rebuild = r.status
	s := api.New(r.old, &base)
	return s, s.CloseStreams
}

// build follows the peer into the new index until it reaches the old
// index's height and then the ledger's (within catchUpBlocks). It returns
// nil when done, ctx's error when stopped, or the index's failure.
func (r *rolling) build(ctx context.Context) error {
	last := time.Now()
	for round := 0; ; round++ {
		h, err := r.height(ctx)
		if err != nil {
			return err
		}
		next := r.idx.Checkpoint().NextBlock()
		target := max(h, r.oldNext)
		if target <= next || round > 0 && target-next <= catchUpBlocks || round >= 4 {
			r.target.Store(max(target, next))
			return nil
		}
		r.target.Store(target)
		fo := r.fopts
		fo.StopAt = target
		fo.OnBlock = func(b uint64, n int) {
			r.events.Add(uint64(n))
			if time.Since(last) >= 5*time.Second {
				last = time.Now()
				st := r.status()
				r.log.Info("rebuilding the index behind the served one", "block", b, "target", st.Target,
					"percent", st.Percent, "events", st.Events)
			}
		}
		if err := follower.New(r.src, r.idx, &fo).Run(ctx); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// height is the ledger height, asked again until the peer answers.
func (r *rolling) height(ctx context.Context) (uint64, error) {
	wait := cmp.Or(r.fopts.MinBackoff, 500*time.Millisecond)
	for {
		h, err := r.src.Height(ctx)
		if err == nil {
			return h, nil
		}
		r.log.Warn("reading the ledger height for the rolling rebuild", "err", err)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, cmp.Or(r.fopts.MaxBackoff, 30*time.Second))
	}
}

// swap makes the rebuilt index the live one (see the file's comment) and
// serves open's handler over it; it returns the live index. The caller
// must not use r afterwards.
func (r *rolling) swap(sh *servingHandler, open func(*index.Index) (http.Handler, func(), error)) (*index.Index, error) {
	if r.old != nil {
		n, err := r.old.CopyLocal(r.idx)
		if err != nil {
			return nil, err
		}
		r.log.Info("copied the node-local records into the rebuilt index", "records", n)
	} else {
		r.log.Warn("the node-local records of an index of a layout that cannot be served are not carried over (anchors are found on chain again)")
	}
	if err := r.idx.Close(); err != nil { // flushes its unsynced writes
		return nil, err
	}
	var live *index.Index
	err := sh.swap(func() (http.Handler, func(), error) {
		r.closeOld()
		if err := swapDirs(r.live, r.side); err != nil {
			return nil, nil, err
		}
		idx, err := index.Open(r.live, &index.Options{CacheSize: r.cacheSize, Logger: r.log.With("component", "index")})
		if err != nil {
			return nil, nil, err
		}
		h, closeStreams, err := open(idx)
		if err != nil {
			idx.Close()
			return nil, nil, err
		}
		live = idx
		return h, closeStreams, nil
	})
	if err != nil {
		return nil, err
	}
	r.log.Info("swapped in the rebuilt index", "layout", index.Layout, "fromBlock", live.Checkpoint().NextBlock(),
		"events", live.Checkpoint().Events, "took", time.Since(r.started).Round(time.Millisecond))
	return live, nil
}

func (r *rolling) closeOld() {
	if r.old != nil {
		r.old.Close()
		r.old = nil
	}
}

// close releases a rebuild that did not swap; index.rolling stays, to be
// resumed.
func (r *rolling) close() error {
	r.closeOld()
	err := r.idx.Close()
	if errors.Is(err, index.ErrClosed) {
		return nil
	}
	return err
}

// swapDirs puts the index in side at live: live → live.old, side → live,
// then live.old is removed. Each rename is atomic, and recoverSwap
// completes a swap a crash interrupted between them.
func swapDirs(live, side string) error {
	old := live + oldSuffix
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if err := os.Rename(live, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(side, live); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(live)); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// recoverSwap completes a swap a crash interrupted: with no index at live
// but live.old, the side index was complete when the swap began (a
// rolling rebuild's) and takes its place; without one, live.old comes
// back. A live.old left after a completed swap is removed.
func recoverSwap(live string) error {
	old, side := live+oldSuffix, live+sideSuffix
	if !exists(live) && exists(old) {
		from := old
		if exists(side) {
			from = side
		}
		if err := os.Rename(from, live); err != nil {
			return fmt.Errorf("completing an interrupted index swap: %w", err)
		}
		if err := syncDir(filepath.Dir(live)); err != nil {
			return err
		}
	}
	if exists(live) && exists(old) {
		return os.RemoveAll(old)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// servingHandler is the node's HTTP handler, which a swap replaces: each
// request runs under its read lock, so a swap (the write lock) waits for
// the requests in flight, which finish on what they started with, while
// new ones wait for the swap.
type servingHandler struct {
	mu           sync.RWMutex
	h            http.Handler
	closeStreams func()
}

func (s *servingHandler) set(h http.Handler, closeStreams func()) {
	s.mu.Lock()
	s.h, s.closeStreams = h, closeStreams
	s.mu.Unlock()
}

func (s *servingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.h.ServeHTTP(w, r)
}

// CloseStreams ends the current handler's streams (server shutdown).
func (s *servingHandler) CloseStreams() {
	s.mu.RLock()
	cs := s.closeStreams
	s.mu.RUnlock()
	if cs != nil {
		cs()
	}
}

// swap runs fn with no request in flight and serves its handler. Streams
// (badges, EPCIS query streams) never end on their own: they are ended,
// again while the lock is awaited, since one may start meanwhile; their
// clients reconnect to the new handler.
func (s *servingHandler) swap(fn func() (http.Handler, func(), error)) error {
	s.mu.RLock()
	cs := s.closeStreams
	s.mu.RUnlock()
	locked := make(chan struct{})
	if cs != nil {
		cs()
		go func() {
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-locked:
					return
				case <-t.C:
					cs()
				}
			}
		}()
	}
	s.mu.Lock()
	close(locked)
	defer s.mu.Unlock()
	h, closeStreams, err := fn()
	if err != nil {
		// What served may be closed: answer 503 until the node stops.
		s.h, s.closeStreams = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, http.StatusServiceUnavailable, "unavailable", "Unavailable", "the node failed to swap in its rebuilt index: "+err.Error())
		}), nil
		return err
	}
	s.h, s.closeStreams = h, closeStreams
	return nil
}

// newRebuildingHandler answers every request 503 while the index is
// rebuilt and the old one cannot be served: problem+json with the
// progress, /healthz with the progress, /metrics with the rebuild's.
func newRebuildingHandler(status func() api.RebuildStatus) http.Handler {
	reg := prometheus.NewRegistry()
	api.RegisterRebuildMetrics(reg, status)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := status()
		switch r.URL.Path {
		case "/metrics":
			metrics.ServeHTTP(w, r)
		case "/healthz":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(api.Health{Status: "rebuilding", Rebuild: &st})
		default:
			w.Header().Set("Retry-After", "30")
			writeProblem(w, r, http.StatusServiceUnavailable, "rebuilding", "Rebuilding",
				fmt.Sprintf("rebuilding, %.1f%%: this node is rebuilding its index from the ledger (layout %d to %d) and serves again once it has caught up",
					st.Percent, st.FromLayout, st.ToLayout))
		}
	})
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, kind, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(api.Problem{Type: api.ProblemTypePrefix + kind, Title: title, Status: status, Detail: detail, Instance: r.URL.RequestURI()})
}
