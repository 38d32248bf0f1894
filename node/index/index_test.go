package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// tx is one transaction of a testdata sequence.
type tx struct {
	Block uint64       `json:"block"`
	Tx    int          `json:"tx"`
	Event ledger.Event `json:"event"`
}

func (t tx) pos() Position { return Position{Block: t.Block, Tx: t.Tx, TxID: t.Event.TxID} }

func loadSeq(t testing.TB, name string) []tx {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var seq []tx
	if err := json.Unmarshal(b, &seq); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return seq
}

func openMem(t testing.TB, fs vfs.FS) *Index {
	t.Helper()
	x, err := Open("idx", &Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func applyAll(t testing.TB, x *Index, seq []tx) int {
	t.Helper()
	n := 0
	for _, s := range seq {
		ok, err := x.Apply(s.pos(), &s.Event)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
		}
	}
	return n
}

// Built is a test index holding testdata/supply.json.
func built(t testing.TB) *Index {
	x := openMem(t, vfs.NewMem())
	t.Cleanup(func() { x.Close() })
	applyAll(t, x, loadSeq(t, "supply.json"))
	return x
}

const (
	gtinA = "09506000134352"
	gtinB = "09506000134369"
	sscc  = "https://id.gs1.org/00/106141412345678908"
)

func eid(n int) string {
	return "ni:///sha-256;" + strings.Repeat(fmt.Sprintf("%02d", n), 32) + "?ver=CBV2.0"
}

func ids(t testing.TB, evs []json.RawMessage) []int {
	t.Helper()
	var out []int
	for _, raw := range evs {
		var e struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscanf(strings.TrimPrefix(e.EventID, "ni:///sha-256;"), "%02d", &n)
		out = append(out, n)
	}
	return out
}

func TestEventsOfLot(t *testing.T) {
	x := built(t)
	for _, tc := range []struct {
		gtin, lot string
		want      []int
	}{
		{gtinA, "L1", []int{1, 3, 7}},
		{gtinA, "L2", []int{2, 3}},
		{gtinB, "J1", []int{3, 4, 5, 6}},
		{gtinB, "nope", nil},
	} {
		evs, err := x.EventsOfLot(tc.gtin, tc.lot)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(t, evs); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("EventsOfLot(%s, %s) = %v, want %v", tc.gtin, tc.lot, got, tc.want)
		}
	}
}

func TestLotRecallPropagation(t *testing.T) {
	x := built(t)
	for _, tc := range []struct {
		gtin, lot string
		status    ledger.LotStatus
		via       string
	}{
		{gtinA, "L1", ledger.StatusRecalled, ""},
		{gtinA, "L2", ledger.StatusActive, ""},
		{gtinB, "J1", ledger.StatusRecalled, "https://id.gs1.org/01/" + gtinA + "/10/L1"},
	} {
		l, err := x.Lot(tc.gtin, tc.lot)
		if err != nil {
			t.Fatal(err)
		}
		if l.Status != tc.status || strings.Join(l.RecalledVia, ",") != tc.via {
			t.Errorf("lot %s: status %s via %v, want %s via %q", tc.lot, l.Status, l.RecalledVia, tc.status, tc.via)
		}
	}
}

func TestGraph(t *testing.T) {
	x := built(t)
	up, err := x.Upstream(gtinB, "J1")
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Lots) != 2 || up.Lots[0].Lot != "L1" || up.Lots[1].Lot != "L2" || len(up.Edges) != 2 || up.Edges[0].Quantity.Value != "40" {
		t.Errorf("upstream of J1 = %+v", up)
	}
	down, err := x.Downstream(gtinA, "L2")
	if err != nil {
		t.Fatal(err)
	}
	if len(down.Lots) != 1 || down.Lots[0].Lot != "J1" || down.Lots[0].Status != ledger.StatusRecalled {
		t.Errorf("downstream of L2 = %+v", down)
	}
}

