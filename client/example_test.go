package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
)

// A supplier records a batch and ships it, as the identity that
// `eval "$(trustline testnet env supplier)"` puts in the environment.
func Example() {
	ctx := context.Background()
	cfg, err := client.ConfigFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Connect(ctx, cfg, client.WithRetry(5, time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	lot, err := c.CreateBatch(ctx, ledger.BatchRequest{
		GTIN: "09506000134352", Lot: "L1", Quantity: ledger.Quantity{Value: "1000", UOM: "KGM"},
		Producer: "9506000134376",
		Place: ledger.Place{
			Geo:     &ledger.Geo{Latitude: 41.9, Longitude: 12.5},
			Address: &ledger.Address{City: "Roma", Country: "IT"},
		},
		ProducedAt: "2025-06-01T06:00:00Z", Expiry: "2025-06-15T00:00:00Z", FarmingPractice: "organic",
	})
	if err != nil {
		log.Fatal(err)
	}
	var receipt client.Receipt
	shipment, err := c.Ship(ctx, ledger.ShipRequest{Lot: lot.ID, To: "LogisticsMSP", Destination: "9506000134383"},
		client.WithReceipt(&receipt))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shipment.ID == receipt.TransactionID, shipment.Status)
}

// Rejections by the ledger say what was refused and why.
func ExampleRejectedError() {
	// What a Ship by an organisation that does not hold the lot returns.
	var err error = &client.RejectedError{
		Function: client.FnShip,
		Reason:   "only the current custodian (SupplierMSP) can ship lot https://id.gs1.org/01/09506000134352/10/L1",
		MSPID:    "LogisticsMSP",
	}
	err = fmt.Errorf("shipping L1: %w", err)

	var rejected *client.RejectedError
	if errors.As(err, &rejected) {
		fmt.Println(rejected.Reason)
	}
	// Output: only the current custodian (SupplierMSP) can ship lot https://id.gs1.org/01/09506000134352/10/L1
}

// Right after a write through one organisation's peer, read through the
// same peer: another organisation's may not have committed the block yet.
func ExampleWithEndorsingOrganizations() {
	ctx := context.Background()
	cfg, err := client.ConfigFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Connect(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	lot, err := c.Lot(ctx, "https://id.gs1.org/01/09506000134352/10/L1", client.WithEndorsingOrganizations(c.MSPID()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(lot.Status, lot.Custodian)
}

// A script acting as two organisations: the supplier's Ship returns once
// every member's peer has its block, so the logistics provider's Receive,
// through its own peer, finds the shipment.
func ExampleWithPeerSync() {
	ctx := context.Background()
	supplierCfg, logisticsCfg := client.Config{ /* … */ }, client.Config{ /* … */ }
	supplier, err := client.Connect(ctx, supplierCfg, client.WithPeerSync(client.AllMembers),
		client.WithPeerSyncHandler(func(e *client.SyncError) { log.Printf("warning: %v", e) }))
	if err != nil {
		log.Fatal(err)
	}
	defer supplier.Close()
	logistics, err := client.Connect(ctx, logisticsCfg)
	if err != nil {
		log.Fatal(err)
	}
	defer logistics.Close()

	lot := "https://id.gs1.org/01/09506000134352/10/L1"
	if _, err := supplier.Ship(ctx, ledger.ShipRequest{Lot: lot, To: "LogisticsMSP", Destination: "9506000134383"}); err != nil {
		log.Fatal(err) // a SyncError never lands here: the handler had it
	}
	sh, err := logistics.Receive(ctx, ledger.ReceiveRequest{Lot: lot})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sh.Status)
}

// A brand promises a cold chain for every lot of its product, lists its
// claims, and later replaces the promise with a stricter one. Nodes
// evaluate the active claims against the ledger (package claims).
func ExampleClient_RegisterClaim() {
	ctx := context.Background()
	cfg, err := client.ConfigFromEnv() // eval "$(trustline testnet env brand)"
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Connect(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	claim, err := c.RegisterClaim(ctx, ledger.ClaimRequest{
		Subject: "09506000134352", Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
		Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 120}},
	})
	var rejected *client.RejectedError
	if errors.As(err, &rejected) {
		log.Fatal(rejected.Reason) // e.g. the product belongs to another brand
	} else if err != nil {
		log.Fatal(err)
	}
	stricter, err := c.SupersedeClaim(ctx, claim.ID, ledger.ClaimRequest{
		Subject: claim.Subject, Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
		Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 30}},
	})
	if err != nil {
		log.Fatal(err)
	}
	all, err := c.Claims(ctx, claim.GTIN, client.WithEndorsingOrganizations(c.MSPID()))
	if err != nil {
		log.Fatal(err)
	}
	for _, cl := range all {
		fmt.Println(cl.ID, cl.Wording, cl.Active(), cl.SupersededBy == stricter.ID)
	}
}
