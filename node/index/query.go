package index

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

// NotFoundError names what is missing; it matches ErrNotFound with errors.Is.
type NotFoundError struct {
	What string // e.g. "lot https://id.gs1.org/01/…/10/…"
}

func (e *NotFoundError) Error() string { return e.What + ": " + ErrNotFound.Error() }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(format string, args ...any) error {
	return &NotFoundError{What: fmt.Sprintf(format, args...)}
}

// Product returns a product by GTIN-14.
func (x *Index) Product(gtin string) (ledger.Product, error) {
	r := x.newReader()
	defer r.close()
	_, p, ok, err := r.product(gtin) // productcache.go
	if err == nil && !ok {
		err = notFound("product %s", gtin)
	}
	return p, err
}

// Lot returns a lot by GTIN-14 and lot number as the Query contract would:
// a lot made from a recalled lot is reported recalled, with RecalledVia.
func (x *Index) Lot(gtin, lot string) (ledger.LotSummary, error) {
	r := x.newReader()
	defer r.close()
	return r.lot(gtin, lot)
}

func (r *traceReader) lot(gtin, lot string) (ledger.LotSummary, error) {
	var l ledger.LotSummary
	raw, via, ok, err := r.lotRaw(gtin, lot) // tracerec.go
	if err != nil {
		return l, err
	}
	if !ok {
		return l, notFound("lot %s", lotLink(gtin, lot))
	}
	if err := jsondec.Unmarshal(raw, &l); err != nil {
		return l, corrupt(key(tLot, gtin, lot), err)
	}
	l.RecalledVia = append(l.RecalledVia, via...)
	if len(l.RecalledVia) > 0 {
		l.Status = ledger.StatusRecalled
	}
	return l, nil
}

// traceReader serves the reads of one query with a single Pebble
// iterator, re-bounded for each prefix scan: a trace makes several scans
// (recall flags, events, both graph directions, each reached lot's flags),
// and creating and closing an iterator for each cost more than the scans.
// Point reads are Gets, which the tables' bloom filters serve. Not safe for
// concurrent use; close it when done.
type traceReader struct {
	db      reader
	it, pit *pebble.Iterator // scans, point reads
	// recs: the index has trace records, read instead of the tables
	// they are derived from (tracerec.go); recCache holds those read.
	recs     bool
	recCache map[string]*traceRec
	// lastRec is the first record read (rec), not in recCache.
	lastRec struct {
		gtin, lot string
		t         *traceRec
	}
	prods *productCache // productcache.go
	// linked is the last lot link the reader made (linkOf), so that the
	// walk from it need not parse it back (mayHaveEdges): parsing was
	// about a twelfth of a cold trace request.
	linked struct{ link, gtin, lot string }
	// arena, when set (useArena), holds the copies get returns.
	arena *[]byte
	// got is set once get has read a value without an iterator.
	got bool
	// tab holds trace records (rectable.go), read before the index.
	tab *recTable
}

// arenas are the readers' arenas: a cold trace's reads copied into fresh
// slices were a third of its allocation.
var arenas = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// useArena makes get copy values into a pooled buffer, given back by
// close: for a reader whose results are written out before it closes
// (AppendTraceJSONOf), since nothing get returned may be used after.
func (r *traceReader) useArena() { r.arena = arenas.Get().(*[]byte) }

// linkOf is lotLink(gtin, lot), noted as the reader's last link made.
func (r *traceReader) linkOf(gtin, lot string) string {
	if r.linked.gtin != gtin || r.linked.lot != lot || r.linked.link == "" {
		r.linked.link, r.linked.gtin, r.linked.lot = lotLink(gtin, lot), gtin, lot
	}
	return r.linked.link
}

func (x *Index) newReader() *traceReader {
	return &traceReader{db: x.db, recs: x.recs, prods: &x.prods, tab: x.tab}
}

