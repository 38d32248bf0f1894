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
