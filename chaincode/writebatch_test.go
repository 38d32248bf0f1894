package chaincode

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
)

// TestWritesOneBatch: a write sends all its records to the peer in one
// write batch (one message, FinishWriteBatch), never one PutState per key,
// and still writes each key and sets one event.
func TestWritesOneBatch(t *testing.T) {
	e := newEnv(t)
	l := e.setupLot("L1")
	ship := ledger.ShipRequest{Lot: l.ID, To: logistics, Destination: glnURI(glnWarehouse),
		Readings: []ledger.Reading{e.readingAt(-20*time.Minute, 4.5), e.readingAt(-10*time.Minute, 5)}}
	for _, c := range []struct {
		fn   string
		args []string
	}{
		{"Batch:CreateBatch", []string{mustJSON(e.batchReq(gtinTomato, "L2"))}},
		{"Custody:Ship", []string{mustJSON(ship)}},
	} {
		t.Run(c.fn, func(t *testing.T) {
			msp := supplier
			r := e.invoke(msp, c.fn, c.args...)
			if !r.OK() {
				t.Fatal(r.Response.GetMessage())
			}
			if n := count(r.Calls, "FinishWriteBatch"); n != 1 || slices.Contains(r.Calls, "PutState") {
				t.Fatalf("ledger calls %v: want one FinishWriteBatch and no PutState", r.Calls)
			}
			if len(r.Writes) < 3 || len(r.Events) != 1 {
				t.Fatalf("%d writes, %d events", len(r.Writes), len(r.Events))
			}
		})
	}
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// TestHandOffReadsAhead: a hand-off reads the role table, the lot and (with
// readings) the lot's product in one round trip (GetMultipleStates), then
// only the new event's key.
func TestHandOffReadsAhead(t *testing.T) {
	e := newEnv(t)
	readings := []ledger.Reading{e.readingAt(-20*time.Minute, 4.5), e.readingAt(-10*time.Minute, 5)}
	for _, c := range []struct {
		name     string
		readings []ledger.Reading
	}{{"with readings", readings}, {"without readings", nil}} {
		t.Run(c.name, func(t *testing.T) {
			l := e.setupLot("RA-" + strings.Fields(c.name)[0])
			r := e.invoke(supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: l.ID, To: logistics,
				Destination: glnURI(glnWarehouse), Readings: c.readings}))
			if !r.OK() {
				t.Fatal(r.Response.GetMessage())
			}
			if count(r.Calls, "GetMultipleStates") != 1 || count(r.Calls, "GetState") != 1 {
				t.Fatalf("ledger calls %v: want one GetMultipleStates and one GetState", r.Calls)
			}
		})
	}
}