// scan calls fn for every key with prefix p, in order, until fn returns
// false.
func (r *traceReader) scan(p []byte, fn func(k, v []byte) (bool, error)) error {
	if r.it == nil {
		it, err := r.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
		if err != nil {
			return err
		}
		r.it = it
	} else {
		r.it.SetBounds(p, upperBound(p))
	}
	for ok := r.it.First(); ok; ok = r.it.Next() {
		v, err := r.it.ValueAndErr()
		if err != nil {
			return err
		}
		more, err := fn(r.it.Key(), v)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return r.it.Error()
}

// get reads the value of k: the first time with a Get, then with the
// reader's second iterator (the first may be mid-scan), whose prefix seek
// on the whole key uses the tables' bloom filters as Get does and reuses
// the tables it has open instead of setting up a Get each time.
func (r *traceReader) get(k []byte) ([]byte, bool, error) {
	if r.pit == nil && !r.got {
		// A cold trace is often one read (its lot's trace record), and
		// setting up an iterator for it cost more than a Get: about 1.3
		// µs of a cold trace JSON's 26 (BenchmarkColdCall).
		r.got = true
		v, c, err := r.db.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		defer c.Close()
		return r.keep(v), true, nil
	}
	if r.pit == nil {
		it, err := r.db.NewIter(nil)
		if err != nil {
			return nil, false, err
		}
		r.pit = it
	}
	if !r.pit.SeekPrefixGE(k) || !bytes.Equal(r.pit.Key(), k) {
		return nil, false, r.pit.Error()
	}
	v, err := r.pit.ValueAndErr()
	if err != nil {
		return nil, false, err
	}
	return r.keep(v), true, nil
}

// keep returns a copy of v that outlives the read: in the arena when
// there is one.
func (r *traceReader) keep(v []byte) []byte {
	if r.arena != nil {
		// Capped, so that appending to one value cannot write over the
		// next. A full arena grows into a new array: the values copied
		// before stay in the old one.
		a := append(*r.arena, v...)
		*r.arena = a
		return a[len(a)-len(v) : len(a) : len(a)]
	}
	return append([]byte(nil), v...)
}

// space returns n bytes of the reader's arena (useArena), else new ones.
func (r *traceReader) space(n int) []byte {
	if r.arena == nil {
		return make([]byte, n)
	}
	a := *r.arena
	if cap(a)-len(a) < n {
		// A new array: the values taken before stay in the old one.
		a = make([]byte, 0, max(2*cap(a), n))
	}
	a = a[:len(a)+n]
	*r.arena = a
	return a[len(a)-n : len(a) : len(a)]
}

// getJSON decodes the value of k into v, as getJSON does.
func (r *traceReader) getJSON(k []byte, v any) (bool, error) {
	b, ok, err := r.get(k)
	if err != nil || !ok {
		return false, err
	}
	if err := jsondec.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("index: corrupt value under %q: %w", k, err)
	}
	return true, nil
}

func (r *traceReader) close() {
	for _, it := range []*pebble.Iterator{r.it, r.pit} {
		if it != nil {
			it.Close()
		}
	}
	r.it, r.pit = nil, nil
	if r.arena != nil {
		if cap(*r.arena) <= 64<<10 { // a huge trace's is left to the collector
			*r.arena = (*r.arena)[:0]
			arenas.Put(r.arena)
		}
		r.arena = nil
	}
}

// last is the last component of key k.
func last(k []byte) string { return string(k[bytes.LastIndexByte(k, sep)+1:]) }

// LotByLink returns the lot a Digital Link names.
func (x *Index) LotByLink(link string) (ledger.LotSummary, error) {
	r := x.newReader()
	defer r.close()
	return r.lotByLink(link)
}

func (r *traceReader) lotByLink(link string) (ledger.LotSummary, error) {
	gtin, lot, ok := lotKey(link)
	if !ok {
		return ledger.LotSummary{}, notFound("lot %q", link)
	}
	return r.lot(gtin, lot)
}

