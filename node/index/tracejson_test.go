package index

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// AppendTraceJSON writes what encoding Trace writes, errors included: on
// the testdata, and on records json.Marshal stored HTML-escaped and events
// recorded with whitespace, which are not copied through as stored.
func TestAppendTraceJSON(t *testing.T) {
	odd := openMem(t, vfs.NewMem())
	defer odd.Close()
	applyAll(t, odd, loadSeq(t, "supply.json"))
	link := "https://id.gs1.org/01/" + gtinA + "/10/Q<1>"
	link2 := "https://id.gs1.org/01/" + gtinA + "/10/R&2"
	ev := &ledger.Event{TxID: "odd", Timestamp: "2025-07-01T00:00:00.000000000Z",
		Products:  []ledger.Product{{ID: "https://id.gs1.org/01/" + gtinA, GTIN: gtinA, Name: "Apples & <b>pears</b>"}},
		Lots:      []ledger.LotSummary{{ID: link2, GTIN: gtinA, Lot: "R&2", Status: ledger.StatusActive, LastShipment: "sh<1>"}, {ID: link, GTIN: gtinA, Lot: "Q<1>", Status: ledger.StatusActive, Inputs: []ledger.LotQuantity{{Lot: "https://id.gs1.org/01/" + gtinA + "/10/L1", Quantity: ledger.Quantity{Value: "1", UOM: "KGM"}}}}},
		Units:     []ledger.Unit{{ID: link + "/21/S&1", GTIN: gtinA, Lot: "Q<1>", Serial: "S&1", LotID: link}, {GTIN: gtinA, Lot: "R&2", Serial: "S2", LotID: link2}},
		Shipments: []ledger.Shipment{{ID: "sh<1>", Lots: []string{link2}}},
		EPCIS: []json.RawMessage{json.RawMessage("{\n  \"type\": \"ObjectEvent\",\n\t\"eventID\": \"" + eid(50) + "\", \"eventTime\": \"2025-07-01T00:00:00Z\",\r\n" +
			"  \"action\": \"ADD\", \"bizStep\": \"commissioning\", \"quantityList\": [{\"epcClass\": \"" + link + "\", \"quantity\": 1}]}")}}
	if _, err := odd.Apply(Position{Block: 100, TxID: "odd"}, ev); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name              string
		x                 *Index
		gtin, lot, serial string
		found             bool
	}{
		{"recalled lot", built(t), gtinA, "L1", "", true},
		{"lot", built(t), gtinA, "L2", "", true},
		{"flagged lot with shipment", built(t), gtinB, "J1", "", true},
		{"unit", built(t), gtinB, "J1", "S1", true},
		{"unit without lot", built(t), gtinB, "", "S2", true},
		{"unit of another lot", built(t), gtinB, "J2", "S1", false},
		{"unknown lot", built(t), gtinA, "L9", "", false},
		{"unknown unit", built(t), gtinB, "J1", "S9", false},
		{"escaped records, spaced event", odd, gtinA, "Q<1>", "S&1", true},
		{"downstream of escaped", odd, gtinA, "L1", "", true},
		{"escaped last shipment and unit's lot", odd, gtinA, "R&2", "S2", true},
		{"escaped unit's lot, lot not given", odd, gtinA, "", "S2", true},
		{"escaped unit of another lot", odd, gtinA, "L1", "S2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, terr := tc.x.Trace(tc.gtin, tc.lot, tc.serial)
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tr); err != nil {
				t.Fatal(err)
			}
			got, err := tc.x.AppendTraceJSON([]byte("prefix"), tc.gtin, tc.lot, tc.serial)
			if (terr == nil) != tc.found {
				t.Fatalf("Trace err %v", terr)
			}
			if (err == nil) != (terr == nil) || err != nil && err.Error() != terr.Error() {
				t.Fatalf("err %v, Trace's %v", err, terr)
			}
			if err != nil {
				if string(got) != "prefix" {
					t.Errorf("on error dst became %q", got)
				}
				return
			}
			if g := bytes.TrimPrefix(got, []byte("prefix")); !bytes.Equal(g, want.Bytes()) {
				t.Errorf("got\n%s\nwant\n%s", g, want.Bytes())
			}
		})
	}
}

