package index

// The per-lot trace record. A trace read the lot (l), its recall (r), its
// recall flags (x, a scan), its events (e, a scan, then each event's v),
// and scanned both graph directions (a, d) even when empty: over an index
// of a million lots with uniform random units, each of those reads a data
// block of its own, so a cold trace missed the block cache six to ten
// times. Apply therefore keeps, per lot, one record of everything a trace
// reads of the lot itself:
//
//	T {gtin} {lot} → traceRec (binary, below, compressed; excluded from Digest)
//
// and a trace reads it with one point read. The record is derived from
// the tables above, written in the same batch: a writer (traceRecWriter)
// sees every Set of l, r, x, a, d, e and v the apply makes, whichever code
// makes it, and before the batch commits the record of each lot written
// is read, merged and written once (flushTraceRecs). Ledger tables are
// never deleted from, so a record only grows: flags only get set, events
// and recall flags only get inserted (in key order: the events' order is
// their transaction time, not the order they are applied in).
//
// Bounds keep a record small enough to rewrite on every write to its lot:
// past maxRecEvents events, or maxRecVia recall flags, the record keeps a
// flag instead of the list and the trace scans e or x as before; event
// bodies are inline for the longest prefix of events whose bodies total at
// most maxRecInline bytes, the later ones are read from v.
//
// The record is a function of the other tables (not of how the
// transactions were batched), so it is left out of Digest, which stays the
// function of the ledger it was. An index of a layout before
// layoutTraceRec has no records: its readers scan as before.
//
// The record also holds the records of the lot's units (u, as stored), up
// to maxRecUnits of them and maxRecUnitBytes in all (past either, a flag):
// a unit's trace whose link names the lot (…/10/{lot}/21/{serial}) reads
// the unit and the lot with one point read, where reading u first missed
// the block cache once more over an index of a million lots. A unit is
// commissioned once (the chaincode refuses a serial already commissioned),
// so its record never moves to another lot; a unit the record does not
// hold (a lot of many units, a serial of another lot, a record of a
// layout before layoutRecUnits) is read from u.

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/klauspost/compress/s2"

	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
)

const tTraceRec = 'T'

// layoutTraceRec is the first layout with trace records.
const layoutTraceRec = 8

// Record bounds (see above).
const (
	maxRecEvents = 64
	maxRecVia    = 64
)

// Bounds of the units a record holds; variables so that a test can make a
// lot of few units one of many.
var (
	maxRecUnits     = 16
	maxRecUnitBytes = 8 << 10
)

// maxRecInline bounds the inline event bodies of a record; a variable so
// that BenchmarkTraceRecord can compare records of keys only (0).
var maxRecInline = 16 << 10

// traceRec flags.
const (
	recLot        = 1 << iota // the lot's record (l) is in lot
	recRecall                 // the lot's own recall (r) is in recall
	recUp                     // a {lot} has keys
	recDown                   // d {lot} has keys
	recManyEvents             // more than maxRecEvents events: scan e
	recManyVia                // more than maxRecVia recall flags: scan x
	recManyUnits              // more units than the bounds: read u
)

// traceRec is a lot's trace record.
type traceRec struct {
	flags  byte
	lot    []byte   // l's value
	recall []byte   // r's value
	via    []string // the x keys' last components, in key order
	events []recEvent
	units  []recUnit // in serial order; none before layoutRecUnits
}

// recUnit is one unit of the lot: its serial and u's value.
type recUnit struct {
	serial string
	body   []byte
}

// recEvent is one e entry of the lot.
type recEvent struct {
	key  string // the e key's components after the lot: txTime sep eventID
	body []byte // v's value; nil when not inline
}

func (e recEvent) id() string { return e.key[strings.IndexByte(e.key, sep)+1:] }

