package epcis

import "strings"

// EPCDigitalLink returns the GS1 Digital Link on id.gs1.org of an EPC URI
// or EPC class URI (urn:epc:id:sgtin:…, urn:epc:class:lgtin:…,
// urn:epc:id:sscc:…, urn:epc:id:sgln:…), as the CBV event hash converts
// it; ok is false for anything else. Digital Links are not converted here:
// parse them with package digitallink, which keeps every key (the hash's
// conversion keeps only the finest).
func EPCDigitalLink(uri string) (link string, ok bool) {
	if !strings.HasPrefix(uri, "urn:epc:id:") && !strings.HasPrefix(uri, "urn:epc:class:") {
		return "", false
	}
	return normaliseGS1URI(uri)
}

// BareVocabulary returns the bare CBV word of a vocabulary value in any of
// its spellings: "shipping", "urn:epcglobal:cbv:bizstep:shipping" or
// "https://ref.gs1.org/cbv/BizStep-shipping" are all "shipping". A value
// of another vocabulary is returned as it is.
func BareVocabulary(s string) string {
	if rest, ok := strings.CutPrefix(s, "urn:epcglobal:cbv:"); ok {
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			return rest[i+1:]
		}
	}
	if rest, ok := strings.CutPrefix(s, "https://ref.gs1.org/cbv/"); ok {
		if i := strings.IndexByte(rest, '-'); i >= 0 {
			return rest[i+1:]
		}
	}
	return s
}
