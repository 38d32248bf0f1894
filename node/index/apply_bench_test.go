package index

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// BenchmarkApply replays testdata/supply.json into a fresh in-memory index
// per iteration (opening and closing it untimed); "records" is the part of it spent encoding and hashing the
// anchored records (ledger.Event.Records), for the ratio.
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
