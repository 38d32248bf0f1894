package index

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
)

// BenchmarkTraceRecord compares a cold trace JSON (AppendTraceJSON of a
// uniformly random lot) read from the lot's trace record with the same
// trace read by the scans the record replaced, on the same on-disk index,
// and with an index whose records hold the events' keys only (not their
// bodies: one more point read per event, a smaller record), alternating
// the three in rounds so that the machine's load varies alike. Each index
// holds TRUSTLINE_BENCH_RECLOTS lots (default 200,000), each created with
// one event, and has a block cache of 8 MiB, so that most reads miss it
// as over a large index. It reports ns per trace of each, how many times
// faster the record is than the scans and than keys only, and the indexes'
// sizes.
func BenchmarkTraceRecord(b *testing.B) {
	lots := 200_000
	if v, err := strconv.Atoi(os.Getenv("TRUSTLINE_BENCH_RECLOTS")); err == nil && v > 0 {
		lots = v
	}
	const gtin = "09506000134352"
	build := func(name string, inline int) *Index {
		defer func(m int) { maxRecInline = m }(maxRecInline)
		maxRecInline = inline
		x, err := Open(filepath.Join(b.TempDir(), name), &Options{NoSync: true, CacheSize: 8 << 20})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { x.Close() })
		t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		if _, err := x.ApplyBlock(0, []Tx{{Pos: Position{TxID: "p"}, Event: &ledger.Event{TxID: "p",
			Products: []ledger.Product{{ID: "https://id.gs1.org/01/" + gtin, GTIN: gtin, Name: "Apples", Owner: "BrandMSP"}}}}}); err != nil {
			b.Fatal(err)
		}
		for first, blk := 0, uint64(1); first < lots; first, blk = first+500, blk+1 {
			var txs []Tx
			for i := first; i < min(first+500, lots); i++ {
				num := fmt.Sprintf("B%07d", i)
				at := t0.Add(time.Duration(i) * time.Second)
				l := ledger.LotSummary{ID: lotLink(gtin, num), GTIN: gtin, Lot: num, Product: "https://id.gs1.org/01/" + gtin, Status: "active",
					Quantity: ledger.Quantity{Value: "100", UOM: "KGM"}, CreatedAt: ledger.FormatTime(at)}
				raw := fmt.Appendf(nil, `{"type":"ObjectEvent","eventID":"ni:///sha-256;%064x?ver=CBV2.0","eventTime":%q,"eventTimeZoneOffset":"+00:00",`+
					`"action":"ADD","bizStep":"commissioning","disposition":"active","quantityList":[{"epcClass":%q,"quantity":100,"uom":"KGM"}]}`,
					i, at.Format(time.RFC3339), l.ID)
				txs = append(txs, Tx{Pos: Position{Block: blk, Tx: i - first, TxID: fmt.Sprint(i)}, Event: &ledger.Event{
					Function: "Batch:CreateBatch", TxID: fmt.Sprint(i), Timestamp: l.CreatedAt, Lots: []ledger.LotSummary{l}, EPCIS: []json.RawMessage{raw}}})
			}
			if _, err := x.ApplyBlock(blk, txs); err != nil {
				b.Fatal(err)
			}
		}
		if err := x.db.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := x.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
			b.Fatal(err)
		}
		return x
	}
	inline, keys := build("inline", maxRecInline), build("keys", 0)
	sides := []struct {
		name string
		x    *Index
		recs bool
	}{{"record", inline, true}, {"keys-only", keys, true}, {"scans", inline, false}}
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	var err error
	took := make([]time.Duration, len(sides))
	n := 0
	for start := time.Now(); time.Since(start) < 15*time.Second; n += 500 {
		for k, s := range sides {
			s.x.recs = s.recs
			t := time.Now()
			for range 500 {
				if buf, err = s.x.AppendTraceJSON(buf[:0], gtin, fmt.Sprintf("B%07d", r.IntN(lots)), ""); err != nil {
					b.Fatal(err)
				}
			}
			took[k] += time.Since(t)
			s.x.recs = true
		}
	}
	for k, s := range sides {
		b.ReportMetric(float64(took[k].Nanoseconds())/float64(n), s.name+"-ns/trace")
	}
	b.ReportMetric(float64(took[2])/float64(took[0]), "scans/record")
	b.ReportMetric(float64(took[1])/float64(took[0]), "keys-only/record")
	for _, x := range []*Index{inline, keys} {
		size, _ := x.DiskSize()
		b.Logf("%s: %.1f MiB", map[*Index]string{inline: "record with bodies", keys: "record of keys"}[x], float64(size)/(1<<20))
	}
	b.Logf("load %s", loadavg())
	b.ReportMetric(0, "ns/op")
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}
