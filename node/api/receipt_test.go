package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/web"
	"github.com/trustline/trustline/receipt"
)

// memChain anchors in memory.
type memChain struct{ n byte }

func (c *memChain) Address() common.Address { return common.Address{1} }
func (c *memChain) Anchor(_ context.Context, w ethanchor.Window) (ethanchor.Receipt, error) {
	c.n++
	return ethanchor.Receipt{Window: w, ChainID: big.NewInt(1337), TxHash: common.Hash{c.n}, Submitter: c.Address()}, nil
}
func (c *memChain) Anchors(context.Context, ethanchor.Filter) ([]ethanchor.Receipt, error) {
	return nil, nil
}

func TestReceipt(t *testing.T) {
	s := testServer(t)
	store := index.NewAnchorStore(s.idx)
	const link = "/01/" + gtinB + "/10/J1?format=receipt"
	get := func(s *Server) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, link, nil))
		return rec
	}
	if rec := get(s); rec.Code != http.StatusNotFound {
		t.Errorf("without anchoring: %d, want 404", rec.Code)
	}
	l := anchoring.New(s.idx, store, &memChain{}, anchoring.Options{Blocks: 2, Interval: time.Nanosecond})
	s = New(s.idx, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Anchors: store, State: l})

	rec := get(s)
	var p UnanchoredProblem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusConflict || len(p.Unanchored) == 0 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("before anchoring: %d %s", rec.Code, rec.Body)
	}

	// Complete the last block (Apply leaves it open), then anchor it all:
	// the second step anchors the partial window at the head.
	if _, err := s.idx.ApplyBlock(s.idx.Checkpoint().Block, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := l.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	rec = get(s)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("after anchoring: %d %s", rec.Code, rec.Body)
	}
	page := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/01/"+gtinB+"/10/J1", nil)
	req.Header.Set("Accept", browser)
	s.ServeHTTP(page, req)
	// The page's in-browser check: each anchored event's id, which its
	// script (web.ScriptPath) checks from the receipt.
	for _, want := range []string{"Anchored in Ethereum block", "chain 1337", "data-id=", `src="` + web.ScriptPath + "?v="} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	r, err := receipt.Parse(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// The events and the lot's record (which its events' completeness is
	// checked against) were pending.
	if len(r.Events)+len(r.Records) != len(p.Unanchored) || len(r.Windows) == 0 || len(r.Records) != 1 || r.Records[0].Type != ledger.RecordLot {
		t.Errorf("receipt of %d events and %d records in %d windows, want %d events and the lot record", len(r.Events), len(r.Records), len(r.Windows), len(p.Unanchored))
	}
	for _, w := range r.Windows {
		if w.Leaves != receipt.LeavesBound || r.Version != receipt.Version {
			t.Errorf("version %d receipt, window %d..%d of leaves %q: want version %d and bound leaves", r.Version, w.FromBlock, w.ToBlock, w.Leaves, receipt.Version)
		}
	}
	rep, err := receipt.Verify(context.Background(), r, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The testdata's event ids are not content hashes: only paths and
	// anchors' presence are checked here (the integration test checks all).
	for _, v := range append(rep.Verdicts, rep.Records...) {
		if v.Failed(receipt.PartPath) || v.Failed(receipt.PartAnchor) || !v.Bound {
			t.Errorf("%s: %v", v.EventID, v.Failures)
		}
	}
	// The lot's record is proven its latest as of the newest window.
	if rep.State == nil || !rep.State.OK() || len(rep.State.Fresh) != 1 || !strings.HasSuffix(rep.State.Fresh[0], "/10/J1") {
		t.Errorf("state verdict %+v, want lot J1's record proven the latest", rep.State)
	}
}
