package index

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/nodeapi"
)

const mergeSite = "https://id.gs1.org/414/9506000000009"

func mergeLoc(name string) string { return mergeSite + "/254/" + name }

// mergeIndex holds a site with two areas, five docks under them and a
// location elsewhere, and n events at random places and times (some at
// the same instant), each with two EPCs of a pool of ten.
func mergeIndex(t *testing.T, n int) (*Index, []json.RawMessage) {
	t.Helper()
	x := openMem(t, vfs.NewMem())
	t.Cleanup(func() { x.Close() })
	locs := []ledger.Location{{ID: mergeSite, Name: "Site", Owner: "LogisticsMSP"},
		{ID: mergeLoc("a1"), Parent: mergeSite, Owner: "LogisticsMSP"}, {ID: mergeLoc("a2"), Parent: mergeSite, Owner: "LogisticsMSP"},
		{ID: "https://id.gs1.org/414/9506000000016", Owner: "LogisticsMSP"}}
	for k := range 5 {
		locs = append(locs, ledger.Location{ID: mergeLoc(fmt.Sprintf("dock%d", k)), Parent: mergeLoc([]string{"a1", "a1", "a1", "a2", "a2"}[k]), Owner: "LogisticsMSP"})
	}
	if _, err := x.ApplyBlock(1, []Tx{{Pos: Position{Block: 1, TxID: "loc"}, Event: &ledger.Event{TxID: "loc", Locations: locs}}}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(16, 16))
	var all []json.RawMessage
	for first, blk := 0, uint64(2); first < n; first, blk = first+50, blk+1 {
		var txs []Tx
		for i := first; i < min(first+50, n); i++ {
			at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(n/2)) * time.Minute)
			l := locs[r.IntN(len(locs))].ID
			raw, _ := json.Marshal(map[string]any{
				"type": "ObjectEvent", "eventID": fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", r.IntN(1<<30)*1000+i),
				"eventTime": at.Format(time.RFC3339), "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
				"bizStep": "receiving", "readPoint": map[string]string{"id": l}, "bizLocation": map[string]string{"id": l},
				"epcList": []string{fmt.Sprintf("urn:epc:id:sscc:9506000.%010d", r.IntN(10)), fmt.Sprintf("urn:epc:id:sscc:9506000.%010d", r.IntN(10))},
			})
			all = append(all, raw)
			tx := fmt.Sprintf("t%d", i)
			txs = append(txs, Tx{Pos: Position{Block: blk, Tx: i - first, TxID: tx}, Event: &ledger.Event{
				Function: "Custody:Receive", TxID: tx, Timestamp: ledger.FormatTime(at), EPCIS: []json.RawMessage{raw}}})
		}
		if _, err := x.ApplyBlock(blk, txs); err != nil {
			t.Fatal(err)
		}
	}
	return x, all
}

// allPages follows q's nextPageToken to the end and returns the event ids.
func allPages(t *testing.T, x *Index, q Query) []string {
	t.Helper()
	var ids []string
	for range 10000 {
		p, err := x.Events(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range p.Events {
			ids = append(ids, eventOf(t, raw).id)
		}
		if p.NextPageToken == "" {
			return ids
		}
		q.PageToken = p.NextPageToken
	}
	t.Fatal("no last page")
	return nil
}

type idAt struct{ at, id string }

func eventOf(t *testing.T, raw json.RawMessage) idAt {
	var e struct{ EventID, EventTime string }
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	at, err := eventTimeKey(e.EventTime)
	if err != nil {
		t.Fatal(err)
	}
	return idAt{at, e.EventID}
}

// ordered sorts events by event time, then id, as the query interface does.
func ordered(t *testing.T, raws []json.RawMessage, desc bool) []string {
	es := make([]idAt, len(raws))
	for i, raw := range raws {
		es[i] = eventOf(t, raw)
	}
	slices.SortFunc(es, func(a, b idAt) int {
		c := strings.Compare(a.at, b.at)
		if c == 0 {
			c = strings.Compare(a.id, b.id)
		}
		if desc {
			c = -c
		}
		return c
	})
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.id
	}
	return ids
}

