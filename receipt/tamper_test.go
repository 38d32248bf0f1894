package receipt

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
)

const (
	lotA = "https://id.gs1.org/01/09506000134352/10/A1"
	lotB = "https://id.gs1.org/01/09506000134352/10/B1"
)

// leafItem is one event or record as the ledger recorded it.
type leafItem struct {
	event  json.RawMessage // or record
	record *ledger.Record
	id, tx string
	block  uint64
	// service marks a service event of the product (Entry.Service).
	service bool
}

// buildBound anchors items in windows of 10 blocks with bound leaves
// (ledger.Leaf), each window anchored by every member of c (or by a fake
// anchor when c is nil), and builds the receipt of subject over those
// items for which show is true, as a node does.
func buildBound(t testing.TB, c *chain, subject Subject, items []leafItem, show func(leafItem) bool, upstream func(leafItem) bool) *Receipt {
	t.Helper()
	type win struct {
		mw     merkle.Window
		tree   *merkle.Tree
		w      ethanchor.Window
		leaves map[string]string // id → leaf
	}
	byWin := map[uint64][]string{}
	leafOf := map[string]string{}
	for _, it := range items {
		content := []byte(it.event)
		if it.record != nil {
			content = it.record.JSON
		}
		l, err := ledger.BoundLeaf(it.id, it.tx, it.block, content)
		if err != nil {
			t.Fatal(err)
		}
		byWin[it.block/10] = append(byWin[it.block/10], l.String())
		leafOf[it.id] = l.String()
	}
	// Each window's state leaf: every lot's latest record as of its last
	// block (ledger.StateLeaf), as the anchoring loop keeps it.
	lotOf := map[string]string{} // lot record id → lot
	for _, it := range items {
		if it.record != nil && it.record.Kind == ledger.RecordLot {
			var l ledger.LotSummary
			if err := json.Unmarshal(it.record.JSON, &l); err != nil {
				t.Fatal(err)
			}
			lotOf[it.id] = l.ID
		}
		if it.record != nil && it.record.Kind == ledger.RecordService { // keyed as the index keys it
			var sc ledger.ServiceChain
			if err := json.Unmarshal(it.record.JSON, &sc); err != nil {
				t.Fatal(err)
			}
			lotOf[it.id] = ledger.ServiceStateKey(sc.GTIN)
		}
	}
	stateAt := func(k uint64) *merkle.Map {
		m := merkle.NewMap()
		u := m.Update()
		for _, it := range items { // in block order
			if lot, ok := lotOf[it.id]; ok && it.block <= k*10+9 {
				_ = u.Set(lot, it.id)
			}
		}
		m.Apply(u)
		return m
	}
	newest := uint64(0)
	for k := range byWin {
		newest = max(newest, k)
		m := stateAt(k)
		byWin[k] = append(byWin[k], ledger.StateLeaf(m.Root(), uint64(m.Len())))
	}
	wins := map[uint64]*win{}
	anchors := map[uint64][]ethanchor.Receipt{}
	for k, leaves := range byWin {
		mw := merkle.NewWindow(leaves)
		tree := mw.Tree()
		aw := ethanchor.Window{Channel: "trustline", FromBlock: k * 10, ToBlock: k*10 + 9, Root: tree.Root()}
		wins[k] = &win{mw: mw, tree: tree, w: aw}
		if c != nil {
			anchors[k] = c.anchorWindow(t, aw)
		} else {
			anchors[k] = []ethanchor.Receipt{{Window: aw, ChainID: big.NewInt(1337), TxHash: common.Hash{byte(k + 1)}}}
		}
	}
	proof := func(it leafItem) Proof {
		w := wins[it.block/10]
		leaf := leafOf[it.id]
		i, ok := w.mw.Index(leaf)
		if !ok {
			t.Fatalf("%s not in its window", leaf)
		}
		path, err := w.tree.Proof(i)
		if err != nil {
			t.Fatal(err)
		}
		return Proof{Window: w.w, Size: uint64(w.mw.Len()), Leaf: leaf, LeafIndex: uint64(i), Path: path, Anchors: anchors[it.block/10]}
	}
	var cont Contents
	for _, it := range items {
		if !show(it) {
			continue
		}
		if it.record != nil {
			cont.Records = append(cont.Records, RecordEntry{Record: *it.record, Proof: proof(it)})
		} else {
			cont.Events = append(cont.Events, Entry{Event: it.event, EventID: it.id, Upstream: upstream(it), Service: it.service, Proof: proof(it)})
		}
	}
	m := stateAt(newest)
	w := wins[newest]
	leaf := ledger.StateLeaf(m.Root(), uint64(m.Len()))
	i, _ := w.mw.Index(leaf)
	path, err := w.tree.Proof(i)
	if err != nil {
		t.Fatal(err)
	}
	cont.State = &StateEntry{Proof: Proof{Window: w.w, Size: uint64(w.mw.Len()), Leaf: leaf, LeafIndex: uint64(i), Path: path, Anchors: anchors[newest]},
		Root: m.Root(), Size: uint64(m.Len()), Bound: true}
	shownLots := map[string]bool{}
	for _, rec := range cont.Records {
		if lot, ok := lotOf[rec.Record.ID]; ok && !shownLots[lot] {
			shownLots[lot] = true
			p, _ := m.Proof(lot)
			cont.State.Lots = append(cont.State.Lots, p)
		}
	}
	r, err := BuildWith(subject, cont, time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// storyEvent is an EPCIS event with its CBV 2.1 id, as the chaincode
// records new events.
func storyEvent(t testing.TB, ev map[string]any) (json.RawMessage, string) {
	t.Helper()
	ev["@context"] = []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}
	ev["eventTimeZoneOffset"] = "+00:00"
	raw, _ := json.Marshal(ev)
	id, err := epcis.HashEventAs(epcis.Current, raw)
	if err != nil {
		t.Fatal(err)
	}
	ev["eventID"] = id
	raw, _ = json.Marshal(ev)
	return raw, id
}

// story is the demo's recalled lot B: commissioned, inspected by a lab
// (with a certificationInfo), shipped, a cold-chain breach reading, then
// recalled; and lot A, another lot of the product. Each event is its own
// transaction in its own block, and each rewrote its lot's record.
type story struct {
	items []leafItem
	// ids of lot B's events by what they are; lotBRecord is its latest
	// record's item, olderB the record before the recall.
	ids                 map[string]string
	lotBRecord, olderB  leafItem
	lotARecord, aEvent  leafItem
	eventsB             []leafItem
	lotBLatest, lotBOld ledger.LotSummary
}

func newStory(t testing.TB) *story {
	s := &story{ids: map[string]string{}}
	q := func(lot string) []any { return []any{map[string]any{"epcClass": lot, "quantity": 100, "uom": "KGM"}} }
	steps := []struct {
		name string
		ev   map[string]any
	}{
		{"commission", map[string]any{"type": "ObjectEvent", "eventTime": "2026-03-01T06:00:00.000Z", "action": "ADD", "bizStep": "commissioning", "quantityList": q(lotB)}},
		{"inspect", map[string]any{"type": "ObjectEvent", "eventTime": "2026-03-01T10:00:00.000Z", "action": "OBSERVE", "bizStep": "inspecting",
			"disposition": "conformant", "quantityList": q(lotB), "certificationInfo": "https://lab.example/reports/R1.pdf"}},
		{"ship", map[string]any{"type": "ObjectEvent", "eventTime": "2026-03-02T08:00:00.000Z", "action": "OBSERVE", "bizStep": "shipping", "quantityList": q(lotB)}},
		{"breach", map[string]any{"type": "ObjectEvent", "eventTime": "2026-03-02T20:00:00.000Z", "action": "OBSERVE", "bizStep": "transporting", "quantityList": q(lotB),
			"sensorElementList": []any{map[string]any{"sensorReport": []any{map[string]any{"type": "Temperature", "value": 11.5, "uom": "CEL"}}}}}},
		{"recall", map[string]any{"type": "ObjectEvent", "eventTime": "2026-03-04T09:00:00.000Z", "action": "OBSERVE", "bizStep": "holding",
			"disposition": "recalled", "quantityList": q(lotB)}},
	}
	lot := ledger.LotSummary{ID: lotB, GTIN: "09506000134352", Lot: "B1", Status: ledger.StatusActive,
		Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}, CreatedBy: "SupplierMSP", Custodian: "SupplierMSP", CreatedAt: "2026-03-01T06:00:00.000000000Z", CreatedTx: "tx-B-0"}
	block := uint64(3)
	for i, st := range steps {
		raw, id := storyEvent(t, st.ev)
		s.ids[st.name] = id
		tx := fmt.Sprintf("tx-B-%d", i)
		ev := leafItem{event: raw, id: id, tx: tx, block: block}
		s.items = append(s.items, ev)
		s.eventsB = append(s.eventsB, ev)
		lot.Counts.Events++
		lot.EventChain = ledger.NextEventChain(lot.EventChain, id)
		switch st.name {
		case "breach":
			lot.Status = ledger.StatusBreach
			lot.Breach = &ledger.Breach{Time: "2026-03-02T20:00:00Z", Device: "logger-1", TemperatureC: 11.5, MinC: 2, MaxC: 8, EventID: id}
		case "recall":
			lot.Status = ledger.StatusRecalled
			lot.Recall = &ledger.Recall{Lot: lotB, Reason: "Listeria", Class: ledger.RecallClassI, RecalledBy: "BrandMSP", TxID: tx, EventID: id}
		}
		lot.UpdatedAt = st.ev["eventTime"].(string)
		rec := mustRecord(t, ledger.RecordLot, &lot)
		it := leafItem{record: &rec, id: rec.ID, tx: tx, block: block}
		s.items = append(s.items, it)
		if st.name == "breach" {
			s.olderB, s.lotBOld = it, lot
		}
		s.lotBRecord, s.lotBLatest = it, lot
		block += 3 // windows of 10 blocks: the story spans two
	}
	rawA, idA := storyEvent(t, map[string]any{"type": "ObjectEvent", "eventTime": "2026-03-01T07:00:00.000Z", "action": "ADD", "bizStep": "commissioning", "quantityList": q(lotA)})
	s.aEvent = leafItem{event: rawA, id: idA, tx: "tx-A-0", block: 4}
	la := ledger.LotSummary{ID: lotA, GTIN: "09506000134352", Lot: "A1", Status: ledger.StatusActive, Counts: ledger.Counts{Events: 1},
		EventChain: ledger.NextEventChain("", idA), CreatedTx: "tx-A-0"}
	recA := mustRecord(t, ledger.RecordLot, &la)
	s.lotARecord = leafItem{record: &recA, id: recA.ID, tx: "tx-A-0", block: 4}
	s.items = append(s.items, s.aEvent, s.lotARecord)
	slices.SortStableFunc(s.items, func(a, b leafItem) int { return int(a.block) - int(b.block) })
	return s
}

