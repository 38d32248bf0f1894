package client_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/client/lab"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// connect opens a library client as org's user on the shared testnet.
func connect(t *testing.T, org string) *client.Client {
	t.Helper()
	cfg, err := testkit.Network(t).ClientConfig(org, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func uniqueGTIN(t *testing.T, n int) string {
	body := fmt.Sprintf("08%011d", (time.Now().UnixNano()/1000+int64(n))%1e11)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + strconv.Itoa(d)
}

// TestIntegrationLotLife takes a lot through its whole life with the
// library, as the four organisations, checking the typed results.
func TestIntegrationLotLife(t *testing.T) {
	ctx := context.Background()
	brand, supplier, labc, logistics := connect(t, testnet.Brand), connect(t, testnet.Supplier), connect(t, testnet.Lab), connect(t, testnet.Logistics)
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36), 36)
	// wait makes every peer see the write before the next organisation acts.
	var r client.Receipt
	wait := func() { t.Helper(); testkit.WaitForBlock(t, r.BlockNumber) }

	gtinA, gtinB := uniqueGTIN(t, 1), uniqueGTIN(t, 2)
	p, err := brand.RegisterProduct(ctx, ledger.ProductRequest{GTIN: gtinA, Name: "Tomatoes", Brand: "Acme", Category: "vegetables", TempMinC: 2, TempMaxC: 8, ShelfLifeDays: 14})
	if err != nil || p.Owner != "BrandMSP" || p.GTIN != gtinA {
		t.Fatalf("RegisterProduct: %+v, %v", p, err)
	}
	if _, err := brand.RegisterProduct(ctx, ledger.ProductRequest{GTIN: gtinB, Name: "Sauce", Brand: "Acme", Category: "sauces", TempMinC: 0, TempMaxC: 25, ShelfLifeDays: 365}, client.WithReceipt(&r)); err != nil {
		t.Fatal(err)
	}
	wait()

	now := time.Now().UTC()
	lot, err := supplier.CreateBatch(ctx, ledger.BatchRequest{
		GTIN: gtinA, Lot: "L" + run, Quantity: ledger.Quantity{Value: "1000", UOM: "KGM"}, Producer: "9506000134376",
		Place:      ledger.Place{Geo: &ledger.Geo{Latitude: 41.9, Longitude: 12.5}, Address: &ledger.Address{City: "Roma", Country: "IT"}},
		ProducedAt: now.Add(-24 * time.Hour).Format(time.RFC3339), Expiry: now.Add(10 * 24 * time.Hour).Format(time.RFC3339),
		FarmingPractice: "organic",
	}, client.WithReceipt(&r))
	if err != nil || lot.Custodian != "SupplierMSP" || lot.Status != ledger.StatusActive || r.TransactionID != lot.CreatedTx {
		t.Fatalf("CreateBatch: %+v, %v (receipt %+v)", lot, err, r)
	}
	wait()

	signer, err := lab.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := labc.RegisterLabSigner(ctx, signer.Address().Hex(), "Lab One", "ISO/IEC 17025 D-PL-1", client.WithReceipt(&r)); err != nil {
		t.Fatal(err)
	}
	wait()
	report := inspection.Report{
		ReportID: "R-" + run, Lots: []string{lot.ID}, Method: "LC-MS/MS", Standard: "EN 15662:2018",
		SampledAt: now.Add(-48 * time.Hour).Format(inspection.TimeLayout), IssuedAt: now.Add(-time.Hour).Format(inspection.TimeLayout),
		Analytes: []inspection.Analyte{{Name: "chlorpyrifos", Value: "0.004", Unit: "mg/kg", Limit: "0.01", Pass: true}},
		Verdict:  inspection.VerdictPass, Document: inspection.Document{SHA256: strings.Repeat("ab", 32), URI: "ipfs://bafyreport"},
	}
	sig, err := signer.Sign(report)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := labc.SubmitInspection(ctx, report, sig, client.WithReceipt(&r))
	if err != nil || rec.Signer != signer.Address().Hex() || rec.Lab != "LabMSP" {
		t.Fatalf("SubmitInspection: %+v, %v", rec, err)
	}
	wait()

	// A member that does not hold the lot cannot ship it: a typed rejection
	// naming the custodian.
	_, err = logistics.Ship(ctx, ledger.ShipRequest{Lot: lot.ID, To: "BrandMSP", Destination: "9506000134383"})
	var rejected *client.RejectedError
	if !errors.As(err, &rejected) || rejected.Function != client.FnShip || !strings.Contains(rejected.Reason, "only the current custodian (SupplierMSP)") {
		t.Fatalf("Ship by a non-custodian: %v", err)
	}

	temp := func(c float64) *float64 { return &c }
	sh, err := supplier.Ship(ctx, ledger.ShipRequest{Lot: lot.ID, To: "LogisticsMSP", Destination: "9506000134383",
		Readings: []ledger.Reading{{Time: now.Add(-time.Minute).Format(time.RFC3339), Device: "logger-1", TemperatureC: temp(4)}}}, client.WithReceipt(&r))
	if err != nil || sh.Status != ledger.ShipmentInTransit || sh.ID != r.TransactionID {
		t.Fatalf("Ship: %+v, %v", sh, err)
	}
	wait()
	sh, err = logistics.Receive(ctx, ledger.ReceiveRequest{Lot: lot.ID}, client.WithReceipt(&r))
	if err != nil || sh.Status != ledger.ShipmentReceived {
		t.Fatalf("Receive: %+v, %v", sh, err)
	}
	wait()
	l, err := logistics.RecordReadings(ctx, ledger.ReadingsRequest{Lot: lot.ID, Readings: []ledger.Reading{
		{Time: time.Now().UTC().Add(-30 * time.Second).Format(time.RFC3339), Device: "truck-7", TemperatureC: temp(5)},
	}}, client.WithReceipt(&r))
	if err != nil || l.Counts.Readings != 2 {
		t.Fatalf("RecordReadings: %+v, %v", l, err)
	}
	wait()
	if _, err := logistics.Ship(ctx, ledger.ShipRequest{Lot: lot.ID, To: "SupplierMSP", Destination: "9506000134376"}, client.WithReceipt(&r)); err != nil {
		t.Fatal(err)
	}
	wait()
	if _, err := supplier.Receive(ctx, ledger.ReceiveRequest{Lot: lot.ID}, client.WithReceipt(&r)); err != nil {
		t.Fatal(err)
	}
	wait()

	outs, err := supplier.Transform(ctx, ledger.TransformRequest{
		Inputs:  []ledger.LotQuantity{{Lot: lot.ID, Quantity: ledger.Quantity{Value: "600", UOM: "KGM"}}},
		Outputs: []ledger.TransformOutput{{GTIN: gtinB, Lot: "S" + run, Quantity: ledger.Quantity{Value: "1200", UOM: "H87"}, Expiry: now.Add(300 * 24 * time.Hour).Format(time.RFC3339)}},
	}, client.WithReceipt(&r))
	if err != nil || len(outs) != 1 {
		t.Fatalf("Transform: %+v, %v", outs, err)
	}
	sauce := outs[0].ID
	wait()
	units, err := brand.CommissionUnits(ctx, sauce, []string{"0001", "0002"}, client.WithReceipt(&r))
	if err != nil || len(units) != 2 || units[1].ID != sauce+"/21/0002" {
		t.Fatalf("CommissionUnits: %+v, %v", units, err)
	}
	wait()
	rc, err := brand.Recall(ctx, lot.ID, "Salmonella", ledger.RecallClassI, client.WithReceipt(&r))
	if err != nil || rc.Class != "I" || rc.RecalledBy != "BrandMSP" {
		t.Fatalf("Recall: %+v, %v", rc, err)
	}
	wait()

	// Reads through the lab's own peer.
	s, err := labc.Lot(ctx, sauce, client.WithEndorsingOrganizations(labc.MSPID()))
	if err != nil || s.Status != ledger.StatusRecalled || !slices.Equal(s.RecalledVia, []string{lot.ID}) || s.Counts.Units != 2 {
		t.Fatalf("Lot(sauce): %+v, %v", s, err)
	}
	up, err := labc.Upstream(ctx, sauce)
	if err != nil || len(up.Lots) != 1 || up.Lots[0].ID != lot.ID {
		t.Fatalf("Upstream: %+v, %v", up, err)
	}
	got, err := brand.Inspection(ctx, report.ReportID)
	if err != nil || got.EventID != rec.EventID {
		t.Fatalf("Inspection: %+v, %v", got, err)
	}
	if doc, err := supplier.LotEvents(ctx, lot.ID); err != nil || !strings.Contains(string(doc), "sensor_reporting") {
		t.Fatalf("LotEvents: %.200s, %v", doc, err)
	}

	// Queries of missing records are rejections too.
	_, err = brand.Lot(ctx, "https://id.gs1.org/01/"+gtinA+"/10/NOPE"+run)
	if !errors.As(err, &rejected) || !strings.Contains(rejected.Reason, "NOPE"+run) {
		t.Fatalf("missing lot: %v", err)
	}
}

// TestIntegrationUnavailable: a gateway nobody listens on is an
// *UnavailableError after the retries.
func TestIntegrationUnavailable(t *testing.T) {
	p, err := testkit.Network(t).ClientConfig(testnet.Brand, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(context.Background(), client.Config{
		GatewayAddress: "127.0.0.1:1", TLSServerName: p.TLSServerName, TLSCACert: p.TLSCACert,
		CertPath: p.CertPath, KeyPath: p.KeyPath, MSPID: p.MSPID,
	}, client.WithRetry(2, 10*time.Millisecond), client.WithTimeouts(2*time.Second, 2*time.Second, 2*time.Second, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Roles(context.Background())
	var u *client.UnavailableError
	if !errors.As(err, &u) || u.Address != "127.0.0.1:1" {
		t.Fatalf("got %v, want *UnavailableError", err)
	}
}
