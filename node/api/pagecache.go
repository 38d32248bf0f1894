package api

import (
	"hash/maphash"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/web"
)

// Rendered pages. A consumer page costs the index reads of a trace (the
// lot, its events, the lots it was made from and theirs), building its
// view and executing the template: a thousand times what serving the same
// bytes costs. A livestream sends thousands of phones to one lot's page in
// a minute, so the node keeps the pages it rendered (bytes and
// validators) per subject, language and format, and serves them again
// until what they show changes.
//
// An entry names the index subjects it was built from (index.Subject: the
// lot, its product and unit, the lots it was made from, their recalls,
// shipment and lab signers). The cache watches the index: a commit that
// writes one of them drops every entry built from it, before anyone can
// read the commit's effect through the cache. A page rendered while a
// commit was applied is not kept (it may show either side of it). Anchors
// arrive outside the index's commits: an entry that shows them remembers
// the anchoring store's version (anchoring.Versioned) and is rebuilt once
// it moved; a store without a version makes such pages uncacheable. Days
// to expiry follow the clock: an entry that shows them lasts until the
// figure changes. So do service_within verdicts: an unanswered ticket
// fails its claim at its deadline with no transaction
// (index.ClaimResultsAsOf, as of the node's clock), and an entry showing
// the claim lasts until that instant.
//
// Content a page shows that is not in the index (off-ledger content such
// as a brand's service answers) must be invalidated by whoever changes it,
// through Server.Invalidate with the subject the content belongs to (a
// lot or a product). Scan counts are not shown on consumer pages and do
// not invalidate them.
//
// The cache is bounded in bytes (Options.RenderCache) and evicts the least
// recently used entry: hashicorp/golang-lru's simplelru under the cache's
// own lock, which also guards the index from subjects to entries.

// defaultRenderCache bounds the rendered bytes kept: about 3,000 pages of
// 20 KiB.
const defaultRenderCache = 64 << 20

// rendered is a response kept in the render cache.
type rendered struct {
	key  string
	body []byte
	// contentType and lang are the Content-Type and Content-Language.
	contentType, lang string
	v                 validators
	// until is when a figure shown follows the clock (days to expiry);
	// zero: never.
	until time.Time
	// anchors is the anchoring store's version it was built at, when
	// it shows anchors (hasAnchors).
	anchors    uint64
	hasAnchors bool
	deps       []index.Subject
}

func (e *rendered) size() int { return len(e.body) + len(e.key) + 256 }

// renderCache keeps rendered responses, dropped when the index writes a
// subject they were built from.
type renderCache struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[string, *rendered]
	bytes int
	max   int
	// gen counts the commits (and invalidations) seen: an entry built
	// across one is not kept.
	gen uint64
	by  map[index.Subject]map[string]struct{}
	// hits and misses count lookups, for /metrics.
	hits, misses uint64
	// missed counts the recent misses of each key (by its hash, up to
	// 2), in two generations of at most admitWindow keys (admit).
	missed [2]map[uint64]uint8
	seed   maphash.Seed
}

// Admission. An entry is kept from its key's second miss among the last
// admitWindow to 2×admitWindow keys missed, not its first: under scans
// spread over many lots (most asked for once), keeping each rendering cost
// about a seventh of a cold trace request (a copy of the body, the
// bookkeeping of its subjects, and evicting another entry), for entries
// that would be evicted unread. A livestream's lot is kept from its
// second scan on.
const admitWindow = 1 << 15

// missLocked notes a miss of key.
func (c *renderCache) missLocked(key string) {
	h := maphash.String(c.seed, key)
	n, ok := c.missed[0][h]
	if !ok {
		if len(c.missed[0]) >= admitWindow {
			c.missed[1], c.missed[0] = c.missed[0], make(map[uint64]uint8, admitWindow)
		}
		n = c.missed[1][h]
	}
	c.missed[0][h] = min(n+1, 2)
}

// admits reports whether an entry of key would be kept: key missed
// twice.
func (c *renderCache) admits(key string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.admitsLocked(key)
}

func (c *renderCache) admitsLocked(key string) bool {
	h := maphash.String(c.seed, key)
	return c.missed[0][h] >= 2 || c.missed[1][h] >= 2
}

// newRenderCache returns a cache of at most max bytes watching idx; nil
// when max is 0.
func newRenderCache(idx *index.Index, max int) *renderCache {
	if max <= 0 {
		return nil
	}
	c := &renderCache{max: max, by: map[index.Subject]map[string]struct{}{}, seed: maphash.MakeSeed(),
		missed: [2]map[uint64]uint8{make(map[uint64]uint8), make(map[uint64]uint8)}}
	// Entries are counted in bytes, not number: the count bound is only
	// a backstop.
	c.lru, _ = simplelru.NewLRU[string, *rendered](max/1024+1, c.evicted)
	idx.Watch(c.changed)
	return c
}

// evicted unlinks e (simplelru calls it under c.mu on Remove and eviction).
func (c *renderCache) evicted(key string, e *rendered) {
	c.bytes -= e.size()
	for _, d := range e.deps {
		if keys := c.by[d]; keys != nil {
			delete(keys, key)
			if len(keys) == 0 {
				delete(c.by, d)
			}
		}
	}
}

// begin is called before reading what an entry is built from.
func (c *renderCache) begin() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// get returns key's entry if it is still current at now with the
// anchoring store at version anchors.
func (c *renderCache) get(key string, now time.Time, anchors uint64) *rendered {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Get(key)
	if ok && ((!e.until.IsZero() && !now.Before(e.until)) || (e.hasAnchors && e.anchors != anchors)) {
		c.lru.Remove(key)
		ok = false
	}
	if !ok {
		c.misses++
		c.missLocked(key)
		return nil
	}
	c.hits++
	return e
}

