// Package api is a member node's HTTP API, served from its index:
//
//	GET /01/{gtin}[/10/{lot}[/21/{serial}]]  GS1 Digital Link resolver (also /00/{sscc})
//	GET {lot or unit link}?format=receipt    trace receipt of the lot's events (receipt.go)
//	GET /qr/{digital-link-path}.png|.svg     QR code of the Digital Link on this node
//	GET /badge/{digital-link-path}.svg|.json|/stream  claim badges (badge.go)
//	GET /events                              EPCIS 2.0 query interface → EPCISQueryDocument (epcis.go)
//	GET /events/{eventID}                    one EPCIS event (the id percent-encoded)
//	/eventTypes, /epcs, /bizSteps, ...       the REST binding's top-level resources (epcis.go)
//	/queries, /queries/{name}[/events|/subscriptions]  named queries and subscriptions (queries.go, subscriptions.go)
//	OPTIONS *, GET / (JSON)                  EPCIS discovery
//	GET /healthz                             index position and lag in blocks, anchoring health
//	GET /metrics                             Prometheus metrics
//	/reports/..., /recall/..., /scans        member records: 401 here, served by Member on the
//	                                         authenticated capture listener (member.go)
//
// The resolver negotiates on Accept: browsers (text/html) get the consumer
// page, application/json (or no preference) the trace JSON, and
// ?linkType=all or application/linkset+json an RFC 9264 linkset of GS1
// link types; ?format=json forces JSON, for links from the page. Every
// error is an RFC 9457 problem+json, or a friendly HTML page for a browser;
// a client's mistake is a 4xx, never a 5xx.
package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/scans"
	"github.com/trustline/trustline/node/subscription"
	"github.com/trustline/trustline/node/web"
	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/report"
)

// Options configure a Server. The zero value is the default.
type Options struct {
	// BaseURL is the node's public base URL, used in links; "" means links
	// relative to the request's host.
	BaseURL string
	// Status reports the follower's status for /healthz and /metrics; nil
	// means no follower (the index's checkpoint only).
	Status func() follower.Status
	// Registry is where metrics are registered and served from; nil means
	// a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Anchors is the node's anchoring store, for ?format=receipt and the
	// page's anchors (receipt.go); nil means the node does not anchor.
	Anchors anchoring.Store
	// State proves lots' latest records against the newest anchored
	// window, for receipts of format 4 (the anchoring loop); nil, or
	// anchoring.ErrNoState from it, makes receipts of format 3.
	State StateProver
	// Anchoring reports the anchoring loop's status for /healthz and
	// /metrics; nil means the node does not anchor.
	Anchoring func() anchoring.Status
	// Now is the clock of the days to expiry the traces and pages show
	// (expiry.go); nil means time.Now.
	Now func() time.Time
	// Members are the consortium's display names by MSP id (from the org
	// cards), for the consumer page; a member without one shows as its
	// MSP id.
	Members map[string]string
	// Locations is location master data, for the consumer page's place
	// names, time zones and map; nil means the ledger's own place data.
	Locations web.Locations
	// Subscriptions runs the EPCIS query subscriptions and WebSocket
	// streams (subscriptions.go); nil means the node offers none (501).
	Subscriptions *subscription.Manager
	// Scans counts the consumer pages served, and serves the counts on
	// the member surface at /scans (scans.go, member.go); nil: no counting.
	Scans *scans.Counter
	// RenderCache bounds the bytes of rendered consumer pages the node
	// keeps (pagecache.go); 0 means 64 MiB, a negative value none.
	RenderCache int
	// Service is the brand's service desk (service.go); nil means the node
	// takes no tickets and its pages show no form.
	Service *ServiceOptions
	// Rebuild reports a rolling index rebuild under way behind this index
	// for /healthz and /metrics (rebuild.go); nil means none.
	Rebuild func() RebuildStatus
}

