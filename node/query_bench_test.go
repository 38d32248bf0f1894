package node_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/nodeapi"
)

// BenchmarkEPCISQuery measures the EPCIS query interface's common queries
// on an index of TRUSTLINE_BENCH_LOTS lots (benchIndex: one commissioning
// event each, default 1,000,000 events), plus 10,000 receiving events at
// ten docks of one site (location master data: the docks' parent), each
// query TRUSTLINE_BENCH_QUERIES times (default 2,000) with random values.
// "trace" is a lot's trace in the same run, the baseline of the ratios;
// times are the index's own (no HTTP). Run with -benchtime=1x.
func BenchmarkEPCISQuery(b *testing.B) {
	lots := envInt("TRUSTLINE_BENCH_LOTS", 1_000_000)
	n := envInt("TRUSTLINE_BENCH_QUERIES", 2_000)
	idx, _ := benchIndexPlus(b, lots, 1+10_000) // addDocks' payloads
	const site = "https://id.gs1.org/414/9506000000009"
	dock := func(k int) string { return fmt.Sprintf("%s/254/dock%d", site, k) }
	if _, err := idx.Location(dock(0)); err != nil { // not reused from a kept index
		addDocks(b, idx, site, dock, lots)
	}
	lot := func() (int, string) {
		i := rand.IntN(lots)
		return i, fmt.Sprintf("https://id.gs1.org/01/%s/10/B%07d", benchGTIN, i)
	}
	at := func(i int) time.Time {
		return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	}
	end := at(lots)
	type query struct {
		name string
		q    func() nodeapi.Query
	}
	queries := []query{
		{"lot-events MATCH_anyEPCClass", func() nodeapi.Query { _, l := lot(); return nodeapi.Query{MatchAnyEPCClass: []string{l}} }},
		{"EQ_eventID", func() nodeapi.Query {
			i, _ := lot()
			return nodeapi.Query{EventID: []string{fmt.Sprintf("ni:///sha-256;%064x?ver=CBV2.0", i)}}
		}},
		{"EQ_bizStep first page", func() nodeapi.Query { return nodeapi.Query{BizStep: []string{"commissioning"}} }},
		{"eventType+time window", func() nodeapi.Query {
			i, _ := lot()
			return nodeapi.Query{EventType: []string{"ObjectEvent"}, GETime: at(i), LTTime: at(i).Add(time.Hour)}
		}},
		{"latest eventCountLimit=1", func() nodeapi.Query {
			return nodeapi.Query{OrderBy: nodeapi.OrderEventTime, EventCountLimit: 1}
		}},
		{"EQ_bizLocation", func() nodeapi.Query { return nodeapi.Query{BizLocation: []string{dock(rand.IntN(10))}} }},
		{"WD_bizLocation (10 docks)", func() nodeapi.Query { return nodeapi.Query{WDBizLocation: []string{site}} }},
		{"EQ_bizStep+EQ_disposition", func() nodeapi.Query {
			return nodeapi.Query{BizStep: []string{"receiving"}, Disposition: []string{"in_progress"}}
		}},
		{"GE_recordTime last hour", func() nodeapi.Query { return nodeapi.Query{GERecordTime: end.Add(-time.Hour)} }},
	}
	var base time.Duration
	measure := func(name string, op func() error) {
		ds := make([]time.Duration, 0, n)
		t0 := time.Now()
		for range n {
			a := time.Now()
			if err := op(); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			ds = append(ds, time.Since(a))
		}
		l := summarise(ds, time.Since(t0))
		if base == 0 {
			base = l.p99
		}
		b.Logf("%-30s p50 %8.1f µs  p99 %8.1f µs  (p99 %.2f× the trace's)", name,
			float64(l.p50.Nanoseconds())/1e3, float64(l.p99.Nanoseconds())/1e3, float64(l.p99)/float64(base))
		key := strings.NewReplacer(" ", "-", "+", "-", "=", "", "(", "", ")", "").Replace(name)
		b.ReportMetric(float64(l.p99.Nanoseconds())/1e3, key+"-p99-µs")
	}
	for b.Loop() {
		base = 0
		measure("trace (baseline)", func() error {
			i, _ := lot()
			_, err := idx.Trace(benchGTIN, fmt.Sprintf("B%07d", i), "")
			return err
		})
		for _, q := range queries {
			measure(q.name, func() error {
				p, err := idx.Events(q.q())
				if err == nil && len(p.Events) == 0 && !strings.HasPrefix(q.name, "GE_recordTime") {
					err = fmt.Errorf("no events")
				}
				return err
			})
		}
		// The next page of a query, through its token.
		measure("EQ_bizStep page 2", func() error {
			q := nodeapi.Query{BizStep: []string{"commissioning"}}
			p, err := idx.Events(q)
			if err != nil {
				return err
			}
			q.PageToken = p.NextPageToken
			_, err = idx.Events(q)
			return err
		})
	}
}

// addDocks records ten docks of site and 10,000 receiving events at them
// (read point and business location the dock), after the lots' blocks.
func addDocks(b *testing.B, idx *index.Index, site string, dock func(int) string, lots int) {
	b.Helper()
	blk := idx.Checkpoint().NextBlock()
	if cp := idx.Checkpoint(); cp.Position.Tx >= 0 {
		blk++
	}
	locs := []ledger.Location{{ID: site, Name: "Site", Owner: "LogisticsMSP"}}
	for k := range 10 {
		locs = append(locs, ledger.Location{ID: dock(k), Name: fmt.Sprintf("Dock %d", k), Parent: site, Owner: "LogisticsMSP"})
	}
	if _, err := idx.ApplyBlock(blk, []index.Tx{{Pos: index.Position{Block: blk, TxID: "loc"}, Event: &ledger.Event{TxID: "loc", Locations: locs}}}); err != nil {
		b.Fatal(err)
	}
	for first := 0; first < 10_000; first += 500 {
		blk++
		var txs []index.Tx
		for i := first; i < first+500; i++ {
			at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*lots/10_000) * time.Second)
			link := fmt.Sprintf("https://id.gs1.org/01/%s/10/B%07d", benchGTIN, i*lots/10_000)
			d := dock(i % 10)
			raw, _ := json.Marshal(map[string]any{
				"@context": []string{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}, "type": "ObjectEvent",
				"eventID": fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i), "eventTime": at.Format(time.RFC3339),
				"eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
				"readPoint": map[string]string{"id": d}, "bizLocation": map[string]string{"id": d},
				"quantityList": []map[string]any{{"epcClass": link}},
			})
			tx := fmt.Sprintf("r%d", i)
			txs = append(txs, index.Tx{Pos: index.Position{Block: blk, Tx: i - first, TxID: tx}, Event: &ledger.Event{
				Function: "Custody:Receive", TxID: tx, Timestamp: ledger.FormatTime(at), EPCIS: []json.RawMessage{raw}}})
		}
		if _, err := idx.ApplyBlock(blk, txs); err != nil {
			b.Fatal(err)
		}
	}
}