func lotLink(gtin, lot string) string {
	return digitallink.Link{GTIN: gtin, Lot: lot}.String()
}

// Unit returns a serialised unit by GTIN-14 and serial.
func (x *Index) Unit(gtin, serial string) (ledger.Unit, error) {
	var u ledger.Unit
	ok, err := getJSON(x.db, key(tUnit, gtin, serial), &u)
	if err == nil && !ok {
		err = notFound("unit %s", digitallink.Link{GTIN: gtin, Serial: serial}.String())
	}
	return u, err
}

// Event returns an EPCIS event by id, byte for byte as recorded.
func (x *Index) Event(id string) (json.RawMessage, error) {
	b, ok, err := get(x.db, key(tEvent, id))
	if err == nil && !ok {
		err = notFound("EPCIS event %s", id)
	}
	return b, err
}

// EventsOfLot returns a lot's EPCIS events in ledger order (transaction
// time, then event id), as the chaincode's GetLotEvents does.
func (x *Index) EventsOfLot(gtin, lot string) ([]json.RawMessage, error) {
	r := x.newReader()
	defer r.close()
	return r.eventsOfLot(gtin, lot)
}

func (r *traceReader) eventsOfLot(gtin, lot string) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	err := r.lotEvents(gtin, lot, func(ev []byte) error { // tracerec.go
		out = append(out, ev)
		return nil
	})
	return out, err
}

// Recall returns a lot's own recall.
func (x *Index) Recall(gtin, lot string) (ledger.Recall, error) {
	var r ledger.Recall
	ok, err := getJSON(x.db, key(tRecall, gtin, lot), &r)
	if err == nil && !ok {
		err = notFound("recall of %s", lotLink(gtin, lot))
	}
	return r, err
}

// LabSigner returns a lab signer by address (any case).
func (x *Index) LabSigner(address string) (ledger.LabSigner, error) {
	var s ledger.LabSigner
	ok, err := getJSON(x.db, key(tSigner, strings.ToLower(address)), &s)
	if err == nil && !ok {
		err = notFound("lab signer %s", address)
	}
	return s, err
}

// Shipment returns a shipment by id.
func (x *Index) Shipment(id string) (ledger.Shipment, error) {
	var s ledger.Shipment
	ok, err := getJSON(x.db, key(tShipment, id), &s)
	if err == nil && !ok {
		err = notFound("shipment %s", id)
	}
	return s, err
}

// LogisticUnit returns a logistic unit by SSCC.
func (x *Index) LogisticUnit(sscc string) (ledger.LogisticUnit, error) {
	var u ledger.LogisticUnit
	ok, err := getJSON(x.db, key(tLogistic, sscc), &u)
	if err == nil && !ok {
		err = notFound("logistic unit %s", sscc)
	}
	return u, err
}

// Upstream returns the lots lot was made from, transitively, breadth first.
func (x *Index) Upstream(gtin, lot string) (ledger.Trace, error) {
	r := x.newReader()
	defer r.close()
	return r.walk(r.linkOf(gtin, lot), ledger.Upstream)
}

// Downstream returns the lots made from lot, transitively, breadth first.
func (x *Index) Downstream(gtin, lot string) (ledger.Trace, error) {
	r := x.newReader()
	defer r.close()
	return r.walk(r.linkOf(gtin, lot), ledger.Downstream)
}

