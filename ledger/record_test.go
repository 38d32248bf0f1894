package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trustline/trustline/epcis"
)

// recordVersions is testdata/record-versions.json: lot records as members
// running other trustline versions store them, with ids computed outside
// Go.
type recordVersions struct {
	Records []struct {
		Name   string          `json:"name"`
		Kind   RecordKind      `json:"kind"`
		Record json.RawMessage `json:"record"`
		ID     string          `json:"id"`
	} `json:"records"`
}

func readRecordVersions(tb testing.TB) recordVersions {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "record-versions.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var rv recordVersions
	if err := json.Unmarshal(b, &rv); err != nil {
		tb.Fatal(err)
	}
	return rv
}

// lotNext is LotSummary as a later trustline version might declare it: a
// new member, and so another Go encoding of every lot record.
type lotNext struct {
	LotSummary
	CarbonFootprint *Quantity `json:"carbonFootprint,omitempty"`
}

// TestRecordIDAcrossVersions: a record's id is computed from the bytes as
// stored (RFC 8785), not from this version's types encoded again, so that
// members running different versions agree on it: a member unknown to this
// version, members in another order, a member this version would add when
// encoding, or a change of the Go type leave it as another implementation
// computed it. Re-encoding, the legacy rule, would not.
func TestRecordIDAcrossVersions(t *testing.T) {
	rv := readRecordVersions(t)
	if len(rv.Records) < 4 {
		t.Fatalf("testdata has %d records", len(rv.Records))
	}
	reencodedDiffers := 0
	for _, c := range rv.Records {
		t.Run(c.Name, func(t *testing.T) {
			r, err := StoredRecord(c.Kind, c.Record)
			if err != nil {
				t.Fatal(err)
			}
			if r.ID != c.ID || r.Schema != RecordSchema {
				t.Fatalf("id %s (schema %d), another implementation computed %s", r.ID, r.Schema, c.ID)
			}
			// From a chaincode event payload, as a member's follower reads it.
			payload := []byte(`{"function":"Batch:CreateBatch","lots":[` + string(c.Record) + `]}`)
			rs, err := PayloadRecords(payload)
			if err != nil || len(rs) != 1 || rs[0].ID != c.ID {
				t.Fatalf("from a payload: %+v, %v", rs, err)
			}
			// The record decodes (an unknown member is left out of the
			// value, not refused) and the decoded value's record is the
			// stored one.
			v, dr, err := DecodeRecord(c.Kind, c.Record)
			if err != nil || dr.ID != c.ID {
				t.Fatalf("DecodeRecord: %s, %v", dr.ID, err)
			}
			// What re-encoding this version's type gives: for records this
			// version would write otherwise, other bytes, so the legacy
			// rule would have split the members.
			b, err := epcis.Canonical(v)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := StoredRecord(c.Kind, b); again.ID != c.ID {
				reencodedDiffers++
			}
		})
	}
	if reencodedDiffers < 2 {
		t.Errorf("re-encoding changed the id of %d records; the testdata should have at least 2 that this version's types encode otherwise", reencodedDiffers)
	}

	// A Go type change: a later version's type with a new member encodes
	// the newer record to the id the stored bytes have.
	var newer lotNext
	var newerID string
	for _, c := range rv.Records {
		if strings.Contains(string(c.Record), "carbonFootprint") {
			if err := json.Unmarshal(c.Record, &newer); err != nil {
				t.Fatal(err)
			}
			newerID = c.ID
		}
	}
	if newer.CarbonFootprint == nil {
		t.Fatal("testdata lacks the newer version's record")
	}
	if r, err := NewRecord(RecordLot, &newer); err != nil || r.ID != newerID {
		t.Errorf("a later Go type's record: %s, %v; want %s", r.ID, err, newerID)
	}
}

