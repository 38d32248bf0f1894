package index

// Watchers learn what each commit changed, so that a reader can wait for
// a change of what it shows instead of polling the checkpoint (the API's
// badge streams do). A watcher is called on the applying goroutine after
// the commit, with the index unlocked.

import (
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// Change is what one commit of Apply or ApplyBlock changed.
type Change struct {
	// Checkpoint is the checkpoint after the commit.
	Checkpoint Checkpoint
	// lots are the lots (gtin sep lot) whose summary, recall flags, events
	// or claim results were written; gtins the products whose record or
	// claims were.
	lots, gtins map[string]struct{}
	// recalls are the lots (gtin sep lot) whose own recall was recorded.
	recalls map[string]struct{}
	// units (gtin sep serial) and shipments whose record was written;
	// signers is true when a lab signer's record was.
	units, shipments map[string]struct{}
	signers          bool
}

// Subject names a record of the index that readers show (a lot with what
// the index says about it, a product, a unit, a shipment, the lab
// signers), so that a cache of what they show (the API's rendered pages)
// can be keyed by what it was built from and dropped when a commit writes
// it (Change.Subjects).
type Subject string

// LotSubject is lot gtin/lot: its summary, recall flags, events, claims
// and their results.
func LotSubject(gtin, lot string) Subject { return Subject("l" + gtin + "\x00" + lot) }

// ProductSubject is product gtin's record and its claims.
func ProductSubject(gtin string) Subject { return Subject("p" + gtin) }

// UnitSubject is unit gtin/serial's record.
func UnitSubject(gtin, serial string) Subject { return Subject("u" + gtin + "\x00" + serial) }

// ShipmentSubject is shipment id's record.
func ShipmentSubject(id string) Subject { return Subject("h" + id) }

// SignersSubject is every lab signer's record (they change rarely: a
// change of any is a change of all).
const SignersSubject Subject = "s"

// Subjects calls fn with every subject the commit wrote: a subject not
// named was not written (a false positive is possible, a record rewritten
// as it was; a false negative is not).
func (c Change) Subjects(fn func(Subject)) {
	for k := range c.lots {
		fn(Subject("l" + k))
	}
	for g := range c.gtins {
		fn(ProductSubject(g))
	}
	for k := range c.units {
		fn(Subject("u" + k))
	}
	for id := range c.shipments {
		fn(ShipmentSubject(id))
	}
	if c.signers {
		fn(SignersSubject)
	}
}

// Recalls are the lots, as GTIN and lot number, whose own recall record
// the commit wrote (package recallnotice tells members of them).
func (c Change) Recalls() [][2]string {
	out := make([][2]string, 0, len(c.recalls))
	for k := range c.recalls {
		if gtin, lot, ok := strings.Cut(k, string(rune(sep))); ok {
			out = append(out, [2]string{gtin, lot})
		}
	}
	return out
}

// Lot reports whether the commit wrote anything the index says about the
// lot gtin/lot: its summary, recall flags, events, the claims on it or
// their results, or its product. A false positive is possible (a record
// rewritten as it was), a false negative is not.
func (c Change) Lot(gtin, lot string) bool {
	if _, ok := c.gtins[gtin]; ok {
		return true
	}
	_, ok := c.lots[gtin+"\x00"+lot]
	return ok
}

// watchers are the functions Watch registered.
type watchers struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(Change)
}

// Watch calls fn after every commit of Apply or ApplyBlock with what it
// changed, until stop is called. fn runs on the goroutine that applied,
// after the index is unlocked: it must return quickly (wake a reader up,
// not read the index itself).
func (x *Index) Watch(fn func(Change)) (stop func()) {
	w := &x.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fns == nil {
		w.fns = map[int]func(Change){}
	}
	id := w.next
	w.next++
	w.fns[id] = fn
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.fns, id)
	}
}

// watching reports whether any watcher is registered: only then are the
// subjects of a commit's writes collected.
func (w *watchers) watching() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.fns) > 0
}

func (w *watchers) notify(c Change) {
	w.mu.Lock()
	fns := make([]func(Change), 0, len(w.fns))
	for _, fn := range w.fns {
		fns = append(fns, fn)
	}
	w.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

// changeWriter collects the lots and products a batch writes.
type changeWriter struct {
	writer
	c Change
}

func newChangeWriter(w writer) *changeWriter {
	return &changeWriter{writer: w, c: Change{lots: map[string]struct{}{}, gtins: map[string]struct{}{}, recalls: map[string]struct{}{},
		units: map[string]struct{}{}, shipments: map[string]struct{}{}}}
}

func (w *changeWriter) Set(k, v []byte, o *pebble.WriteOptions) error {
	if len(k) > 2 {
		switch k[0] {
		case tLot, tRecall, tRecalledBy, tLotEvent:
			l := w.lot(k[2:])
			if k[0] == tRecall {
				w.c.recalls[l] = struct{}{}
			}
		case tProduct:
			w.c.gtins[string(k[2:])] = struct{}{}
		case tUnit:
			w.c.units[string(k[2:])] = struct{}{}
		case tShipment:
			w.c.shipments[string(k[2:])] = struct{}{}
		case tSigner:
			w.c.signers = true
		case tClaims:
			if len(k) > 4 && k[3] == sep {
				switch k[2] {
				case 'r':
					w.lot(k[4:])
				case 'g':
					w.gtin(k[4:])
				}
			}
		}
	}
	return w.writer.Set(k, v, o)
}

// lot notes the lot of a key whose components (after the table) start
// with its GTIN and lot number.
func (w *changeWriter) lot(rest []byte) string {
	n := 0
	for i, b := range rest {
		if b == sep {
			if n++; n == 2 {
				rest = rest[:i]
				break
			}
		}
	}
	l := string(rest)
	w.c.lots[l] = struct{}{}
	return l
}

// gtin notes the product of a key whose components start with a GTIN.
func (w *changeWriter) gtin(rest []byte) {
	for i, b := range rest {
		if b == sep {
			rest = rest[:i]
			break
		}
	}
	w.c.gtins[string(rest)] = struct{}{}
}

// batchWriter is the writer an apply writes b through: b itself, or, when
// anyone watches, b through a changeWriter (nil otherwise); either knows
// the products with claims (claimsWriter).
func (x *Index) batchWriter(b writer) (writer, *changeWriter) {
	if !x.watch.watching() {
		return claimsWriter{newTraceRecWriter(b, x.tab), &x.claimed, x.leaves, x.events, &x.recalls}, nil // tracerec.go
	}
	cw := newChangeWriter(b)
	return claimsWriter{newTraceRecWriter(cw, x.tab), &x.claimed, x.leaves, x.events, &x.recalls}, cw
}

// change is what the batch changed, committed at cp; nil for no watcher.
func (w *changeWriter) change(cp Checkpoint) *Change {
	if w == nil {
		return nil
	}
	w.c.Checkpoint = cp
	return &w.c
}
