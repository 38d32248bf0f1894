package nodeclient

import (
	"context"
	"errors"
	"testing"

	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/receipt"
)

// TestReceipt fetches receipts from the real node API over the index
// fixture: anchored, not anchored yet (409), and of a product (refused
// before asking).
func TestReceipt(t *testing.T) {
	anchored, err := New(apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored}).URL)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := New(apitest.Start(t, &apitest.Options{Anchoring: apitest.Pending}).URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name   string
		c      *Client
		link   string
		status int // of the *Problem; 0: none
		fails  bool
	}{
		{"anchored lot", anchored, apitest.LotJuice, 0, false},
		{"anchored unit", anchored, apitest.LotJuice + "/21/S1", 0, false},
		{"not anchored yet", pending, apitest.LotJuice, 409, true},
		{"unknown lot", anchored, "https://id.gs1.org/01/" + apitest.GTINJuice + "/10/NOPE", 404, true},
		{"product", anchored, "https://id.gs1.org/01/" + apitest.GTINJuice, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := tc.c.Receipt(ctx, tc.link)
			var p *Problem
			if (err != nil) != tc.fails || tc.status != 0 && (!errors.As(err, &p) || p.Status != tc.status) {
				t.Fatalf("Receipt(%s) = %.100s, %v", tc.link, raw, err)
			}
			if tc.fails {
				return
			}
			// What the client returns is the node's receipt, as it wrote it:
			// it parses and its paths and anchors verify offline.
			r, err := receipt.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := receipt.Verify(ctx, r, receipt.Options{})
			if err != nil || len(rep.Verdicts) == 0 {
				t.Fatalf("verify: %v, %+v", err, rep)
			}
			// The fixture's event ids are not content hashes: paths and
			// anchors are what is checked here.
			for _, v := range rep.Verdicts {
				if v.Failed(receipt.PartPath) || v.Failed(receipt.PartAnchor) {
					t.Errorf("%s: %v", v.EventID, v.Failures)
				}
			}
		})
	}
}
