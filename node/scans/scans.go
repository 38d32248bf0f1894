// Package scans counts the scans of a node's consumer pages, so that a
// brand learns which products and lots are looked at, when, and in which
// languages and countries, without learning who looked.
//
// # What counts
//
// A scan is a consumer page (HTML) of a product, lot or unit that the
// node found and served, to a request that is not a bot's (package api
// decides, see Classify): the page a QR code opens. JSON, receipts, badges
// and QR images do not count, nor do prefetches, nor navigations from the
// node's own pages (the language switcher: Sec-Fetch-Site same-origin), so
// one look at a jar is one scan. It is a count of page views, not of
// people: nothing identifies a visitor, so two scans by one phone are two.
//
// # What is kept
//
// A count per product (GTIN), lot, UTC day, language and country, and
// nothing else: no IP address, User-Agent, cookie, referrer or time of
// day. The language is the one the visitor asked for (?lang=, else the
// first of Accept-Language), the country the region that language names
// explicitly ("de-CH": CH); without one it is unknown. There is no IP
// lookup: a maintained reader of MaxMind databases is at hand, but no
// country database comes with trustline (MaxMind's needs a licence key),
// so the country comes from the language alone.
//
// # Cost
//
// Counting is an increment of an in-memory map; a Counter writes the
// counts to its Store in one batch every Options.FlushEvery and when it
// stops (Run), so a page view costs no disk write. A crash loses the
// counts since the last flush. In a node the Store is the index's
// node-local keyspace (index.LocalAdd), outside the index's Digest: scans
// are not ledger data, and members' indexes stay equal.
package scans

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustline/trustline/nodeapi"
)

// Namespace is the Store namespace of the counts.
const Namespace = "scans"

// Key is what one count is kept by.
type Key = nodeapi.ScanKey

// storeKey is the stored key: the fields joined by spaces, as no GS1
// value (GS1's character set 82), date, language or region code contains
// one.
func storeKey(k Key) string {
	return strings.Join([]string{k.GTIN, k.Lot, k.Day, k.Lang, k.Country}, " ")
}

func parseKey(s string) (Key, bool) {
	f := strings.Split(s, " ")
	if len(f) != 5 {
		return Key{}, false
	}
	return Key{GTIN: f[0], Lot: f[1], Day: f[2], Lang: f[3], Country: f[4]}, true
}

// Store keeps counters; *index.Index is one.
type Store interface {
	// LocalAdd adds deltas to the counters of namespace ns in one batch.
	LocalAdd(ns string, deltas map[string]uint64) error
	// LocalScan calls fn for each counter of ns in key order.
	LocalScan(ns, after string, fn func(k string, v []byte) bool) error
}

// Options configure a Counter. The zero value is the default.
type Options struct {
	// FlushEvery is how often Run writes the counts; 0 is 10 seconds.
	FlushEvery time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Counter counts scans in memory and writes them to a Store. It is safe
// for concurrent use.
type Counter struct {
	store Store
	every time.Duration
	log   *slog.Logger
	total *prometheus.CounterVec

	flushMu sync.Mutex // one flush (or read of stored+pending) at a time
	mu      sync.Mutex
	pending map[Key]uint64
}

// New returns a Counter writing to store.
func New(store Store, opts *Options) *Counter {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &Counter{store: store, every: o.FlushEvery, log: o.Logger, pending: map[Key]uint64{}}
	c.total = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trustline_node_scans_total",
		Help: "Consumer page scans since start, by product (GTIN) and the language the page was served in.",
	}, []string{"gtin", "lang"})
	return c
}

// The Counter is a prometheus.Collector of trustline_node_scans_total{gtin,lang}:
// scans since start by product and the language the page was served in.
// Its labels are of bounded cardinality (the node's products times its
// page languages): lots, days and countries are on the member page only.
var _ prometheus.Collector = (*Counter)(nil)

// Describe implements prometheus.Collector.
func (c *Counter) Describe(ch chan<- *prometheus.Desc) { c.total.Describe(ch) }

// Collect implements prometheus.Collector.
func (c *Counter) Collect(ch chan<- prometheus.Metric) { c.total.Collect(ch) }