// put keeps e, built from what the index held after begin returned gen,
// unless a commit came in between, e is too big to be worth it, or its key
// has missed only once (admission, above).
func (c *renderCache) put(gen uint64, e *rendered) {
	if c == nil || e.size() > c.max/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.admitsLocked(e.key) {
		return
	}
	c.lru.Remove(e.key)
	c.lru.Add(e.key, e)
	c.bytes += e.size()
	for _, d := range e.deps {
		keys := c.by[d]
		if keys == nil {
			keys = map[string]struct{}{}
			c.by[d] = keys
		}
		keys[e.key] = struct{}{}
	}
	for c.bytes > c.max {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// changed is the index watcher: it drops the entries built from what the
// commit wrote. It runs on the applying goroutine: map operations only.
func (c *renderCache) changed(ch index.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	ch.Subjects(c.dropLocked)
}

func (c *renderCache) invalidate(subjects ...index.Subject) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, s := range subjects {
		c.dropLocked(s)
	}
}

// metrics are the cache's metrics for /metrics.
func (c *renderCache) metrics() []prometheus.Collector {
	read := func(fn func() float64) func() float64 {
		return func() float64 {
			c.mu.Lock()
			defer c.mu.Unlock()
			return fn()
		}
	}
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_render_cache_hits_total", Help: "Pages served from the render cache."},
			read(func() float64 { return float64(c.hits) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_render_cache_misses_total", Help: "Pages rendered because the render cache did not hold them current."},
			read(func() float64 { return float64(c.misses) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trustline_node_render_cache_bytes", Help: "Bytes the render cache holds (bounded by renderCache)."},
			read(func() float64 { return float64(c.bytes) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trustline_node_render_cache_entries", Help: "Rendered responses the render cache holds."},
			read(func() float64 { return float64(c.lru.Len()) })),
	}
}

func (c *renderCache) dropLocked(s index.Subject) {
	for key := range c.by[s] {
		c.lru.Remove(key) // evicted unlinks it from c.by
	}
}

// Invalidate drops the rendered responses built from subjects: call it
// when content the consumer page shows from outside the index (kept by
// the node itself, e.g. service answers) changes, with the lot or product
// subject it belongs to (index.LotSubject, index.ProductSubject). Changes
// of the index invalidate by themselves.
func (s *Server) Invalidate(subjects ...index.Subject) { s.rendered.invalidate(subjects...) }

// anchorsVersion is the anchoring store's version; ok is false when
// responses that show anchors cannot be cached (the store keeps none).
func (s *Server) anchorsVersion() (v uint64, ok bool) {
	if s.opts.Anchors == nil {
		return 0, true
	}
	vs, ok := s.opts.Anchors.(anchoring.Versioned)
	if !ok {
		return 0, false
	}
	return vs.Version(), true
}

// serveRendered answers with e (or 304).
func serveRendered(w http.ResponseWriter, r *http.Request, e *rendered) {
	if e.lang != "" {
		w.Header().Set("Content-Language", e.lang)
	}
	if notModified(w, r, e.v) {
		return
	}
	w.Header().Set("Content-Type", e.contentType)
	_, _ = w.Write(e.body)
}

// pageCall is what resolving a page learnt before reading the index.
type pageCall struct {
	lang      *web.Lang
	key       string
	gen       uint64
	anchors   uint64
	cacheable bool
	path      string // the resource's, without the query
}

// cachedPage answers a browser's request for the page of l from the
// render cache when it holds it; otherwise it returns what servePage
// needs to render and keep it.
func (s *Server) cachedPage(w http.ResponseWriter, r *http.Request, l digitallink.Link, path string) (pageCall, bool) {
	pc := pageCall{lang: web.MatchLang(r), path: path}
	switch l.Level() {
	case digitallink.Product, digitallink.Lot, digitallink.Unit:
	default:
		return pc, false
	}
	anchors, ok := s.anchorsVersion()
	if s.rendered == nil || !ok {
		return pc, false
	}
	pc.key = "html " + pc.lang.Code + " " + path
	pc.anchors, pc.cacheable = anchors, true
	pc.gen = s.rendered.begin() // before the index is read
	e := s.rendered.get(pc.key, s.now(), anchors)
	if e == nil {
		return pc, false
	}
	w.Header().Add("Vary", "Accept-Language")
	s.linksetLink(w, r, path)
	serveRendered(w, r, e)
	return pc, true
}

// traceSubjects are the index subjects the page of tr is built from; with
// reports, the lab signers too.
func traceSubjects(tr index.Trace, reports bool) []index.Subject {
	out := []index.Subject{index.LotSubject(tr.Lot.GTIN, tr.Lot.Lot), index.ProductSubject(tr.Lot.GTIN)}
	if tr.Unit != nil {
		out = append(out, index.UnitSubject(tr.Unit.GTIN, tr.Unit.Serial))
	}
	for _, ls := range [][]ledger.LotSummary{tr.Upstream.Lots, tr.Downstream.Lots} {
		for _, l := range ls {
			out = append(out, index.LotSubject(l.GTIN, l.Lot), index.ProductSubject(l.GTIN))
		}
	}
	for _, via := range tr.Lot.RecalledVia {
		if v, err := digitallink.Parse(via); err == nil {
			out = append(out, index.LotSubject(v.GTIN, v.Lot))
		}
	}
	if tr.Lot.LastShipment != "" {
		out = append(out, index.ShipmentSubject(tr.Lot.LastShipment))
	}
	if reports {
		out = append(out, index.SignersSubject)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
