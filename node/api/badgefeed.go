package api

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trustline/trustline/node/index"
)

// Badge streams at livestream scale. Thousands of viewers of one stream
// hold /badge/…/stream open on the same lot: each change of the lot must
// reach all of them quickly, and each open stream must cost little.
//
// Streams of the same badge (lot, unit, claim, language and base URL:
// the same bytes) share a feed. The index wakes the hub on every commit
// (index.Watch) with what it wrote; the hub wakes the streams of the lots
// written, and one goroutine per feed rebuilds its badge once — not once
// per stream — while they wait for it. A stream is woken through a
// channel of one slot and then takes the feed's latest event, sent only
// when it differs from the last it sent: a subscriber slower than the
// changes misses intermediate badges, never the latest (latest wins), and
// the hub never waits on a subscriber. Per stream the node keeps its handler goroutine, the
// connection's buffers, one subscription and a timer for pings; events
// are shared bytes.
//
// The node sets no limit on open streams: they are bounded by the
// process's file descriptors (one each) and memory (about 35 KB each,
// ~25 KB of it net/http's per connection; BenchmarkBadgeStreams measures
// 10,000 at once).

// streamWriteTimeout drops a subscriber that does not take an event (or
// ping) within it.
const streamWriteTimeout = 30 * time.Second

// feedKey identifies the bytes of a badge stream.
type feedKey struct {
	gtin, lot, serial, claim, lang, base string
}

// badgeFeed is the latest event of one badge and its streams.
type badgeFeed struct {
	key   feedKey
	build func() ([]byte, error)
	subs  map[*badgeSub]struct{}
	// state is read by the streams without the hub's lock: a change wakes
	// thousands of them at once, and each took the lock to read the same
	// bytes (BenchmarkBadgeStreams). It is written under the lock.
	state atomic.Pointer[feedState]
	// refreshing is true while a goroutine rebuilds the badge; dirty
	// asks it for another round (a change came in meanwhile).
	refreshing, dirty bool
}

// feedState is a feed's latest event, shared by its streams.
type feedState struct {
	// data is the latest event built (nil until a change); err ends the
	// streams (the badge no longer builds: a claim was superseded).
	data []byte
	err  error
	// ready, while a rebuild is under way, is closed when it is done.
	ready chan struct{}
}

// badgeHub keeps the feeds of the open badge streams.
type badgeHub struct {
	idx *index.Index
	log *slog.Logger

	mu     sync.Mutex
	feeds  map[lotRef]map[feedKey]*badgeFeed
	n      int    // subscribers
	stop   func() // ends the index watch; nil without subscribers
	closed bool
	done   chan struct{} // closed by Close: every stream ends
}

type lotRef struct{ gtin, lot string }

// badgeSub is one stream's subscription to its feed.
type badgeSub struct {
	h *badgeHub
	f *badgeFeed
	// C receives a value when the feed has a new event since the last
	// receive: a burst of changes wakes the stream once.
	C chan struct{}
}

func newBadgeHub(idx *index.Index, log *slog.Logger) *badgeHub {
	return &badgeHub{idx: idx, log: log, feeds: map[lotRef]map[feedKey]*badgeFeed{}, done: make(chan struct{})}
}

// subscribe joins the feed of key (build makes its event); the caller
// must close the subscription. Subscribe before reading the badge, so
// that no change falls in between.
func (h *badgeHub) subscribe(key feedKey, build func() ([]byte, error)) *badgeSub {
	h.mu.Lock()
	defer h.mu.Unlock()
	ref := lotRef{key.gtin, key.lot}
	fs := h.feeds[ref]
	if fs == nil {
		fs = map[feedKey]*badgeFeed{}
		h.feeds[ref] = fs
	}
	f := fs[key]
	if f == nil {
		f = &badgeFeed{key: key, build: build, subs: map[*badgeSub]struct{}{}}
		f.state.Store(&feedState{})
		fs[key] = f
	}
	sub := &badgeSub{h: h, f: f, C: make(chan struct{}, 1)}
	f.subs[sub] = struct{}{}
	if h.n++; h.n == 1 {
		h.stop = h.idx.Watch(h.changed)
	}
	return sub
}

// latest is the feed's latest event once the rebuild under way is done
// (nil: no rebuild since the stream began), or the error that ends it.
func (s *badgeSub) latest() ([]byte, error) {
	for {
		st := s.f.state.Load()
		if st.ready == nil {
			return st.data, st.err
		}
		select {
		case <-st.ready:
		case <-s.h.done:
			return st.data, st.err
		}
	}
}

// close ends the subscription; closing it again does nothing.
func (s *badgeSub) close() {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	f := s.f
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	if len(f.subs) == 0 {
		ref := lotRef{f.key.gtin, f.key.lot}
		delete(h.feeds[ref], f.key)
		if len(h.feeds[ref]) == 0 {
			delete(h.feeds, ref)
		}
	}
	if h.n--; h.n == 0 {
		h.stop()
		h.stop = nil
	}
}

// changed is the index watcher: it starts the rebuild of the feeds of
// every lot c touched and wakes their streams (which wait for the rebuild
// in latest), without blocking the apply that called it.
func (h *badgeHub) changed(c index.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ref, fs := range h.feeds {
		if !c.Lot(ref.gtin, ref.lot) {
			continue
		}
		for _, f := range fs {
			f.dirty = true
			if !f.refreshing {
				f.refreshing = true
				old := f.state.Load()
				f.state.Store(&feedState{data: old.data, err: old.err, ready: make(chan struct{})})
				go h.refresh(f)
			}
			for sub := range f.subs {
				select {
				case sub.C <- struct{}{}:
				default: // already woken: it will read the latest
				}
			}
		}
	}
}

// refresh rebuilds f's event until no change came in meanwhile.
func (h *badgeHub) refresh(f *badgeFeed) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for f.dirty {
		f.dirty = false
		h.mu.Unlock()
		data, err := f.build() // reads the index: unlocked
		h.mu.Lock()
		if err != nil {
			h.log.Warn("badge feed", "lot", f.key.lot, "claim", f.key.claim, "err", err)
		}
		if f.dirty {
			f.state.Store(&feedState{data: data, err: err, ready: f.state.Load().ready})
		} else {
			ready := f.state.Load().ready
			f.state.Store(&feedState{data: data, err: err})
			close(ready)
		}
	}
	f.refreshing = false
}

// Close ends every open stream (for a graceful shutdown).
func (h *badgeHub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}
