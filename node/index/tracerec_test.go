package index

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// recLedger is a random ledger for the trace record's differential test:
// lots of two products, created in random order; events on one to three
// lots at random transaction times (not in block order), some with bodies
// large enough to pass the inline bound and some lots with more events
// than the record keeps; transformations (inputs, so edges and inherited
// recall flags), recalls, shipments, lots recalled through more upstream
// lots than the record keeps, and an event naming a lot never created.
func recLedger(seed uint64) []tx {
	r := rand.New(rand.NewPCG(seed, 18))
	gtins := []string{"09506000134352", "09506000134369"}
	var lots []ledger.LotSummary
	link := func(l ledger.LotSummary) string { return l.ID }
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var seq []tx
	blk, n := uint64(1), 0
	add := func(ev ledger.Event) {
		ev.TxID = fmt.Sprintf("tx%d", n)
		seq = append(seq, tx{Block: blk, Tx: n % 7, Event: ev})
		n++
		if n%7 == 0 {
			blk++
		}
	}
	add(ledger.Event{Function: "Product:RegisterProduct", Products: []ledger.Product{
		{ID: "https://id.gs1.org/01/" + gtins[0], GTIN: gtins[0], Name: "Apples", Owner: "BrandMSP"},
		{ID: "https://id.gs1.org/01/" + gtins[1], GTIN: gtins[1], Name: "Juice", Owner: "BrandMSP"}}})
	newLot := func(i int, inputs []ledger.LotQuantity) ledger.LotSummary {
		g := gtins[i%2]
		num := fmt.Sprintf("L%03d", i)
		return ledger.LotSummary{ID: lotLink(g, num), GTIN: g, Lot: num, Product: "https://id.gs1.org/01/" + g, Status: "active",
			Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Inputs: inputs}
	}
	event := func(at time.Time, subjects []string, pad int) json.RawMessage {
		var ql []map[string]any
		for _, s := range subjects {
			ql = append(ql, map[string]any{"epcClass": s, "quantity": 1, "uom": "KGM"})
		}
		m := map[string]any{"type": "ObjectEvent", "eventID": fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", n),
			"eventTime": at.Format(time.RFC3339Nano), "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "inspecting",
			"quantityList": ql}
		if pad > 0 {
			m["example:note"] = strings.Repeat("x", pad)
		}
		raw, _ := json.Marshal(m)
		return raw
	}
	// A lot never created, named by events.
	ghost := lotLink(gtins[0], "GHOST")
	for step := 0; step < 600; step++ {
		at := t0.Add(time.Duration(r.IntN(100000)) * time.Second)
		ts := ledger.FormatTime(at)
		switch k := r.IntN(20); {
		case k < 4 || len(lots) < 3: // a new lot, maybe made from others
			var in []ledger.LotQuantity
			if len(lots) > 3 && r.IntN(2) == 0 {
				for range 1 + r.IntN(3) {
					in = append(in, ledger.LotQuantity{Lot: link(lots[r.IntN(len(lots))]), Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}})
				}
			}
			l := newLot(len(lots), in)
			l.CreatedAt = ts
			lots = append(lots, l)
			add(ledger.Event{Function: "Batch:CreateBatch", Timestamp: ts, Lots: []ledger.LotSummary{l}, EPCIS: []json.RawMessage{event(at, []string{l.ID}, 0)}})
		case k < 5: // a recall
			l := lots[r.IntN(len(lots))]
			add(ledger.Event{Function: "Recall:Recall", Timestamp: ts, Recalls: []ledger.Recall{{Lot: l.ID, Reason: fmt.Sprintf("r%d", n), Class: "II"}}})
		case k < 6: // a shipment, and the lot records that point to it
			i := r.IntN(len(lots))
			id := fmt.Sprintf("ship%d", n)
			lots[i].LastShipment, lots[i].UpdatedAt = id, ts
			add(ledger.Event{Function: "Custody:Ship", Timestamp: ts, Lots: []ledger.LotSummary{lots[i]},
				Shipments: []ledger.Shipment{{ID: id, Lots: []string{lots[i].ID}}}, EPCIS: []json.RawMessage{event(at, []string{lots[i].ID}, 0)}})
		case k < 9: // an event for the busy lot (past the record's bound) or the ghost
			s := ghost
			if r.IntN(4) > 0 {
				s = link(lots[0])
			}
			add(ledger.Event{Function: "Custody:Observe", Timestamp: ts, EPCIS: []json.RawMessage{event(at, []string{s}, 0)}})
		default: // an event on one to three lots; some large
			var subj []string
			for range 1 + r.IntN(3) {
				subj = append(subj, link(lots[r.IntN(len(lots))]))
			}
			pad := 0
			if r.IntN(10) == 0 {
				pad = 3000 + r.IntN(4000)
			}
			ev := ledger.Event{Function: "Custody:Observe", Timestamp: ts, EPCIS: []json.RawMessage{event(at, subj, pad)}}
			if r.IntN(5) == 0 { // the lot record written again too
				i := r.IntN(len(lots))
				lots[i].UpdatedAt = ts
				ev.Lots = []ledger.LotSummary{lots[i]}
			}
			add(ev)
		}
	}
	// A lot recalled through more upstream lots than the record keeps.
	var in []ledger.LotQuantity
	for i := range maxRecVia + 2 {
		l := newLot(1000+i, nil)
		add(ledger.Event{Function: "Batch:CreateBatch", Lots: []ledger.LotSummary{l}})
		add(ledger.Event{Function: "Recall:Recall", Recalls: []ledger.Recall{{Lot: l.ID, Reason: "r", Class: "I"}}})
		in = append(in, ledger.LotQuantity{Lot: l.ID, Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}})
	}
	add(ledger.Event{Function: "Batch:Transform", Lots: []ledger.LotSummary{newLot(2000, in)}})
	return seq
}