// encode appends the record's encoding to dst: the flags, then the lot's
// and the recall's value when flagged, the recall flags, the events and
// the units, each length-prefixed (uvarint); an event's body is prefixed
// with its length plus one, 0 when it is not inline. A record of a layout
// before layoutRecUnits ends after the events.
func (t *traceRec) encode(dst []byte) []byte {
	dst = append(dst, t.flags)
	bytesOf := func(b []byte) { dst = binary.AppendUvarint(dst, uint64(len(b))); dst = append(dst, b...) }
	if t.flags&recLot != 0 {
		bytesOf(t.lot)
	}
	if t.flags&recRecall != 0 {
		bytesOf(t.recall)
	}
	dst = binary.AppendUvarint(dst, uint64(len(t.via)))
	for _, v := range t.via {
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(t.events)))
	for _, e := range t.events {
		dst = binary.AppendUvarint(dst, uint64(len(e.key)))
		dst = append(dst, e.key...)
		if e.body == nil {
			dst = append(dst, 0)
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(len(e.body))+1)
		dst = append(dst, e.body...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(t.units)))
	for _, u := range t.units {
		dst = binary.AppendUvarint(dst, uint64(len(u.serial)))
		dst = append(dst, u.serial...)
		bytesOf(u.body)
	}
	return dst
}

var errCorruptRec = errors.New("corrupt trace record")

// Compression. A record is mostly JSON that every record repeats (member
// names, GS1 and CBV URIs) around a few values of its own: stored as it
// is, a lot with two units and one event took 1.7 KB, and the default
// 512 MiB block cache held a quarter of a million-lot index's records, so
// that most cold reads missed it. Since layout 11 a record is stored s2
// compressed against a fixed dictionary (tracerec.dict, made from the
// records of the index's test sequences, never the benchmark's): with its
// key, 330 bytes instead of 1.8 KB for the benchmark's lots, so that all
// of a million-lot index's records fit the default cache (316 MiB), and
// a read decompresses in about a microsecond. s2 (klauspost/compress,
// which the node already uses for HTTP) rather than zstd with a
// dictionary, which took 2-3 µs a record to decompress. The first byte
// tells the forms apart: an uncompressed record (an older layout's,
// served read-only) starts with its flags, below 0x80.
const recS2Dict1 = 0x81 // s2 with tracerec.dict

//go:embed tracerec.dict
var recDictBytes []byte

var recDict = sync.OnceValue(func() *s2.Dict { return s2.NewDict(recDictBytes) })

// maxRecBytes bounds a record's decompressed size, which its stored
// form claims: the record's own bounds keep it far below.
const maxRecBytes = 16 << 20

// packTraceRec appends the stored form of the encoded record enc to dst.
func packTraceRec(dst, enc []byte) []byte {
	if recDict() == nil { // no dictionary: only while making it (TestRecDict)
		return append(dst, enc...)
	}
	dst = append(dst, recS2Dict1)
	n := s2.MaxEncodedLen(len(enc))
	dst = slices.Grow(dst, n)
	out := recDict().Encode(dst[len(dst):len(dst)+n], enc)
	return dst[:len(dst)+len(out)]
}

// unpackTraceRec returns the encoded record of the stored value v: v
// itself when it is not compressed, else a new slice.
func unpackTraceRec(v []byte) ([]byte, error) {
	return unpackTraceRecIn(v, func(n int) []byte { return make([]byte, n) })
}

// unpackTraceRecIn is unpackTraceRec decompressing into space(n).
func unpackTraceRecIn(v []byte, space func(n int) []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != recS2Dict1 {
		return v, nil
	}
	n, err := s2.DecodedLen(v[1:])
	if err != nil || n > maxRecBytes {
		return nil, errCorruptRec
	}
	b, err := recDict().Decode(space(n)[:0], v[1:])
	if err != nil {
		return nil, errCorruptRec
	}
	return b, nil
}

// tabRec returns the encoded record held under k by tab (rectable.go),
// decompressed straight out of it into space(n); a record stored
// uncompressed is copied there, since nothing may alias the table. ok is
// false when tab does not hold k.
func tabRec(tab *recTable, k []byte, space func(n int) []byte) (enc []byte, ok bool, err error) {
	enc, ok = tab.get(k, func(v []byte) []byte {
		if len(v) == 0 || v[0] != recS2Dict1 {
			return append(space(len(v))[:0], v...)
		}
		var u []byte
		u, err = unpackTraceRecIn(v, space)
		return u
	})
	return enc, ok, err
}

