package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/trustline/trustline/epcis"
)

// TestExpand checks that a slim event expands to the canonical encoding of
// the complete event with the same records, every list present, with
// characters encoding/json would escape in HTML mode.
func TestExpand(t *testing.T) {
	full := Event{Function: "Custody:Ship", MSPID: "SupplierMSP", TxID: "t<1>", Timestamp: "2025-06-01T08:00:00.000000000Z",
		EPCIS:         []json.RawMessage{json.RawMessage(`{"eventID":"ni:///sha-256;ab?ver=CBV2.0","x":"a&b"}`), json.RawMessage(`{"eventID":"e2"}`)},
		Products:      []Product{{ID: "p1", Name: "Milch & Käse", SchemaVersion: 1}},
		Lots:          []LotSummary{{ID: "L1", Status: StatusActive}, {ID: "L2", Breach: &Breach{TemperatureC: 9.4}}},
		Units:         []Unit{{ID: "u1"}},
		Shipments:     []Shipment{{ID: "s1", Lots: []string{"L1"}}},
		LogisticUnits: []LogisticUnit{{ID: "sscc"}},
		LabSigners:    []LabSigner{{Address: "0xab"}},
		Inspections:   []InspectionRecord{{Signature: "0x11"}},
		Recalls:       []Recall{{Lot: "L1", Reason: "<listeria>"}},
		Roles:         &Roles{},
		RoleProposals: []RoleProposal{{}},
		Claims:        []Claim{{}},
		Locations:     []Location{{}},
		ServiceChains: []ServiceChain{{}},
	}
	want, err := epcis.Canonical(full)
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string][]byte{}
	w := &Written{}
	put := func(list *[]Key, name string, v any) {
		b, err := epcis.Canonical(v)
		if err != nil {
			t.Fatal(err)
		}
		k := Key{name, "id " + string(rune('a'+len(*list)))}
		writes[k.StateKey()] = b
		*list = append(*list, k)
	}
	for _, v := range full.EPCIS {
		put(&w.EPCIS, "event", v)
	}
	for _, v := range full.Products {
		put(&w.Products, "product", v)
	}
	for _, v := range full.Lots {
		put(&w.Lots, "lot", v)
	}
	put(&w.Units, "unit", full.Units[0])
	put(&w.Shipments, "shipment", full.Shipments[0])
	put(&w.LogisticUnits, "logisticunit", full.LogisticUnits[0])
	put(&w.LabSigners, "labsigner", full.LabSigners[0])
	put(&w.Inspections, "inspection", full.Inspections[0])
	put(&w.Recalls, "recall", full.Recalls[0])
	var roles []Key
	put(&roles, "roles", full.Roles)
	w.Roles = roles[0]
	put(&w.RoleProposals, "roleproposal", full.RoleProposals[0])
	put(&w.Claims, "claim", full.Claims[0])
	put(&w.Locations, "location", full.Locations[0])
	put(&w.ServiceChains, "servicechain", full.ServiceChains[0])

	slim := Event{Function: full.Function, MSPID: full.MSPID, TxID: full.TxID, Timestamp: full.Timestamp, Written: w}
	raw, err := epcis.Canonical(slim)
	if err != nil {
		t.Fatal(err)
	}
	var decoded Event
	if err := json.Unmarshal(raw, &decoded); err != nil || !decoded.Slim() {
		t.Fatalf("slim event %s: %v", raw, err)
	}
	got, err := decoded.Expand(func(k string) ([]byte, bool) { v, ok := writes[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("expanded\n%s\nwant\n%s", got, want)
	}

	delete(writes, w.Recalls[0].StateKey())
	if _, err := decoded.Expand(func(k string) ([]byte, bool) { v, ok := writes[k]; return v, ok }); !errors.Is(err, ErrNotWritten) ||
		!strings.Contains(err.Error(), `recalls 0 "recall id a"`) {
		t.Errorf("a record missing from the writes: %v", err)
	}
	if _, err := full.Expand(nil); err == nil {
		t.Error("a complete event expanded")
	}
	both := decoded
	both.Lots = full.Lots
	if _, err := both.Expand(nil); err == nil {
		t.Error("a slim event with records of its own expanded")
	}
}

func TestSplitKey(t *testing.T) {
	for _, k := range []Key{{"roles"}, {"lot", "09501101530003", "L1"}, {"event", "ni:///sha-256;ab?ver=CBV2.0"}, {"x", ""}} {
		got, err := SplitKey(k.StateKey())
		if err != nil || strings.Join(got, "|") != strings.Join(k, "|") || len(got) != len(k) {
			t.Errorf("SplitKey(%q) = %q, %v", k.StateKey(), got, err)
		}
	}
	for _, s := range []string{"", "plain", "\x00lot", "lot\x00"} {
		if _, err := SplitKey(s); err == nil {
			t.Errorf("SplitKey(%q) accepted", s)
		}
	}
	if got, want := (Key{"lot", "g", "l"}).StateKey(), "\x00lot\x00g\x00l\x00"; got != want {
		t.Errorf("StateKey = %q, want %q (Fabric's CreateCompositeKey)", got, want)
	}
}
