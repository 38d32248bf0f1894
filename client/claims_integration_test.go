package client_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationClaims registers a product claim and a lot claim as the
// brand, reads them back one by one and by product, supersedes one, and
// checks the typed refusals of what the Claim contract forbids.
func TestIntegrationClaims(t *testing.T) {
	ctx := context.Background()
	brand, supplier, labc := connect(t, testnet.Brand), connect(t, testnet.Supplier), connect(t, testnet.Lab)
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36), 36)
	var r client.Receipt
	wait := func() { t.Helper(); testkit.WaitForBlock(t, r.BlockNumber) }

	gtin, cheese := uniqueGTIN(t, 3), uniqueGTIN(t, 4)
	for _, g := range []string{cheese, gtin} {
		if _, err := brand.RegisterProduct(ctx, ledger.ProductRequest{GTIN: g, Name: "Milk", Brand: "Acme", Category: "dairy",
			TempMinC: 2, TempMaxC: 6, ShelfLifeDays: 10}, client.WithReceipt(&r)); err != nil {
			t.Fatal(err)
		}
	}
	wait()
	now := time.Now().UTC()
	lot, err := supplier.CreateBatch(ctx, ledger.BatchRequest{
		GTIN: gtin, Lot: "M" + run, Quantity: ledger.Quantity{Value: "800", UOM: "LTR"}, Producer: "9506000134376",
		Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 47.7, Longitude: 10.3}, Address: &ledger.Address{City: "Kempten", Country: "DE"}},
		ProducedAt: now.Add(-6 * time.Hour).Format(time.RFC3339), Expiry: now.Add(10 * 24 * time.Hour).Format(time.RFC3339),
		FarmingPractice: "pasture",
	}, client.WithReceipt(&r))
	if err != nil {
		t.Fatal(err)
	}
	wait()

	coldChain := ledger.ClaimRequest{Subject: gtin, Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
		Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 120}}}
	pc, err := brand.RegisterClaim(ctx, coldChain, client.WithReceipt(&r))
	if err != nil {
		t.Fatalf("RegisterClaim(product): %v", err)
	}
	if pc.ID != "claim-"+r.TransactionID || pc.Subject != "https://id.gs1.org/01/"+gtin || pc.GTIN != gtin || pc.Lot != "" ||
		pc.Brand != "BrandMSP" || pc.Kind != ledger.ClaimColdChain || !pc.Active() {
		t.Fatalf("RegisterClaim(product): %+v (receipt %+v)", pc, r)
	}
	wait()
	lc, err := brand.RegisterClaim(ctx, ledger.ClaimRequest{Subject: lot.ID, Kind: ledger.ClaimFarmToShelf, Wording: "On the shelf within 72 hours",
		Params: ledger.ClaimParams{FarmToShelf: &ledger.FarmToShelfParams{Hours: 72}}}, client.WithReceipt(&r))
	if err != nil {
		t.Fatalf("RegisterClaim(lot): %v", err)
	}
	if lc.Subject != lot.ID || lc.Lot != "M"+run || lc.GTIN != gtin {
		t.Fatalf("RegisterClaim(lot): %+v", lc)
	}
	wait()

	// Any member reads them.
	got, err := labc.Claim(ctx, lc.ID)
	if err != nil || got.ID != lc.ID || got.Params.FarmToShelf == nil || got.Params.FarmToShelf.Hours != 72 {
		t.Fatalf("Claim(%s): %+v, %v", lc.ID, got, err)
	}
	list, err := labc.Claims(ctx, gtin)
	if err != nil || len(list) != 2 {
		t.Fatalf("Claims(%s): %+v, %v", gtin, list, err)
	}
	if ids := map[string]bool{list[0].ID: true, list[1].ID: true}; !ids[pc.ID] || !ids[lc.ID] {
		t.Fatalf("Claims(%s) = %s, %s; want %s and %s", gtin, list[0].ID, list[1].ID, pc.ID, lc.ID)
	}
	if list, err := labc.Claims(ctx, cheese); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("Claims of a product without claims: %#v, %v; want an empty list", list, err)
	}

	stricter := coldChain
	stricter.Params = ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 30}}
	nc, err := brand.SupersedeClaim(ctx, pc.ID, stricter, client.WithReceipt(&r))
	if err != nil || nc.Supersedes != pc.ID || nc.ID != "claim-"+r.TransactionID || !nc.Active() {
		t.Fatalf("SupersedeClaim: %+v, %v", nc, err)
	}
	wait()
	old, err := supplier.Claim(ctx, pc.ID)
	if err != nil || old.Active() || old.SupersededBy != nc.ID || old.SupersededAt == "" {
		t.Fatalf("superseded claim: %+v, %v", old, err)
	}
	if list, err := supplier.Claims(ctx, gtin); err != nil || len(list) != 3 {
		t.Fatalf("Claims after superseding: %+v, %v", list, err)
	}

	// What the Claim contract refuses is a *RejectedError naming the
	// function and the chaincode's reason.
	tests := []struct {
		name   string
		call   func() error
		fn     string
		reason string
	}{
		{"a supplier registers", func() error { _, err := supplier.RegisterClaim(ctx, coldChain); return err },
			client.FnRegisterClaim, `SupplierMSP does not hold role "brand"`},
		{"superseded twice", func() error { _, err := brand.SupersedeClaim(ctx, pc.ID, stricter); return err },
			client.FnSupersedeClaim, "claim " + pc.ID + " is already superseded by " + nc.ID},
		{"superseded by another product's claim", func() error {
			other := stricter
			other.Subject = cheese
			_, err := brand.SupersedeClaim(ctx, nc.ID, other)
			return err
		}, client.FnSupersedeClaim, "claim " + nc.ID + " is about product " + gtin + "; a claim superseding it must be too, not " + cheese},
		{"a claim about an unregistered product", func() error {
			other := coldChain
			other.Subject = uniqueGTIN(t, 5)
			_, err := brand.RegisterClaim(ctx, other)
			return err
		}, client.FnRegisterClaim, "is not registered"},
		{"unknown claim", func() error { _, err := labc.Claim(ctx, "claim-nope"+run); return err },
			client.FnGetClaim, `no claim "claim-nope` + run + `"`},
		{"bad GTIN", func() error { _, err := labc.Claims(ctx, "12345"); return err },
			client.FnListClaims, "GTIN 12345 has 5 digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var rejected *client.RejectedError
			if !errors.As(err, &rejected) || rejected.Function != tc.fn || !strings.Contains(rejected.Reason, tc.reason) {
				t.Fatalf("got %v, want a %s rejection containing %q", err, tc.fn, tc.reason)
			}
		})
	}
}
