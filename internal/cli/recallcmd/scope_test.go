package recallcmd

import (
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/api/apitest"
)

// TestScopeThroughNode runs recall scope against the real node API over
// the index fixture: apples L1 reaches juice J1, its jars, its pallet and
// its shipment to RetailerMSP. The public listener answers /recall/scope
// 401 (computed from its traces then); the member listener computes it,
// for a client certificate of the organisation's CA.
func TestScopeThroughNode(t *testing.T) {
	node := apitest.Server(t).URL // serves no /recall/scope: computed from its traces
	n := apitest.Start(t, &apitest.Options{Members: true})
	id := n.Org.Identity(apitest.MemberClient)
	// The member listener, with the member client's certificate.
	byNode := func(args ...string) []string {
		return append(args, "--node", n.Members.URL, "--node-cert", id.TLSCertFile(), "--node-key", id.TLSKeyFile(), "--node-ca", n.Org.TLSCAFile())
	}
	stopped := apitest.Server(t)
	stopped.Close()
	none := cmdtest.Ledger{Err: cmdtest.Unavailable()} // scope never asks the ledger
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "table", Args: []string{"scope", apitest.LotApples, "--node", node}, Ledger: none,
			Out: "reaches 2 lots, 1 logistic units and 2 serialised units (computed from the node's traces"},
		{Name: "by the node", Args: byNode("scope", apitest.LotApples), Ledger: none,
			Out: "reaches 2 lots, 1 logistic units and 2 serialised units (computed by the node"},
		{Name: "by the node json", Args: byNode("scope", apitest.LotApples, "-o", "json"), Ledger: none, Out: `"` + apitest.LotJuice + `/21/S1"`},
		{Name: "unknown lot by the node", Args: byNode("scope", "https://id.gs1.org/01/"+apitest.GTINApples+"/10/NOPE"), Ledger: none, Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "shipment", Args: []string{"scope", apitest.LotApples, "--node", node}, Ledger: none, Out: "SupplierMSP → RetailerMSP  30 LTR"},
		{Name: "json", Args: []string{"scope", apitest.LotApples, "--node", node, "-o", "json"}, Ledger: none, Out: `"` + apitest.LotJuice + `/21/S1"`},
		{Name: "product link", Args: []string{"scope", "https://id.gs1.org/01/" + apitest.GTINApples, "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "not a lot"},
		{Name: "no lot", Args: []string{"scope", "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "a lot's Digital Link"},
		{Name: "unknown lot", Args: []string{"scope", "https://id.gs1.org/01/" + apitest.GTINApples + "/10/NOPE", "--node", node}, Ledger: none, Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "node unreachable", Args: []string{"scope", apitest.LotApples, "--node", stopped.URL}, Ledger: none, Code: cmdutil.ExitUnavailable},
		{Name: "no client certificate", Args: []string{"scope", apitest.LotApples, "--node", n.Members.URL, "--node-ca", n.Org.TLSCAFile()}, Ledger: none,
			Code: cmdutil.ExitRejected, Err: "client certificate"},
		{Name: "certificate without key", Args: []string{"scope", apitest.LotApples, "--node", n.Members.URL, "--node-cert", id.TLSCertFile()}, Ledger: none,
			Code: cmdutil.ExitUsage, Err: "--node-cert and --node-key go together"},
		{Name: "without node", Args: []string{"scope", apitest.LotApples}, Ledger: none, Code: cmdutil.ExitUsage, Err: "no node"},
	})
}
