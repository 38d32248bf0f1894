package index

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// TestRecordsAsRecorded: a follower indexes and anchors a record as
// recorded in the payload (PreparePayload), so a node whose record types
// lack a member a newer version wrote, or order members otherwise, anchors
// the id the newer members compute (ledger's testdata, ids computed outside
// Go) and serves the very bytes in receipts (ClaimEvidence).
func TestRecordsAsRecorded(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "ledger", "testdata", "record-versions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rv struct {
		Records []struct {
			Name   string          `json:"name"`
			Record json.RawMessage `json:"record"`
			ID     string          `json:"id"`
		} `json:"records"`
	}
	if err := json.Unmarshal(b, &rv); err != nil {
		t.Fatal(err)
	}
	for _, c := range rv.Records {
		t.Run(c.Name, func(t *testing.T) {
			x := openMem(t, vfs.NewMem())
			payload := []byte(`{"function":"Batch:CreateBatch","mspId":"SupplierMSP","txId":"t1","timestamp":"2025-06-01T08:08:00.000000000Z","lots":[` + string(c.Record) + `]}`)
			var ev ledger.Event
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatal(err)
			}
			if _, err := x.ApplyBlock(1, []Tx{{Pos: Position{Block: 1, TxID: "t1"}, Event: &ev, Prepared: PreparePayload(&ev, payload)}}); err != nil {
				t.Fatal(err)
			}
			ids, err := x.EventIDs(context.Background(), 1, 1)
			if err != nil || !slices.Contains(ids, c.ID) {
				t.Fatalf("anchored leaves %v (%v), want %s", ids, err, c.ID)
			}
			lr, err := x.LotRecords(context.Background(), 1, 1)
			if err != nil || len(lr) != 1 || lr[0].RecordID != c.ID {
				t.Fatalf("lot state %+v, %v", lr, err)
			}
			l := ev.Lots[0]
			ce, err := x.ClaimEvidence(l.GTIN, l.Lot)
			if err != nil || len(ce.Records) != 1 || ce.Records[0].ID != c.ID {
				t.Fatalf("evidence %+v, %v", ce.Records, err)
			}
			again, err := ledger.StoredRecord(ledger.RecordLot, ce.Records[0].JSON)
			if err != nil || again.ID != c.ID {
				t.Fatalf("the served record hashes to %s, %v", again.ID, err)
			}
			if strings.Contains(string(c.Record), "carbonFootprint") != strings.Contains(string(ce.Records[0].JSON), "carbonFootprint") {
				t.Errorf("served record %s", ce.Records[0].JSON)
			}
		})
	}
	// A payload whose records do not match its decoded event is refused.
	x := openMem(t, vfs.NewMem())
	var ev ledger.Event
	if _, err := x.ApplyBlock(1, []Tx{{Pos: Position{Block: 1, TxID: "t1"}, Event: &ev, Prepared: PreparePayload(&ev, []byte(`{"lots":[`+string(rv.Records[0].Record)+`]}`))}}); err == nil {
		t.Error("mismatched payload applied")
	}
}