// WD_bizLocation and WD_readPoint answer exactly the union of EQ_ over the
// location's descendants, in the same order, through every page size and
// both directions; several MATCH_epc values give each event once.
func TestWDIsUnionOfEQOverDescendants(t *testing.T) {
	x, all := mergeIndex(t, 600)
	eqAll := func(loc string, readPoint bool) []json.RawMessage {
		q := Query{BizLocation: []string{loc}, PerPage: MaxPerPage}
		if readPoint {
			q = Query{ReadPoint: []string{loc}, PerPage: MaxPerPage}
		}
		p, err := x.Events(q)
		if err != nil || p.NextPageToken != "" {
			t.Fatalf("EQ %s: %v (more than one page)", loc, err)
		}
		return p.Events
	}
	for _, root := range []string{mergeSite, mergeLoc("a1"), mergeLoc("a2"), mergeLoc("dock4"), "https://id.gs1.org/414/9506000000016", mergeLoc("nowhere")} {
		ds, err := x.LocationDescendants(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, readPoint := range []bool{false, true} {
			var union []json.RawMessage
			for _, d := range ds {
				union = append(union, eqAll(d, readPoint)...)
			}
			for _, desc := range []bool{false, true} {
				want := ordered(t, union, desc)
				for _, per := range []int{1, 7, 30, MaxPerPage} {
					q := Query{WDBizLocation: []string{root}, PerPage: per}
					if readPoint {
						q = Query{WDReadPoint: []string{root}, PerPage: per}
					}
					if desc {
						q.OrderBy, q.OrderDirection = nodeapi.OrderEventTime, nodeapi.OrderDesc
					}
					if got := allPages(t, x, q); !slices.Equal(got, want) {
						t.Errorf("WD %s (read point %v, desc %v, perPage %d): %d events, want %d (first %v, want %v)",
							root, readPoint, desc, per, len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
					}
				}
			}
		}
	}
	// Several EPCs: each event once, however many of its EPCs match.
	epcs := []string{"urn:epc:id:sscc:9506000.0000000001", "urn:epc:id:sscc:9506000.0000000002", "urn:epc:id:sscc:9506000.0000000007"}
	var match []json.RawMessage
	for _, raw := range all {
		var e struct{ EPCList []string }
		json.Unmarshal(raw, &e)
		if slices.ContainsFunc(e.EPCList, func(s string) bool { return slices.Contains(epcs, s) }) {
			match = append(match, raw)
		}
	}
	for _, per := range []int{1, 13, MaxPerPage} {
		if got, want := allPages(t, x, Query{MatchEPC: epcs, PerPage: per}), ordered(t, match, false); !slices.Equal(got, want) {
			t.Errorf("MATCH_epc, perPage %d: %d events, want %d", per, len(got), len(want))
		}
	}
}

// A location moved to another parent moves its events between the WD_
// answers at the next query, whether the move comes by Apply or by
// ApplyBlock (the resolved descendants are kept between queries).
func TestWDFollowsMovedLocation(t *testing.T) {
	x, _ := mergeIndex(t, 200)
	count := func(root string) int {
		return len(allPages(t, x, Query{WDBizLocation: []string{root}, PerPage: MaxPerPage}))
	}
	dock := func(k int) int {
		return len(allPages(t, x, Query{BizLocation: []string{mergeLoc(fmt.Sprintf("dock%d", k))}, PerPage: MaxPerPage}))
	}
	a1, a2 := count(mergeLoc("a1")), count(mergeLoc("a2"))
	moved := dock(3)
	if moved == 0 {
		t.Fatal("no events at dock3")
	}
	move := func(parent string) []ledger.Location {
		return []ledger.Location{{ID: mergeLoc("dock3"), Parent: mergeLoc(parent), Owner: "LogisticsMSP"}}
	}
	cp := x.Checkpoint()
	if _, err := x.Apply(Position{Block: cp.Block, Tx: 0, TxID: "m1"}, &ledger.Event{TxID: "m1", Locations: move("a1")}); err != nil {
		t.Fatal(err)
	}
	if got1, got2 := count(mergeLoc("a1")), count(mergeLoc("a2")); got1 != a1+moved || got2 != a2-moved {
		t.Fatalf("after the move by Apply: a1 %d a2 %d, want %d %d", got1, got2, a1+moved, a2-moved)
	}
	blk := x.Checkpoint().Block + 1
	if _, err := x.ApplyBlock(blk, []Tx{{Pos: Position{Block: blk, TxID: "m2"}, Event: &ledger.Event{TxID: "m2", Locations: move("a2")}}}); err != nil {
		t.Fatal(err)
	}
	if got1, got2 := count(mergeLoc("a1")), count(mergeLoc("a2")); got1 != a1 || got2 != a2 {
		t.Fatalf("after the move back by ApplyBlock: a1 %d a2 %d, want %d %d", got1, got2, a1, a2)
	}
}