// Server is the API's http.Handler.
type Server struct {
	idx   *index.Index
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
	page  *web.Renderer
	style styleTag // page's style sheet, for pageTag (cache.go)
	// badges wakes /badge streams (badge.go).
	badges *badgeHub
	// tags are the validators of index-derived responses (cache.go).
	tags tagCache
	// rendered keeps rendered pages (pagecache.go); nil: none.
	rendered *renderCache
	// epcis is the query interface's state (epcis.go).
	epcis epcisState
	// desk is the brand's service desk, nil without one (service.go).
	desk *serviceDesk
	// whys are claim reasons as data, for other languages (reasons.go).
	whys whyCache

	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns the API over idx, which the caller keeps open while serving.
func New(idx *index.Index, opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{idx: idx, opts: o, log: log, mux: http.NewServeMux(), page: web.New(), badges: newBadgeHub(idx, log), registry: reg}
	s.style = newStyleTag(s.page.StyleSheet())
	if o.RenderCache >= 0 {
		s.rendered = newRenderCache(idx, cmp.Or(o.RenderCache, defaultRenderCache))
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustline_node_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "trustline_node_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	reg.MustRegister(s.requests, s.latency)
	if s.rendered != nil {
		reg.MustRegister(s.rendered.metrics()...)
	}
	s.registerIndexMetrics(reg)
	if o.Anchoring != nil {
		s.registerAnchoringMetrics(reg)
	}
	if o.Scans != nil {
		reg.MustRegister(o.Scans) // trustline_node_scans_total (package scans)
	}
	if o.Rebuild != nil {
		s.registerRebuildMetrics(reg) // rebuild.go
	}

	s.mux.Handle("/events", s.epcisRoute("events", s.events, http.MethodGet))
	s.mux.Handle("/events/", s.epcisRoute("event", s.event, http.MethodGet))
	s.epcisRoutes()   // epcis.go
	s.serviceRoutes() // service.go
	s.mux.Handle("/healthz", s.route("healthz", s.healthz))
	s.mux.Handle(web.ScriptPath, s.route("script", s.script)) // script.go
	s.mux.Handle("/qr/", s.route("qr", s.qr))
	s.mux.Handle("/badge/", s.route("badge", s.badge))
	// Member records are on the member surface only (member.go).
	s.mux.Handle("/reports/", s.route("reports", s.memberOnly))
	s.mux.Handle("/recall/", s.route("recall", s.memberOnly))
	s.mux.Handle("/scans", s.route("scans", s.memberOnly))
	s.mux.Handle("/metrics", s.route("metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP))
	s.mux.Handle("/", s.route("resolver", s.resolve))
	return s
}

func (s *Server) registerIndexMetrics(reg *prometheus.Registry) {
	status := func() follower.Status {
		if s.opts.Status != nil {
			return s.opts.Status()
		}
		return indexStatus(s.idx.Checkpoint())
	}
	gauge := func(name, help string, fn func(follower.Status) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return fn(status()) })
	}
	reg.MustRegister(
		gauge("trustline_node_index_block", "Block of the last transaction applied to the index.", func(st follower.Status) float64 { return float64(st.IndexBlock) }),
		gauge("trustline_node_ledger_height", "Ledger height last seen on the peer.", func(st follower.Status) float64 { return float64(st.Height) }),
		gauge("trustline_node_index_lag_blocks", "Blocks the index is behind the ledger.", func(st follower.Status) float64 { return float64(st.Lag) }),
		gauge("trustline_node_follower_connected", "1 while the event stream is up.", func(st follower.Status) float64 {
			if st.Connected {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_follower_applied_total", Help: "Transactions applied since start."},
			func() float64 { return float64(status().Applied) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_follower_reconnects_total", Help: "Event stream reconnections since start."},
			func() float64 { return float64(status().Reconnects) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_follower_parse_errors_total", Help: "Blocks and valid transactions the follower could not read, since start."},
			func() float64 { return float64(status().ParseErrors) }),
		cacheCollector{s.idx}, // the index's block cache and record table (indexCache in the node's config)
	)
}

// cacheCollector reports the index's block cache and record table, reading its figures
// (Pebble's Metrics, which gathers every level's) once a scrape.
type cacheCollector struct{ idx *index.Index }

var (
	cacheBytesDesc    = prometheus.NewDesc("trustline_node_index_cache_bytes", "Bytes the index's block cache holds.", nil, nil)
	cacheCapacityDesc = prometheus.NewDesc("trustline_node_index_cache_capacity_bytes", "The index's block cache size (a quarter of indexCache).", nil, nil)
	cacheHitsDesc     = prometheus.NewDesc("trustline_node_index_cache_hits_total", "Index blocks read from the block cache since the index was opened.", nil, nil)
	cacheMissesDesc   = prometheus.NewDesc("trustline_node_index_cache_misses_total", "Index blocks read from disk since the index was opened (a scan of a lot the cache does not hold).", nil, nil)
	recordsDesc       = prometheus.NewDesc("trustline_node_index_record_table_records", "Lots' trace records the index holds in memory (its record table).", nil, nil)
	recordBytesDesc   = prometheus.NewDesc("trustline_node_index_record_table_bytes", "Bytes the index's record table holds.", nil, nil)
	recordCapDesc     = prometheus.NewDesc("trustline_node_index_record_table_capacity_bytes", "The index's record table size (three quarters of indexCache).", nil, nil)
)

func (cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheBytesDesc
	ch <- cacheCapacityDesc
	ch <- cacheHitsDesc
	ch <- cacheMissesDesc
	ch <- recordsDesc
	ch <- recordBytesDesc
	ch <- recordCapDesc
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.idx.CacheStats()
	ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(cacheCapacityDesc, prometheus.GaugeValue, float64(st.Capacity))
	ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(st.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(st.Misses))
	ch <- prometheus.MustNewConstMetric(recordsDesc, prometheus.GaugeValue, float64(st.Records))
	ch <- prometheus.MustNewConstMetric(recordBytesDesc, prometheus.GaugeValue, float64(st.RecordBytes))
	ch <- prometheus.MustNewConstMetric(recordCapDesc, prometheus.GaugeValue, float64(st.RecordCapacity))
}

// followerStatus is the follower's status, or without one the index's.
func (s *Server) followerStatus() follower.Status {
	if s.opts.Status != nil {
		return s.opts.Status()
	}
	return indexStatus(s.idx.Checkpoint())
}

func (s *Server) registerAnchoringMetrics(reg *prometheus.Registry) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trustline_node_anchoring_last_block", Help: "Last Fabric block of the last anchored window (-1: none yet)."},
			func() float64 {
				if st := s.opts.Anchoring(); st.Anchored {
					return float64(st.LastBlock)
				}
				return -1
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trustline_node_anchoring_lag_blocks", Help: "Ledger blocks after the last anchored window (blocks without events wait for the next event)."},
			func() float64 { return float64(s.anchoringHealth().LagBlocks) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_anchoring_failures_total", Help: "Anchoring steps that failed, since start."},
			func() float64 { return float64(s.opts.Anchoring().Failures) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_anchoring_anchors_total", Help: "Anchors sent (read-only: members' anchors recorded), since start."},
			func() float64 { return float64(s.opts.Anchoring().Anchors) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trustline_node_anchoring_gas_used_total", Help: "Gas used by the anchors this node sent, since start."},
			func() float64 { return float64(s.opts.Anchoring().GasUsed) }),
	)
}

// indexStatus is the status without a follower, from the checkpoint alone,
// as follower.Status reports it: the checkpoint sits at the start of the
// next block (or inside a block being applied), so the last block
// completely applied is the one before NextBlock.
func indexStatus(cp index.Checkpoint) follower.Status {
	st := follower.Status{Applied: cp.Applied}
	if next := cp.NextBlock(); cp.Valid && next > 0 {
		st.Indexed, st.IndexBlock = true, next-1
	}
	return st
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// recorder notes the status code a handler answers with, for the metrics,
// and lets the first status through only: a handler that fails after it
// started answering (a page whose rendering fails half-way, a client gone
// mid-write, a panic) must not make net/http log a superfluous
// WriteHeader, nor pretend to change a status the client already has.
type recorder struct {
	http.ResponseWriter
	code int // 0 until the status is sent
}

func (r *recorder) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		r.ResponseWriter.WriteHeader(code) // informational: more may follow
		return
	}
	if r.code != 0 {
		return
	}
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// FlushError flushes through http.ResponseController (badge streams): a
// flush sends the header, 200 unless one was set.
func (r *recorder) FlushError() error {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// written reports whether the status has been sent: too late for another.
func written(w http.ResponseWriter) bool {
	r, ok := w.(*recorder)
	return ok && r.code != 0
}

// route wraps a handler with method checking, panic recovery, metrics and
// compression (cache.go; /metrics compresses itself).
func (s *Server) route(name string, h http.HandlerFunc) http.Handler {
	if name != "metrics" {
		return compress(s.routeUncompressed(name, h))
	}
	return s.routeUncompressed(name, h)
}

func (s *Server) routeUncompressed(name string, h http.HandlerFunc) http.Handler {
	return s.observed(name, s.internalError, func(rec *recorder, r *http.Request) {
		if r.Method == http.MethodOptions {
			s.discovery(rec, r) // epcis.go: EPCIS discovery on / and elsewhere
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rec.Header().Set("Allow", "GET, HEAD")
			s.problem(rec, r, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
				fmt.Sprintf("%s is not allowed here; use GET", r.Method))
			return
		}
		h(rec, r)
	})
}

// observed is every route's frame: the request counted and timed under
// name, and a panic logged and answered with internal (unless an answer
// was already started) instead of taking the node down.
func (s *Server) observed(name string, internal, serve func(*recorder, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic serving a request", "path", r.URL.Path, "panic", v)
				if rec.code == 0 {
					internal(rec, r)
				}
			}
			s.requests.WithLabelValues(name, strconv.Itoa(rec.code)).Inc()
			s.latency.WithLabelValues(name).Observe(time.Since(t0).Seconds())
		}()
		serve(rec, r)
	})
}

// internalError is the problem+json answer to a panic.
func (s *Server) internalError(rec *recorder, r *http.Request) {
	s.problem(rec, r, http.StatusInternalServerError, "internal", "Internal error", "")
}

// Problem is an RFC 9457 problem detail: the wire type of package nodeapi.
type Problem = nodeapi.Problem

// ProblemTypePrefix prefixes the type URIs of the API's problems.
const ProblemTypePrefix = nodeapi.ProblemTypePrefix

func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, kind, title, detail string) {
	p := Problem{Type: ProblemTypePrefix + kind, Title: title, Status: status, Detail: detail, Instance: r.URL.RequestURI()}
	localizeProblem(w, r, &p) // problems.go
	s.writeProblem(w, p)
}

func (s *Server) writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// invalidLink answers a Digital Link that does not parse, naming the
// segment at fault.
func (s *Server) invalidLink(w http.ResponseWriter, r *http.Request, err error) {
	p := Problem{Type: ProblemTypePrefix + "invalid-digital-link", Title: "Invalid GS1 Digital Link",
		Status: http.StatusBadRequest, Detail: err.Error(), Instance: r.URL.RequestURI()}
	var de *digitallink.Error
	if errors.As(err, &de) {
		p.Segment = de.Segment
	}
	localizeProblem(w, r, &p)
	s.writeProblem(w, p)
}

// fail answers with the problem an index error amounts to.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var qe *nodeapi.QueryError
	switch {
	case errors.Is(err, index.ErrNotFound):
		s.problem(w, r, http.StatusNotFound, "not-found", "Not found", err.Error())
	case errors.As(err, &qe):
		s.problem(w, r, http.StatusBadRequest, "invalid-query", "Invalid query", qe.Error())
	default:
		s.log.Error("serving a request", "path", r.URL.Path, "err", err)
		s.problem(w, r, http.StatusInternalServerError, "internal", "Internal error", "the node could not read its index")
	}
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// base is the public base URL links are made from.
func (s *Server) base(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Media types the resolver offers, in order of preference when a client
// states none.
const (
	typeJSON    = "application/json"
	typeLinkset = "application/linkset+json"
	typeHTML    = "text/html"
)

func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept") // Add: compression varies on Accept-Encoding
	html := negotiate(r, typeJSON, typeLinkset, typeHTML) == typeHTML && (r.URL.RawQuery == "" || r.URL.Query().Get("format") != "json")
	if r.URL.Path == "/" {
		if html {
			s.htmlError(w, r, http.StatusNotFound, "err.root", "err.rootMsg", "")
			return
		}
		s.topLevel(w, r) // epcis.go: the EPCIS top-level resources
		return
	}
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	l, err := digitallink.Parse(uri)
	if err != nil {
		if html {
			s.htmlError(w, r, http.StatusBadRequest, "err.badLink", "err.badLinkMsg", err.Error())
			return
		}
		s.invalidLink(w, r, err)
		return
	}
	if l.Query.Get("format") == "receipt" {
		s.serveReceipt(w, r, l) // receipt.go
		return
	}
	if l.Query.Get("linkType") == "all" || (!html && negotiate(r, typeJSON, typeLinkset) == typeLinkset) {
		s.linkset(w, r, l)
		return
	}
	l.Query = nil
	path := l.Path()
	var pc pageCall
	if html {
		var done bool
		if pc, done = s.cachedPage(w, r, l, path); done { // pagecache.go
			s.countScan(r, l) // scans.go
			return
		}
	}
	var v any
	switch l.Level() {
	case digitallink.Product:
		v, err = s.idx.Product(l.GTIN)
	case digitallink.Lot, digitallink.Unit:
		if !html {
			s.traceJSON(w, r, l, path)
			return
		}
		v, err = s.idx.Trace(l.GTIN, l.Lot, l.Serial)
	case digitallink.LogisticUnit:
		v, err = s.logisticUnit(l.SSCC) // recall.go
		html = false                    // a pallet's label is for logistics staff and their software
	default:
		s.problem(w, r, http.StatusNotFound, "not-found", "Not found", fmt.Sprintf("this node does not resolve %s links", l.Level()))
		return
	}
	if err != nil {
		if html && errors.Is(err, index.ErrNotFound) {
			s.htmlError(w, r, http.StatusNotFound, "err.notFound", "err.notFoundMsg", l.String())
			return
		}
		s.fail(w, r, err)
		return
	}
	s.linksetLink(w, r, path)
	if html {
		s.countScan(r, l) // scans.go
		s.servePage(w, r, l, v, pc)
		return
	}
	writeCachedJSON(w, r, "json", "application/json", v) // cache.go
}

// traceBufs are response buffers for traceJSON and servePage (given back
// by putTraceBuf): a trace or a page is a few KiB.
var traceBufs = sync.Pool{New: func() any { return new([]byte) }}

// traceJSON answers with the trace JSON of a lot or unit, as writeJSON
// would write index.Trace, from the index's stored records without
// decoding and encoding them again (the resolver's hot path), and keeps
// it in the render cache (pagecache.go). path is l's (l has no query).
func (s *Server) traceJSON(w http.ResponseWriter, r *http.Request, l digitallink.Link, path string) {
	now := s.now()
	rkey := "json " + path
	key := rkey + " " + minuteOf(now) // expiry.go
	st, done := s.cachedNotModified(w, r, key)
	if done {
		return
	}
	s.linksetLink(w, r, path)
	gen := s.rendered.begin()
	if e := s.rendered.get(rkey, now, 0); e != nil {
		serveRendered(w, r, e)
		return
	}
	bp := traceBufs.Get().(*[]byte)
	defer putTraceBuf(bp)
	e := &rendered{key: rkey, contentType: "application/json"}
	var read func(index.Subject) // what it shows, for an entry kept
	keep := s.rendered.admits(rkey)
	if keep {
		read = func(sub index.Subject) { e.deps = append(e.deps, sub) }
	}
	body, err := s.idx.AppendTraceJSONOf((*bp)[:0], l.GTIN, l.Lot, l.Serial, read)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body = withDaysToExpiry(body, now)
	*bp = body
	// The stored trace is the lot's state: its digest is the tag (cache.go).
	e.v = validators{ETag: etag("json", body), Modified: ledgerTimes(body), SinceOK: true}
	if keep || s.rendered == nil {
		// A key the render cache does not keep yet was asked for once
		// lately (most cold scans): its tag is not worth a map entry.
		// The render cache answers revalidations of those it keeps.
		s.tags.put(st, key, e.v)
	}
	if keep {
		e.body = bytes.Clone(body)
		if exp := lotExpiry(body); exp != "" {
			if d, ok := report.DaysToExpiry(exp, now); ok && d >= 0 {
				t, _ := time.Parse(time.RFC3339Nano, exp)
				e.until = t.Add(-time.Duration(d) * 24 * time.Hour) // the figure changes after
			}
		}
		slices.Sort(e.deps)
		e.deps = slices.Compact(e.deps)
		s.rendered.put(gen, e)
	}
	if notModified(w, r, e.v) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// linksetLink sets the Link header to the linkset of the resource at path.
func (s *Server) linksetLink(w http.ResponseWriter, r *http.Request, path string) {
	w.Header().Set("Link", "<"+s.base(r)+path+`?linkType=all>; rel="linkset"; type="application/linkset+json"`)
}

// servePage renders the consumer page of a product or trace, and keeps it
// in the render cache (pagecache.go).
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, l digitallink.Link, v any, pc pageCall) {
	path := pc.path
	links := web.Links{JSON: path + "?format=json", Linkset: path + "?linkType=all", QR: "/qr" + path + ".svg"}
	// The shopper's language: ?lang= (the page's switcher), else
	// Accept-Language (lang.go of package web).
	lang := pc.lang
	w.Header().Add("Vary", "Accept-Language")
	w.Header().Set("Content-Language", lang.Code)
	opts := []web.Option{web.In(lang), web.Members(s.opts.Members)}
	if s.opts.Locations != nil {
		opts = append(opts, web.WithLocations(s.opts.Locations))
	}
	e := &rendered{key: pc.key, contentType: "text/html; charset=utf-8", lang: lang.Code}
	// Whether the render cache keeps this page: its subjects are collected
	// only then (as traceJSON does).
	keep := pc.cacheable && s.rendered.admits(pc.key)
	var p *web.Page
	switch v := v.(type) {
	case ledger.Product:
		p = web.ProductPage(v, links, opts...)
		e.deps = []index.Subject{index.ProductSubject(v.GTIN)}
	case index.Trace:
		// url.Values{…}.Encode() of one parameter, without its map and sort.
		links.Events = "/events?MATCH_anyEPCClass=" + url.QueryEscape(l.LotLink().String()) // input and output lists too
		var err error
		if p, err = web.TracePage(s.idx, v, links, opts...); err != nil {
			s.fail(w, r, err)
			return
		}
		var until time.Time
		p.Claims, until = s.claimViews(v)      // a service ticket's deadline ends the entry
		p.Service = s.serviceForm(v)           // service.go
		p.Anchors = s.anchorViews(r, v.Events) // receipt.go
		if d, ok := report.DaysToExpiry(v.Lot.Expiry, s.now()); ok {
			p.Expiry = &web.ExpiryView{Days: d} // expiry.go
			if exp, err := time.Parse(time.RFC3339Nano, v.Lot.Expiry); err == nil {
				e.until = exp.Add(-time.Duration(d) * 24 * time.Hour) // the figure changes after
			}
		}
		if !until.IsZero() && (e.until.IsZero() || until.Before(e.until)) {
			e.until = until
		}
		if keep {
			e.deps = traceSubjects(v, len(p.Reports) > 0)
		}
		e.anchors, e.hasAnchors = pc.anchors, s.opts.Anchors != nil
	}
	// The page's bytes are everything it shows: their digest is the tag
	// (cache.go), and the render cache answers revalidations of the pages
	// it keeps (cachedPage). Short-lived: a recall must reach shoppers
	// within minutes. A page the render cache does not keep is written
	// into a pooled buffer.
	var dst []byte
	if !keep {
		bp := traceBufs.Get().(*[]byte)
		defer putTraceBuf(bp)
		defer func() { *bp = e.body }()
		dst = (*bp)[:0]
	}
	var err error
	if e.body, err = s.page.AppendPage(dst, p); err != nil {
		s.log.Error("rendering a page", "path", r.URL.Path, "err", err)
		s.htmlError(w, r, http.StatusInternalServerError, "err.internal", "err.internalMsg", "")
		return
	}
	e.v = validators{ETag: s.style.pageTag(e.body), Modified: p.Modified()}
	if keep {
		s.rendered.put(pc.gen, e)
	}
	serveRendered(w, r, e)
}

// putTraceBuf gives b back to traceBufs, unless it grew too big to keep
// (a huge trace's or page's).
func putTraceBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		traceBufs.Put(b)
	}
}

// htmlError answers a browser with a friendly error page in its language;
// title and msg are message keys (package web's messages).
func (s *Server) htmlError(w http.ResponseWriter, r *http.Request, status int, title, msg, detail string) {
	lang := web.MatchLang(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang.Code)
	w.Header().Add("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.page.Error(w, web.Error{Title: lang.T(title), Message: lang.T(msg), Detail: detail, L: lang,
		Scan: title == "err.notFound" || title == "err.badLink" || title == "err.root"}); err != nil {
		s.log.Error("rendering an error page", "path", r.URL.Path, "err", err)
	}
}

// GS1 link types (https://ref.gs1.org/voc/), as full URIs.
const gs1Voc = "https://gs1.org/voc/"

type target struct {
	Href  string `json:"href"`
	Title string `json:"title,omitempty"`
	Type  string `json:"type,omitempty"`
}

func (s *Server) linkset(w http.ResponseWriter, r *http.Request, l digitallink.Link) {
	base := s.base(r)
	l.Query = nil
	anchor := l.Path()
	switch l.Level() {
	case digitallink.Product:
		if _, err := s.idx.Product(l.GTIN); err != nil {
			s.fail(w, r, err)
			return
		}
	case digitallink.Lot, digitallink.Unit:
		if _, err := s.idx.Trace(l.GTIN, l.Lot, l.Serial); err != nil {
			s.fail(w, r, err)
			return
		}
	case digitallink.LogisticUnit:
		if _, err := s.idx.LogisticUnit(l.SSCC); err != nil {
			s.fail(w, r, err)
			return
		}
	default:
		s.problem(w, r, http.StatusNotFound, "not-found", "Not found", fmt.Sprintf("this node does not resolve %s links", l.Level()))
		return
	}
	self := base + anchor
	set := map[string]any{"anchor": l.String()}
	set[gs1Voc+"defaultLink"] = []target{{Href: self, Title: "Trace", Type: "application/json"}}
	if l.GTIN != "" {
		set[gs1Voc+"pip"] = []target{{Href: base + digitallink.Link{GTIN: l.GTIN}.Path(), Title: "Product information", Type: "application/json"}}
	}
	if l.Lot != "" {
		set[gs1Voc+"traceability"] = []target{{Href: self, Title: "Traceability", Type: "application/json"}}
		set[gs1Voc+"recallStatus"] = []target{{Href: self, Title: "Recall status", Type: "application/json"}}
		q := url.Values{"MATCH_anyEPCClass": {l.LotLink().String()}} // input and output lists too
		if l.Serial != "" {
			q = url.Values{"MATCH_anyEPC": {digitallink.Link{GTIN: l.GTIN, Lot: l.Lot, Serial: l.Serial}.String()}}
		}
		set[gs1Voc+"epcis"] = []target{{Href: base + "/events?" + q.Encode(), Title: "EPCIS events", Type: "application/ld+json"}}
	}
	if l.SSCC != "" {
		q := url.Values{"MATCH_anyEPC": {l.String()}}
		set[gs1Voc+"epcis"] = []target{{Href: base + "/events?" + q.Encode(), Title: "EPCIS events", Type: "application/ld+json"}}
	}
	writeCachedJSON(w, r, "linkset", "application/linkset+json", map[string]any{"linkset": []any{set}})
}

// Health is the /healthz body.
type Health struct {
	// Status is ok, or degraded while the follower is disconnected or
	// anchoring fails, or rebuilding during a rolling index rebuild.
	Status string          `json:"status"`
	Index  follower.Status `json:"index"`
	// Anchoring is absent when the node does not anchor.
	Anchoring *AnchoringHealth `json:"anchoring,omitempty"`
	// Rebuild is a rolling index rebuild under way (rebuild.go).
	Rebuild *RebuildStatus `json:"rebuild,omitempty"`
}

// AnchoringHealth is the anchoring part of /healthz.
type AnchoringHealth struct {
	// State is ok, or degraded while the anchoring loop's steps fail.
	State string `json:"status"`
	anchoring.Status
	// LagBlocks are the ledger blocks after the last anchored window:
	// about N (anchoring.blocks) in steady state, more while blocks carry
	// no event (they are anchored with the next one) or anchoring fails.
	LagBlocks uint64 `json:"lagBlocks"`
}

func (s *Server) anchoringHealth() AnchoringHealth {
	st := s.opts.Anchoring()
	h := AnchoringHealth{State: "ok", Status: st}
	if st.Failing {
		h.State = "degraded"
	}
	height := max(s.followerStatus().Height, st.Height, s.idx.Checkpoint().NextBlock())
	next := uint64(0)
	if st.Anchored {
		next = st.LastBlock + 1
	}
	if height > next {
		h.LagBlocks = height - next
	}
	return h
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	h := Health{Status: "ok", Index: s.followerStatus()}
	if s.opts.Status != nil && !h.Index.Connected {
		h.Status = "degraded"
	}
	if s.opts.Anchoring != nil {
		a := s.anchoringHealth()
		h.Anchoring = &a
		if a.State != "ok" {
			h.Status = "degraded"
		}
	}
	if s.opts.Rebuild != nil {
		st := s.opts.Rebuild()
		h.Rebuild, h.Status = &st, "rebuilding"
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, "application/json", h)
}