// lotsOf lists the lots of x's l table, and the lot numbers of the
// events' lots that have no record.
func lotsOf(t *testing.T, x *Index) [][2]string {
	t.Helper()
	var out [][2]string
	err := scan(x.db, []byte{tLot, sep}, nil, func(k, _ []byte) (bool, error) {
		p := split(k)
		out = append(out, [2]string{p[0], p[1]})
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return append(out, [2]string{"09506000134352", "GHOST"}, [2]string{"09506000134352", "NONE"})
}

// sameTraces checks that every lot's trace, lot, events and graph read
// from the trace records equal those read by the scans.
func sameTraces(t *testing.T, x *Index) {
	t.Helper()
	if !x.recs {
		t.Fatal("the index has no trace records")
	}
	type reading struct {
		trace             Trace
		traceErr          string
		json              []byte
		jsonErr           string
		lot               ledger.LotSummary
		events            []json.RawMessage
		up, down          ledger.Trace
		lotErr, eventsErr string
		upErr, downErr    string
		deps              []Subject
	}
	errString := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	read := func(gtin, lot string) reading {
		var g reading
		var err error
		g.trace, err = x.Trace(gtin, lot, "")
		g.traceErr = errString(err)
		g.json, err = x.AppendTraceJSONOf(nil, gtin, lot, "", func(s Subject) { g.deps = append(g.deps, s) })
		g.jsonErr = errString(err)
		g.lot, err = x.Lot(gtin, lot)
		g.lotErr = errString(err)
		g.events, err = x.EventsOfLot(gtin, lot)
		g.eventsErr = errString(err)
		g.up, err = x.Upstream(gtin, lot)
		g.upErr = errString(err)
		g.down, err = x.Downstream(gtin, lot)
		g.downErr = errString(err)
		return g
	}
	n := 0
	for _, l := range lotsOf(t, x) {
		x.recs = true
		got := read(l[0], l[1])
		x.recs = false
		want := read(l[0], l[1])
		x.recs = true
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got.trace)
			wj, _ := json.Marshal(want.trace)
			t.Fatalf("lot %s/%s: from the record\n%s\n%s %s\nfrom the scans\n%s\n%s %s", l[0], l[1], gj, got.json, got.jsonErr, wj, want.json, want.jsonErr)
		}
		n++
	}
	// Units' traces, with and without their lot given, and with a lot
	// they are not of (an error naming theirs); with the lot, the unit's
	// record is read from the lot's trace record, which holds u's value
	// byte for byte unless the lot has too many units (recManyUnits).
	err := scan(x.db, []byte{tUnit, sep}, nil, func(k, v []byte) (bool, error) {
		p := split(k)
		var u ledger.Unit
		if err := json.Unmarshal(v, &u); err != nil {
			return false, err
		}
		r := x.newReader()
		rec, found, err := r.rec(p[0], u.Lot)
		r.close()
		if err != nil || !found {
			t.Fatalf("unit %s/%s: record of lot %s: %v, %v", p[0], p[1], u.Lot, found, err)
		}
		if rec.flags&recManyUnits == 0 {
			i, held := slices.BinarySearchFunc(rec.units, p[1], func(a recUnit, s string) int { return strings.Compare(a.serial, s) })
			if !held || !bytes.Equal(rec.units[i].body, v) {
				t.Fatalf("unit %s/%s: the record of lot %s holds %v %q; want %q", p[0], p[1], u.Lot, held, rec.units, v)
			}
		}
		for _, lot := range []string{"", u.Lot, u.Lot + "-other"} {
			x.recs = true
			gt, gerr := x.Trace(p[0], lot, p[1])
			gj, gjerr := x.AppendTraceJSON(nil, p[0], lot, p[1])
			x.recs = false
			wt, werr := x.Trace(p[0], lot, p[1])
			wj, wjerr := x.AppendTraceJSON(nil, p[0], lot, p[1])
			x.recs = true
			if !reflect.DeepEqual(gt, wt) || errString(gerr) != errString(werr) || !bytes.Equal(gj, wj) || errString(gjerr) != errString(wjerr) {
				t.Fatalf("unit %s/%s: from the record %s %v, from the scans %s %v", p[0], p[1], gj, gjerr, wj, wjerr)
			}
			n++
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lots and units read alike", n)
}

// recsOf returns x's trace records, decompressed.
func recsOf(t *testing.T, x *Index) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := scan(x.db, []byte{tTraceRec}, nil, func(k, v []byte) (bool, error) {
		b, err := unpackTraceRec(v)
		out[string(k)] = string(b)
		return true, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTraceRecordDifferential: over random ledgers and the fixtures, every
// lot's trace read from its trace record equals the trace read by the
// scans (the reads of layouts before the record), byte for byte as JSON;
// the records do not depend on how the transactions were batched (one
// Apply each, or ApplyBlocks of random runs of blocks, watched or not); and
// the record bounds are exercised.
func TestTraceRecordDifferential(t *testing.T) {
	seqs := map[string][]tx{"supply": loadSeq(t, "supply.json"), "demo": loadSeq(t, "demo.json")}
	for seed := range uint64(3) {
		seqs[fmt.Sprintf("random%d", seed)] = recLedger(seed)
	}
	for name, seq := range seqs {
		t.Run(name, func(t *testing.T) {
			one := openMem(t, vfs.NewMem())
			defer one.Close()
			applyAll(t, one, seq)
			sameTraces(t, one)

			batched := openMem(t, vfs.NewMem())
			defer batched.Close()
			stop := batched.Watch(func(Change) {})
			defer stop()
			r := rand.New(rand.NewPCG(uint64(len(seq)), 1))
			for i := 0; i < len(seq); {
				var blocks []Block
				for k := 0; k < 1+r.IntN(4) && i < len(seq); k++ {
					b := Block{Number: seq[i].Block}
					for ; i < len(seq) && seq[i].Block == b.Number; i++ {
						b.Txs = append(b.Txs, Tx{Pos: seq[i].pos(), Event: &seq[i].Event})
					}
					blocks = append(blocks, b)
				}
				if _, err := batched.ApplyBlocks(blocks); err != nil {
					t.Fatal(err)
				}
			}
			sameTable(t, one)
			sameTable(t, batched)
			if a, b := recsOf(t, one), recsOf(t, batched); !reflect.DeepEqual(a, b) {
				t.Fatalf("records differ between one Apply per transaction (%d) and batches (%d)", len(a), len(b))
			}
			if a, b := mustDigest(t, one), mustDigest(t, batched); a != b {
				t.Fatalf("digests differ: %s, %s", a, b)
			}
			if strings.HasPrefix(name, "random") {
				// The bounds were reached: a lot past maxRecEvents, one
				// past maxRecVia, events not inline.
				var many, manyVia, notInline bool
				for _, v := range recsOf(t, one) {
					rec, err := decodeTraceRec([]byte(v))
					if err != nil {
						t.Fatal(err)
					}
					many = many || rec.flags&recManyEvents != 0
					manyVia = manyVia || rec.flags&recManyVia != 0
					for _, e := range rec.events {
						notInline = notInline || e.body == nil
					}
				}
				if !many || !manyVia || !notInline {
					t.Fatalf("bounds not exercised: many events %v, many recall flags %v, a body not inline %v", many, manyVia, notInline)
				}
			}
		})
	}
}

func mustDigest(t *testing.T, x *Index) string {
	t.Helper()
	d, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTraceRecordLeftOutOfDigest: the digest is the function of the
// ledger it was before trace records (they are derived from the tables
// it covers).
func TestTraceRecordLeftOutOfDigest(t *testing.T) {
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, loadSeq(t, "supply.json"))
	before := mustDigest(t, x)
	if len(recsOf(t, x)) == 0 {
		t.Fatal("no trace records")
	}
	if err := x.db.DeleteRange([]byte{tTraceRec}, []byte{tTraceRec + 1}, nil); err != nil {
		t.Fatal(err)
	}
	if after := mustDigest(t, x); after != before {
		t.Fatal("the digest covers the trace records")
	}
}

// TestOlderLayoutServedByScans: an index of the layout before trace
// records (no T table), opened to be served (OpenOld), reads its traces
// by the scans and gives the traces the current layout gives.
func TestOlderLayoutServedByScans(t *testing.T) {
	fs := vfs.NewMem()
	x := openMem(t, fs)
	applyAll(t, x, loadSeq(t, "demo.json"))
	want := map[[2]string][]byte{}
	for _, l := range lotsOf(t, x) {
		b, err := x.AppendTraceJSON(nil, l[0], l[1], "")
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		want[l] = b
	}
	if err := x.db.DeleteRange([]byte{tTraceRec}, []byte{tTraceRec + 1}, nil); err != nil {
		t.Fatal(err)
	}
	cp := x.Checkpoint()
	cp.Layout = layoutTraceRec - 1
	if err := setJSON(x.db, checkpointKey, cp); err != nil {
		t.Fatal(err)
	}
	x.Close()
	old, err := OpenOld("idx", &Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if old.recs {
		t.Fatal("an index of layout 7 read as having trace records")
	}
	for l, w := range want {
		got, err := old.AppendTraceJSON(nil, l[0], l[1], "")
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w) {
			t.Fatalf("%s/%s: %s\nwant %s", l[0], l[1], got, w)
		}
	}
}

// TestTraceRecordEncoding: a record decodes to what was encoded; a
// truncated or extended one is refused; a record of a layout before
// layoutRecUnits (no units' section) decodes without units.
func TestTraceRecordEncoding(t *testing.T) {
	rec := traceRec{flags: recLot | recRecall | recDown, lot: []byte(`{"lot":"A"}`), recall: []byte(`{}`), via: []string{"a", "b"},
		events: []recEvent{{key: "t1\x00e1", body: []byte(`{"x":1}`)}, {key: "t2\x00e2"}, {key: "t3\x00e3", body: []byte{}}},
		units:  []recUnit{{serial: "S1", body: []byte(`{"lot":"A"}`)}, {serial: "S2", body: []byte{}}}}
	b := rec.encode(nil)
	got, err := decodeTraceRec(b)
	if err != nil || !reflect.DeepEqual(got, rec) {
		t.Fatalf("%+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(bytes.Clone(b), 0)} {
		if _, err := decodeTraceRec(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	old := rec
	old.units = nil
	ob := old.encode(nil)
	if got, err := decodeTraceRec(ob[:len(ob)-1]); err != nil || !reflect.DeepEqual(got, old) {
		t.Fatalf("without the units' section: %+v, %v", got, err)
	}
}

// TestRecUnitsMissing: an index whose trace records hold no units (a
// layout-8 or 9 index, served by OpenOld during a rolling rebuild) reads
// the units from u: the same traces.
func TestRecUnitsMissing(t *testing.T) {
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, loadSeq(t, "supply.json"))
	const gtin = "09506000134369"
	read := func() string {
		var out []string
		for _, lot := range []string{"", "J1", "L1"} {
			js, err := x.AppendTraceJSON(nil, gtin, lot, "S1")
			tr, terr := x.Trace(gtin, lot, "S1")
			tj, _ := json.Marshal(tr)
			out = append(out, fmt.Sprintf("%s %v %s %v", js, err, tj, terr))
		}
		return strings.Join(out, "\n")
	}
	with := read()
	held := 0
	for k, v := range recsOf(t, x) {
		rec, err := decodeTraceRec([]byte(v))
		if err != nil {
			t.Fatal(err)
		}
		held += len(rec.units)
		// As a layout before layoutRecUnits wrote it: without the
		// units' section.
		rec.units = nil
		b := rec.encode(nil)
		if err := x.db.Set([]byte(k), b[:len(b)-1], nil); err != nil {
			t.Fatal(err)
		}
	}
	if held != 2 { // S1, S2
		t.Fatalf("%d units held, want 2", held)
	}
	if without := read(); without != with {
		t.Fatalf("with the copies:\n%s\nwithout:\n%s", with, without)
	}
}

// TestRecManyUnits: a lot of more units than a record holds keeps a flag,
// and its units' traces read u: the same traces.
func TestRecManyUnits(t *testing.T) {
	defer func(n int) { maxRecUnits = n }(maxRecUnits)
	maxRecUnits = 1
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, loadSeq(t, "supply.json")) // J1 has units S1 and S2
	r := x.newReader()
	rec, found, err := r.rec("09506000134369", "J1")
	r.close()
	if err != nil || !found || rec.flags&recManyUnits == 0 || len(rec.units) != 0 {
		t.Fatalf("J1's record: %v, %v, flags %b, %d units", found, err, rec.flags, len(rec.units))
	}
	sameTraces(t, x)
}
