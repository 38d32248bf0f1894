// Package demo plays a realistic farm-to-consumer scenario on a trustline
// network, as the four organisations of the consortium: an Alpine dairy
// brand, the organic farm and dairy plant that supply it, an accredited food
// lab and a cold-chain carrier.
package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/ledger"
)

// Step is one transaction of the scenario, submitted as Org.
type Step struct {
	Org   string // testnet organisation: brand, supplier, lab, logistics
	Title string // what a person would say happened
	Fn    string // chaincode function, Contract:Function
	Args  []string
	// IfMissing, when set, is a query (Contract:Function plus Args) that
	// tells whether the step was done by an earlier run, so the scenario can
	// run again on the same network: it was when the query succeeds and, if
	// DoneWhen is set, its result contains DoneWhen.
	IfMissing []string
	DoneWhen  string
}

// Scenario is the whole story plus the identifiers a person needs to look
// at it.
type Scenario struct {
	Steps []Step

	RawMilkLot  string // Digital Link of the farm's raw milk lot
	YogurtLot   string // the healthy retail lot, with serialised units
	BreachedLot string // the retail lot that met a cold-chain breach and was recalled
	Unit        string // Digital Link of the unit to scan
	Serials     []string
}

// Identifiers of the scenario's products and places. The GTINs and GLNs
// carry valid check digits (computed by gs1.CheckDigit).
var (
	rawMilkGTIN = withCheck("0426012345001")
	yogurtGTIN  = withCheck("0426012345002")
	farmGLN     = withCheck("426012345100")
	hubGLN      = withCheck("426012345200")
	plantGLN    = withCheck("426012345300")
	storeGLN    = withCheck("426012345400")
)

func withCheck(body string) string {
	d, err := gs1.CheckDigit(body)
	if err != nil {
		panic(fmt.Sprintf("demo identifier %s: %v", body, err))
	}
	return body + strconv.Itoa(d)
}

func lotLink(gtin, lot string) string { return "https://id.gs1.org/01/" + gtin + "/10/" + lot }
func glnLink(gln string) string       { return "https://id.gs1.org/414/" + gln }

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func temp(c float64) *float64 { return &c }

// FixtureTime and FixtureRun are the run of the scenario recorded as a test
// fixture (node/index/testdata/demo.json, made and kept in step with the
// chaincode by the chaincode's TestDemoFixture): the reports' goldens are
// of this story.
var FixtureTime = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// FixtureRun is the run name of the fixture's scenario.
const FixtureRun = "F1"

// Fixture is the scenario of the test fixture, its lab report signed by lab.
func Fixture(lab Signer) (*Scenario, error) { return New(FixtureTime, FixtureRun, lab) }

