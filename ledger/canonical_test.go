package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gowebpki/jcs"
)

// canonicalCases are documents inside and outside canonicalFast's subset:
// canonicalJSON must give what jcs.Transform gives for each, errors
// included.
var canonicalCases = []struct {
	doc  string
	fast bool // canonicalFast takes it
}{
	{`{}`, true},
	{`[]`, true},
	{` { "b" : 1 , "a" : [ true , false , null ] } `, true},
	{`{"b":{"d":1,"c":2},"a":{"f":[{"z":1,"y":2}],"e":""}}`, true},
	{`{"":1,"a":2}`, true},
	{`{"a":2,"":1}`, true},
	{`{"ab":1,"a":2,"b":3,"aa":4}`, true},
	{`"top"`, true},
	{`["x\"y\\z\n\t\r\b\f","a\/b"]`, true},
	{`["caf` + "\xc3\xa9" + `","` + "\xff" + `","` + "\x7f" + `"]`, true},
	{`[0,-0,1,-1,123456789012345,1234567890123456,12345678901234567890,1e21,1E+2,1.5e-7,0.000001,4.50,-2.0,1e400]`, false},
	{`[0,-0,1,-1,123456789012345,1234567890123456,4.5,-2.0,1.5e-7,1E+2]`, true},
	{`{"t":{"value":4.2,"uom":"CEL"},"q":[{"quantity":200,"uom":"KGM"}]}`, true},
	{`{"a":1,"a":2}`, false},
	{`{"b":1,"a":2,"b":3}`, false},
	{`{"a\u0062":1}`, false},
	{`{"` + "\xc3\xa9" + `":1,"z":2}`, false},
	{`["\u00e9\ud83d\ude00\u0001"]`, false},
	{`[1 2]`, false},
	{`[01]`, false},
	{`[1,]`, false},
	{`{"a":1,}`, false},
	{`[.5]`, false},
	{`[1.]`, false},
	{`[1e]`, false},
	{`[tru]`, false},
	{`[truex]`, false},
	{`["a` + "\n" + `"]`, false},
	{`["\x"]`, false},
	{`{"a":1} x`, false},
	{`{"a":1`, false},
	{`["a`, false},
	{`12`, false},
	{`true`, false},
	{``, false},
	{` `, false},
	{"\xef\xbb\xbf{}", false},
	{`[NaN]`, false},
	{`[0x10]`, false},
	// Past the insertion sort's 24 members: sorted by slices.SortFunc.
	{manyMembers(30, false), true},
	{manyMembers(25, true), false},
	{`{"x":` + manyMembers(24, false) + `,"b":[` + manyMembers(26, false) + `]}`, true},
}

// manyMembers is an object of n members in descending order of their
// names, with the last name repeated if dup.
func manyMembers(n int, dup bool) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := n; i > 0; i-- {
		name := i
		if dup && i == 1 {
			name = 2
		}
		if i < n {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"m%02d":%d`, name, i)
	}
	b.WriteByte('}')
	return b.String()
}

func TestCanonicalJSON(t *testing.T) {
	for _, tc := range canonicalCases {
		_, fast := canonicalFast([]byte(tc.doc))
		if fast != tc.fast {
			t.Errorf("canonicalFast(%q) took it: %v, want %v", tc.doc, fast, tc.fast)
		}
		sameAsJCS(t, []byte(tc.doc))
	}
}

// TestCanonicalJSONRecorded compares canonicalJSON with jcs on every EPCIS
// event and anchored record of the recorded sequences the index is tested
// on, and checks that they take the fast path.
func TestCanonicalJSONRecorded(t *testing.T) {
	for name, seq := range recordedSequences(t) {
		n := 0
		for _, s := range seq {
			var ev Event
			if err := json.Unmarshal(s.Event, &ev); err != nil {
				t.Fatal(err)
			}
			var docs [][]byte
			for _, raw := range ev.EPCIS {
				docs = append(docs, raw)
			}
			recs, err := PayloadRecords(s.Event)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				docs = append(docs, r.JSON)
			}
			compact := new(bytes.Buffer)
			json.Compact(compact, s.Event)
			docs = append(docs, s.Event, compact.Bytes())
			for _, d := range docs {
				if _, ok := canonicalFast(d); !ok {
					t.Errorf("%s: canonicalFast does not take %s", name, d)
				}
				sameAsJCS(t, d)
				n++
			}
		}
		t.Logf("%s: %d documents", name, n)
	}
}

func sameAsJCS(t *testing.T, doc []byte) {
	t.Helper()
	want, wantErr := jcs.Transform(doc)
	got, err := canonicalJSON(doc)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Errorf("canonicalJSON(%q) = %q, %v; jcs gives %q, %v", doc, got, err, want, wantErr)
	}
}

// FuzzCanonicalJSON: whatever canonicalFast takes, jcs takes and writes
// alike.
func FuzzCanonicalJSON(f *testing.F) {
	for _, tc := range canonicalCases {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, ok := canonicalFast(doc)
		if !ok {
			return
		}
		want, err := jcs.Transform(doc)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("canonicalFast(%q) = %q; jcs gives %q, %v", doc, got, want, err)
		}
	})
}

func BenchmarkCanonicalJSON(b *testing.B) {
	doc := []byte(`{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"tl":"https://trustline.github.io/ns/epcis/"}],` +
		`"type":"ObjectEvent","eventID":"ni:///sha-256;6e9fab89d34b2b661569750c2501b4b624fa3c5397a13dc86852faafaab93c77?ver=CBV2.0",` +
		`"eventTime":"2025-06-02T00:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","disposition":"active",` +
		`"quantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/L1","quantity":200,"uom":"KGM"}],` +
		`"readPoint":{"id":"https://id.gs1.org/414/9506000134352"},"sensorElementList":[{"sensorReport":[{"type":"Temperature","value":4.2,"uom":"CEL"}]}]}`)
	for _, v := range []struct {
		name string
		fn   func([]byte) ([]byte, error)
	}{{"jcs", jcs.Transform}, {"canonicalJSON", canonicalJSON}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := v.fn(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// recordedSequences reads the recorded payload sequences the index is
// tested on (node/index/testdata), by file name.
func recordedSequences(t testing.TB) map[string][]struct {
	Event json.RawMessage `json:"event"`
} {
	t.Helper()
	out := map[string][]struct {
		Event json.RawMessage `json:"event"`
	}{}
	for _, name := range []string{"demo.json", "supply.json"} {
		b, err := os.ReadFile(filepath.Join("..", "node", "index", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		seq := out[name]
		if err := json.Unmarshal(b, &seq); err != nil {
			t.Fatal(err)
		}
		out[name] = seq
	}
	return out
}
