package epcis

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
)

// eventSeeds returns every event of the reference vectors as raw JSON.
func eventSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, v := range readHashVectors(t) {
		var doc struct {
			EPCISBody struct {
				EventList    []json.RawMessage `json:"eventList"`
				QueryResults struct {
					ResultsBody struct {
						EventList []json.RawMessage `json:"eventList"`
					} `json:"resultsBody"`
				} `json:"queryResults"`
			} `json:"epcisBody"`
		}
		if err := json.Unmarshal(v.input, &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range append(doc.EPCISBody.EventList, doc.EPCISBody.QueryResults.ResultsBody.EventList...) {
			seeds = append(seeds, e)
		}
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"type":5}`, `{"type":"ObjectEvent","eventTime":"2024-05-01T08:00:00.99999Z"}`,
		`{"type":"ObjectEvent","quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012345.1","quantity":1e400}]}`,
		`{"type":"ObjectEvent","bizTransactionList":[{"bizTransaction":"x"}],"sourceList":[{"source":"y","type":"location"}]}`,
		`{"type":"ObjectEvent","@context":[{"tl":"https://trustline.dev/ns/epcis#"}],"tl:a":{"tl:b":[1,"2",{"tl:c":null}]}}`,
		`{"type":"ObjectEvent","readPoint":{"id":"urn:epc:id:sgln:4012345.00011.987","tl:x":"1.50"},"ilmd":{}}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

var hashURI = regexp.MustCompile(`^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$`)

// FuzzHashEvent: HashEvent never panics, is deterministic and always
// returns a well-formed hash URI when it succeeds.
func FuzzHashEvent(f *testing.F) {
	for _, s := range eventSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h1, err1 := HashEvent(data)
		h2, err2 := HashEvent(data)
		if h1 != h2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %q/%v vs %q/%v", h1, err1, h2, err2)
		}
		if err1 == nil && !hashURI.MatchString(h1) {
			t.Fatalf("malformed hash %q", h1)
		}
	})
}

// FuzzUnmarshalEvent: decoding never panics, and whatever decodes
// survives encode -> decode -> encode unchanged.
func FuzzUnmarshalEvent(f *testing.F) {
	for _, s := range eventSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e1 Event
		if err := json.Unmarshal(data, &e1); err != nil {
			return
		}
		b1, err := Canonical(&e1)
		if err != nil {
			t.Fatalf("Canonical of a decoded event: %v\ninput: %s", err, data)
		}
		var e2 Event
		if err := json.Unmarshal(b1, &e2); err != nil {
			t.Fatalf("decoding our own encoding: %v\n%s", err, b1)
		}
		if !reflect.DeepEqual(e1, e2) {
			t.Fatalf("decode(encode(e)) != e\n e1: %#v\n e2: %#v\n b1: %s", e1, e2, b1)
		}
		b2, err := Canonical(&e2)
		if err != nil || string(b1) != string(b2) {
			t.Fatalf("encoding not stable:\n%s\n%s", b1, b2)
		}
		_ = e1.Validate()
		if h, err := HashEvent(b1); err == nil && !hashURI.MatchString(h) {
			t.Fatalf("malformed hash %q", h)
		}
	})
}
