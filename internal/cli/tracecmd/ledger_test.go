package tracecmd

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

// fakeLedger answers trace's queries as the chaincode would, or with err.
type fakeLedger struct{ err error }

func (f fakeLedger) Unit(_ context.Context, unit string, _ ...client.CallOption) (*ledger.Unit, error) {
	return &ledger.Unit{ID: unit, Serial: "0001"}, f.err
}

func (f fakeLedger) Lot(_ context.Context, lot string, _ ...client.CallOption) (*ledger.LotSummary, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.LotSummary{ID: lot, Custodian: "SupplierMSP", Status: "recalled",
		Recall: &ledger.Recall{Class: "I", Reason: "Salmonella", RecalledBy: "BrandMSP"}}, nil
}

func (f fakeLedger) Upstream(context.Context, string, ...client.CallOption) (*ledger.Trace, error) {
	return &ledger.Trace{}, nil
}

func (f fakeLedger) Downstream(context.Context, string, ...client.CallOption) (*ledger.Trace, error) {
	return &ledger.Trace{}, nil
}

func (f fakeLedger) Product(_ context.Context, gtin string, _ ...client.CallOption) (*ledger.Product, error) {
	return &ledger.Product{GTIN: gtin, Name: "Tomatoes", Brand: "Acme"}, nil
}

func (f fakeLedger) LotEvents(context.Context, string, ...client.CallOption) (json.RawMessage, error) {
	return json.RawMessage(`{"epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2025-06-01T08:00:00Z","bizStep":"commissioning"}]}}`), nil
}

func (fakeLedger) Close() error { return nil }

// TestTraceFromLedger: without a node, trace asks the ledger.
func TestTraceFromLedger(t *testing.T) {
	const lot = "https://id.gs1.org/01/09506000134352/10/L1"
	ok := cmdtest.Ledger{Client: fakeLedger{}}
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "table", Args: []string{lot}, Ledger: ok, Out: "Tomatoes (Acme)"},
		{Name: "recall in table", Args: []string{lot}, Ledger: ok, Out: "class I: Salmonella"},
		{Name: "events in table", Args: []string{lot}, Ledger: ok, Out: "ObjectEvent          commissioning"},
		{Name: "unit json", Args: []string{lot + "/21/0001", "-o", "json"}, Ledger: ok, Out: `"serial": "0001"`},
		{Name: "refused", Args: []string{lot}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Rejected("Query:Lot", "lot "+lot+" not found")}},
			Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "unreachable", Args: []string{lot}, Ledger: cmdtest.Ledger{Err: cmdtest.Unavailable()}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
