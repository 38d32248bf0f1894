package chaincode

import (
	"bytes"
	"encoding/json"

	"github.com/trustline/trustline/epcis"
)

// marshalCanonical encodes v deterministically (epcis.Canonical: struct
// fields in declaration order, map keys sorted, no HTML escaping): every
// peer must produce the same bytes for the same value or endorsements
// disagree, and nodes recompute anchored record ids from the same form.
func marshalCanonical(v any) ([]byte, error) { return epcis.Canonical(v) }

// unmarshalStrict decodes JSON into v, rejecting unknown fields.
func unmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