// receipt is lot B's receipt as the node builds it: its events and its
// latest record.
func (s *story) receipt(t testing.TB, c *chain) *Receipt {
	return buildBound(t, c, Subject{DigitalLink: lotB, Lots: []string{lotB}}, s.items, func(it leafItem) bool {
		return it.id != s.aEvent.id && it.id != s.lotARecord.id && (it.record == nil || it.id == s.lotBRecord.id)
	}, func(leafItem) bool { return false })
}

// failures lists every failure of a report, "part: message".
func failures(rep *Report) []string {
	var out []string
	for _, v := range append(slices.Clone(rep.Verdicts), rep.Records...) {
		for _, f := range v.Failures {
			out = append(out, f.Error())
		}
	}
	for _, c := range rep.Claims {
		for _, f := range c.Failures {
			out = append(out, f.Error())
		}
	}
	for _, f := range rep.Subject {
		out = append(out, f.Error())
	}
	for _, l := range rep.Lots {
		for _, f := range l.Failures {
			out = append(out, f.Error())
		}
	}
	if rep.State != nil {
		for _, f := range rep.State.Failures {
			out = append(out, f.Error())
		}
	}
	if rep.Service != nil {
		for _, f := range rep.Service.Failures {
			out = append(out, f.Error())
		}
	}
	return out
}

