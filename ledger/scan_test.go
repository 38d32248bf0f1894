package ledger

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// scanAgrees reports whether scanRecordLists reads payload, a payload that
// decodes into an Event, as json.Unmarshal does (or leaves it to it).
func scanAgrees(t *testing.T, payload []byte) (taken bool) {
	t.Helper()
	var ev Event
	if json.Unmarshal(payload, &ev) != nil {
		return false // not a payload DecodedPayloadRecords is given
	}
	var want payloadRecords
	if err := json.Unmarshal(payload, &want); err != nil {
		t.Fatalf("%s: %v", payload, err)
	}
	got, ok := scanRecordLists(payload)
	if !ok {
		return false
	}
	norm := func(r payloadRecords) [6][]string {
		var out [6][]string
		for i, l := range [][]json.RawMessage{r.Products, r.Lots, r.LabSigners, r.Inspections, r.Claims, r.Service} {
			for _, e := range l {
				out[i] = append(out[i], string(e))
			}
		}
		return out
	}
	if !reflect.DeepEqual(norm(got), norm(want)) {
		t.Fatalf("%s:\nscanned %q\nencoding/json %q", payload, norm(got), norm(want))
	}
	return true
}

// TestScanRecordLists compares scanRecordLists with encoding/json on the
// recorded payloads, compact and indented, and on payloads that are odd in
// every way it must read alike or leave to encoding/json.
func TestScanRecordLists(t *testing.T) {
	cases := []string{
		`{}`, ` { } `, `{"lots":null}`, `{"lots":[]}`, `{"lots":[null, {"id":"a"} ,{"id":"]\"}["}]}`,
		`{"LOTS":[{"id":"a"}],"Products":[{"gtin":"1"}]}`,
		`{"lots":[{"id":"a"}],"lots":[{"id":"b"},{"id":"c"}]}`,
		`{"lots":[{"id":"a"}],"lots":null}`,
		`{"epcis":[{"lots":[1]}],"function":"{\"lots\":[","lots":[{"inputs":[{"lot":"x","quantity":1.5e3}]}],"txId":"t"}`,
		`{"l\u006fts":[{"id":"a"}]}`,
		`{"claims":[{"id":"c","schemaVersion":1}],"serviceChains":[{"gtin":"1","events":1}],"labSigners":[{"address":"0x"}],"inspections":[{}]}`,
		"{\"lots\":[\n\t{\"id\":\"a\"}\r\n]}",
		`{"ſots":[]}`,
	}
	for _, seq := range recordedSequences(t) {
		for _, s := range seq {
			compact := new(bytes.Buffer)
			json.Compact(compact, s.Event)
			cases = append(cases, compact.String(), string(s.Event))
		}
	}
	taken := 0
	for _, c := range cases {
		if scanAgrees(t, []byte(c)) {
			taken++
		}
	}
	if taken < len(cases)-3 {
		t.Errorf("the scan read %d of %d payloads", taken, len(cases))
	}
}

// FuzzScanRecordLists: on any payload that decodes into an Event, the scan
// reads the record lists as encoding/json does, or declines.
func FuzzScanRecordLists(f *testing.F) {
	f.Add([]byte(`{"lots":[{"id":"a"}],"products":[],"function":"f"}`))
	f.Add([]byte(`{"LOTS":[{"id":"a"}],"lots":null,"epcis":[{"x":"]"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) { scanAgrees(t, payload) })
}
