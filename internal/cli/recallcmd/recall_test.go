package recallcmd

import (
	"context"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

type fakeLedger struct{ err error }

func (f fakeLedger) Recall(_ context.Context, lot, reason, class string, _ ...client.CallOption) (*ledger.Recall, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.Recall{Lot: lot, Reason: reason, Class: class, RecalledBy: "BrandMSP", RecalledAt: "2025-06-03T10:00:00Z", TxID: "tx9", EventID: "ni:///sha-256;ab"}, nil
}

func (fakeLedger) Close() error { return nil }

func TestRecall(t *testing.T) {
	const lot = "https://id.gs1.org/01/09506000134352/10/L1"
	ok := cmdtest.Ledger{Client: fakeLedger{}}
	args := []string{lot, "--reason", "Salmonella", "--class", "I"}
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "table", Args: args, Ledger: ok, Out: "Recalled:     " + lot + "\nClass:        I\nReason:       Salmonella\nBy:           BrandMSP"},
		{Name: "json", Args: append(args, "-o", "json"), Ledger: ok,
			JSON: `{"lot":"` + lot + `","reason":"Salmonella","class":"I","recalledBy":"BrandMSP","recalledAt":"2025-06-03T10:00:00Z","txId":"tx9","eventId":"ni:///sha-256;ab"}`},
		{Name: "default class", Args: []string{lot, "--reason", "x", "-o", "json"}, Ledger: ok, Out: `"class": "II"`},
		{Name: "no lot", Args: []string{"--reason", "x"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "a lot's Digital Link"},
		{Name: "no reason", Args: []string{lot}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "--reason is required"},
		{Name: "bad class", Args: []string{lot, "--reason", "x", "--class", "IV"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `--class "IV"`},
		{Name: "bad output", Args: append(args, "-o", "yaml"), Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown --output "yaml"`},
		{Name: "not the owner", Args: args, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Rejected("Product:Recall", "only the product's brand (BrandMSP) may recall")}},
			Code: cmdutil.ExitRejected, Err: "only the product's brand (BrandMSP) may recall"},
		{Name: "unreachable", Args: args, Ledger: cmdtest.Ledger{Err: cmdtest.Unavailable()}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