func TestTrace(t *testing.T) {
	x := built(t)
	for _, tc := range []struct {
		name              string
		gtin, lot, serial string
		wantLot           string
		wantErr           error
	}{
		{"lot", gtinB, "J1", "", "J1", nil},
		{"unit", gtinB, "J1", "S2", "J1", nil},
		{"unit without lot", gtinB, "", "S1", "J1", nil},
		{"unit of another lot", gtinB, "J2", "S1", "", ErrNotFound},
		{"unknown lot", gtinA, "L9", "", "", ErrNotFound},
		{"unknown serial", gtinB, "J1", "S9", "", ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := x.Trace(tc.gtin, tc.lot, tc.serial)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				var nf *NotFoundError
				if !errors.As(err, &nf) {
					t.Errorf("err %T is not a *NotFoundError", err)
				}
				return
			}
			if tr.Lot.Lot != tc.wantLot || tr.Product == nil || len(tr.Events) != 4 || tr.Shipment == nil {
				t.Errorf("trace = %+v", tr)
			}
			if tc.serial != "" && (tr.Unit == nil || tr.Unit.Serial != tc.serial) {
				t.Errorf("unit = %+v", tr.Unit)
			}
		})
	}
}

func TestEventsQuery(t *testing.T) {
	x := built(t)
	day := func(d int) time.Time { return time.Date(2025, 6, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name string
		q    Query
		want []int
	}{
		{"all", Query{}, []int{1, 2, 3, 4, 5, 6, 7}},
		{"MATCH_anyEPC sscc", Query{MatchAnyEPC: []string{sscc}}, []int{5, 6}},
		{"MATCH_epc sscc", Query{MatchEPC: []string{sscc}}, []int{6}},
		{"MATCH_epc unit, other spelling", Query{MatchEPC: []string{"https://example.com/01/" + gtinB + "/10/J1/21/S1"}}, []int{4}},
		// MATCH_epcClass is quantityList and childQuantityList (EPCIS 2.0
		// §8.2.7.1); MATCH_anyEPCClass adds the transformation's lists.
		{"MATCH_epcClass", Query{MatchEPCClass: []string{"https://id.gs1.org/01/" + gtinA + "/10/L2"}}, []int{2}},
		{"MATCH_anyEPCClass", Query{MatchAnyEPCClass: []string{"https://id.gs1.org/01/" + gtinA + "/10/L2"}}, []int{2, 3}},
		{"EQ_bizStep bare", Query{BizStep: []string{"shipping"}}, []int{6}},
		{"EQ_bizStep URI", Query{BizStep: []string{"https://ref.gs1.org/cbv/BizStep-commissioning"}}, []int{1, 2, 3, 4}},
		{"time window", Query{GETime: day(3), LTTime: day(6)}, []int{3, 4, 5}},
		{"ANDed", Query{MatchAnyEPC: []string{sscc}, BizStep: []string{"packing"}}, []int{5}},
		{"no match", Query{MatchEPC: []string{"urn:epc:id:sgtin:1.2.3"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := x.Events(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, p.Events); fmt.Sprint(got) != fmt.Sprint(tc.want) || p.NextPageToken != "" {
				t.Errorf("events = %v (next %q), want %v", got, p.NextPageToken, tc.want)
			}
		})
	}
}

func TestEventsPaging(t *testing.T) {
	x := built(t)
	for _, q := range []Query{{PerPage: 2}, {PerPage: 3, MatchAnyEPC: []string{sscc, "https://id.gs1.org/01/" + gtinB + "/10/J1/21/S1"}}} {
		var got []int
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			p, err := x.Events(q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Events) > q.PerPage {
				t.Fatalf("page of %d > perPage %d", len(p.Events), q.PerPage)
			}
			got = append(got, ids(t, p.Events)...)
			if p.NextPageToken == "" {
				break
			}
			q.PageToken = p.NextPageToken
		}
		want := []int{1, 2, 3, 4, 5, 6, 7}
		if len(q.MatchAnyEPC) > 0 {
			want = []int{4, 5, 6}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("paged %+v: %v, want %v", q, got, want)
		}
	}
	for _, q := range []Query{{PerPage: -1}, {PerPage: MaxPerPage + 1}, {PageToken: "!!"}, {PageToken: "YWJj"}} {
		var qe *QueryError
		if _, err := x.Events(q); !errors.As(err, &qe) {
			t.Errorf("Events(%+v) err = %v, want a *QueryError", q, err)
		}
	}
}

func TestLookups(t *testing.T) {
	x := built(t)
	if s, err := x.LabSigner("0xabc0000000000000000000000000000000000001"); err != nil || s.Lab != "LabMSP" {
		t.Errorf("LabSigner = %+v, %v", s, err)
	}
	if u, err := x.LogisticUnit("106141412345678908"); err != nil || u.Status != ledger.UnitInTransit {
		t.Errorf("LogisticUnit = %+v, %v", u, err)
	}
	if _, err := x.Event(eid(99)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Event(unknown) err = %v", err)
	}
	if b, err := x.Event(eid(6)); err != nil || !strings.Contains(string(b), `"shipping"`) {
		t.Errorf("Event(6) = %s, %v", b, err)
	}
}

// Replaying any prefix of the sequence after a restart, then the whole
// sequence, indexes every transaction once: same digest, same count.
func TestExactlyOnceUnderReplay(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	ref := openMem(t, vfs.NewMem())
	defer ref.Close()
	applyAll(t, ref, seq)
	want, err := ref.Digest()
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut <= len(seq); cut++ {
		fs := vfs.NewMem()
		x := openMem(t, fs)
		applyAll(t, x, seq[:cut])
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		x = openMem(t, fs)
		if cp := x.Checkpoint(); cut > 0 && cp.Position != seq[cut-1].pos() {
			t.Errorf("cut %d: checkpoint %+v after reopening, want %+v", cut, cp.Position, seq[cut-1].pos())
		}
		// Resume from the checkpoint's block, as the follower does.
		var rest []tx
		for _, s := range seq {
			if s.Block >= x.Checkpoint().NextBlock() {
				rest = append(rest, s)
			}
		}
		if n := applyAll(t, x, rest); n != len(seq)-cut {
			t.Errorf("cut %d: %d transactions applied on replay, want %d", cut, n, len(seq)-cut)
		}
		got, err := x.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("cut %d: digest %s, want %s", cut, got, want)
		}
		if cp := x.Checkpoint(); cp.Applied != uint64(len(seq)) {
			t.Errorf("cut %d: applied %d, want %d", cut, cp.Applied, len(seq))
		}
		x.Close()
	}
}

