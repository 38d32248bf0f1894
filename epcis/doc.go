// Package epcis models EPCIS 2.0 events and documents in JSON-LD and
// computes the EPCIS event hash ID of GS1 CBV 2.0 §8.9.
//
// Everything here is deterministic, because it runs inside chaincode where
// every endorsing peer must produce identical bytes: marshalling follows
// struct order with sorted extension members and no HTML escaping (see
// Canonical), and the hash depends only on the event's content.
package epcis

// Trustline's JSON-LD namespace for EPCIS user extensions, used with the
// prefix "tl" (e.g. "tl:farmingPractice").
const (
	TrustlinePrefix    = "tl"
	TrustlineNamespace = "https://trustline.dev/ns/epcis#"
)

// EPCISContext is the URL of the standard EPCIS 2.0 JSON-LD context.
const EPCISContext = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
