package index

import (
	"encoding/json"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/merkle"
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

// dropWriter writes through w, dropping the keys of one table.
type dropWriter struct {
	writer
	table byte
}

func (d dropWriter) Set(k, v []byte, o *pebble.WriteOptions) error {
	if len(k) > 0 && k[0] == d.table {
		return nil
	}
	return d.writer.Set(k, v, o)
}

// BenchmarkApplyState is the cost of maintaining the anchored state of
// lots (ledger.StateLeaf), same run, on the demo story replayed into a
// fresh in-memory index per iteration: "without" drops the lot-records-by-
// block table f the anchoring loop reads; "with" writes it, as Apply does;
// "with+map" also updates the merkle.Map of lots → latest record for every
// transaction, as the anchoring loop does per window (so an upper bound).
// events/s is EPCIS events applied per second: the ratios are the figure.
func BenchmarkApplyState(b *testing.B) {
	seq := loadSeq(b, "demo.json")
	events := 0
	for _, s := range seq {
		events += len(s.Event.EPCIS)
	}
	for _, bc := range []struct {
		name      string
		drop, mpd bool
	}{{"without", true, false}, {"with", false, false}, {"with+map", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				x, err := Open("idx", &Options{FS: vfs.NewMem(), NoSync: true})
				if err != nil {
					b.Fatal(err)
				}
				m := merkle.NewMap()
				b.StartTimer()
				for _, s := range seq {
					batch := x.db.NewIndexedBatch()
					w, _ := x.batchWriter(batch) // as Apply writes
					if bc.drop {
						w = claimsWriter{dropWriter{batch, tLotState}, &x.claimed, x.leaves, x.events, &x.recalls}
					}
					p := Prepare(&s.Event)
					if err := applyTx(w, s.pos(), &s.Event, p); err != nil {
						b.Fatal(err)
					}
					if err := batch.Commit(pebble.NoSync); err != nil {
						b.Fatal(err)
					}
					batch.Close()
					if bc.mpd && len(p.lots) > 0 {
						u := m.Update()
						for _, l := range p.lots {
							if err := u.Set(l.lot, l.record); err != nil {
								b.Fatal(err)
							}
						}
						m.Apply(u)
						_ = m.Root()
					}
				}
				b.StopTimer()
				x.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
