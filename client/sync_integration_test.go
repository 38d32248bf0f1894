package client_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// connectWith opens a library client as org's user with options.
func connectWith(t *testing.T, org string, opts ...client.Option) *client.Client {
	t.Helper()
	cfg, err := testkit.Network(t).ClientConfig(org, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestIntegrationPeerSync writes as one organisation and reads or writes
// as another right after, without any test-side wait: with WithPeerSync the
// write returns only once every member's peer has its block. It logs what
// the wait costs per write on this machine and how often the same steps
// without it met a peer a block behind (neither is asserted).
func TestIntegrationPeerSync(t *testing.T) {
	ctx := context.Background()
	// A generous bound: here a SyncError would be a failure to sync, not
	// slowness of a loaded machine.
	sync := []client.Option{client.WithPeerSync(client.AllMembers), client.WithPeerSyncTimeout(30 * time.Second)}
	brand := connectWith(t, testnet.Brand, sync...)
	supplier := connectWith(t, testnet.Supplier, sync...)
	logistics := connectWith(t, testnet.Logistics, sync...)

	// Any member may ask any member's peer for its height.
	members, err := brand.Members(ctx)
	want := []string{"BrandMSP", "LabMSP", "LogisticsMSP", "SupplierMSP"}
	if err != nil || !slices.Equal(members, want) {
		t.Fatalf("Members: %v, %v; want %v", members, err, want)
	}
	for _, m := range members {
		h, err := brand.LedgerHeight(ctx, m)
		if err != nil || h == 0 {
			t.Fatalf("LedgerHeight(%s) as the brand: %d, %v", m, h, err)
		}
	}

	gtin := uniqueGTIN(t, 7)
	var r client.Receipt
	if _, err := brand.RegisterProduct(ctx, ledger.ProductRequest{GTIN: gtin, Name: "Peaches", Brand: "Acme", Category: "fruit", TempMinC: 2, TempMaxC: 8, ShelfLifeDays: 14},
		client.WithReceipt(&r)); err != nil || r.Sync != nil {
		t.Fatalf("RegisterProduct: %v (sync %v)", err, r.Sync)
	}
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36), 36)
	now := time.Now().UTC()
	batch := func(lot string) ledger.BatchRequest {
		return ledger.BatchRequest{
			GTIN: gtin, Lot: lot, Quantity: ledger.Quantity{Value: "10", UOM: "KGM"}, Producer: "9506000134376",
			Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 41.9, Longitude: 12.5}, Address: &ledger.Address{City: "Roma", Country: "IT"}},
			ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(10 * 24 * time.Hour).Format(time.RFC3339),
			FarmingPractice: "organic",
		}
	}

	const rounds = 6
	var withWait, withoutWait, explicit []time.Duration
	behind := 0 // reads as logistics right after a write without the wait that missed it
	for i := range rounds {
		// With the wait: the supplier creates and ships, the logistics
		// provider reads and receives at once.
		t0 := time.Now()
		lot, err := supplier.CreateBatch(ctx, batch(fmt.Sprintf("W%s-%d", run, i)), client.WithReceipt(&r))
		withWait = append(withWait, time.Since(t0))
		if err != nil || r.Sync != nil {
			t.Fatalf("CreateBatch: %v (sync %v)", err, r.Sync)
		}
		if l, err := logistics.Lot(ctx, lot.ID); err != nil || l.Custodian != "SupplierMSP" {
			t.Fatalf("round %d: Lot as logistics right after CreateBatch as supplier: %+v, %v", i, l, err)
		}
		t0 = time.Now()
		_, err = supplier.Ship(ctx, ledger.ShipRequest{Lot: lot.ID, To: "LogisticsMSP", Destination: "9506000134383"}, client.WithReceipt(&r))
		withWait = append(withWait, time.Since(t0))
		if err != nil || r.Sync != nil {
			t.Fatalf("Ship: %v (sync %v)", err, r.Sync)
		}
		if sh, err := logistics.Receive(ctx, ledger.ReceiveRequest{Lot: lot.ID}); err != nil || sh.Status != ledger.ShipmentReceived {
			t.Fatalf("round %d: Receive as logistics right after Ship as supplier: %+v, %v", i, sh, err)
		}

		// Without it, for comparison: the same write, then the wait on its
		// own, timed apart.
		t0 = time.Now()
		lot, err = supplier.CreateBatch(ctx, batch(fmt.Sprintf("N%s-%d", run, i)), client.WithReceipt(&r), client.WaitForOrganizations())
		withoutWait = append(withoutWait, time.Since(t0))
		if err != nil {
			t.Fatal(err)
		}
		var rejected *client.RejectedError
		if _, err := logistics.Lot(ctx, lot.ID); errors.As(err, &rejected) {
			behind++
		} else if err != nil {
			t.Fatal(err)
		}
		t0 = time.Now()
		if err := supplier.WaitForBlock(ctx, r.BlockNumber, client.AllMembers); err != nil {
			t.Fatal(err)
		}
		explicit = append(explicit, time.Since(t0))
	}
	mean := func(ds []time.Duration) time.Duration {
		var s time.Duration
		for _, d := range ds {
			s += d
		}
		return (s / time.Duration(len(ds))).Round(100 * time.Microsecond)
	}
	t.Logf("write with the wait for all %d members: mean %s over %d writes; without: mean %s over %d; "+
		"WaitForBlock(all members) alone right after a write: mean %s, max %s; "+
		"a read as logistics right after a supplier write without the wait missed it %d of %d times",
		len(members), mean(withWait), len(withWait), mean(withoutWait), len(withoutWait),
		mean(explicit), slices.Max(explicit).Round(100*time.Microsecond), behind, rounds)

	// A peer that never has the block (no such organisation): the write is
	// committed all the same, and the receipt says who lagged.
	var handled *client.SyncError
	short := connectWith(t, testnet.Supplier, client.WithPeerSyncTimeout(300*time.Millisecond),
		client.WithPeerSyncHandler(func(e *client.SyncError) { handled = e }))
	lot, err := short.CreateBatch(ctx, batch("X"+run), client.WithReceipt(&r), client.WaitForOrganizations("NoSuchMSP"))
	if err != nil {
		t.Fatalf("CreateBatch waiting for an unknown organisation: %v", err)
	}
	if r.Sync == nil || handled != r.Sync || len(r.Sync.Lagging) != 1 || r.Sync.Lagging[0].MSPID != "NoSuchMSP" || r.Sync.Lagging[0].Err == nil {
		t.Fatalf("receipt %+v, handled %v", r, handled)
	}
	t.Logf("unknown organisation: %v", r.Sync)
	if l, err := short.Lot(ctx, lot.ID, client.WithEndorsingOrganizations(short.MSPID())); err != nil || l.Custodian != "SupplierMSP" {
		t.Fatalf("the lot written despite the SyncError: %+v, %v", l, err)
	}
}