// decodeTraceRec decodes b; the record's byte slices alias b.
func decodeTraceRec(b []byte) (traceRec, error) {
	var t traceRec
	if len(b) == 0 {
		return t, errCorruptRec
	}
	t.flags, b = b[0], b[1:]
	bad := false
	uvarint := func() uint64 {
		n, k := binary.Uvarint(b)
		if k <= 0 {
			bad = true
			return 0
		}
		b = b[k:]
		return n
	}
	next := func(n uint64) []byte {
		if bad || n > uint64(len(b)) {
			bad = true
			return nil
		}
		v := b[:n:n]
		b = b[n:]
		return v
	}
	if t.flags&recLot != 0 {
		t.lot = next(uvarint())
	}
	if t.flags&recRecall != 0 {
		t.recall = next(uvarint())
	}
	if n := uvarint(); n > uint64(len(b)) {
		bad = true
	} else {
		t.via = make([]string, 0, n)
		for range n {
			t.via = append(t.via, string(next(uvarint())))
		}
	}
	if n := uvarint(); n > uint64(len(b)) {
		bad = true
	} else {
		t.events = make([]recEvent, 0, n)
		for range n {
			e := recEvent{key: string(next(uvarint()))}
			if n := uvarint(); n > 0 {
				e.body = next(n - 1)
			}
			t.events = append(t.events, e)
		}
	}
	if !bad && len(b) > 0 { // absent before layoutRecUnits
		if n := uvarint(); n > uint64(len(b)) {
			bad = true
		} else if n > 0 {
			t.units = make([]recUnit, 0, n)
			for range n {
				u := recUnit{serial: string(next(uvarint()))}
				u.body = next(uvarint())
				t.units = append(t.units, u)
			}
		}
	}
	if bad || len(b) != 0 {
		return traceRec{}, errCorruptRec
	}
	return t, nil
}

// traceRecWriter is an apply's writer that notes, per lot, what the batch
// writes of its trace, for flushTraceRecs, and which lots' claims it must
// evaluate, for flushClaims.
type traceRecWriter struct {
	writer
	// tab holds committed records (rectable.go), read before the index;
	// written holds the records flushTraceRecs wrote, as its entries, for
	// it once the batch is committed (tabCommitted).
	tab      *recTable
	written  []byte
	lots     map[string]*recChange // by gtin sep lot
	bodies   map[string][]byte     // v values written, by event id
	evaluate map[string]time.Time  // lot link → the time to evaluate it at
}

// recChange is what a batch wrote of one lot's trace.
type recChange struct {
	lot, recall []byte
	flags       byte
	via         []string
	events      []string // e key suffixes (txTime sep eventID)
	units       []recUnit
}

func newTraceRecWriter(w writer, tab *recTable) *traceRecWriter {
	return &traceRecWriter{writer: w, tab: tab, lots: map[string]*recChange{}, bodies: map[string][]byte{}, evaluate: map[string]time.Time{}}
}

func (w *traceRecWriter) Set(k, v []byte, o *pebble.WriteOptions) error {
	if len(k) > 2 && k[1] == sep {
		switch k[0] {
		case tLot, tRecall, tRecalledBy, tLotEvent:
			lot, rest := cutLot(k[2:])
			if lot != "" {
				c := w.change(lot)
				switch k[0] {
				case tLot:
					c.lot, c.flags = bytes.Clone(v), c.flags|recLot
				case tRecall:
					c.recall, c.flags = bytes.Clone(v), c.flags|recRecall
				case tRecalledBy:
					c.via = append(c.via, string(rest))
				case tLotEvent:
					c.events = append(c.events, string(rest))
				}
			}
		case tUp, tDown:
			// a {output link} {input link}, d {input link} {output link}:
			// the walk from a lot scans its canonical link (lotLink).
			link, _, ok := bytes.Cut(k[2:], []byte{sep})
			if gtin, lot, ok2 := lotKey(string(link)); ok && ok2 && lotLink(gtin, lot) == string(link) {
				f := byte(recUp)
				if k[0] == tDown {
					f = recDown
				}
				w.change(gtin + string(rune(sep)) + lot).flags |= f
			}
		case tEvent:
			w.bodies[string(k[2:])] = bytes.Clone(v)
		case tUnit:
			w.unit(k[2:], v)
		}
	}
	return w.writer.Set(k, v, o)
}

