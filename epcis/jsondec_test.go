package epcis

import (
	"testing"

	"github.com/trustline/trustline/internal/jsondec/jsondectest"
)

// decodedTypes are the types unmarshalWithExtensions decodes with the
// fast decoder: the aliases of every type with an UnmarshalJSON, which
// decode their members plainly and each nested value through its own
// type's method (so each alias is checked on its own, on the fragments).
var decodedTypes = []func() any{
	func() any { return new(eventAlias) },
	func() any { return new(errorDeclarationAlias) },
	func() any { return new(locationAlias) },
	func() any { return new(sensorElementAlias) },
	func() any { return new(sensorMetadataAlias) },
	func() any { return new(sensorReportAlias) },
	func() any { return new(quantityElementAlias) },
	func() any { return new(persistentDispAlias) },
	func() any { return new(bizTransactionAlias) },
	func() any { return new(sourceAlias) },
	func() any { return new(destinationAlias) },
	func() any { return new(inspectionExtAlias) },
	func() any { return new(analyteExtAlias) },
	func() any { return new(recallExtAlias) },
	func() any { return new(Event) },
}

// differentialSeeds are the reference vectors' events, the validation
// cases' events, and every object and array nested in them.
func differentialSeeds(tb testing.TB) [][]byte {
	seeds := eventSeeds(tb)
	for _, c := range readValidateCases(tb) { // validate_test.go
		seeds = append(seeds, c.Event)
	}
	var out [][]byte
	for _, s := range seeds {
		out = append(out, jsondectest.Fragments(s)...)
	}
	return out
}

// TestFastDecodeDifferential: wherever the fast decoder accepts an event
// or a part of one, encoding/json accepts it with the same value; on the
// test events, their parts, and mutations of them.
func TestFastDecodeDifferential(t *testing.T) {
	jsondectest.Differential(t, differentialSeeds(t), decodedTypes, false)
}

func FuzzFastDecode(f *testing.F) {
	jsondectest.Fuzz(f, differentialSeeds(f), decodedTypes, false)
}
