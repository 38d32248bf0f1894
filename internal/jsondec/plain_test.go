package jsondec

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type plainStatus string

type plainInner struct {
	Value string  `json:"value"`
	N     int8    `json:"n"`
	F     float32 `json:"f"`
}

type plainAll struct {
	ID      string        `json:"id"`
	Status  plainStatus   `json:"status,omitempty"`
	OK      bool          `json:"ok"`
	I       int           `json:"i"`
	I64     int64         `json:"i64"`
	U       uint16        `json:"u"`
	F       float64       `json:"f"`
	Inner   plainInner    `json:"inner"`
	Ptr     *plainInner   `json:"ptr,omitempty"`
	Tags    []string      `json:"tags,omitempty"`
	List    []plainInner  `json:"list"`
	Next    *plainAll     `json:"next,omitempty"`
	Skipped string        `json:"-"`
	hidden  string        //nolint:unused // an unexported field is not decoded
	NoTag   string        //
	Dash    string        `json:"-,"`
	Odd     string        `json:"a.b$c@d"`
	Nested  [][]string    `json:"nested"`
	PtrList []*plainInner `json:"ptrList"`
	// Types with their own UnmarshalJSON, given the value's bytes.
	Raw   json.RawMessage `json:"raw,omitempty"`
	M     withMethod      `json:"m"`
	MP    *withMethod     `json:"mp"`
	ML    []withMethod    `json:"ml"`
	Colon string          `json:"tl:colon"`
	// Pointers to scalars, and Aliased types.
	Q   *float64  `json:"q,omitempty"`
	PS  *string   `json:"ps,omitempty"`
	Al  aliased   `json:"al"`
	AlP *aliased  `json:"alP"`
	AlL []aliased `json:"alL"`
}

// aliased is a jsondec.Aliased, as the EPCIS types are: its method
// decodes its alias, then finishes.
type aliased struct {
	A    string   `json:"a"`
	L    []string `json:"l"`
	In   *aliased `json:"in,omitempty"` // refers to itself
	Done bool     `json:"-"`
	Qty  *float64 `json:"qty"`
}

type aliasedAlias aliased

func (x *aliased) UnmarshalJSON(b []byte) error {
	var a aliasedAlias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*x = aliased(a)
	x.PlainDone()
	return nil
}

func (x *aliased) PlainAlias() any { return (*aliasedAlias)(x) }

func (x *aliased) PlainDone() {
	x.Done = true
	if len(x.L) == 0 {
		x.L = nil
	}
}

// badAlias is an Aliased whose alias is itself: plain declines it.
type badAlias struct{ A string }

func (x *badAlias) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &x.A) }
func (x *badAlias) PlainAlias() any              { return x }
func (x *badAlias) PlainDone()                   {}

// plainCases are inputs for plainAll: ones the plain decoder takes and
// ones it must leave to the general decoder.
var plainCases = []string{
	`{}`,
	`{"id":"L1","status":"active","ok":true,"i":-12,"i64":9223372036854775807,"u":65535,"f":-1.5e-3,"inner":{"value":"v","n":-128,"f":3.25},"ptr":{"value":"p"},"tags":["a","ü"],"list":[{"n":1},{}],"next":{"id":"N","next":{"id":"NN"}},"NoTag":"x","-":"dash","a.b$c@d":"odd","nested":[[],["x"]],"ptrList":[{"value":"q"}]}`,
	`{"tags":[],"list":[]}`,
	`{"id":"a","id":"b"}`,                     // the last wins
	`{"inner":{"value":"a"},"inner":{"n":1}}`, // repeated object: merged
	`{"ptr":{"value":"a"},"ptr":{"n":1}}`,     // repeated pointer: merged
	`{"ID":"L1"}`,                             // case-insensitive match
	`{"id":"L1","unknown":1}`,                 // unknown member
	`{"id":"L\"1"}`,                           // escape
	`{"id":"L\u00e91"}`,                       // escape
	"{\"id\":\"L\xff1\"}",                     // invalid UTF-8
	"{\"id\":\"a\tb\"}",                       // control character
	`{"id": "L1"}`,                            // whitespace
	`{"id":"L1"} `,                            // whitespace after
	`{"id":"L1"}x`,                            // data after
	`{"id":null}`,                             // null
	`{"ptr":null}`,                            // null pointer
	`null`,                                    // null
	`{"i":1.0}`, `{"i":1e2}`, `{"i":01}`, `{"i":-}`, `{"i":9223372036854775808}`, `{"u":-1}`, `{"u":65536}`,
	`{"inner":{"n":128}}`, `{"inner":{"f":1e39}}`, `{"f":1e400}`, `{"f":1.}`, `{"f":.5}`, `{"f":1e}`, `{"f":-0}`, `{"f":1E+2}`,
	`{"ok":1}`, `{"ok":"true"}`, `{"ok":tru}`, `{"tags":"a"}`, `{"tags":["a",]}`, `{"tags":["a" ,"b"]}`, `{"inner":[]}`,
	`{"id":"L1",}`, `{"id":"L1"`, `{"id"}`, ``, `[]`, `"s"`, `{"Skipped":"x"}`, `{"hidden":"x"}`,
	`{"list":[{"value":"a"},{"value":"b","value":"c"}]}`,
	`{"raw":{"a":[1,-2.5e3,true,false,null,"x\"\u00e9\n"],"b":{}},"m":"s","mp":[1],"ml":[{},"x",3],"tl:colon":"c"}`,
	`{"raw":null}`, `{"mp":null}`, `{"m":null}`, `{"raw":[1 ,2]}`, `{"raw":"\x"}`, `{"raw":"\u12"}`, "{\"raw\":\"\xff\"}",
	`{"m":"fail"}`, `{"raw":{"a"}}`, `{"raw":[1,]}`, `{"raw":tru}`, `{"raw":01}`,
	`{"q":1.5,"ps":"s","al":{"a":"x","l":[],"in":{"a":"y","l":["z"],"qty":2}},"alP":{},"alL":[{},{"l":["a"]}]}`,
	`{"q":null}`, `{"ps":null}`, `{"al":null}`, `{"alP":null}`, `{"al":{"a":"x","b":1}}`, `{"al":{"A":"x"}}`, `{"al":{"in":{"in":{"qty":1e400}}}}`,
	`{"al":{"a":"x"},"al":{"l":[]}}`, `{"q":-0}`,
}