// Count counts one scan of k, served in the page language pageLang (for
// the metrics only). k must come from Classify or hold only GS1 values,
// a date and language codes.
func (c *Counter) Count(k Key, pageLang string) {
	c.mu.Lock()
	c.pending[k]++
	c.mu.Unlock()
	c.total.WithLabelValues(k.GTIN, pageLang).Inc()
}

// Flush writes the counts so far to the store.
func (c *Counter) Flush() error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	return c.flush()
}

func (c *Counter) flush() error {
	c.mu.Lock()
	p := c.pending
	c.pending = map[Key]uint64{}
	c.mu.Unlock()
	if len(p) == 0 {
		return nil
	}
	d := make(map[string]uint64, len(p))
	for k, n := range p {
		d[storeKey(k)] += n
	}
	if err := c.store.LocalAdd(Namespace, d); err != nil {
		c.mu.Lock() // keep them for the next flush
		for k, n := range p {
			c.pending[k] += n
		}
		c.mu.Unlock()
		return fmt.Errorf("scans: writing counts: %w", err)
	}
	return nil
}

// Run flushes every Options.FlushEvery until ctx is done, then flushes
// once more and returns.
func (c *Counter) Run(ctx context.Context) error {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return c.Flush()
		case <-t.C:
			if err := c.Flush(); err != nil {
				c.log.Warn("flushing scan counts", "err", err) // kept for the next flush
			}
		}
	}
}

// Filter selects counts; empty fields select all.
type Filter struct {
	GTIN, Lot string
	// From and To bound the days (YYYY-MM-DD), both included.
	From, To string
}

// Dimensions a report groups by.
const (
	ByGTIN    = "gtin"
	ByLot     = "lot"
	ByDay     = "day"
	ByLang    = "lang"
	ByCountry = "country"
)

// Dimensions are the dimensions, in the order they are reported.
var Dimensions = []string{ByGTIN, ByLot, ByDay, ByLang, ByCountry}

// Count is the number of scans of a Key; the Key's fields that a report
// does not group by are empty.
type Count = nodeapi.ScanCount

// Report is the counts that a Filter selects, grouped.
type Report = nodeapi.ScanReport

// Report returns the counts f selects, stored and pending, grouped by the
// dimensions by (nil: all of them).
func (c *Counter) Report(f Filter, by []string) (Report, error) {
	if len(by) == 0 {
		by = Dimensions
	}
	keep := map[string]bool{}
	for _, b := range by {
		if !slices.Contains(Dimensions, b) {
			return Report{}, fmt.Errorf("scans: unknown dimension %q: use %s", b, strings.Join(Dimensions, ", "))
		}
		keep[b] = true
	}
	all := map[Key]uint64{}
	add := func(k Key, n uint64) {
		if !f.matches(k) {
			return
		}
		g := Key{}
		if keep[ByGTIN] {
			g.GTIN = k.GTIN
		}
		if keep[ByLot] {
			g.GTIN, g.Lot = k.GTIN, k.Lot // a lot is a lot of a product
		}
		if keep[ByDay] {
			g.Day = k.Day
		}
		if keep[ByLang] {
			g.Lang = k.Lang
		}
		if keep[ByCountry] {
			g.Country = k.Country
		}
		all[g] += n
	}
	c.flushMu.Lock() // stored plus pending, without a flush in between
	defer c.flushMu.Unlock()
	var bad error
	err := c.store.LocalScan(Namespace, "", func(s string, v []byte) bool {
		k, ok := parseKey(s)
		if !ok || len(v) != 8 {
			bad = fmt.Errorf("scans: corrupt count %q", s)
			return false
		}
		add(k, binary.BigEndian.Uint64(v))
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return Report{}, err
	}
	c.mu.Lock()
	for k, n := range c.pending {
		add(k, n)
	}
	c.mu.Unlock()
	r := Report{By: by, Rows: make([]Count, 0, len(all))}
	for k, n := range all {
		r.Rows = append(r.Rows, Count{ScanKey: k, Scans: n})
		r.Total += n
	}
	sort.Slice(r.Rows, func(i, j int) bool { return storeKey(r.Rows[i].ScanKey) < storeKey(r.Rows[j].ScanKey) })
	return r, nil
}

func (f Filter) matches(k Key) bool {
	return (f.GTIN == "" || k.GTIN == f.GTIN) && (f.Lot == "" || k.Lot == f.Lot) &&
		(f.From == "" || k.Day >= f.From) && (f.To == "" || k.Day <= f.To)
}
