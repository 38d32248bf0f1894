package unitscmd

import (
	"context"
	"slices"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

type fakeLedger struct{ err error }

func (f fakeLedger) CommissionUnits(_ context.Context, lot string, serials []string, _ ...client.CallOption) ([]ledger.Unit, error) {
	if f.err != nil {
		return nil, f.err
	}
	var us []ledger.Unit
	for _, s := range serials {
		us = append(us, ledger.Unit{ID: lot + "/21/" + s, Serial: s, LotID: lot})
	}
	return us, nil
}

func (fakeLedger) Close() error { return nil }

func TestUnitsCommission(t *testing.T) {
	const lot = "https://id.gs1.org/01/09506000134369/10/S1"
	ok := cmdtest.Ledger{Client: fakeLedger{}}
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "table", Args: []string{"commission", lot, "--serial", "0001", "--serial", "0002"}, Ledger: ok,
			Out: lot + "/21/0001\n" + lot + "/21/0002\n"},
		{Name: "serials from stdin", Args: []string{"commission", lot, "--serials-file", "-"}, Stdin: "# batch 1\n0003\n\n0004\n", Ledger: ok,
			Out: lot + "/21/0003\n" + lot + "/21/0004\n"},
		{Name: "json", Args: []string{"commission", lot, "--serial", "0001", "-o", "json"}, Ledger: ok, Out: `"serial": "0001"`},
		{Name: "no serials", Args: []string{"commission", lot}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "no serials"},
		{Name: "no lot", Args: []string{"commission"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "a lot's Digital Link"},
		{Name: "missing serials file", Args: []string{"commission", lot, "--serials-file", "/nonexistent/serials"}, Ledger: ok, Code: cmdutil.ExitUsage},
		{Name: "refused", Args: []string{"commission", lot, "--serial", "1"}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Rejected("Product:CommissionUnits", "unit already commissioned")}},
			Code: cmdutil.ExitRejected, Err: "unit already commissioned"},
		{Name: "unreachable", Args: []string{"commission", lot, "--serial", "1"}, Ledger: cmdtest.Ledger{Err: cmdtest.Unavailable()}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}

func TestParseSerials(t *testing.T) {
	if got := ParseSerials([]byte(" a \n#c\n\nb\n")); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("ParseSerials = %q", got)
	}
}