// unit notes the unit record v of u key components "gtin sep serial" for
// its lot's record. A record whose lot is not a key component is not held
// by any: its traces read u.
func (w *traceRecWriter) unit(comps, v []byte) {
	gtin, serial, ok := bytes.Cut(comps, []byte{sep})
	if !ok {
		return
	}
	lot, found, plain := stringField(v, "lot")
	if !found || !plain {
		var u ledger.Unit
		if jsondec.Unmarshal(v, &u) != nil {
			return
		}
		lot = u.Lot
	}
	if !validComponent(lot) {
		return
	}
	c := w.change(string(gtin) + string(rune(sep)) + lot)
	c.units = append(c.units, recUnit{serial: string(serial), body: bytes.Clone(v)})
}

func (w *traceRecWriter) change(lot string) *recChange {
	c := w.lots[lot]
	if c == nil {
		c = &recChange{}
		w.lots[lot] = c
	}
	return c
}

// cutLot splits key components "gtin sep lot [sep rest]" into the lot
// (gtin sep lot) and the rest.
func cutLot(comps []byte) (lot string, rest []byte) {
	i := bytes.IndexByte(comps, sep)
	if i < 0 {
		return "", nil
	}
	j := bytes.IndexByte(comps[i+1:], sep)
	if j < 0 {
		return string(comps), nil
	}
	return string(comps[:i+1+j]), comps[i+2+j:]
}

// traceRecWriterOf is w's traceRecWriter (an apply's writer), nil if none.
func traceRecWriterOf(w writer) *traceRecWriter {
	if cw, ok := w.(claimsWriter); ok {
		w = cw.writer
	}
	t, _ := w.(*traceRecWriter)
	return t
}

// flushTraceRecs writes the trace record of every lot the batch of w wrote
// to: called once per batch, before its checkpoint.
func flushTraceRecs(w writer) error {
	tw := traceRecWriterOf(w)
	if tw == nil || len(tw.lots) == 0 {
		return nil
	}
	var enc, buf []byte
	for _, l := range slices.Sorted(maps.Keys(tw.lots)) {
		c := tw.lots[l]
		k := append([]byte{tTraceRec, sep}, l...)
		var t traceRec
		// The batch has written no record before this flush: the
		// committed one is the table's when it holds it.
		old, ok, err := tabRec(tw.tab, k, func(n int) []byte { return make([]byte, n) })
		if err == nil && !ok {
			if old, ok, err = get(tw.writer, k); err != nil {
				return err
			}
			if ok {
				old, err = unpackTraceRec(old)
			}
		}
		if err != nil {
			return fmt.Errorf("index: trace record of %q: %w", l, err)
		}
		if ok {
			if t, err = decodeTraceRec(old); err != nil {
				return fmt.Errorf("index: trace record of %q: %w", l, err)
			}
		}
		if err := t.merge(tw, c); err != nil {
			return err
		}
		enc = t.encode(enc[:0])
		buf = packTraceRec(buf[:0], enc)
		if err := tw.writer.Set(k, buf, nil); err != nil {
			return err
		}
		if tw.tab != nil {
			tw.written = appendEntry(tw.written, k, buf) // rectable.go
		}
	}
	clear(tw.lots)
	clear(tw.bodies)
	return nil
}

// tabCommitted gives the table the records the batch of w wrote, once
// it is committed (under the apply lock, before the watchers hear of it).
func tabCommitted(w writer) {
	if tw := traceRecWriterOf(w); tw != nil {
		tw.tab.setAll(tw.written)
		tw.written = tw.written[:0]
	}
}

