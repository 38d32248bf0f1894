package nodeclient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/node/api/apitest"
)

// TestTraceAndEvents runs the client against the real node API over the
// index fixture (package apitest): what it decodes is what a node answers.
func TestTraceAndEvents(t *testing.T) {
	srv := apitest.Server(t)
	c, err := nodeclient.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Any resolver host and data attributes: the node is asked for the lot.
	tr, err := c.Trace(ctx, "https://example.com/01/"+apitest.GTINApples+"/10/L1?17=261231")
	if err != nil {
		t.Fatal(err)
	}
	// L1 was commissioned, transformed into J1 and recalled.
	if tr.ID != apitest.LotApples || tr.Lot.Status != "recalled" || tr.Recall == nil || tr.Recall.Reason != "Listeria" || len(tr.Events) != 3 {
		t.Fatalf("trace of L1: id %s, status %s, recall %+v, %d events", tr.ID, tr.Lot.Status, tr.Recall, len(tr.Events))
	}
	tr, err = c.Trace(ctx, "https://example.com/01/"+apitest.GTINJuice+"/10/J1?17=261231")
	if err != nil {
		t.Fatal(err)
	}
	// J1 is recalled through apples L1, which it was made from.
	if tr.ID != apitest.LotJuice || tr.Lot.Status != "recalled" || len(tr.Lot.RecalledVia) != 1 || tr.Lot.RecalledVia[0] != apitest.LotApples ||
		len(tr.Events) == 0 || tr.Product == nil || len(tr.Upstream.Lots) != 2 || tr.Upstream.Lots[0].Recall == nil {
		t.Fatalf("trace of J1: id %s, status %s, recalled via %v, %d events, %d upstream lots", tr.ID, tr.Lot.Status, tr.Lot.RecalledVia, len(tr.Events), len(tr.Upstream.Lots))
	}
	unit, err := c.Trace(ctx, apitest.LotJuice+"/21/S1")
	if err != nil || unit.Unit == nil || unit.Unit.Serial != "S1" {
		t.Fatalf("unit trace %+v, %v", unit, err)
	}
	if _, err := c.Trace(ctx, "https://id.gs1.org/01/"+apitest.GTINJuice+"/10/NOPE"); !nodeclient.IsNotFound(err) {
		t.Fatalf("missing lot: %v", err)
	}
	if _, err := c.Trace(ctx, "https://id.gs1.org/01/"+apitest.GTINJuice); err == nil {
		t.Fatal("product link traced")
	}

	// Paging: one event a page, followed to the end, gives every event once.
	all, err := c.Events(ctx, nodeclient.Query{})
	if err != nil || len(all.Events) == 0 || all.NextPageToken != "" {
		t.Fatalf("events: %+v, %v", all, err)
	}
	q := nodeclient.Query{PerPage: 1}
	var n int
	for {
		page, err := c.Events(ctx, q)
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("page %d: %+v, %v", n, page, err)
		}
		n++
		if page.NextPageToken == "" {
			break
		}
		q.PageToken = page.NextPageToken
	}
	if n != len(all.Events) {
		t.Errorf("%d pages of one event, %d events in one page", n, len(all.Events))
	}
	byLot, err := c.Events(ctx, nodeclient.Query{MatchEPCClass: []string{apitest.LotJuice}})
	if err != nil || len(byLot.Events) == 0 || len(byLot.Events) >= len(all.Events) {
		t.Fatalf("events naming J1: %d of %d, %v", len(byLot.Events), len(all.Events), err)
	}
	shipped, err := c.Events(ctx, nodeclient.Query{BizStep: []string{"shipping"}})
	if err != nil || len(shipped.Events) != 1 {
		t.Fatalf("shipping events: %d, %v", len(shipped.Events), err)
	}

	var p *nodeclient.Problem
	if _, err := c.Events(ctx, nodeclient.Query{PerPage: 100000}); !errors.As(err, &p) || p.Status != 400 || p.Detail == "" {
		t.Fatalf("bad query: %v", err)
	}
	srv.Close()
	var u *nodeclient.UnavailableError
	if _, err := c.Events(ctx, nodeclient.Query{}); !errors.As(err, &u) {
		t.Fatalf("closed node: %v", err)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "node:8080", "ftp://x", "http://"} {
		if _, err := nodeclient.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

// exampleT is the testing.TB apitest needs, for an example, which has
// none: it collects the cleanups and panics on a failure.
type exampleT struct {
	testing.TB // nil: only the methods below are called
	cleanups   []func()
}

func (t *exampleT) Helper()                      {}
func (t *exampleT) Cleanup(f func())             { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (t *exampleT) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

// exampleNode starts the node API over the index fixture (package
// apitest) for an example.
func exampleNode() (url string, stop func()) {
	t := &exampleT{}
	return apitest.Server(t).URL, func() {
		for i := len(t.cleanups) - 1; i >= 0; i-- {
			t.cleanups[i]()
		}
	}
}

func ExampleClient_Trace() {
	nodeURL, stop := exampleNode() // a node's API over a small supply chain
	defer stop()

	c, err := nodeclient.New(nodeURL)
	if err != nil {
		panic(err)
	}
	tr, err := c.Trace(context.Background(), "https://id.gs1.org/01/09506000134352/10/L1")
	if err != nil {
		panic(err)
	}
	fmt.Println(tr.Lot.Status, tr.Recall.Reason)
	// Output: recalled Listeria
}