// TestCurrency: a receipt says as of which ledger block and Ethereum
// anchor it speaks; online it is current until a later window of the
// channel is anchored, and then reported as not current.
func TestCurrency(t *testing.T) {
	s := newStory(t)
	off, err := Verify(ctxT(t), s.receipt(t, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := off.Currency; c == nil || c.Block != 19 || c.Checked || c.Current() {
		t.Fatalf("offline currency %+v, want as of block 19, unchecked", c)
	}
	c := newChain(t, 1)
	r := s.receipt(t, c)
	opts := Options{Backend: c.b, Anchor: fast}
	rep, err := Verify(ctxT(t), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if cur := rep.Currency; !rep.OK() || !cur.Current() || cur.Time == nil || cur.Block != 19 {
		t.Fatalf("online: OK %v, currency %+v: want current as of block 19 with its anchor's time", rep.OK(), cur)
	}
	// A further event of the lot anchored in the next window.
	c.anchorWindow(t, ethanchor.Window{Channel: "trustline", FromBlock: 20, ToBlock: 29, Root: merkle.Hash{1}})
	rep, err = Verify(ctxT(t), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if cur := rep.Currency; cur.Current() || len(cur.Newer) != 1 || cur.Newer[0].FromBlock != 20 {
		t.Fatalf("after a later anchor: currency %+v, want not current, window 20..29 newer", cur)
	}
}