// TestRecordSchemaInID: the schema version is hashed and named in the id;
// a record without one keeps its legacy id, and a malformed one is refused.
func TestRecordSchemaInID(t *testing.T) {
	rv := readRecordVersions(t)
	var l LotSummary
	if err := json.Unmarshal(rv.Records[0].Record, &l); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, s := range []int{1, 2, 3} {
		l.SchemaVersion = s
		r, err := NewRecord(RecordLot, &l)
		if err != nil {
			t.Fatal(err)
		}
		if r.Schema != s || !strings.HasSuffix(r.ID, "?type=tl:lot&schema="+string(rune('0'+s))) {
			t.Errorf("schema %d: %s (schema %d)", s, r.ID, r.Schema)
		}
		hash, _, _ := strings.Cut(r.ID, "?")
		ids[hash]++
	}
	if len(ids) != 3 {
		t.Errorf("the same content under 3 schema versions hashes to %d ids", len(ids))
	}

	// Legacy: no schema version, the id of Go's encoding, as anchored before.
	l.SchemaVersion = 0
	b, err := epcis.Canonical(&l)
	if err != nil {
		t.Fatal(err)
	}
	r, err := StoredRecord(RecordLot, b)
	if err != nil || r.ID != RecordID(RecordLot, b) || r.Schema != 0 {
		t.Errorf("legacy record: %+v, %v", r, err)
	}
	if _, err := StoredRecord(RecordLot, append(b[:len(b)-1:len(b)-1], []byte(`,"bogus":1}`)...)); err == nil {
		t.Error("a legacy record with an unknown member got an id")
	}

	for _, bad := range []string{`{"id":"x","schemaVersion":0}`, `{"id":"x","schemaVersion":-1}`, `{"id":"x","schemaVersion":"1"}`} {
		if _, err := StoredRecord(RecordLot, []byte(bad)); err == nil || !strings.Contains(err.Error(), "schemaVersion") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := StoredRecord("shipment", []byte(`{"schemaVersion":1}`)); err == nil {
		t.Error("an unanchored kind got an id")
	}
}

// DecodedPayloadRecords gives PayloadRecords' records and errors for
// payloads decoded into an Event: with schema versions, members this
// version does not know, legacy records (in Go's encoding, which takes the
// shortcut, and otherwise: spaced, reordered, members spelt in another case,
// a list given twice), versions to refuse, and every payload of the
// recorded sequences the index is tested on, compact and indented.
func TestDecodedPayloadRecords(t *testing.T) {
	cases := map[string]string{
		"legacy, spaced":     `{"lots":[{ "id":"x", "gtin":"1", "lot":"L1"}]}`,
		"legacy, reordered":  `{"products":[{"gtin":"09506000134352","id":"https://id.gs1.org/01/09506000134352","name":"A"}]}`,
		"legacy, case":       `{"products":[{"ID":"https://id.gs1.org/01/09506000134352","gtin":"09506000134352","name":"A"}]}`,
		"legacy, twice":      `{"lots":[{"id":"x","gtin":"1","lot":"L1","status":"recalled"}],"lots":[{"id":"x","gtin":"1","lot":"L1"}]}`,
		"service, version 0": `{"serviceChains":[{"product":"p","gtin":"1","events":1,"eventChain":"ab","schemaVersion":0}]}`,
	}
	for name, seq := range recordedSequences(t) {
		for i, s := range seq {
			compact := new(bytes.Buffer)
			json.Compact(compact, s.Event)
			cases[fmt.Sprintf("%s %d", name, i)] = compact.String()
			cases[fmt.Sprintf("%s %d indented", name, i)] = string(s.Event)
		}
	}
	for name, payload := range map[string]string{
		"schema": `{"function":"f","lots":[{"id":"https://id.gs1.org/01/09506000134352/10/L1","gtin":"09506000134352","lot":"L1","schemaVersion":1,"tl:future":{"b":2,"a":1}}],` +
			`"products":[{"gtin":"09506000134352","name":"Apple \u00e9","schemaVersion":2}]}`,
		"legacy":  `{"lots":[{"id":"https://id.gs1.org/01/09506000134352/10/L1","gtin":"09506000134352","lot":"L1"}]}`,
		"zero":    `{"lots":[{"id":"x","gtin":"1","lot":"L1","schemaVersion":0}]}`,
		"unknown": `{"lots":[{"id":"x","gtin":"1","lot":"L1","other":true}]}`,
		"mixed":   `{"claims":[],"lots":[{"id":"x","gtin":"1","lot":"L1","schemaVersion":1},{"id":"y","gtin":"1","lot":"L2"}]}`,
		"service": `{"claims":[{"id":"c","schemaVersion":1}],"serviceChains":[{"product":"https://id.gs1.org/01/09506000134352","gtin":"09506000134352","events":1,"eventChain":"ab","schemaVersion":1}]}`,
	} {
		cases[name] = payload
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			var ev Event
			if err := json.Unmarshal([]byte(payload), &ev); err != nil {
				t.Fatal(err)
			}
			want, wantErr := PayloadRecords([]byte(payload))
			got, err := DecodedPayloadRecords(&ev, []byte(payload))
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("error %v, PayloadRecords' %v", err, wantErr)
			}
			if err == nil && len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
				t.Errorf("records %+v, PayloadRecords' %+v", got, want)
			}
		})
	}
}
