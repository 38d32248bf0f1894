package reportcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/api/apitest"
)

// TestReportThroughNode runs every report command against the real node
// API over the index fixture (apples L1 and L2 made into juice J1, packed,
// shipped to RetailerMSP, recalled).
func TestReportThroughNode(t *testing.T) {
	node := apitest.Server(t).URL
	stopped := apitest.Server(t)
	stopped.Close()
	none := cmdtest.Ledger{Err: cmdtest.Unavailable()} // reports never ask the ledger
	xlsx := filepath.Join(t.TempDir(), "fsma.xlsx")
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "fsma204 csv", Args: []string{"fsma204", "--lot", apitest.LotJuice, "--node", node}, Ledger: none,
			Out: "Shipping," + apitest.LotJuice + ",2025-06-06T00:00:00.000Z,SupplierMSP,,(01)09506000134369(10)J1"},
		{Name: "fsma204 json", Args: []string{"fsma204", "--lot", apitest.LotJuice, "--node", node, "-o", "json"}, Ledger: none,
			Out: `"type": "Transformation"`},
		{Name: "fsma204 by gtin", Args: []string{"fsma204", "--gtin", apitest.GTINApples, "--node", node}, Ledger: none, Out: "Harvesting," + apitest.LotApples},
		{Name: "fsma204 window", Args: []string{"fsma204", "--from", "2025-06-05", "--to", "2025-06-07", "--node", node, "-o", "json"}, Ledger: none, Out: `"type": "Shipping"`},
		{Name: "fsma204 xlsx", Args: []string{"fsma204", "--lot", apitest.LotJuice, "--node", node, "--format", "xlsx", "--out", xlsx}, Ledger: none, Err: "wrote " + xlsx},
		{Name: "fsma204 no selection", Args: []string{"fsma204", "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "select lots with --lot, --gtin or --from/--to"},
		{Name: "fsma204 lot and gtin", Args: []string{"fsma204", "--lot", apitest.LotJuice, "--gtin", apitest.GTINJuice, "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "not a lot and more"},
		{Name: "fsma204 product link", Args: []string{"fsma204", "--lot", "https://id.gs1.org/01/" + apitest.GTINJuice, "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "not a lot"},
		{Name: "fsma204 bad time", Args: []string{"fsma204", "--from", "yesterday", "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: `--from "yesterday"`},
		{Name: "fsma204 bad format", Args: []string{"fsma204", "--lot", apitest.LotJuice, "--format", "pdf", "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: `unknown --format "pdf"`},
		{Name: "fsma204 json and xlsx", Args: []string{"fsma204", "--lot", apitest.LotJuice, "--format", "xlsx", "-o", "json", "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "leave out --format"},
		{Name: "fsma204 unknown lot", Args: []string{"fsma204", "--lot", "https://id.gs1.org/01/" + apitest.GTINJuice + "/10/NOPE", "--node", node}, Ledger: none, Code: cmdutil.ExitRejected, Err: "not found"},
		{Name: "fsma204 node unreachable", Args: []string{"fsma204", "--lot", apitest.LotJuice, "--node", stopped.URL}, Ledger: none, Code: cmdutil.ExitUnavailable},
		{Name: "fsma204 without node", Args: []string{"fsma204", "--lot", apitest.LotJuice}, Ledger: none, Code: cmdutil.ExitUsage, Err: "no node"},
		{Name: "kde table", Args: []string{"kde", "--lot", apitest.LotJuice, "--by", "member", "--node", node}, Ledger: none,
			Out: "Member SupplierMSP: 0 of 4 CTEs complete"},
		{Name: "kde names the gap", Args: []string{"kde", "--lot", apitest.LotJuice, "--node", node}, Ledger: none,
			Out: "21 CFR 1.1340(a)(5)"},
		{Name: "kde json", Args: []string{"kde", "--lot", apitest.LotJuice, "--by", "lot", "--node", node, "-o", "json"}, Ledger: none, Out: `"key": "` + apitest.LotJuice + `"`},
		{Name: "kde csv", Args: []string{"kde", "--gtin", apitest.GTINJuice, "--format", "csv", "--node", node}, Ledger: none, Out: "product,CTEs,Complete CTEs"},
		{Name: "kde bad by", Args: []string{"kde", "--lot", apitest.LotJuice, "--by", "colour", "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: `unknown --by "colour"`},
		{Name: "eu178 csv", Args: []string{"eu178", "--lot", apitest.LotJuice, "--member", "RetailerMSP", "--node", node}, Ledger: none,
			Out: "back," + apitest.LotJuice + `,no,"Juice, Acme, fruit",30 LTR,SupplierMSP`},
		{Name: "eu178 json", Args: []string{"eu178", "--lot", apitest.LotJuice, "--member", "SupplierMSP", "--node", node, "-o", "json"}, Ledger: none, Out: `"direction": "forward"`},
		{Name: "eu178 no member", Args: []string{"eu178", "--lot", apitest.LotJuice, "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: "needs --lot LINK and --member MSP"},
		{Name: "expiring table", Args: []string{"expiring", "--within", "7d", "--as-of", "2025-11-25T12:00:00Z", "--node", node}, Ledger: none,
			Out: "SupplierMSP  " + apitest.LotJuice},
		{Name: "expiring json", Args: []string{"expiring", "--within", "7d", "--as-of", "2025-11-25", "--node", node, "-o", "json"}, Ledger: none, Out: `"daysLeft": 6`},
		{Name: "expiring none", Args: []string{"expiring", "--within", "1d", "--as-of", "2025-11-25", "--node", node}, Ledger: none, Out: "No lots expire"},
		{Name: "expiring bad window", Args: []string{"expiring", "--within", "soon", "--node", node}, Ledger: none, Code: cmdutil.ExitUsage, Err: `--within: "soon"`},
	})
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), "|"); !strings.HasPrefix(got, "All CTEs|Harvesting|Cooling") {
		t.Errorf("sheets %s", got)
	}
	rows, _ := f.GetRows("Shipping")
	if len(rows) != 2 || rows[1][1] != apitest.LotJuice {
		t.Errorf("Shipping sheet %v", rows)
	}
	if _, err := os.Stat(xlsx); err != nil {
		t.Fatal(err)
	}
}