// New builds the scenario for a run at now, with lot numbers made unique by
// run (e.g. a date and a counter), and the lab's report signed with labKey's
// signer, whose address the scenario registers.
func New(now time.Time, run string, lab Signer) (*Scenario, error) {
	now = now.UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	day := 24 * time.Hour

	s := &Scenario{
		RawMilkLot:  lotLink(rawMilkGTIN, "RM-"+run),
		YogurtLot:   lotLink(yogurtGTIN, "YG-"+run+"-A"),
		BreachedLot: lotLink(yogurtGTIN, "YG-"+run+"-B"),
		Serials:     []string{"S" + run + "001", "S" + run + "002", "S" + run + "003", "S" + run + "004", "S" + run + "005"},
	}
	s.Unit = s.YogurtLot + "/21/" + s.Serials[0]

	report := inspection.Report{
		ReportID: "BFL-" + run + "-0417",
		Lots:     []string{s.RawMilkLot},
		Method:   "LC-MS/MS multi-residue screen; ISO 4833-1 plate count; Delvotest beta-lactam screen",
		Standard: "Regulation (EU) 2023/915; Regulation (EU) 37/2010",
		// Sampled at the farm's bulk tank, reported the next morning.
		SampledAt: now.Add(-50 * time.Hour).Format(inspection.TimeLayout),
		IssuedAt:  now.Add(-34 * time.Hour).Format(inspection.TimeLayout),
		Verdict:   inspection.VerdictPass,
		Analytes: []inspection.Analyte{
			{Name: "Total plate count (30 °C)", Value: "18000", Unit: "cfu/mL", Limit: "100000", Pass: true},
			{Name: "Somatic cell count", Value: "190000", Unit: "cells/mL", Limit: "400000", Pass: true},
			{Name: "Aflatoxin M1", Value: "0.008", Unit: "µg/kg", Limit: "0.05", Pass: true},
			{Name: "Beta-lactam residues (as penicillin G)", Value: "0", Unit: "µg/kg", Limit: "4", Pass: true},
			{Name: "Glyphosate", Value: "0.002", Unit: "mg/kg", Limit: "0.05", Pass: true},
		},
		Document: inspection.Document{
			SHA256: sha("Bavarian Food Lab report BFL-" + run + "-0417"),
			URI:    "https://lab.example.org/reports/BFL-" + run + "-0417.pdf",
		},
	}
	sig, err := lab.Sign(report)
	if err != nil {
		return nil, err
	}

	products := []ledger.ProductRequest{
		{GTIN: rawMilkGTIN, Name: "Organic raw milk, bulk", Brand: "Alpenwiese", Category: "dairy/raw milk", TempMinC: 2, TempMaxC: 6, ShelfLifeDays: 5},
		{GTIN: yogurtGTIN, Name: "Organic Greek yogurt 500 g", Brand: "Alpenwiese", Category: "dairy/yogurt", TempMinC: 2, TempMaxC: 7, ShelfLifeDays: 28},
	}
	for _, p := range products {
		s.Steps = append(s.Steps, Step{
			Org: "brand", Title: "Alpenwiese registers " + p.Name + " (GTIN " + p.GTIN + ", " + fmt.Sprintf("%g–%g °C", p.TempMinC, p.TempMaxC) + ")",
			Fn: "Product:RegisterProduct", Args: []string{mustJSON(p)},
			IfMissing: []string{"Query:GetProduct", p.GTIN},
		})
	}
	// The promises the brand makes in its livestream, as claims the nodes
	// check against the ledger's evidence for every lot.
	for _, c := range []ledger.ClaimRequest{
		{Subject: yogurtGTIN, Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
			Params: ledger.ClaimParams{ColdChain: &ledger.ColdChainParams{MaxGapMinutes: 180}}},
		{Subject: yogurtGTIN, Kind: ledger.ClaimFarmToShelf, Wording: "72 hours from farm to shelf",
			Params: ledger.ClaimParams{FarmToShelf: &ledger.FarmToShelfParams{Hours: 72}}},
		{Subject: yogurtGTIN, Kind: ledger.ClaimLabTested, Wording: "Residues tested by an accredited lab",
			Params: ledger.ClaimParams{LabTested: &ledger.LabTestedParams{Analytes: []string{"Glyphosate", "Aflatoxin M1"}, MaxAgeDays: 30}}},
		{Subject: yogurtGTIN, Kind: ledger.ClaimOriginIn, Wording: "Milk from the Allgäu",
			Params: ledger.ClaimParams{OriginIn: &ledger.OriginInParams{Region: "the Allgäu", Polygon: []ledger.Geo{
				{Latitude: 47.3, Longitude: 9.8}, {Latitude: 47.3, Longitude: 10.9}, {Latitude: 48.1, Longitude: 10.9}, {Latitude: 48.1, Longitude: 9.8}}}}},
	} {
		s.Steps = append(s.Steps, Step{
			Org: "brand", Title: "Alpenwiese promises: " + c.Wording,
			Fn: "Claim:RegisterClaim", Args: []string{mustJSON(c)},
			IfMissing: []string{"Claim:ListClaims", c.Subject}, DoneWhen: c.Wording,
		})
	}
	s.Steps = append(s.Steps, Step{
		Org: "lab", Title: "Bavarian Food Lab registers its signing key " + lab.Address(),
		Fn: "Lab:RegisterLabSigner", Args: []string{lab.Address(), "Bavarian Food Lab", "DAkkS D-PL-14521-01 (ISO/IEC 17025)"},
		IfMissing: []string{"Lab:GetLabSigner", lab.Address()},
	})

	s.Steps = append(s.Steps,
		Step{Org: "supplier", Title: "Hofmann farm records the morning milking: 2,400 L, pasture-fed, organic",
			Fn: "Batch:CreateBatch", Args: []string{mustJSON(ledger.BatchRequest{
				GTIN: rawMilkGTIN, Lot: "RM-" + run,
				Quantity: ledger.Quantity{Value: "2400", UOM: "LTR"},
				Producer: farmGLN,
				Place: ledger.Place{
					Location: glnLink(farmGLN),
					Geo:      &ledger.Geo{Latitude: 47.5683, Longitude: 10.2201},
					Address:  &ledger.Address{Street: "Alpweg 12", City: "Oberstaufen", PostalCode: "87534", Region: "Bavaria", Country: "DE"},
				},
				ProducedAt:      at(52 * time.Hour),
				Expiry:          now.Add(3 * day).Format(time.RFC3339),
				FarmingPractice: "organic (EU 2018/848), pasture-fed, hay milk",
				Evidence: []ledger.Evidence{
					{Kind: ledger.EvidencePhoto, SHA256: sha("milking parlour photo " + run), URI: "https://hofmann-hof.example.org/media/" + run + "/parlour.jpg"},
					{Kind: "livestream", SHA256: sha("milking livestream " + run), URI: "https://live.example.org/alpenwiese/" + run},
				},
				// The dairy's purchase order the milking fills.
				BizTransactions: []ledger.BizTransaction{{Type: "po", ID: "urn:epcglobal:cbv:bt:" + plantGLN + ":PO-" + run}},
			})}},
		Step{Org: "lab", Title: "Bavarian Food Lab submits its signed residue and microbiology report (pass)",
			Fn: "Lab:SubmitInspection", Args: []string{mustJSON(report), "0x" + hex.EncodeToString(sig)}},
		Step{Org: "supplier", Title: "The farm hands the milk to ColdLine Logistics' tanker (3.8 °C)",
			Fn: "Custody:Ship", Args: []string{mustJSON(ledger.ShipRequest{
				Lot: s.RawMilkLot, To: "LogisticsMSP", Source: farmGLN, Destination: hubGLN,
				BizTransactions: []ledger.BizTransaction{{Type: "po", ID: "urn:epcglobal:cbv:bt:" + plantGLN + ":PO-" + run}},
				Readings:        []ledger.Reading{{Time: at(49 * time.Hour), Device: "urn:tl:logger:farm-tank-1", TemperatureC: temp(3.8)}},
			})}},
		Step{Org: "logistics", Title: "ColdLine receives the milk in its tanker (4.0 °C)",
			Fn: "Custody:Receive", Args: []string{mustJSON(ledger.ReceiveRequest{
				Lot: s.RawMilkLot, Readings: []ledger.Reading{{Time: at(48*time.Hour + 50*time.Minute), Device: "urn:tl:logger:tanker-7", TemperatureC: temp(4.0)}},
			})}},
		Step{Org: "logistics", Title: "The tanker's data logger reports the trip to the dairy plant",
			Fn: "Custody:RecordReadings", Args: []string{mustJSON(ledger.ReadingsRequest{
				Lot: s.RawMilkLot, Readings: []ledger.Reading{
					{Time: at(48*time.Hour + 20*time.Minute), Device: "urn:tl:logger:tanker-7", TemperatureC: temp(4.1)},
					{Time: at(47*time.Hour + 50*time.Minute), Device: "urn:tl:logger:tanker-7", TemperatureC: temp(4.3)},
					{Time: at(47*time.Hour + 20*time.Minute), Device: "urn:tl:logger:tanker-7", TemperatureC: temp(4.2)},
				}})}},
		Step{Org: "logistics", Title: "ColdLine delivers the milk to the Alpenwiese dairy plant",
			Fn: "Custody:Ship", Args: []string{mustJSON(ledger.ShipRequest{
				Lot: s.RawMilkLot, To: "SupplierMSP", Source: hubGLN, Destination: plantGLN,
				BizTransactions: []ledger.BizTransaction{{Type: "desadv", ID: "urn:epcglobal:cbv:bt:" + hubGLN + ":DN-" + run}},
				Readings:        []ledger.Reading{{Time: at(47 * time.Hour), Device: "urn:tl:logger:tanker-7", TemperatureC: temp(4.4)}},
			})}},
		Step{Org: "supplier", Title: "The dairy plant receives the milk (4.5 °C at intake)",
			Fn: "Custody:Receive", Args: []string{mustJSON(ledger.ReceiveRequest{
				Lot: s.RawMilkLot, Readings: []ledger.Reading{{Time: at(46*time.Hour + 45*time.Minute), Device: "urn:tl:logger:plant-intake", TemperatureC: temp(4.5)}},
			})}},
		Step{Org: "supplier", Title: "The plant makes two lots of Greek yogurt from it",
			Fn: "Batch:Transform", Args: []string{mustJSON(ledger.TransformRequest{
				Inputs: []ledger.LotQuantity{{Lot: s.RawMilkLot, Quantity: ledger.Quantity{Value: "2400", UOM: "LTR"}}},
				Outputs: []ledger.TransformOutput{
					{GTIN: yogurtGTIN, Lot: "YG-" + run + "-A", Quantity: ledger.Quantity{Value: "1200", UOM: "EA"}, Expiry: now.Add(27 * day).Format(time.RFC3339)},
					{GTIN: yogurtGTIN, Lot: "YG-" + run + "-B", Quantity: ledger.Quantity{Value: "1150", UOM: "EA"}, Expiry: now.Add(27 * day).Format(time.RFC3339)},
				},
				Location:        plantGLN,
				BizTransactions: []ledger.BizTransaction{{Type: "prodorder", ID: "urn:epcglobal:cbv:bt:" + plantGLN + ":PRD-" + run}},
			})}},
		Step{Org: "brand", Title: "Alpenwiese serialises five jars of lot A for the launch livestream",
			Fn: "Product:CommissionUnits", Args: []string{s.YogurtLot, mustJSON(s.Serials)}},
		Step{Org: "supplier", Title: "The plant ships lot A to the Munich store (5.1 °C)",
			Fn: "Custody:Ship", Args: []string{mustJSON(ledger.ShipRequest{
				Lot: s.YogurtLot, To: "BrandMSP", Source: plantGLN, Destination: storeGLN,
				BizTransactions: []ledger.BizTransaction{{Type: "desadv", ID: "urn:epcglobal:cbv:bt:" + plantGLN + ":DN-" + run + "-A"}},
				Readings:        []ledger.Reading{{Time: at(20 * time.Hour), Device: "urn:tl:logger:van-3", TemperatureC: temp(5.1)}},
			})}},
		Step{Org: "brand", Title: "The store receives lot A (4.6 °C)",
			Fn: "Custody:Receive", Args: []string{mustJSON(ledger.ReceiveRequest{
				Lot: s.YogurtLot, Readings: []ledger.Reading{
					{Time: at(18 * time.Hour), Device: "urn:tl:logger:van-3", TemperatureC: temp(4.9)},
					{Time: at(17 * time.Hour), Device: "urn:tl:logger:store-coldroom", TemperatureC: temp(4.6)},
				}})}},
		Step{Org: "supplier", Title: "The plant ships lot B to the store in a van whose cooling fails briefly",
			Fn: "Custody:Ship", Args: []string{mustJSON(ledger.ShipRequest{
				Lot: s.BreachedLot, To: "BrandMSP", Source: plantGLN, Destination: storeGLN,
				BizTransactions: []ledger.BizTransaction{{Type: "desadv", ID: "urn:epcglobal:cbv:bt:" + plantGLN + ":DN-" + run + "-B"}},
				Readings:        []ledger.Reading{{Time: at(20 * time.Hour), Device: "urn:tl:logger:van-5", TemperatureC: temp(5.0)}},
			})}},
		Step{Org: "brand", Title: "The store receives lot B; the van's logger shows 9.4 °C for 25 minutes",
			Fn: "Custody:Receive", Args: []string{mustJSON(ledger.ReceiveRequest{
				Lot: s.BreachedLot, Readings: []ledger.Reading{
					{Time: at(19*time.Hour + 30*time.Minute), Device: "urn:tl:logger:van-5", TemperatureC: temp(6.2)},
					{Time: at(19 * time.Hour), Device: "urn:tl:logger:van-5", TemperatureC: temp(9.4)},
					{Time: at(18*time.Hour + 35*time.Minute), Device: "urn:tl:logger:van-5", TemperatureC: temp(6.8)},
					{Time: at(18 * time.Hour), Device: "urn:tl:logger:store-coldroom", TemperatureC: temp(4.8)},
				}})}},
		Step{Org: "brand", Title: "Alpenwiese recalls lot B as a precaution",
			Fn: "Product:Recall", Args: []string{s.BreachedLot, "cold-chain breach in transit: 9.4 °C for 25 minutes (limit 7 °C)", "III"}},
	)
	return s, nil
}
