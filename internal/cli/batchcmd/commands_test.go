package batchcmd_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/batchcmd"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

const (
	lot1 = "https://id.gs1.org/01/09506000134352/10/L1"
	lot2 = "https://id.gs1.org/01/09506000134369/10/S1"
)

// fakeLedger answers the batch commands as the chaincode would, echoing
// what it was asked, or with err.
type fakeLedger struct{ err error }

func lotOf(gtin, lot string, q ledger.Quantity) *ledger.LotSummary {
	return &ledger.LotSummary{ID: "https://id.gs1.org/01/" + gtin + "/10/" + lot, GTIN: gtin, Lot: lot, Quantity: q, Remaining: q,
		CreatedBy: "SupplierMSP", Custodian: "SupplierMSP", Status: ledger.StatusActive, Counts: ledger.Counts{Events: 1}}
}

func (f fakeLedger) CreateBatch(_ context.Context, req ledger.BatchRequest, _ ...client.CallOption) (*ledger.LotSummary, error) {
	if f.err != nil {
		return nil, f.err
	}
	l := lotOf(req.GTIN, req.Lot, req.Quantity)
	l.ProducedAt, l.Expiry = req.ProducedAt, req.Expiry
	l.Origin = &ledger.Origin{Producer: req.Producer, Place: req.Place, FarmingPractice: req.FarmingPractice}
	return l, nil
}

func (f fakeLedger) Transform(_ context.Context, req ledger.TransformRequest, _ ...client.CallOption) ([]ledger.LotSummary, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []ledger.LotSummary
	for _, o := range req.Outputs {
		l := lotOf(o.GTIN, o.Lot, o.Quantity)
		l.Inputs = req.Inputs
		out = append(out, *l)
	}
	return out, nil
}

func (f fakeLedger) Lot(_ context.Context, lot string, _ ...client.CallOption) (*ledger.LotSummary, error) {
	if f.err != nil {
		return nil, f.err
	}
	return lotOf("09506000134352", "L1", ledger.Quantity{Value: "1000", UOM: "KGM"}), nil
}

func (f fakeLedger) trace(lot, direction string) (*ledger.Trace, error) {
	if f.err != nil {
		return nil, f.err
	}
	other := *lotOf("09506000134369", "S1", ledger.Quantity{Value: "1200", UOM: "H87"})
	return &ledger.Trace{Lot: lot, Direction: direction, Lots: []ledger.LotSummary{other}}, nil
}

func (f fakeLedger) Upstream(_ context.Context, lot string, _ ...client.CallOption) (*ledger.Trace, error) {
	return f.trace(lot, ledger.Upstream)
}

func (f fakeLedger) Downstream(_ context.Context, lot string, _ ...client.CallOption) (*ledger.Trace, error) {
	return f.trace(lot, ledger.Downstream)
}

func (f fakeLedger) LotEvents(_ context.Context, lot string, _ ...client.CallOption) (json.RawMessage, error) {
	if f.err != nil {
		return nil, f.err
	}
	return json.RawMessage(`{"type":"EPCISDocument","epcisBody":{"eventList":[{"type":"ObjectEvent","epcList":["` + lot + `"]}]}}`), nil
}

func (fakeLedger) Close() error { return nil }

