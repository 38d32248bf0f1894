package ledger

import (
	"testing"

	"github.com/trustline/trustline/internal/jsondec/jsondectest"
)

// fastDecoded are the types a node decodes with the fast decoder: the
// event (follower), the records (DecodeRecord, strictly for a legacy
// record, which has no schema version), and the lots, products and units
// it reads back from its index for traces and pages.
var fastDecoded = []func() any{
	func() any { return new(Event) },
	func() any { return new(Product) },
	func() any { return new(LotSummary) },
	func() any { return new(LabSigner) },
	func() any { return new(InspectionRecord) },
	func() any { return new(Claim) },
	func() any { return new(ServiceChain) },
	func() any { return new(Unit) },
	func() any {
		return new(struct {
			SchemaVersion *int `json:"schemaVersion"`
		})
	},
}

// fastDecodeSeeds are the recorded payloads the index is tested on, the
// stored records of other versions, and every object and array nested in
// them.
func fastDecodeSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	seqs := recordedSequences(tb) // canonical_test.go
	for _, name := range []string{"demo.json", "supply.json"} {
		for _, s := range seqs[name] {
			seeds = append(seeds, s.Event)
		}
	}
	for _, r := range readRecordVersions(tb).Records { // record_test.go
		seeds = append(seeds, r.Record)
	}
	var out [][]byte
	for _, s := range seeds {
		out = append(out, jsondectest.Fragments(s)...)
	}
	return out
}

// TestFastDecodeDifferential: wherever the fast decoder accepts a payload
// or a record (strictly or not), encoding/json accepts it with the same
// value; on the recorded payloads, their parts, and mutations of them.
func TestFastDecodeDifferential(t *testing.T) {
	jsondectest.Differential(t, fastDecodeSeeds(t), fastDecoded, false, true)
}

func FuzzFastDecode(f *testing.F) {
	jsondectest.Fuzz(f, fastDecodeSeeds(f), fastDecoded, false, true)
}
