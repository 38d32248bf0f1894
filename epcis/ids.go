package epcis

import "github.com/trustline/trustline/gs1/digitallink"

// CanonicalID is the one spelling of a GS1 identifier or location that
// queries compare: EPC URNs (sgln, sgtin, sscc, lgtin, ...) become their
// Digital Link on id.gs1.org (CBV 2.0 §8.9), Digital Links lose their
// domain and query (digitallink.Canonical); anything else is kept as it is.
func CanonicalID(s string) string {
	if dl, ok := normaliseGS1URI(s); ok {
		s = dl
	}
	return digitallink.Canonical(s)
}