func TestDigestDiffers(t *testing.T) {
	seq := loadSeq(t, "supply.json")
	a, b := openMem(t, vfs.NewMem()), openMem(t, vfs.NewMem())
	defer a.Close()
	defer b.Close()
	applyAll(t, a, seq)
	applyAll(t, b, seq[:len(seq)-1])
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da == db {
		t.Error("digests of different indexes are equal")
	}
}

func TestApplyRejectsBadPayloadAtomically(t *testing.T) {
	x := openMem(t, vfs.NewMem())
	defer x.Close()
	before, _ := x.Digest()
	bad := &ledger.Event{TxID: "t", Products: []ledger.Product{{GTIN: gtinA}}, EPCIS: []json.RawMessage{json.RawMessage(`{"eventID":"x","eventTime":"yesterday"}`)}}
	_, err := x.Apply(Position{Block: 1, TxID: "t"}, bad)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Pos.Block != 1 {
		t.Fatalf("err = %v, want an *ApplyError", err)
	}
	after, _ := x.Digest()
	if before != after || x.Checkpoint().Valid {
		t.Error("a failed Apply wrote something")
	}
	// A nil payload only advances the checkpoint.
	if ok, err := x.Apply(Position{Block: 1, TxID: "t"}, nil); !ok || err != nil {
		t.Fatalf("Apply(nil) = %v, %v", ok, err)
	}
	if cp := x.Checkpoint(); !cp.Valid || cp.Block != 1 {
		t.Errorf("checkpoint = %+v", cp)
	}
}