// merge adds c to t; event bodies come from the batch (tw.bodies) or the
// index.
func (t *traceRec) merge(tw *traceRecWriter, c *recChange) error {
	t.flags |= c.flags
	if c.lot != nil {
		t.lot = c.lot
	}
	if c.recall != nil {
		t.recall = c.recall
	}
	if t.flags&recManyUnits == 0 && len(c.units) > 0 {
		for _, u := range c.units {
			i, found := slices.BinarySearchFunc(t.units, u.serial, func(a recUnit, s string) int { return strings.Compare(a.serial, s) })
			if found {
				t.units[i] = u
			} else {
				t.units = slices.Insert(t.units, i, u)
			}
		}
		total := 0
		for _, u := range t.units {
			total += len(u.body)
		}
		if len(t.units) > maxRecUnits || total > maxRecUnitBytes {
			t.flags |= recManyUnits
			t.units = nil
		}
	}
	if t.flags&recManyVia == 0 {
		for _, v := range c.via {
			if i, found := slices.BinarySearch(t.via, v); !found {
				t.via = slices.Insert(t.via, i, v)
			}
		}
		if len(t.via) > maxRecVia {
			t.flags |= recManyVia
			t.via = nil
		}
	}
	if t.flags&recManyEvents != 0 {
		return nil
	}
	for _, e := range c.events {
		i, found := slices.BinarySearchFunc(t.events, e, func(a recEvent, k string) int { return strings.Compare(a.key, k) })
		if found {
			t.events[i].body = nil // written again: read it again below
		} else {
			t.events = slices.Insert(t.events, i, recEvent{key: e})
		}
	}
	if len(t.events) > maxRecEvents {
		t.flags |= recManyEvents
		t.events = nil
		return nil
	}
	// Inline the longest prefix of bodies that fits maxRecInline: an
	// insert only shortens it, so a body once left out is never needed.
	total := 0
	for i := range t.events {
		e := &t.events[i]
		if e.body == nil && total <= maxRecInline {
			id := e.id()
			b, ok := tw.bodies[id]
			if !ok {
				var err error
				if b, ok, err = get(tw.writer, key(tEvent, id)); err != nil {
					return err
				}
			}
			if !ok {
				total = maxRecInline + 1 // read from v, which reports it missing
			}
			e.body = b
		}
		total += len(e.body)
		if total > maxRecInline {
			for j := i; j < len(t.events); j++ {
				t.events[j].body = nil
			}
			break
		}
	}
	return nil
}

// traceRecKey is the key of lot gtin/lot's trace record.
func traceRecKey(gtin, lot string) []byte { return key(tTraceRec, gtin, lot) }

// layoutRecUnits is the first layout whose trace records hold the lot's
// units.
const layoutRecUnits = 10

// unitRaw returns the stored record of unit gtin/serial (u), the key it
// was read under, and the unit's lot. When lot is given and the index has
// trace records, the lot's record is read first: the unit's record is
// taken from it when it holds it; otherwise (a lot of many units, a serial
// of another lot, a record before layoutRecUnits) u is read, as before.
// ok is false when the unit is not in the index.
func (r *traceReader) unitRaw(gtin, lot, serial string) (raw, k []byte, ulot string, ok bool, err error) {
	if r.recs && lot != "" {
		t, found, err := r.rec(gtin, lot)
		if err != nil {
			return nil, nil, "", false, err
		}
		if found {
			i, held := slices.BinarySearchFunc(t.units, serial, func(a recUnit, s string) int { return strings.Compare(a.serial, s) })
			if held {
				return t.units[i].body, traceRecKey(gtin, lot), lot, true, nil
			}
		}
	}
	k = key(tUnit, gtin, serial)
	if raw, ok, err = r.get(k); err != nil || !ok {
		return nil, k, "", false, err
	}
	ulot, found, plain := stringField(raw, "lot")
	if !found || !plain {
		var u ledger.Unit
		if err := jsondec.Unmarshal(raw, &u); err != nil {
			return nil, k, "", false, corrupt(k, err)
		}
		ulot = u.Lot
	}
	return raw, k, ulot, true, nil
}

