package jsondec_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/jsondec"
)

type lot struct {
	ID    string          `json:"id"`
	Qty   float64         `json:"qty"`
	Tags  []string        `json:"tags,omitempty"`
	Extra json.RawMessage `json:"extra,omitempty"`
}

// TestUnmarshalAsEncodingJSON: Unmarshal gives encoding/json's value, or
// its error (same message, same type), whichever decoder answered.
func TestUnmarshalAsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"id":"L1","qty":2.5,"tags":["a"],"extra":{"x": [1, 2]}}`,
		`{"ID":"L1","Qty":1}`,                   // names match case-insensitively
		`{"id":"L1","id":"L2"}`,                 // the last of a repeated member wins
		"{\"id\":\"L\xff1\"}",                   // invalid UTF-8 replaced
		`{"id":"L1","unknown":true}`,            // unknown members ignored
		`{"id":"L1","qty":"2"}`,                 // a type error
		`{"id":"L1",}`,                          // a syntax error
		`{"id":"L1"} {}`,                        // data after the value
		`{"id":"L1"`,                            // truncated
		`null`,                                  // leaves the value as it is
		``,                                      // empty
		`{"tags":[1]}`,                          // a type error in a list
		`{"qty":1e400}`,                         // out of range
		`{"extra":{"a":1,"a":2},"id":"\ud800"}`, // raw kept; a lone surrogate replaced
	} {
		var got, want lot
		gotErr := jsondec.Unmarshal([]byte(in), &got)
		wantErr := json.Unmarshal([]byte(in), &want)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && (gotErr.Error() != wantErr.Error() || reflect.TypeOf(gotErr) != reflect.TypeOf(wantErr)) {
			t.Errorf("%s: error %v (%T), encoding/json %v (%T)", in, gotErr, gotErr, wantErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %#v, encoding/json %#v", in, got, want)
		}
	}
}

// compactCases are inputs for Compact: compact and not, valid and not, and
// those only encoding/json accepts.
var compactCases = []string{
	`{"id":"L1","qty":2.5,"tags":["a","b c"],"x":{"y":[1,{}]}}`,
	`{"id": "L1"}`,       // not compact
	` {"id":"L1"}`,       // space before
	"{\"id\":\"L1\"}\n",  // after
	`{"s":"a \" b\\"}`,   // escapes in a string
	`{"s":"a\\" ,"t":1}`, // a backslash ending a string
	`{"a":1,"a":2}`,      // duplicate names: jsontext refuses, encoding/json keeps
	"{\"s\":\"L\xff1\"}", // invalid UTF-8: the same
	`{"id":"L1",}`,       // a syntax error
	`{"id":"L1"}{}`,      // data after the value
	`1,2`,                // two values
	`{"id":"L1"`,         // truncated
	`"unterminated`,      // an unterminated string
	``,                   // empty
	`"\u2028<>&"`,        // not escaped by Compact
	`[1e400,-0,0.10]`,    // numbers as they are
	`{"s":"tab	inside"}`, // a control character in a string
}

// TestCompactAsEncodingJSON: Compact appends json.Compact's bytes, or
// returns its error with the buffer unchanged.
func TestCompactAsEncodingJSON(t *testing.T) {
	for _, in := range compactCases {
		checkCompact(t, []byte(in))
	}
}

func checkCompact(t *testing.T, in []byte) {
	t.Helper()
	got, want := bytes.NewBufferString("prefix"), bytes.NewBufferString("prefix")
	gotErr, wantErr := jsondec.Compact(got, in), json.Compact(want, in)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%q: error %v, encoding/json %v", in, gotErr, wantErr)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("%q: %q, encoding/json %q", in, got, want)
	}
}

func FuzzCompact(f *testing.F) {
	for _, in := range compactCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkCompact(t, in) })
}

// BenchmarkCompact: Compact and json.Compact on a stored record.
func BenchmarkCompact(b *testing.B) {
	in := []byte(`[` + strings.Repeat(compactCases[0]+`,`, 20) + compactCases[0] + `]`)
	for _, c := range []struct {
		name    string
		compact func(*bytes.Buffer, []byte) error
	}{{"jsondec", jsondec.Compact}, {"encoding-json", json.Compact}} {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				buf.Reset()
				if err := c.compact(&buf, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
