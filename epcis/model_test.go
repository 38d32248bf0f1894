package epcis

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestModelRoundTripKeepsHashes decodes every reference document into the
// model, re-encodes it canonically and checks that the event hashes are
// still the published ones: the model loses nothing the hash depends on.
func TestModelRoundTripKeepsHashes(t *testing.T) {
	for _, v := range readHashVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			var events []Event
			var out []byte
			var err error
			if bytes.Contains(v.input, []byte(`"EPCISQueryDocument"`)) {
				var d QueryDocument
				if err := json.Unmarshal(v.input, &d); err != nil {
					t.Fatal(err)
				}
				events = d.EPCISBody.QueryResults.ResultsBody.EventList
				out, err = Canonical(&d)
			} else {
				var d Document
				if err := json.Unmarshal(v.input, &d); err != nil {
					t.Fatal(err)
				}
				events = d.EPCISBody.EventList
				out, err = Canonical(&d)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := HashDocument(out)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, v.hashes) {
				t.Errorf("hashes after round trip:\n got %q\nwant %q\ndocument: %s", got, v.hashes, out)
			}
			for i := range events {
				if err := events[i].Validate(); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
}

func TestEventHashMatchesDocumentHash(t *testing.T) {
	for _, v := range readHashVectors(t) {
		var d Document
		if err := json.Unmarshal(v.input, &d); err != nil || len(d.EPCISBody.EventList) == 0 {
			continue // the query document
		}
		for i := range d.EPCISBody.EventList {
			e := d.EPCISBody.EventList[i]
			e.Context = d.Context // standalone events carry their own context
			got, err := e.Hash()
			if err != nil {
				t.Fatal(err)
			}
			if got != v.hashes[i] {
				t.Errorf("%s event %d: Event.Hash() = %s, want %s", v.name, i, got, v.hashes[i])
			}
		}
	}
}

func TestCanonical(t *testing.T) {
	q := 12.5
	e := Event{
		Type:                ObjectEvent,
		EventTime:           "2024-05-01T08:00:00.000+02:00",
		EventTimeZoneOffset: "+02:00",
		EPCList:             []string{"https://id.gs1.org/01/09506000134352/21/a<b>&c"},
		Action:              ActionObserve,
		QuantityList:        []QuantityElement{{EPCClass: "https://id.gs1.org/01/09506000134352/10/L1", Quantity: &q, UOM: "KGM"}},
		ReadPoint: &Location{ID: "https://id.gs1.org/414/9520123456788", Extensions: map[string]json.RawMessage{
			"tl:dock": json.RawMessage(`"north"`),
		}},
		CertificationInfo: URIList{"https://cert.example.org/1"},
		Extensions: map[string]json.RawMessage{
			"tl:zeta":  json.RawMessage(`{ "b" : 1,  "a": [1, 2] }`),
			"tl:alpha": json.RawMessage(`true`),
		},
	}
	want := `{"type":"ObjectEvent","eventTime":"2024-05-01T08:00:00.000+02:00","eventTimeZoneOffset":"+02:00",` +
		`"certificationInfo":"https://cert.example.org/1",` +
		`"epcList":["https://id.gs1.org/01/09506000134352/21/a<b>&c"],` +
		`"quantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/L1","quantity":12.5,"uom":"KGM"}],` +
		`"action":"OBSERVE","readPoint":{"id":"https://id.gs1.org/414/9520123456788","tl:dock":"north"},` +
		`"tl:alpha":true,"tl:zeta":{"b":1,"a":[1,2]}}`
	for i := 0; i < 20; i++ { // map order must not leak into the output
		got, err := Canonical(&e)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("Canonical:\n got %s\nwant %s", got, want)
		}
	}
	var back Event
	if err := json.Unmarshal([]byte(want), &back); err != nil {
		t.Fatal(err)
	}
	again, _ := Canonical(&back)
	if string(again) != want {
		t.Errorf("re-encoding the decoded event changed it:\n%s", again)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"type":"ObjectEvent","foo":1}`, "epcis: foo: unknown member; user extensions need a namespace prefix (\"tl:name\")"},
		{`{"type":"ObjectEvent","EventTime":"x"}`, "epcis: EventTime: unknown member"},
		{`{"type":"ObjectEvent","readPoint":{"id":"x","floor":2}}`, "epcis: floor: unknown member"},
		{`{"type":"ObjectEvent","quantityList":[{"epcClass":"x","tl:q":1}]}`, "epcis: tl:q: unknown member"},
		{`{"type":"ObjectEvent","certificationInfo":5}`, "epcis: certificationInfo: must be a string or an array of strings"},
		{`{"type":"ObjectEvent","quantityList":[{"epcClass":"x","quantity":"5"}]}`, "cannot unmarshal string"},
		{`[1]`, "cannot unmarshal array"},
	}
	for _, tt := range tests {
		var e Event
		err := json.Unmarshal([]byte(tt.in), &e)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Unmarshal(%s) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestMarshalRejectsBadExtensionNames(t *testing.T) {
	for _, name := range []string{"eventTime", "noprefix", ":x", "tl:"} {
		e := Event{Type: ObjectEvent, Extensions: map[string]json.RawMessage{name: json.RawMessage(`1`)}}
		_, err := Canonical(&e)
		var ee *Error
		if !errors.As(err, &ee) {
			t.Errorf("extension %q: err = %v, want *Error", name, err)
		}
	}
	e := Event{Type: ObjectEvent, Extensions: map[string]json.RawMessage{"tl:x": json.RawMessage(`{bad`)}}
	if _, err := Canonical(&e); err == nil {
		t.Error("invalid extension JSON was accepted")
	}
}

func TestURIList(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want URIList
		out  string
	}{
		{`"a"`, URIList{"a"}, `"a"`},
		{`["a","b"]`, URIList{"a", "b"}, `["a","b"]`},
		{`["a"]`, URIList{"a"}, `"a"`},
	} {
		var u URIList
		if err := json.Unmarshal([]byte(tt.in), &u); err != nil || !reflect.DeepEqual(u, tt.want) {
			t.Errorf("Unmarshal(%s) = %v, %v", tt.in, u, err)
		}
		if b, _ := Canonical(u); string(b) != tt.out {
			t.Errorf("Marshal(%v) = %s, want %s", u, b, tt.out)
		}
	}
}

func TestNewDocument(t *testing.T) {
	d := NewDocument("2024-05-01T08:00:00Z")
	b, err := Canonical(&d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",{"tl":"https://trustline.dev/ns/epcis#"}],` +
		`"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-05-01T08:00:00Z","epcisBody":{"eventList":[]}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
}
