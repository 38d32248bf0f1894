package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ethanchor/anchortest"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/receipt"
)

// demoAnchored is the demo story's index anchored in windows of 4 blocks on
// the in-process simulated chain; statelessBefore is
// anchoring.Options.StatelessBefore (past the ledger: windows of events and
// records only, as format 3 receipts have them). It returns the node's API
// on it, the chain and the gas each window's anchor used.
func demoAnchored(b *testing.B, statelessBefore uint64) (*Server, *anchortest.Chain, []uint64) {
	b.Helper()
	idx := indextest.Demo(b)
	if _, err := idx.ApplyBlock(idx.Checkpoint().Block, nil); err != nil { // complete the last block
		b.Fatal(err)
	}
	sim := anchortest.New(b, anchortest.Options{})
	stop := sim.AutoMine(b)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	contract, err := ethanchor.Deploy(ctx, sim.Client(), sim.Keys[0])
	if err != nil {
		b.Fatal(err)
	}
	a, err := ethanchor.NewAnchorer(ctx, sim.Client(), contract, sim.Keys[0], ethanchor.Options{PollInterval: 5 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	store := index.NewAnchorStore(idx)
	l := anchoring.New(idx, store, a, anchoring.Options{Blocks: 4, Interval: time.Nanosecond, StatelessBefore: statelessBefore})
	var gas []uint64
	for range 100 {
		rs, err := l.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(rs) == 0 {
			break
		}
		for _, r := range rs {
			gas = append(gas, r.GasUsed)
		}
	}
	return New(idx, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Anchors: store, State: l}), sim, gas
}

// BenchmarkDemoAnchorGas is the gas of anchoring each window of the demo
// story before the state commitment (windows of event and record leaves,
// format 3) and after (the same and a state leaf, format 4), same run: one
// 32-byte root is anchored either way.
func BenchmarkDemoAnchorGas(b *testing.B) {
	for _, bc := range []struct {
		name            string
		statelessBefore uint64
	}{{"leaves-only", 1 << 40}, {"with-state", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			var gas []uint64
			for b.Loop() {
				_, _, gas = demoAnchored(b, bc.statelessBefore)
			}
			var sum uint64
			for _, g := range gas {
				sum += g
			}
			b.ReportMetric(float64(sum)/float64(len(gas)), "gas/window")
			b.ReportMetric(float64(len(gas)), "windows")
		})
	}
}

// BenchmarkDemoJarReceipt is the demo jar's receipt (a serialised unit of
// lot A, with the claims' evidence and the raw milk's events), format 4, as
// the node serves it: its size, and its verify time offline and online
// against the simulated chain it was anchored on.
func BenchmarkDemoJarReceipt(b *testing.B) {
	s, sim, _ := demoAnchored(b, 0)
	stop := sim.AutoMine(b)
	defer stop()
	rec := get(s, strings.TrimPrefix(demoYogurtA, "https://id.gs1.org")+"/21/SF1001?format=receipt")
	if rec.Code != http.StatusOK {
		b.Fatalf("receipt: %d %s", rec.Code, rec.Body)
	}
	data := rec.Body.Bytes()
	r, err := receipt.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts receipt.Options
	}{{"offline", receipt.Options{}}, {"online", receipt.Options{Backend: sim.Client(), Anchor: ethanchor.Options{PollInterval: 5 * time.Millisecond}}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := receipt.Verify(context.Background(), r, bc.opts)
				if err != nil || !rep.OK() {
					b.Fatal(err, rep.Subject, rep.Lots, rep.State)
				}
			}
			b.ReportMetric(float64(len(data)), "receipt-B")
			b.ReportMetric(float64(len(r.Events)), "events")
			b.ReportMetric(float64(len(r.Records)), "records")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/receipt")
		})
	}
}