// rec returns lot gtin/lot's trace record (ok false: none, the lot is not
// in the index), reading it once per reader. Only for an index with trace
// records (r.recs).
func (r *traceReader) rec(gtin, lot string) (*traceRec, bool, error) {
	// Most traces read one lot's record, most often several times: the
	// last one is kept apart from the map, which is made for a second.
	if r.lastRec.t != nil && r.lastRec.gtin == gtin && r.lastRec.lot == lot {
		return r.lastRec.t, true, nil
	}
	var ck string
	if r.recCache != nil {
		ck = gtin + string(rune(sep)) + lot
		if t, ok := r.recCache[ck]; ok {
			return t, t != nil, nil
		}
	}
	k := traceRecKey(gtin, lot)
	b, ok, err := tabRec(r.tab, k, r.space)
	if err == nil && !ok {
		if b, ok, err = r.get(k); err == nil && ok {
			b, err = unpackTraceRecIn(b, r.space)
		}
	}
	var t *traceRec
	if err != nil {
		return nil, false, fmt.Errorf("index: trace record of %s: %w", lotLink(gtin, lot), err)
	}
	if ok {
		d, err := decodeTraceRec(b)
		if err != nil {
			return nil, false, fmt.Errorf("index: trace record of %s: %w", lotLink(gtin, lot), err)
		}
		t = &d
	}
	if t != nil && r.lastRec.t == nil {
		r.lastRec.gtin, r.lastRec.lot, r.lastRec.t = gtin, lot, t
		return t, true, nil
	}
	if r.recCache == nil {
		r.recCache = map[string]*traceRec{}
		ck = gtin + string(rune(sep)) + lot
	}
	r.recCache[ck] = t
	return t, t != nil, nil
}

// lotRaw returns the stored value of lot gtin/lot (l) and its recall
// flags (the last components of its x keys, in order).
func (r *traceReader) lotRaw(gtin, lot string) (raw []byte, via []string, ok bool, err error) {
	if r.recs {
		t, found, err := r.rec(gtin, lot)
		if err != nil || !found || t.flags&recLot == 0 {
			return nil, nil, false, err
		}
		if t.flags&recManyVia == 0 {
			return t.lot, slices.Clone(t.via), true, nil
		}
		raw = t.lot
	} else if raw, ok, err = r.get(key(tLot, gtin, lot)); err != nil || !ok {
		return nil, nil, false, err
	}
	err = r.scan(prefix(tRecalledBy, gtin, lot), func(k, _ []byte) (bool, error) {
		via = append(via, last(k))
		return true, nil
	})
	return raw, via, true, err
}

// recallRaw returns the stored value of lot gtin/lot's own recall (r).
func (r *traceReader) recallRaw(gtin, lot string) ([]byte, bool, error) {
	if !r.recs {
		return r.get(key(tRecall, gtin, lot))
	}
	t, found, err := r.rec(gtin, lot)
	if err != nil || !found || t.flags&recRecall == 0 {
		return nil, false, err
	}
	return t.recall, true, nil
}

// lotEvents calls fn with each event of lot gtin/lot, in ledger order: its
// e key (for errors) and its stored value (v).
func (r *traceReader) lotEvents(gtin, lot string, fn func(ev []byte) error) error {
	body := func(id []byte, k func() []byte) error {
		ev, ok, err := r.get(append([]byte{tEvent, sep}, id...))
		if err == nil && !ok {
			err = notFound("EPCIS event %s", id)
		}
		if err != nil {
			return fmt.Errorf("index: lot event entry %q: %w", k(), err)
		}
		return fn(ev)
	}
	if r.recs {
		t, found, err := r.rec(gtin, lot)
		if err != nil || !found {
			return err
		}
		if t.flags&recManyEvents == 0 {
			for _, e := range t.events {
				if e.body != nil {
					if err := fn(e.body); err != nil {
						return err
					}
					continue
				}
				if err := body([]byte(e.id()), func() []byte { return append(prefix(tLotEvent, gtin, lot), e.key...) }); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return r.scan(prefix(tLotEvent, gtin, lot), func(k, _ []byte) (bool, error) {
		return true, body(k[bytes.LastIndexByte(k, sep)+1:], func() []byte { return k })
	})
}

// mayHaveEdges is false when lot link certainly has no edge in table (a:
// upstream, d: downstream), so the walk need not scan.
func (r *traceReader) mayHaveEdges(link string, table byte) (bool, error) {
	if !r.recs {
		return true, nil
	}
	gtin, lot := r.linked.gtin, r.linked.lot
	if link != r.linked.link || link == "" {
		var ok bool
		gtin, lot, ok = lotKey(link)
		if !ok || lotLink(gtin, lot) != link {
			return true, nil // the record notes the edges of canonical links only
		}
	}
	t, found, err := r.rec(gtin, lot)
	if err != nil || !found {
		return false, err
	}
	f := byte(recUp)
	if table == tDown {
		f = recDown
	}
	return t.flags&f != 0, nil
}
