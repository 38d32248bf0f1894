package index

import (
	"encoding/json"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/epcis"
)

// BenchmarkApply replays testdata/supply.json into a fresh in-memory index
// per iteration (opening and closing it untimed); "records" is the part of
// it spent encoding and hashing the anchored records
// (ledger.Event.Records), and "decode" the part spent decoding the stored
// EPCIS events strictly (epcis.Event), for the ratios. "decode-partial"
// decodes the same events into a struct of the few members the index
// reads, as the index did before the one event model, ignoring the rest:
// decode/decode-partial is the price of strict decoding.
func BenchmarkApply(b *testing.B) {
	seq := loadSeq(b, "supply.json")
	b.Run("apply", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			x, err := Open("idx", &Options{FS: vfs.NewMem(), NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			applyAll(b, x, seq)
			b.StopTimer()
			x.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(len(seq)), "tx/op")
	})
	var raws [][]byte
	for _, s := range seq {
		for _, raw := range s.Event.EPCIS {
			raws = append(raws, raw)
		}
	}
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			for _, raw := range raws {
				var ev epcis.Event
				if err := json.Unmarshal(raw, &ev); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(raws)), "events/op")
	})
	b.Run("decode-partial", func(b *testing.B) {
		type quantity struct {
			EPCClass string `json:"epcClass"`
		}
		for b.Loop() {
			for _, raw := range raws {
				var ev struct {
					Type, EventID, EventTime, BizStep, ParentID                            string
					EPCList, ChildEPCs, InputEPCList, OutputEPCList                        []string
					QuantityList, ChildQuantityList, InputQuantityList, OutputQuantityList []quantity
				}
				if err := json.Unmarshal(raw, &ev); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(raws)), "events/op")
	})
	b.Run("records", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for i := range seq {
				rs, err := seq[i].Event.Records()
				if err != nil {
					b.Fatal(err)
				}
				n += len(rs)
			}
		}
		b.ReportMetric(float64(n)/float64(b.N), "records/op")
	})
}