// TestPlainAsEncodingJSON: where plain decodes, encoding/json decodes the
// same value; plain takes the inputs in its form, leaves the others, and
// leaves the value as it was when it does not decode.
func TestPlainAsEncodingJSON(t *testing.T) {
	taken := 0
	for _, in := range plainCases {
		if checkPlain(t, []byte(in)) {
			taken++
		}
	}
	for _, in := range []string{plainCases[0], plainCases[1], plainCases[2], plainCases[3], plainCases[49], plainCases[len(plainCases)-10]} {
		if !checkPlain(t, []byte(in)) {
			t.Errorf("%s: not decoded", in)
		}
	}
	for _, in := range []string{`{"ID":"L1"}`, `{"id":"L1","unknown":1}`, `{"id":"L\"1"}`, `{"id": "L1"}`, `{"ptr":null}`, `{"i":1.0}`, `{"inner":{"value":"a"},"inner":{"n":1}}`} {
		v := plainAll{ID: "before"}
		if plain([]byte(in), &v) || v.ID != "before" {
			t.Errorf("%s: decoded, or changed the value it did not decode", in)
		}
		var z plainAll
		if plain([]byte(in), &z) {
			t.Errorf("%s: decoded, not in the plain form", in)
		}
	}
	var nonZero = plainAll{Tags: []string{"x"}}
	if plain([]byte(`{"id":"a"}`), &nonZero) {
		t.Error("decoded into a value that is not zero (encoding/json merges)")
	}
	t.Logf("%d of %d inputs decoded", taken, len(plainCases))
}

func checkPlain(t *testing.T, data []byte) bool {
	t.Helper()
	var got, want plainAll
	if !plain(data, &got) {
		return false
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("plain decodes what encoding/json refuses (%v):\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded differently:\nplain:         %#v\nencoding/json: %#v\ninput: %s", got, want, data)
	}
	return true
}

type withMethod struct{ S string }

// UnmarshalJSON keeps the value's bytes, and fails on "fail".
func (w *withMethod) UnmarshalJSON(b []byte) error {
	if string(b) == `"fail"` {
		return errors.New("fail")
	}
	w.S = "method:" + string(b)
	return nil
}

// TestPlainTypes: the types plain decodes and those it leaves.
func TestPlainTypes(t *testing.T) {
	for _, c := range []struct {
		v     any
		plain bool
	}{
		{new(plainAll), true},
		{new(plainInner), true},
		{new(struct{ M map[string]string }), false},
		{new(struct{ A any }), false},
		{new(struct{ B []byte }), false},
		{new(struct{ W withMethod }), true},
		{new(struct{ W *withMethod }), true},
		{new(struct{ R json.RawMessage }), true},
		{new(struct{ plainInner }), false}, // embedded
		{new(struct {
			N int `json:"n,string"`
		}), false},
		{new(struct{ P *string }), true},
		{new(struct{ P **string }), false},
		{new(struct{ P *[]string }), false},
		{new(aliased), true},
		{new(struct{ A *aliased }), true},
		{new(struct{ B badAlias }), false},
		{new(badAlias), false},
		{new(struct{ N json.Number }), false},
		{new(struct{ A [2]string }), false},
		// Two fields of one name (made at run time: vet refuses it written).
		{reflect.New(reflect.StructOf([]reflect.StructField{
			{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"x"`},
			{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"x"`},
		})).Interface(), false},
		{new(withMethod), false},
	} {
		p := plainOf(reflect.TypeOf(c.v).Elem())
		if got := p != nil && !p.method; got != c.plain {
			t.Errorf("%T: plain %v, want %v", c.v, got, c.plain)
		}
	}
	// An Aliased type is finished, however reached.
	var a plainAll
	if !plain([]byte(`{"al":{"in":{}},"alP":{},"alL":[{}]}`), &a) || !a.Al.Done || !a.Al.In.Done || !a.AlP.Done || !a.AlL[0].Done {
		t.Errorf("an Aliased value not finished: %+v", a)
	}
	// A method is called with the value's bytes.
	var w struct{ W withMethod }
	if !plain([]byte(`{"W":{"S":"x"}}`), &w) || w.W.S != `method:{"S":"x"}` {
		t.Errorf("a method's value: %+v", w)
	}
}

// FuzzPlain: whatever plain decodes, encoding/json decodes alike.
func FuzzPlain(f *testing.F) {
	for _, c := range plainCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(strings.Repeat(`{"next":`, 30) + `{}` + strings.Repeat(`}`, 30)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkPlain(t, data)
	})
}

func BenchmarkPlain(b *testing.B) {
	data := []byte(plainCases[1])
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			var v plainAll
			if !plain(data, &v) {
				b.Fatal("not plain")
			}
		}
	})
	b.Run("v1", func(b *testing.B) {
		for b.Loop() {
			var v plainAll
			if err := jsonv1Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var jsonv1Unmarshal = func(data []byte, v any) error { return json.Unmarshal(data, v) }
