// Package jsondectest checks the fast decoder of package jsondec against
// encoding/json, for the differential tests of the packages that use it.
package jsondectest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"github.com/trustline/trustline/internal/jsondec"
)

// Check decodes data into a new value of newV with the fast decoder
// (jsondec.Fast, or jsondec.FastKnown if known) and, if that succeeds,
// with encoding/json (json.Unmarshal, or a Decoder disallowing unknown
// fields that finds nothing after the value): encoding/json must succeed
// too, with a deeply equal value. Where the fast decoder fails, jsondec
// returns encoding/json's own result, so nothing is to check. It reports
// whether the fast decoder accepted data.
func Check(tb testing.TB, data []byte, newV func() any, known bool) bool {
	tb.Helper()
	fast, std := newV(), newV()
	if known {
		if jsondec.FastKnown(data, fast) != nil {
			return false
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(std); err != nil {
			tb.Fatalf("the fast decoder accepts into %T what encoding/json refuses (%v):\n%s", fast, err, data)
		}
		if dec.More() {
			tb.Fatalf("the fast decoder accepts into %T data after the value:\n%s", fast, data)
		}
	} else {
		if jsondec.Fast(data, fast) != nil {
			return false
		}
		if err := json.Unmarshal(data, std); err != nil {
			tb.Fatalf("the fast decoder accepts into %T what encoding/json refuses (%v):\n%s", fast, err, data)
		}
	}
	if !reflect.DeepEqual(fast, std) {
		tb.Fatalf("%T decoded differently:\nfast:          %#v\nencoding/json: %#v\ninput: %s", fast, fast, std, data)
	}
	return true
}

// Fragments are data and every object and array nested in it, as raw
// JSON: the inputs of the types that decode the nested values.
func Fragments(data []byte) [][]byte {
	out := [][]byte{data}
	var obj map[string]json.RawMessage
	var arr []json.RawMessage
	var inner []json.RawMessage
	switch {
	case json.Unmarshal(data, &obj) == nil:
		for _, v := range obj {
			inner = append(inner, v)
		}
	case json.Unmarshal(data, &arr) == nil:
		inner = arr
	}
	for _, v := range inner {
		if t := bytes.TrimSpace(v); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			out = append(out, Fragments(t)...)
		}
	}
	return out
}

var (
	memberName = regexp.MustCompile(`"([a-z])([A-Za-z]*)"\s*:`)
	firstName  = regexp.MustCompile(`^\s*\{\s*("[^"\\]*"\s*:\s*("[^"\\]*"|-?[0-9.eE+-]+|true|false|null))`)
	aNumber    = regexp.MustCompile(`:\s*(-?[0-9]+(\.[0-9]+)?)`)
	aString    = regexp.MustCompile(`:\s*"([^"\\]*)"`)
)

// Mutations are variants of data where the two decoders could part:
// member names in another case (matched case-insensitively), a member
// repeated (the last wins), a number quoted and a string turned into a
// number (type errors), invalid UTF-8 and escapes in strings, trailing
// data, and truncations.
func Mutations(data []byte) [][]byte {
	var out [][]byte
	add := func(b []byte) { out = append(out, b) }
	add(memberName.ReplaceAllFunc(data, bytes.ToUpper))
	add(memberName.ReplaceAllFunc(data, func(m []byte) []byte { // eventTime → EVENTtime
		i := bytes.IndexByte(m[1:], '"') + 1
		return append(append([]byte{'"'}, bytes.ToUpper(m[1:i/2+1])...), m[i/2+1:]...)
	}))
	if m := firstName.FindSubmatchIndex(data); m != nil {
		member := data[m[2]:m[3]]
		add(append(append(bytes.Clone(data[:m[3]]), append([]byte{','}, member...)...), data[m[3]:]...))
	}
	if m := aNumber.FindSubmatchIndex(data); m != nil {
		add(concat(data[:m[2]], []byte(`"`), data[m[2]:m[3]], []byte(`"`), data[m[3]:]))
	}
	if m := aString.FindSubmatchIndex(data); m != nil {
		add(concat(data[:m[2]-1], []byte("12"), data[m[3]+1:]))
		add(concat(data[:m[2]], []byte("\xff\xfe"), data[m[2]:]))
		add(concat(data[:m[2]], []byte(`\u00e9\ud800\n`), data[m[2]:]))
	}
	add(concat(data, []byte(" ")))
	add(concat(data, []byte("]")))
	add(concat(data, []byte("{}")))
	for _, n := range []int{len(data) / 3, len(data) / 2, len(data) - 1} {
		if n > 0 {
			add(bytes.Clone(data[:n]))
		}
	}
	return out
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// Differential checks (Check) each of types on each seed and each of its
// Mutations, with the fast decoder in each of the modes given (known or
// not), and fails if fewer than one in twenty decodes were accepted: the
// inputs would hardly test the decoders.
func Differential(t *testing.T, seeds [][]byte, types []func() any, modes ...bool) {
	t.Helper()
	n, accepted := 0, 0
	for _, s := range seeds {
		for _, data := range append(Mutations(s), s) {
			for _, newV := range types {
				for _, known := range modes {
					if Check(t, data, newV, known) {
						accepted++
					}
					n++
				}
			}
		}
	}
	t.Logf("%d decodes, %d accepted by both decoders alike", n, accepted)
	if accepted < n/20 {
		t.Fatalf("only %d of %d decodes accepted: the inputs hardly test the decoders", accepted, n)
	}
}

// Fuzz fuzzes Check on types in each of the modes, from seeds.
func Fuzz(f *testing.F, seeds [][]byte, types []func() any, modes ...bool) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, newV := range types {
			for _, known := range modes {
				Check(t, data, newV, known)
			}
		}
	})
}
