package apitest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/receipt"
)

// TestAnchoring: a pending node serves no receipt until it anchors; an
// event applied later is pending again until the next anchoring, then in
// the lot's receipt, proven.
func TestAnchoring(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Anchoring: apitest.Pending})
	get := func(want int) *receipt.Receipt {
		t.Helper()
		resp, err := http.Get(n.URL + "/01/" + apitest.GTINJuice + "/10/J1?format=receipt")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("receipt: %d, want %d: %s", resp.StatusCode, want, body)
		}
		if want != http.StatusOK {
			return nil
		}
		r, err := receipt.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	get(http.StatusConflict)
	n.Anchor(t)
	before := get(http.StatusOK)

	ev := apitest.Event(t, apitest.LotJuice, time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC))
	pos := n.Apply(t, ev)
	var p struct{ Unanchored []string }
	resp, err := http.Get(n.URL + "/01/" + apitest.GTINJuice + "/10/J1?format=receipt")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusConflict || len(p.Unanchored) != 1 {
		t.Fatalf("after a new event: %d, %+v, %v", resp.StatusCode, p, err)
	}
	n.Anchor(t)
	after := get(http.StatusOK)
	if len(after.Events) != len(before.Events)+1 || len(after.Windows) != len(before.Windows)+1 {
		t.Fatalf("receipt of %d events in %d windows, then %d in %d", len(before.Events), len(before.Windows), len(after.Events), len(after.Windows))
	}
	rep, err := receipt.Verify(context.Background(), after, receipt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, v := range rep.Verdicts {
		if v.Failed(receipt.PartPath) || v.Failed(receipt.PartAnchor) {
			t.Errorf("%s: %v", v.EventID, v.Failures)
		}
		if v.TxID == pos.TxID {
			found = true
			if !v.OK() { // the new event's id is its content hash: all of it verifies
				t.Errorf("new event: %v", v.Failures)
			}
		}
	}
	if !found {
		t.Errorf("the new event (tx %s) is not in the receipt", pos.TxID)
	}
}
