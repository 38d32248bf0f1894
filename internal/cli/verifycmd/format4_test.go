package verifycmd_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
	"github.com/trustline/trustline/receipt"
)

// TestVerifyFormat4 runs verify on a format 4 receipt (its lot record
// proven the latest by the anchored state of its newest window) on a chain
// served over HTTP: it verifies, saying the record is the latest; the
// lot's older record with the events it counts (stale), a changed state
// root, or the state entry of another lot exit 3 naming what is wrong,
// offline and online.
func TestVerifyFormat4(t *testing.T) {
	const lot = "https://id.gs1.org/01/09506000134352/10/B1"
	ctx, url, a := anchoredChain(t)
	// Two events of the lot, each with the lot's record it wrote, in two
	// windows; each window's state leaf maps the lot to its record then.
	type item struct {
		content []byte
		id, tx  string
		block   uint64
	}
	rec := ledger.LotSummary{ID: lot, GTIN: "09506000134352", Lot: "B1", Status: ledger.StatusActive}
	var events, records []item
	for i, ev := range []string{
		`{"type":"ObjectEvent","eventTime":"2026-03-01T06:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","quantityList":[{"epcClass":"` + lot + `"}]}`,
		`{"type":"ObjectEvent","eventTime":"2026-03-04T09:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"holding","disposition":"recalled","quantityList":[{"epcClass":"` + lot + `"}]}`,
	} {
		id, err := epcis.HashEventAs(epcis.Current, []byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		tx, block := fmt.Sprint("tx", i), uint64(2+10*i)
		events = append(events, item{[]byte(ev), id, tx, block})
		rec.Counts.Events++
		rec.EventChain = ledger.NextEventChain(rec.EventChain, id)
		if i == 1 {
			rec.Status = ledger.StatusRecalled
			rec.Recall = &ledger.Recall{Lot: lot, Reason: "Listeria", Class: ledger.RecallClassI, TxID: tx, EventID: id}
		}
		lr, err := ledger.NewRecord(ledger.RecordLot, &rec)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, item{lr.JSON, lr.ID, tx, block})
	}
	type win struct {
		w      ethanchor.Window
		mw     merkle.Window
		tree   *merkle.Tree
		ar     ethanchor.Receipt
		state  *merkle.Map
		leaves map[string]string
	}
	var wins []win
	for i := range 2 {
		m := merkle.NewMap()
		u := m.Update()
		_ = u.Set(lot, records[i].id)
		m.Apply(u)
		leaves := map[string]string{}
		var all []string
		for _, it := range []item{events[i], records[i]} {
			l, err := ledger.BoundLeaf(it.id, it.tx, it.block, it.content)
			if err != nil {
				t.Fatal(err)
			}
			leaves[it.id] = l.String()
			all = append(all, l.String())
		}
		all = append(all, ledger.StateLeaf(m.Root(), 1))
		mw := merkle.NewWindow(all)
		tree := mw.Tree()
		w := ethanchor.Window{Channel: "trustline", FromBlock: uint64(10 * i), ToBlock: uint64(10*i + 9), Root: tree.Root()}
		ar, err := a.Anchor(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		wins = append(wins, win{w, mw, tree, ar, m, leaves})
	}
	proof := func(i int, leaf string) receipt.Proof {
		w := wins[i]
		idx, _ := w.mw.Index(leaf)
		p, _ := w.tree.Proof(idx)
		return receipt.Proof{Window: w.w, Size: uint64(w.mw.Len()), Leaf: leaf, LeafIndex: uint64(idx), Path: p, Anchors: []ethanchor.Receipt{w.ar}}
	}
	// build is the receipt showing the lot's first n events and record n-1,
	// with the state of the newest window.
	build := func(n int) []byte {
		var c receipt.Contents
		for i := range n {
			c.Events = append(c.Events, receipt.Entry{Event: events[i].content, EventID: events[i].id, Proof: proof(i, wins[i].leaves[events[i].id])})
		}
		lr := ledger.Record{Kind: ledger.RecordLot, ID: records[n-1].id, JSON: records[n-1].content}
		c.Records = []receipt.RecordEntry{{Record: lr, Proof: proof(n-1, wins[n-1].leaves[lr.ID])}}
		sp, _ := wins[1].state.Proof(lot)
		c.State = &receipt.StateEntry{Proof: proof(1, ledger.StateLeaf(wins[1].state.Root(), 1)), Root: wins[1].state.Root(), Size: 1, Lots: []merkle.MapProof{sp}, Bound: true}
		r, err := receipt.BuildWith(receipt.Subject{DigitalLink: lot, Lots: []string{lot}}, c, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		data, _ := r.Marshal()
		return data
	}
	good := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(good, build(2), 0o644); err != nil {
		t.Fatal(err)
	}
	// The stale receipt: the lot as of its first record, complete against
	// it, with the newest window's state.
	stale := filepath.Join(t.TempDir(), "stale.json")
	if err := os.WriteFile(stale, build(1), 0o644); err != nil {
		t.Fatal(err)
	}
	var probe struct {
		Version int `json:"version"`
	}
	data, _ := os.ReadFile(good)
	if err := json.Unmarshal(data, &probe); err != nil || probe.Version < 4 {
		t.Fatalf("receipt version %d, want 4 or later (a format with state)", probe.Version)
	}
	rootChanged := tamper(t, good, func(r *receipt.Receipt) { r.State.Root[3] ^= 1 })
	otherLot := tamper(t, good, func(r *receipt.Receipt) { r.State.Lots[0].Lot = "https://id.gs1.org/01/09506000134352/10/A1" })
	for _, online := range []bool{false, true} {
		for _, tc := range []struct {
			name string
			path string
			code int
			want []string
		}{
			{"untampered", good, 0, []string{"✓ latest as of ledger block 19 (the anchored state of lots): " + lot, "✓ lot " + lot + ": all 2 events shown", "complete as of ledger block 19"}},
			{"stale lot record", stale, 3, []string{"✗ lot records not proven the latest:", "lot " + lot + ": the record shown (" + records[0].id + ") is stale: as of ledger block 19 the lot's latest record is " + records[1].id, "NOT proven the latest"}},
			{"state root changed", rootChanged, 3, []string{"window 10..19's anchored root does not commit to state root"}},
			{"state entry of another lot", otherLot, 3, []string{"'s entry (record " + records[1].id + ") is not in the state of window 10..19"}},
		} {
			args := []string{"verify", tc.path}
			name := tc.name + " offline"
			if online {
				args, name = append(args, "--eth-rpc", url), tc.name+" online"
			}
			t.Run(name, func(t *testing.T) {
				res := clitest.Run(t, "", args...)
				if res.Code != tc.code {
					t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.Code, tc.code, res.Stdout, res.Stderr)
				}
				for _, s := range tc.want {
					if !strings.Contains(res.Stdout, s) {
						t.Errorf("stdout lacks %q:\n%s", s, res.Stdout)
					}
				}
			})
		}
	}
}
