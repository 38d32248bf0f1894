package receipt

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ledger"
)

func FuzzVerify(f *testing.F) {
	r := fixture(f, nil, 3, 2, 5)
	r.Windows[0].Anchors = []Anchor{{ChainID: 1337, TxHash: common.Hash{1}}}
	good, _ := r.Marshal()
	f.Add(good)
	f.Add([]byte(`{"version":1,"windows":[{"size":0}],"events":[{"window":0,"leafIndex":18446744073709551615,"path":[]}]}`))
	f.Add([]byte(`{"version":1,"windows":[],"events":[{"window":-1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		rep, err := Verify(context.Background(), r, Options{})
		if err != nil {
			t.Fatalf("offline Verify failed: %v", err)
		}
		if len(rep.Verdicts) != len(r.Events) {
			t.Fatalf("%d verdicts for %d events", len(rep.Verdicts), len(r.Events))
		}
	})
}

// fakeAnchors gives every window of r n anchors of realistic size.
func fakeAnchors(r *Receipt, n int) {
	for i := range r.Windows {
		r.Windows[i].Anchors = nil
		for j := range n {
			r.Windows[i].Anchors = append(r.Windows[i].Anchors, Anchor{
				ChainID: 11155111, Contract: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
				TxHash: common.Hash{byte(i), byte(j), 0xff}, BlockNumber: 8_123_456, BlockHash: common.Hash{0xee, byte(j)},
				LogIndex: 3, Submitter: common.Address{byte(j), 0xaa},
			})
		}
	}
}

// flatSize is the size r would have if every event repeated its window and
// anchors instead of naming the window by index.
func flatSize(t testing.TB, r *Receipt) int {
	type flatEvent struct {
		Event
		Window Window `json:"window"`
	}
	fr := struct {
		Version     int         `json:"version"`
		Subject     Subject     `json:"subject"`
		GeneratedAt time.Time   `json:"generatedAt"`
		Events      []flatEvent `json:"events"`
	}{r.Version, r.Subject, r.GeneratedAt, nil}
	for _, e := range r.Events {
		fr.Events = append(fr.Events, flatEvent{e, r.Windows[e.Window]})
	}
	b, err := json.Marshal(fr)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// TestReceiptSize reports receipt bytes per event for a trace of 10 events
// as a function of the events per anchor window, with 2 anchors (two
// members co-attesting) per window: when each event falls in its own window
// (the worst case: a lot's events far apart in time) and when all 10 share
// one; and what repeating windows in each event would cost instead.
func TestReceiptSize(t *testing.T) {
	const events, anchors = 10, 2
	for _, n := range []int{1, 10, 100, 1000, 10000} {
		for _, perWindow := range []int{1, events} {
			if perWindow > n {
				continue
			}
			r := fixture(t, nil, events, perWindow, n)
			fakeAnchors(r, anchors)
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var evBytes, pathBytes int
			for _, e := range r.Events {
				evBytes += len(e.Event)
				pathBytes += len(e.Path) * len(`"0x`+common.Hash{}.Hex()[2:]+`",`)
			}
			t.Logf("window of %5d events, %2d trace events per window: %5d B/event (event JSON %d, path %d), flat format %5d B/event",
				n, perWindow, len(b)/events, evBytes/events, pathBytes/events, flatSize(t, r)/events)
			if _, err := Parse(b); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// BenchmarkVerifyOffline is verify time per event for windows of 1,000.
func BenchmarkVerifyOffline(b *testing.B) {
	r := fixture(b, nil, 100, 10, 1000)
	fakeAnchors(r, 2)
	b.ResetTimer()
	for range b.N {
		if _, err := Verify(context.Background(), r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(r.Events)), "µs/event")
}

// BenchmarkVerifyOnline adds the on-chain check of each window's two
// anchors, against the in-process simulated chain (a remote endpoint adds
// its round trips: see the integration test's log).
func BenchmarkVerifyOnline(b *testing.B) {
	c := newChain(b, 2)
	r := fixture(b, c, 20, 10, 1000)
	opts := Options{Backend: c.b, Anchor: fast}
	b.ResetTimer()
	for range b.N {
		rep, err := Verify(ctxT(b), r, opts)
		if err != nil || !rep.OK() {
			b.Fatal(err, rep)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(r.Events)), "µs/event")
}

// BenchmarkVerifyLot1000 is one lot's receipt of 1,000 events over four
// windows of 1,000 leaves each, verified offline (subject binding
// included): its size and verify time per receipt.
func BenchmarkVerifyLot1000(b *testing.B) {
	r := fixture(b, nil, 1000, 250, 1000)
	fakeAnchors(r, 4)
	data, err := r.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rep, err := Verify(context.Background(), r, Options{})
		if err != nil || !rep.OK() {
			b.Fatal(err, rep.Subject)
		}
	}
	b.ReportMetric(float64(len(data)), "receipt-B")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/receipt")
}

// boundLotFixture is lotFixture's receipt in format 3: one lot's events
// over windows of windowSize bound leaves (ledger.Leaf), with the lot's
// record, whose event chain commits to them, in the last window.
func boundLotFixture(t testing.TB, c *chain, events, perWindow, windowSize int) *Receipt {
	t.Helper()
	var items []leafItem
	lot := ledger.LotSummary{ID: "https://id.gs1.org/01/09506000134352/10/L1", GTIN: "09506000134352", Lot: "L1", Status: ledger.StatusActive,
		SchemaVersion: ledger.RecordSchema}
	block := uint64(0)
	for i := range events {
		if i > 0 && i%perWindow == 0 {
			block = (block/10 + 1) * 10
		}
		raw, id := testEvent(t, i)
		items = append(items, leafItem{event: raw, id: id, tx: fmt.Sprintf("tx%d", i), block: block})
		lot.Counts.Events++
		lot.EventChain = ledger.NextEventChain(lot.EventChain, id)
	}
	rec := mustRecord(t, ledger.RecordLot, &lot)
	items = append(items, leafItem{record: &rec, id: rec.ID, tx: fmt.Sprintf("tx%d", events-1), block: block})
	shown := len(items)
	// Other leaves of the windows, not in the receipt.
	for w := uint64(0); w <= block/10; w++ {
		n := 0
		for _, it := range items[:shown] {
			if it.block/10 == w {
				n++
			}
		}
		for j := n; j < windowSize; j++ {
			id := fmt.Sprintf("ni:///sha-256;%x?ver=CBV2.0", sha256.Sum256(fmt.Appendf(nil, "%d/%d", w, j)))
			items = append(items, leafItem{event: json.RawMessage(`{}`), id: id, tx: "other", block: w*10 + 9})
		}
	}
	in := map[string]bool{}
	for _, it := range items[:shown] {
		in[it.id] = true
	}
	return buildBound(t, c, Subject{DigitalLink: lot.ID, Lots: []string{lot.ID}}, items,
		func(it leafItem) bool { return in[it.id] }, func(leafItem) bool { return false })
}

// BenchmarkVerifyLot1000Bound is BenchmarkVerifyLot1000 in format 4:
// bound leaves (each event's JSON canonicalised and hashed), the lot's
// event chain checked and its record proven the latest by the newest
// window's anchored state.
func BenchmarkVerifyLot1000Bound(b *testing.B) {
	r := boundLotFixture(b, nil, 1000, 250, 1000)
	fakeAnchors(r, 4)
	data, err := r.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rep, err := Verify(context.Background(), r, Options{})
		if err != nil || !rep.OK() {
			b.Fatal(err, rep.Subject, rep.Lots, failures(rep)[:min(3, len(failures(rep)))])
		}
	}
	b.ReportMetric(float64(len(data)), "receipt-B")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/receipt")
}

// BenchmarkVerifyLot1000Online is BenchmarkVerifyLot1000Bound with each
// window anchored by two members on the in-process simulated chain, and
// verified against it (anchors, and the newer windows for currency).
func BenchmarkVerifyLot1000Online(b *testing.B) {
	c := newChain(b, 2)
	r := boundLotFixture(b, c, 1000, 250, 1000)
	data, err := r.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Backend: c.b, Anchor: fast}
	b.ResetTimer()
	for range b.N {
		rep, err := Verify(ctxT(b), r, opts)
		if err != nil || !rep.OK() {
			b.Fatal(err, rep)
		}
	}
	b.ReportMetric(float64(len(data)), "receipt-B")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/receipt")
}
