// Package jsonyaml decodes the configuration and input files trustline
// reads, written in YAML or JSON, through one set of field names: the
// target's json tags. YAML is turned into JSON and the JSON decoded
// strictly: an unknown field, or a second value after the first, is an
// error naming it, so a misspelt key is never silently ignored.
package jsonyaml

import (
	"bytes"
	"encoding/json"
	"errors"

	"gopkg.in/yaml.v3"
)

// ErrTrailing is a second value after the first.
var ErrTrailing = errors.New("more than one JSON value")

// Decode decodes YAML (JSON is YAML) into v by v's json tags, strictly.
func Decode(b []byte, v any) error {
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return DecodeJSON(j, v)
}

// DecodeJSON decodes one JSON value into v, strictly: unknown fields and
// trailing values are errors.
func DecodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return ErrTrailing
	}
	return nil
}
