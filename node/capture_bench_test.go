package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/capture/capturetest"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// BenchmarkCapture measures capture throughput on the testnet: one
// EPCISDocument of TRUSTLINE_BENCH_CAPTURE readings events (default 64)
// over 8 lots, captured through the supplier's node, against the same
// function (Custody:RecordReadings) for as many events submitted through
// the Go client directly, in the same run. The node is measured submitting
// one event at a time (capture concurrency 1, as it did before pipelining)
// and pipelined (the default, 16 in flight; readings of a lot keep their
// order, other lots' go together); the Go client one at a time and with
// one goroutine per lot (the same dependencies). The ratios node/direct
// are logged and reported. Run with -benchtime=1x.
func BenchmarkCapture(b *testing.B) {
	const lots = 8
	events := envInt("TRUSTLINE_BENCH_CAPTURE", 64)
	n := testkit.Network(b)
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36*36), 36)
	now := time.Now().UTC()
	const gtin = "09506000134352"
	prod, _ := json.Marshal(ledger.ProductRequest{GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})
	if _, err := testkit.Contract(b, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(prod)); err != nil && !strings.Contains(err.Error(), "already") {
		b.Fatalf("RegisterProduct: %v", err)
	}
	testkit.WaitForSync(b)
	body := "0950600010" + fmt.Sprintf("%07d", time.Now().UnixNano()%1e7)
	d, _ := gs1.CheckDigit(body)
	f := capturetest.Fixture{Run: run, GTIN: gtin, Lot: "C" + run, SSCC: body + strconv.Itoa(d),
		Producer: "9506000134376", Warehouse: "9506000134383", To: testnet.MSPID(testnet.Logistics), Now: now}
	lot := func(k int) capturetest.Fixture {
		g := f
		g.Run, g.Lot = fmt.Sprintf("%s-lot%d", run, k), fmt.Sprintf("C%s-%d", run, k)
		return g
	}

	seq := startCaptureNode(b, n, testnet.Supplier, run+"s", func(c *node.Config) { c.Capture.Concurrency = 1 })
	pipe := startCaptureNode(b, n, testnet.Supplier, run+"p")

	// The lots, captured through the pipelined node (not measured).
	var batches []string
	for k := range lots {
		batches = append(batches, lot(k).Batch())
	}
	if j := pipe.capture(b, capturetest.Document(now, batches...), ""); j.Accepted != lots {
		b.Fatalf("batches:\n%s", jobSummary(j))
	}

	// A document of readings, round robin over the lots.
	doc := func(phase string) []byte {
		var evs []string
		for i := range events {
			g := lot(i % lots)
			g.Run = fmt.Sprintf("%s-%s%d", run, phase, i)
			evs = append(evs, g.Readings())
		}
		return capturetest.Document(now, evs...)
	}
	viaNode := func(cn *captureNode, phase string) float64 {
		start := time.Now()
		j := cn.capture(b, doc(phase), "")
		el := time.Since(start)
		if j.Accepted != events {
			b.Fatalf("capture %s:\n%s", phase, jobSummary(j))
		}
		return float64(events) / el.Seconds()
	}

	cfg, err := n.ClientConfig(testnet.Supplier, false)
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.Connect(b.Context(), cfg, client.WithPeerSync(client.AllMembers)) // as the node's capture client
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	temp := 4.2
	direct := func(workers int, phase string) float64 {
		var wg sync.WaitGroup
		errs := make(chan error, events)
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for i := w; i < events; i += workers {
					_, err := c.RecordReadings(context.Background(), ledger.ReadingsRequest{Lot: lot(i % lots).LotLink(), Readings: []ledger.Reading{
						{Time: now.Add(-10 * time.Minute).Format(time.RFC3339), Device: fmt.Sprintf("direct-%s%d", phase, i), TemperatureC: &temp}}})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		el := time.Since(start)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatalf("direct %s: %v", phase, err)
		}
		return float64(events) / el.Seconds()
	}

	for b.Loop() {
		// Alternated, so that a change of the machine's load weighs on both.
		nodeSeq := viaNode(seq, "s")
		directSeq := direct(1, "s")
		nodePipe := viaNode(pipe, "p")
		directPar := direct(lots, "p")
		b.Logf("capture of %d readings events over %d lots (load %s):", events, lots, loadAvg())
		b.Logf("  node, one event at a time  %6.2f events/s | Go client, one at a time   %6.2f events/s | node/direct %.2f", nodeSeq, directSeq, nodeSeq/directSeq)
		b.Logf("  node, pipelined (16)       %6.2f events/s | Go client, one per lot (%d) %6.2f events/s | node/direct %.2f", nodePipe, lots, directPar, nodePipe/directPar)
		b.Logf("  pipelined/one at a time through the node: %.2f", nodePipe/nodeSeq)
		b.ReportMetric(nodeSeq, "node-seq-events/s")
		b.ReportMetric(nodePipe, "node-pipelined-events/s")
		b.ReportMetric(directSeq, "direct-seq-events/s")
		b.ReportMetric(directPar, "direct-par-events/s")
		b.ReportMetric(nodePipe/directPar, "node/direct-par")
		b.ReportMetric(nodePipe/nodeSeq, "pipelined/seq")
	}
}
