// Package epcis models EPCIS 2.0 events and documents in JSON-LD and
// computes the EPCIS event hash ID of GS1 CBV 2.0 and CBV 2.1 §8.9.
//
// Everything here is deterministic, because it runs inside chaincode where
// every endorsing peer must produce identical bytes: marshalling follows
// struct order with sorted extension members and no HTML escaping (see
// Canonical), and the hash depends only on the event's content.
//
// # Event hash
//
// HashEvent and HashDocument implement the canonicalisation of the CBV 2.0
// event hash as GS1's reference implementation does it
// (github.com/RalphTro/epcis-event-hash-generator, "ver=CBV2.0"): the
// canonical property order, CBV URNs and bare vocabulary words as web URIs,
// EPC URIs and Digital Link URIs as constrained canonical Digital Link
// URIs, UTC timestamps with millisecond precision, numbers without trailing
// zeros, sorted lists, and ILMD, field-level and event-level user
// extensions as sorted "{namespace}name=value" blocks. recordTime, eventID,
// errorDeclaration and certificationInfo are not part of the hash. The
// package's tests check it against the reference's published vectors.
//
// CBV 2.1 ("ver=CBV2.1", HashEventAs(CBV21, …)) differs only in structure,
// as in the reference's version profiles: user extensions inside a standard
// field are hashed in place after the field's standard members instead of
// in a trailing block, the sensorElementList wrapper is named, and the ILMD
// is sorted with the event-level extensions. Like 2.0 it leaves
// certificationInfo out. trustline records new events with CBV 2.1 ids
// (Current); an id names its version, and HashEventID recomputes an id with
// it, so CBV 2.0 ids already on a ledger keep verifying.
//
// Where the reference depends on things outside the event, this package
// chooses what makes the hash a property of the event alone:
//
//   - Bare vocabulary strings are resolved against the URIs found in the
//     same event, not in the whole document.
//   - The type of a business transaction, source or destination comes
//     before its value whatever the JSON member order (as in XML), and a
//     business transaction without type is accepted.
//   - A timestamp without UTC offset is taken as UTC, not as the local
//     time of the machine.
//   - An event's own "@context" declares prefixes and is not hashed; an
//     object-valued document "@context" is honoured; the prefix "tl" is
//     known without declaration.
//   - JSON and JSON-LD input only: no XML, and no fetching of remote
//     JSON-LD contexts (the EPCIS 2.0 context is built in).
package epcis

// Trustline's JSON-LD namespace for EPCIS user extensions, used with the
// prefix "tl" (e.g. "tl:farmingPractice").
const (
	TrustlinePrefix    = "tl"
	TrustlineNamespace = "https://trustline.dev/ns/epcis#"
)

// EPCISContext is the URL of the standard EPCIS 2.0 JSON-LD context.
const EPCISContext = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