// walk visits each lot once, so it ends on any graph.
func (r *traceReader) walk(from, direction string) (ledger.Trace, error) {
	tr := ledger.Trace{Lot: from, Direction: direction, Lots: []ledger.LotSummary{}, Edges: []ledger.Edge{}}
	table := byte(tDown)
	if direction == ledger.Upstream {
		table = tUp
	}
	var seen map[string]bool // made on the first edge: most lots have none
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if may, err := r.mayHaveEdges(cur, table); err != nil { // tracerec.go
			return tr, err
		} else if !may {
			continue
		}
		err := r.scan(prefix(table, cur), func(k, v []byte) (bool, error) {
			other := last(k)
			var q ledger.Quantity
			if err := jsondec.Unmarshal(v, &q); err != nil {
				return false, err
			}
			e := ledger.Edge{Input: cur, Output: other, Quantity: q}
			if direction == ledger.Upstream {
				e.Input, e.Output = other, cur
			}
			tr.Edges = append(tr.Edges, e)
			if seen == nil {
				seen = map[string]bool{from: true}
			}
			if !seen[other] {
				seen[other] = true
				queue = append(queue, other)
			}
			return true, nil
		})
		if err != nil {
			return tr, err
		}
	}
	for _, id := range orderedKeys(tr, from) {
		l, err := r.lotByLink(id)
		if err != nil {
			return tr, err
		}
		tr.Lots = append(tr.Lots, l)
	}
	return tr, nil
}

// orderedKeys lists the lots of tr's edges other than from, in the order
// they were first reached.
func orderedKeys(tr ledger.Trace, from string) []string {
	seen := map[string]bool{from: true}
	var out []string
	for _, e := range tr.Edges {
		other := e.Output
		if tr.Direction == ledger.Upstream {
			other = e.Input
		}
		if !seen[other] {
			seen[other] = true
			out = append(out, other)
		}
	}
	return out
}

// Trace is everything the index knows about a lot, or a unit and its lot:
// the node API's wire type (package nodeapi), which Trace and
// AppendTraceJSON produce.
type Trace = nodeapi.Trace

// Trace returns the trace of a lot (serial empty) or of a unit, whose lot
// must match the lot given.
func (x *Index) Trace(gtin, lot, serial string) (Trace, error) {
	// Every read goes through one reader: a DB.Get sets up an iterator
	// over every level of the LSM, the reader's point iterator once.
	r := x.newReader()
	defer r.close()
	tr := Trace{ID: digitallink.Link{GTIN: gtin, Lot: lot, Serial: serial}.String()}
	if serial != "" {
		var u ledger.Unit
		raw, k, _, ok, err := r.unitRaw(gtin, lot, serial) // tracerec.go
		if err == nil && !ok {
			err = notFound("unit %s", digitallink.Link{GTIN: gtin, Serial: serial}.String())
		}
		if err == nil {
			if jerr := jsondec.Unmarshal(raw, &u); jerr != nil {
				err = corrupt(k, jerr)
			}
		}
		if err != nil {
			return tr, err
		}
		if lot == "" {
			lot = u.Lot
		} else if u.Lot != lot {
			return tr, notFound("unit %s of lot %s (the serial belongs to lot %s)", serial, lotLink(gtin, lot), u.LotID)
		}
		tr.Unit = &u
	}
	l, err := r.lot(gtin, lot)
	if err != nil {
		return tr, err
	}
	tr.Lot = l
	if _, p, ok, err := r.product(gtin); err == nil && ok { // productcache.go
		tr.Product = &p
	}
	if tr.Events, err = r.eventsOfLot(gtin, lot); err != nil {
		return tr, err
	}
	link := r.linkOf(gtin, lot)
	if tr.Upstream, err = r.walk(link, ledger.Upstream); err != nil {
		return tr, err
	}
	if tr.Downstream, err = r.walk(link, ledger.Downstream); err != nil {
		return tr, err
	}
	if raw, ok, err := r.recallRaw(gtin, lot); err == nil && ok {
		var rc ledger.Recall
		if jsondec.Unmarshal(raw, &rc) == nil {
			tr.Recall = &rc
		}
	}
	if l.LastShipment != "" {
		var s ledger.Shipment
		if ok, err := r.getJSON(key(tShipment, l.LastShipment), &s); err == nil && ok {
			tr.Shipment = &s
		}
	}
	return tr, nil
}
