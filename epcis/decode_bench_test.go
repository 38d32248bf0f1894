package epcis

import (
	"testing"

	"github.com/trustline/trustline/internal/jsondec"
)

// BenchmarkDecodeEvent decodes a stored commissioning event as a consumer
// page does (jsondec.Unmarshal, which takes the plain form in one pass).
func BenchmarkDecodeEvent(b *testing.B) {
	raw := []byte(`{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent",` +
		`"eventID":"ni:///sha-256;000000000000000000000000000000000000000000000000000000000000002a?ver=CBV2.0",` +
		`"eventTime":"2025-06-01T00:00:42Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","disposition":"active",` +
		`"quantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/B0000042","quantity":100,"uom":"KGM"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		var e Event
		if err := jsondec.Unmarshal(raw, &e); err != nil {
			b.Fatal(err)
		}
	}
}
