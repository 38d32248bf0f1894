package scanscmd

import (
	"net/http"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/api/apitest"
)

// TestScansThroughNode scans the fixture's pages on the real node API in
// three languages, then reads the counts with the command.
func TestScansThroughNode(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Members: true})
	public := n.URL // the public listener: no /scans (401)
	id := n.Org.Identity(apitest.MemberClient)
	// The member listener, with the member client's certificate.
	member := []string{"--node", n.Members.URL, "--node-cert", id.TLSCertFile(), "--node-key", id.TLSKeyFile(), "--node-ca", n.Org.TLSCAFile()}
	byNode := func(args ...string) []string { return append(args, member...) }
	for _, s := range []struct {
		path, lang string
		times      int
	}{
		{"/01/" + apitest.GTINJuice + "/10/J1", "de-CH", 3},
		{"/01/" + apitest.GTINJuice + "/10/J1/21/S1", "zh-CN", 2},
		{"/01/" + apitest.GTINApples + "/10/L1", "en-GB", 1},
	} {
		for range s.times {
			req, _ := http.NewRequest(http.MethodGet, n.URL+s.path, nil)
			req.Header.Set("Accept", "text/html")
			req.Header.Set("Accept-Language", s.lang)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", s.path, resp.StatusCode)
			}
		}
	}
	if err := n.Scans.Flush(); err != nil {
		t.Fatal(err)
	}
	none := cmdtest.Ledger{Err: cmdtest.Unavailable()} // scans never ask the ledger
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "by lot", Args: byNode(), Ledger: none, Out: apitest.GTINJuice + "  J1   5"},
		{Name: "total", Args: byNode(), Ledger: none, Out: "6 scans."},
		{Name: "by country", Args: byNode("--lot", apitest.LotJuice, "--by", "lang,country"), Ledger: none, Out: "de    CH       3"},
		{Name: "json", Args: byNode("--by", "lang", "-o", "json"), Ledger: none, Out: `"lang": "zh",`},
		{Name: "nothing in the window", Args: byNode("--to", "2000-01-01"), Ledger: none, Out: "No scans counted."},
		{Name: "bad by", Args: byNode("--by", "ip"), Ledger: none, Code: cmdutil.ExitUsage, Err: `unknown --by "ip"`},
		{Name: "bad day", Args: byNode("--from", "last week"), Ledger: none, Code: cmdutil.ExitUsage, Err: `--from "last week" is not a date`},
		{Name: "bad lot", Args: byNode("--lot", "https://id.gs1.org/01/"+apitest.GTINJuice), Ledger: none, Code: cmdutil.ExitRejected, Err: "not a lot's"},
		{Name: "node without reports", Args: []string{"--node", public}, Ledger: none, Code: cmdutil.ExitRejected, Err: "does not serve scan counts"},
		{Name: "without node", Ledger: none, Code: cmdutil.ExitUsage, Err: "no node"},
	})
}