func TestStringField(t *testing.T) {
	for _, tc := range []struct {
		raw, name    string
		v            string
		found, plain bool
	}{
		{`{"id":"a","lot":"L1","lotId":"x"}`, "lot", "L1", true, true},
		{`{"id":"a","lotId":"x"}`, "lot", "", false, true},
		{`{"id":"\"lot\":\"L9\"","lot":"L1"}`, "lot", "L1", true, true},
		{`{"lot":"L\u00261"}`, "lot", "", true, false},
		{`{"lot":null}`, "lot", "", true, false},
		{`{"lot":""}`, "lot", "", true, true},
	} {
		v, found, plain := stringField([]byte(tc.raw), tc.name)
		if v != tc.v || found != tc.found || plain != tc.plain {
			t.Errorf("stringField(%s, %s) = %q %v %v, want %q %v %v", tc.raw, tc.name, v, found, plain, tc.v, tc.found, tc.plain)
		}
	}
}

// encoderJSON is what appendJSON must write: an Encoder's output without
// HTML escaping, without the newline.
func encoderJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// appendJSON's direct paths (plain strings, traces without lots or
// edges) write what the Encoder writes, and the rest goes to it.
func TestAppendJSON(t *testing.T) {
	strs := []string{"", "https://id.gs1.org/01/" + gtinA + "/10/L1", `a"b`, `a\b`, "a<b>&c", "tab\there", "nl\n", "del\x7f",
		"é", "\u2028", "\xff", "\x00", "中文"}
	var vals []any
	for _, s := range strs {
		vals = append(vals, s,
			ledger.Trace{Lot: s, Direction: ledger.Upstream, Lots: []ledger.LotSummary{}, Edges: []ledger.Edge{}},
			ledger.Trace{Lot: "l", Direction: s, Lots: []ledger.LotSummary{}, Edges: []ledger.Edge{}})
	}
	vals = append(vals,
		ledger.Trace{Lot: "l", Direction: ledger.Downstream}, // nil lists: null
		ledger.Trace{Lot: "l", Direction: ledger.Downstream, Lots: []ledger.LotSummary{}},
		ledger.Trace{Lot: "l", Direction: ledger.Downstream, Lots: []ledger.LotSummary{{GTIN: gtinA, Lot: "x"}}, Edges: []ledger.Edge{{Input: "a", Output: "b"}}},
		ledger.LotSummary{GTIN: gtinA, Lot: "a<b"})
	for _, v := range vals {
		var b bytes.Buffer
		appendJSON(&b, v)
		if got, want := b.String(), encoderJSON(v); got != want {
			t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "L1", `a"b`, "a<b>", "\x7f", "\xff", "中"} {
		f.Add(s, ledger.Upstream)
	}
	f.Fuzz(func(t *testing.T, lot, dir string) {
		for _, v := range []any{lot, ledger.Trace{Lot: lot, Direction: dir, Lots: []ledger.LotSummary{}, Edges: []ledger.Edge{}}} {
			var b bytes.Buffer
			appendJSON(&b, v)
			if got, want := b.String(), encoderJSON(v); got != want {
				t.Fatalf("%#v:\n got %s\nwant %s", v, got, want)
			}
		}
	})
}

// Readers' arenas (useArena) are reused: traces written concurrently, the
// product cache filled and emptied meanwhile, equal the traces written one
// at a time.
func TestAppendTraceJSONConcurrent(t *testing.T) {
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	applyAll(t, x, loadSeq(t, "supply.json"))
	lots := lotsOf(t, x)
	errString := func(err error) string {
		if err == nil {
			return ""
		}
		return " error: " + err.Error()
	}
	want := make([]string, len(lots))
	for i, l := range lots {
		b, err := x.AppendTraceJSONOf(nil, l[0], l[1], "", nil)
		want[i] = string(b) + errString(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for round := range 50 {
				if g == 0 && round%5 == 0 {
					x.prods.changed() // products read again, into the cache
				}
				for i, l := range lots {
					b, err := x.AppendTraceJSONOf(nil, l[0], l[1], "", nil)
					if got := string(b) + errString(err); got != want[i] {
						t.Errorf("lot %s/%s, round %d:\n got %s\nwant %s", l[0], l[1], round, got, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
