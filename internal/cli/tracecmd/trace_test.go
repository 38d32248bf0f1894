package tracecmd

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/api/apitest"
)

// TestTraceThroughNode runs trace and events query against the real node
// API over the index fixture.
func TestTraceThroughNode(t *testing.T) {
	node := apitest.Server(t).URL
	stopped := apitest.Server(t)
	stopped.Close()
	none := cmdtest.Ledger{Err: cmdtest.Unavailable()} // the ledger is never asked when --node is given
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "lot table", Args: []string{apitest.LotJuice, "--node", node}, Ledger: none, Out: "recalled"},
		{Name: "lot json", Args: []string{apitest.LotJuice, "--node", node, "-o", "json"}, Ledger: none, Out: `"status": "recalled"`},
		{Name: "any resolver host", Args: []string{"https://example.com/01/" + apitest.GTINJuice + "/10/J1?17=261231", "--node", node, "-o", "json"}, Ledger: none,
			Out: `"id": "` + apitest.LotJuice + `"`},
		{Name: "product link", Args: []string{"https://id.gs1.org/01/" + apitest.GTINJuice, "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "trace takes a lot or unit"},
		{Name: "no argument", Args: []string{"--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "a Digital Link or a QR code image"},
		{Name: "bad output", Args: []string{apitest.LotJuice, "--node", node, "-o", "csv"}, Ledger: none, Code: cmdutil.ExitUsage, Err: `unknown --output "csv"`},
		{Name: "unknown lot", Args: []string{"https://id.gs1.org/01/" + apitest.GTINJuice + "/10/NOPE", "--node", node}, Ledger: none,
			Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "node unreachable", Args: []string{apitest.LotJuice, "--node", stopped.URL}, Ledger: none, Code: cmdutil.ExitUnavailable},
		{Name: "ledger unreachable", Args: []string{apitest.LotJuice}, Ledger: none, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
	cmdtest.RunCases(t, NewEventsCmd, []cmdtest.Case{
		{Name: "events table", Args: []string{"query", "--node", node, "--epc-class", apitest.LotJuice}, Ledger: none, Out: "TransformationEvent  commissioning"},
		{Name: "events json", Args: []string{"query", "--node", node, "--epc-class", apitest.LotJuice, "-o", "json"}, Ledger: none, Out: `"type": "EPCISQueryDocument"`},
		{Name: "events all pages", Args: []string{"query", "--node", node, "--per-page", "1", "--all", "-o", "json"}, Ledger: none, Out: `"eventID"`},
		{Name: "events without node", Args: []string{"query"}, Ledger: none, Code: cmdutil.ExitUsage, Err: "no node"},
		{Name: "events bad time", Args: []string{"query", "--node", node, "--from", "yesterday"}, Ledger: none, Code: cmdutil.ExitUsage, Err: `--from "yesterday"`},
		{Name: "events node unreachable", Args: []string{"query", "--node", stopped.URL}, Ledger: none, Code: cmdutil.ExitUnavailable},
	})
}

// TestTraceHelpPlaceholder: --receipt's placeholder is FILE (pflag takes
// the first back-quoted word of a usage as the placeholder).
func TestTraceHelpPlaceholder(t *testing.T) {
	r := cmdtest.Run(t, NewCmd, cmdtest.Ledger{}, "", "--help")
	if r.Code != 0 || !strings.Contains(r.Stdout, "--receipt FILE") || strings.Contains(r.Stdout, "--receipt trustline verify") {
		t.Fatalf("trace --help: exit %d\n%s", r.Code, r.Stdout)
	}
}