func TestBatchCommands(t *testing.T) {
	ok := cmdtest.Ledger{Client: fakeLedger{}}
	create := []string{"create", "--gtin", "09506000134352", "--lot", "L1", "--quantity", "1000", "--producer", "9506000134376",
		"--lat", "41.9", "--lon", "12.5", "--city", "Roma", "--country", "IT", "--produced-at", "2025-06-01T06:00:00Z",
		"--expiry", "2025-06-15T00:00:00Z", "--farming-practice", "organic"}
	const createdJSON = `{"id":"` + lot1 + `","gtin":"09506000134352","lot":"L1","product":"","quantity":{"value":"1000","uom":"KGM"},
		"remaining":{"value":"1000","uom":"KGM"},"producedAt":"2025-06-01T06:00:00Z","expiry":"2025-06-15T00:00:00Z",
		"origin":{"producer":"9506000134376","place":{"geo":{"latitude":41.9,"longitude":12.5},
		"address":{"street":"","city":"Roma","postalCode":"","region":"","country":"IT"}},"farmingPractice":"organic"},
		"createdBy":"SupplierMSP","custodian":"SupplierMSP","status":"active",
		"counts":{"events":1,"inspections":0,"shipments":0,"readings":0,"excursions":0,"units":0},"createdAt":"","createdTx":"","updatedAt":""}`
	transform := []string{"transform", "--input", lot1 + "=600 KGM", "--make", "09506000134369/S1=1200 H87@2026-06-01T00:00:00Z"}
	cmdtest.RunCases(t, batchcmd.NewCmd, []cmdtest.Case{
		{Name: "create table", Args: create, Ledger: ok, Out: "Lot:            " + lot1 + "\nStatus:         active\nCustodian:      SupplierMSP\nQuantity:       1000 KGM"},
		{Name: "create json", Args: append(create, "-o", "json"), Ledger: ok, JSON: createdJSON},
		{Name: "create from stdin", Args: []string{"create", "-f", "-", "-o", "json"}, Ledger: ok, JSON: createdJSON,
			Stdin: `gtin: "09506000134352"
lot: L1
quantity: {value: "1000", uom: KGM}
producer: "9506000134376"
place: {geo: {latitude: 41.9, longitude: 12.5}, address: {city: Roma, country: IT}}
producedAt: "2025-06-01T06:00:00Z"
expiry: "2025-06-15T00:00:00Z"
farmingPractice: organic
`},
		{Name: "transform table", Args: transform, Ledger: ok, Out: lot2 + "\tactive\t1200 H87\tSupplierMSP\n"},
		{Name: "transform json", Args: append(transform, "-o", "json"), Ledger: ok, Out: `"lot": "` + lot1 + `"`},
		{Name: "show table", Args: []string{"show", lot1}, Ledger: ok, Out: "Remaining:      1000 KGM"},
		{Name: "show json", Args: []string{"show", lot1, "-o", "json"}, Ledger: ok, Out: `"custodian": "SupplierMSP"`},
		{Name: "show upstream table", Args: []string{"show", lot1, "--direction", "upstream"}, Ledger: ok, Out: lot2 + "\tactive\t1200 H87\tSupplierMSP\n"},
		{Name: "show downstream json", Args: []string{"show", lot1, "--direction", "downstream", "-o", "json"}, Ledger: ok, Out: `"direction": "downstream"`},
		{Name: "events", Args: []string{"events", lot1}, Ledger: ok,
			JSON: `{"type":"EPCISDocument","epcisBody":{"eventList":[{"type":"ObjectEvent","epcList":["` + lot1 + `"]}]}}`},

		{Name: "create without gtin", Args: []string{"create", "--lot", "L1"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "--gtin and --lot are required"},
		{Name: "create flags and file", Args: []string{"create", "-f", "-", "--gtin", "09506000134352"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "either as flags or with -f"},
		{Name: "create unknown field", Args: []string{"create", "-f", "-"}, Stdin: `{"gtin":"09506000134352","colour":"red"}`, Ledger: ok,
			Code: cmdutil.ExitUsage, Err: `unknown field "colour"`},
		{Name: "create bad output", Args: append(create, "-o", "xml"), Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown --output "xml"`},
		{Name: "transform without make", Args: []string{"transform", "--input", lot1 + "=600 KGM"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "at least one --input and one --make"},
		{Name: "transform bad quantity", Args: []string{"transform", "--input", lot1 + "=600", "--make", "g/l=1 H87@x"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "is not VALUE UOM"},
		{Name: "show without lot", Args: []string{"show"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "takes a lot's Digital Link, got 0 arguments"},
		{Name: "show bad direction", Args: []string{"show", lot1, "--direction", "sideways"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `--direction "sideways"`},
		{Name: "events two lots", Args: []string{"events", lot1, lot2}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "got 2 arguments"},

		{Name: "create forbidden", Args: create, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(client.ErrForbidden, "Batch:CreateBatch", "only a supplier may create a batch")}},
			Code: cmdutil.ExitRejected, Err: "Batch:CreateBatch rejected: only a supplier may create a batch"},
		{Name: "transform too much", Args: transform, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(client.ErrInvalid, "Batch:Transform", "lot L1 has 400 KGM left")}},
			Code: cmdutil.ExitRejected, Err: "400 KGM left"},
		{Name: "show unknown lot", Args: []string{"show", lot1}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(client.ErrNotFound, "Query:GetLot", "lot "+lot1+" not found")}},
			Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "upstream of unknown lot", Args: []string{"show", lot1, "--direction", "upstream"}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(client.ErrNotFound, "Query:Upstream", "lot not found")}},
			Code: cmdutil.ExitRejected, Err: "lot not found"},
		{Name: "events of unknown lot", Args: []string{"events", lot1}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(client.ErrNotFound, "Query:LotEvents", "lot not found")}},
			Code: cmdutil.ExitRejected, Err: "lot not found"},
		{Name: "create unreachable", Args: create, Ledger: cmdtest.Ledger{Err: cmdtest.Unavailable()}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable at 127.0.0.1:1"},
		{Name: "show unreachable", Args: []string{"show", lot1}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Unavailable()}}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
