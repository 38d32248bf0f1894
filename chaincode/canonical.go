package chaincode

import (
	"bytes"
	"encoding/json"
)

// marshalCanonical encodes v deterministically: struct fields in declaration
// order, map keys sorted, no HTML escaping, no trailing newline. Every peer
// must produce the same bytes for the same value or endorsements disagree.
func marshalCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// unmarshalStrict decodes JSON into v, rejecting unknown fields.
func unmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
