package verifycmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ethanchor/anchortest"
	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/merkle"
	"github.com/trustline/trustline/receipt"
)

// TestVerifyFormat3 runs verify on a format 3 receipt of a recalled lot
// (bound leaves, the lot record's event chain) anchored on a chain served
// over HTTP: it verifies complete and current; with its recall removed, a
// txId swapped or a certificationInfo changed it exits 3 naming what is
// wrong; once a later window is anchored it is reported NOT CURRENT.
func TestVerifyFormat3(t *testing.T) {
	const lot = "https://id.gs1.org/01/09506000134352/10/B1"
	ctx, url, a := anchoredChain(t)
	rec := ledger.LotSummary{ID: lot, GTIN: "09506000134352", Lot: "B1", Status: ledger.StatusRecalled}
	type item struct {
		content []byte
		id, tx  string
		block   uint64
	}
	var items []item
	for i, ev := range []string{
		`{"type":"ObjectEvent","eventTime":"2026-03-01T06:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","quantityList":[{"epcClass":"` + lot + `"}]}`,
		`{"type":"ObjectEvent","eventTime":"2026-03-01T10:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"inspecting","certificationInfo":"https://lab.example/R1.pdf","quantityList":[{"epcClass":"` + lot + `"}]}`,
		`{"type":"ObjectEvent","eventTime":"2026-03-04T09:00:00.000Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"holding","disposition":"recalled","quantityList":[{"epcClass":"` + lot + `"}]}`,
	} {
		id, err := epcis.HashEventAs(epcis.Current, []byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, item{[]byte(ev), id, fmt.Sprint("tx", i), uint64(2 + i)})
		rec.Counts.Events++
		rec.EventChain = ledger.NextEventChain(rec.EventChain, id)
	}
	rec.Recall = &ledger.Recall{Lot: lot, Reason: "Listeria", Class: ledger.RecallClassI, TxID: "tx2", EventID: items[2].id}
	lr, err := ledger.NewRecord(ledger.RecordLot, &rec)
	if err != nil {
		t.Fatal(err)
	}
	items = append(items, item{lr.JSON, lr.ID, "tx2", 4})
	var leaves []string
	for _, it := range items {
		l, err := ledger.BoundLeaf(it.id, it.tx, it.block, it.content)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, l.String())
	}
	mw := merkle.NewWindow(leaves)
	tree := mw.Tree()
	w := ethanchor.Window{Channel: "trustline", FromBlock: 0, ToBlock: 9, Root: tree.Root()}
	ar, err := a.Anchor(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	proof := func(i int) receipt.Proof {
		idx, _ := mw.Index(leaves[i])
		p, _ := tree.Proof(idx)
		return receipt.Proof{Window: w, Size: uint64(len(leaves)), Leaf: leaves[i], LeafIndex: uint64(idx), Path: p, Anchors: []ethanchor.Receipt{ar}}
	}
	var c receipt.Contents
	for i, it := range items[:3] {
		c.Events = append(c.Events, receipt.Entry{Event: it.content, EventID: it.id, Proof: proof(i)})
	}
	c.Records = []receipt.RecordEntry{{Record: lr, Proof: proof(3)}}
	r, err := receipt.BuildWith(receipt.Subject{DigitalLink: lot, Lots: []string{lot}}, c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := r.Marshal()
	good := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(good, data, 0o644); err != nil {
		t.Fatal(err)
	}
	noRecall := tamper(t, good, func(r *receipt.Receipt) { r.Events = r.Events[:2] })
	txSwapped := tamper(t, good, func(r *receipt.Receipt) { r.Events[0].TxID = "tx1" })
	certChanged := tamper(t, good, func(r *receipt.Receipt) {
		r.Events[1].Event = []byte(strings.Replace(string(r.Events[1].Event), "lab.example", "forged.example", 1))
	})
	check := func(t *testing.T, args []string, code int, want ...string) {
		t.Helper()
		res := clitest.Run(t, "", args...)
		if res.Code != code {
			t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.Code, code, res.Stdout, res.Stderr)
		}
		for _, s := range want {
			if !strings.Contains(res.Stdout, s) {
				t.Errorf("stdout lacks %q:\n%s", s, res.Stdout)
			}
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"offline", []string{"verify", good}, 0, []string{"(bound in the leaf)", "✓ lot " + lot + ": all 3 events shown", "complete as of ledger block 9, anchored in Ethereum block", "currency not checked offline",
			"(its time is not proven offline: --eth-rpc reads it from the block's header)"}},
		{"online", []string{"verify", good, "--eth-rpc", url}, 0, []string{"✓ current: no window anchored after it", "anchors checked on chain"}},
		{"recall removed", []string{"verify", noRecall, "--eth-rpc", url}, 3, []string{"✗ lot " + lot + ": events incomplete", "2 of 3 events shown; missing its recall event " + items[2].id, "INCOMPLETE"}},
		{"txId swapped", []string{"verify", txSwapped}, 3, []string{"✗ " + items[0].id, "is not the anchored leaf"}},
		{"certificationInfo changed", []string{"verify", certChanged}, 3, []string{"✗ " + items[1].id, "is not the anchored leaf"}},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.args, tc.code, tc.want...) })
	}
	t.Run("anchor time online", func(t *testing.T) {
		// The anchor block's time, from its header on chain.
		res := clitest.Run(t, "", "verify", good, "--eth-rpc", url)
		if !regexp.MustCompile(`complete as of ledger block 9, anchored in Ethereum block \d+ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n`).MatchString(res.Stdout) {
			t.Errorf("no anchor time online:\n%s", res.Stdout)
		}
	})
	t.Run("not current after a later anchor", func(t *testing.T) {
		if _, err := a.Anchor(ctx, ethanchor.Window{Channel: "trustline", FromBlock: 10, ToBlock: 19, Root: merkle.Hash{1}}); err != nil {
			t.Fatal(err)
		}
		check(t, []string{"verify", good, "--eth-rpc", url}, 0, "⚠ NOT CURRENT: 1 window(s) anchored after this receipt (up to ledger block 19")
	})
}

// anchoredChain is a simulated chain served over HTTP at url, mining on
// its own, with the anchor contract deployed and an anchorer for it; ctx
// ends with the test (a minute at most).
func anchoredChain(t *testing.T) (ctx context.Context, url string, a *ethanchor.Anchorer) {
	t.Helper()
	port := freePort(t)
	sim := anchortest.New(t, anchortest.Options{HTTPPort: port})
	sim.AutoMine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	contract, err := ethanchor.Deploy(ctx, sim.Client(), sim.Keys[0])
	if err != nil {
		t.Fatal(err)
	}
	a, err = ethanchor.NewAnchorer(ctx, sim.Client(), contract, sim.Keys[0], ethanchor.Options{PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, fmt.Sprintf("http://127.0.0.1:%d", port), a
}
