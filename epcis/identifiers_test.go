package epcis

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		name, event string
		want        []Identifier
	}{
		{"none", `{"type":"ObjectEvent"}`, nil},
		{"order and roles", `{"type":"AggregationEvent","parentID":"https://id.gs1.org/00/106141412345678908",` +
			`"childEPCs":["https://id.gs1.org/01/09506000134352/21/7"],"childQuantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/L1"}]}`,
			[]Identifier{{"https://id.gs1.org/00/106141412345678908", RoleParent}, {"https://id.gs1.org/01/09506000134352/21/7", RoleEPC}, {"https://id.gs1.org/01/09506000134352/10/L1", RoleClass}}},
		{"canonical", `{"type":"ObjectEvent","epcList":["https://example.com/dl/01/9506000134352/10/L1/21/7?17=261231"],` +
			`"quantityList":[{"epcClass":"http://id.gs1.org/01/09506000134352/10/L1?linkType=all"}]}`,
			[]Identifier{{"https://id.gs1.org/01/09506000134352/10/L1/21/7", RoleEPC}, {"https://id.gs1.org/01/09506000134352/10/L1", RoleClass}}},
		{"not a Digital Link", `{"type":"ObjectEvent","epcList":["urn:epc:id:sgtin:9506000.013435.7",""]}`,
			[]Identifier{{"urn:epc:id:sgtin:9506000.013435.7", RoleEPC}}},
		{"transformation", `{"type":"TransformationEvent","inputEPCList":["urn:x:1"],"outputEPCList":["urn:x:2"],` +
			`"inputQuantityList":[{"epcClass":"urn:c:1"}],"outputQuantityList":[{"epcClass":"urn:c:2"},{"epcClass":""}]}`,
			[]Identifier{{"urn:x:1", RoleEPC}, {"urn:x:2", RoleEPC}, {"urn:c:1", RoleClass}, {"urn:c:2", RoleClass}}},
	}
	for _, tt := range tests {
		var e Event
		if err := json.Unmarshal([]byte(tt.event), &e); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := e.Identifiers(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Identifiers = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMemberNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`{}`, nil, true},
		{` { "a" : 1 , "b":{"c":[1,"}",{"d":"\""}]},"e":"x,y", "f":null }`, []string{"a", "b", "e", "f"}, true},
		{`{"a\u0062":1}`, nil, false},
		{`[1]`, nil, false},
		{`null`, nil, false},
	}
	for _, tt := range tests {
		got, ok := memberNames([]byte(tt.in))
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("memberNames(%s) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// compactRaw removes whitespace outside strings, and returns a value that
// has none as it is.
func TestCompactRaw(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a": 1}`, `{"a":1}`},
		{"[\n\"x\",\t\"y\"\r]", `["x","y"]`},
		{`["x y"]`, `["x y"]`},
		{`"a\" b"`, `"a\" b"`},
		{`"a\\" `, `"a\\"`},
		{`{"k":["v",{"w":null}]}`, `{"k":["v",{"w":null}]}`},
	} {
		in := json.RawMessage(tt.in)
		got := compactRaw(in)
		if string(got) != tt.want {
			t.Errorf("compactRaw(%q) = %q, want %q", tt.in, got, tt.want)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, in); err != nil || buf.String() != tt.want {
			t.Errorf("json.Compact(%q) = %q, %v: the table is wrong", tt.in, buf.String(), err)
		}
		if same := tt.in == tt.want; same != (&got[0] == &in[0]) {
			t.Errorf("compactRaw(%q) copied: %v", tt.in, !same)
		}
	}
}

// memberNames lists the member names scanMembers reads.
func memberNames(data []byte) (names []string, ok bool) {
	if !scanMembers(data, func(name []byte) bool {
		names = append(names, string(name))
		return true
	}) {
		return nil, false
	}
	return names, true
}
