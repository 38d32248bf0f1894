// Package jsondec decodes JSON as encoding/json does, faster.
//
// A node decodes every event of the ledger when it rebuilds its index, and
// encoding/json's decoder was the largest single cost of that (about a
// fifth of a rebuild's CPU). This package decodes with the v1 API of the
// encoding/json/v2 implementation (github.com/go-json-experiment/json/v1,
// the Go team's module that Go 1.27 makes the standard library's), which
// keeps encoding/json's semantics (case-insensitive member names,
// duplicate members, invalid UTF-8 replaced, RawMessage and Unmarshaler
// methods alike) and decodes structs about twice as fast with a quarter
// of the allocations.
//
// Before it, a plain decoder (plain.go) takes the records as the
// chaincode and the index write them (structs of strings and numbers,
// compact, without escapes) in about 40% of its time, and leaves
// anything else to it.
//
// Its error messages are not encoding/json's, and callers (and users)
// read those: on any error, Unmarshal decodes again with
// encoding/json and returns what that returns, so that an error is exactly
// the one encoding/json gives. The differential tests check that whenever
// the fast decoder accepts an input, encoding/json accepts it too with the
// same value: on the stored payloads, events and records of the test data
// and on mutations of them (TestFastDecodeDifferential and FuzzFastDecode
// in packages epcis and ledger).
package jsondec

import (
	"bytes"
	"encoding/json"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Unmarshal is json.Unmarshal(data, v): the same value, or the same error.
// After an error, v may hold members either decoder set before it stopped
// (as encoding/json leaves some set after a type error): callers drop it.
func Unmarshal(data []byte, v any) error {
	if Fast(data, v) == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

// Fast decodes data into v with the fast decoder alone. Where it succeeds,
// json.Unmarshal succeeds with the same value; where it fails, its error
// is not encoding/json's, and v may be partly set. For callers that
// produce their own error with encoding/json.
// The plain decoder (plain.go) answers first where it can.
func Fast(data []byte, v any) error {
	if plain(data, v) {
		return nil
	}
	return jsonv1.Unmarshal(data, v)
}

var known = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv2.RejectUnknownMembers(true))

// FastKnown is Fast with members v's structs do not have refused, as a
// json.Decoder with DisallowUnknownFields refuses them. Where it
// succeeds, decoding data with such a Decoder gives the same value and
// no more data after it.
// The plain decoder accepts only members v's structs have.
func FastKnown(data []byte, v any) error {
	if plain(data, v) {
		return nil
	}
	return jsonv2.Unmarshal(data, v, known)
}

// Compact is json.Compact(dst, src): the same bytes appended to dst, or
// the same error with dst unchanged. A value that is already compact, as
// the chaincode writes every record, is appended as it is once the plain
// decoder's syntax check (plain.go: encoding/json's grammar, which has no
// rule on duplicate names or UTF-8, as json.Compact has none) has passed
// it, in under half of json.Compact's time (BenchmarkCompact); what it
// does not pass goes to json.Compact. (jsontext's IsValid, used before,
// also checks names and UTF-8, in 80% of json.Compact's time: a node
// rebuilding its index spent 6% of its CPU here.)
func Compact(dst *bytes.Buffer, src []byte) error {
	if IsCompact(src) && plainValid(src) {
		dst.Write(src)
		return nil
	}
	return json.Compact(dst, src)
}

// IsCompact reports whether v has no whitespace outside its strings:
// nothing json.Compact would remove. It does not check that v is JSON.
func IsCompact(v []byte) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			// To the quote that ends the string.
			for i++; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' {
					i++
				}
			}
		case ' ', '\t', '\n', '\r':
			return false
		}
	}
	return true
}
