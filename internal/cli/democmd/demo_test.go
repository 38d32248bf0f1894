package democmd_test

import (
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/democmd"
)

// TestDemoWithoutNetwork: demo's help, and the mistakes it refuses before
// it starts anything (every case fails before the testnet starts).
func TestDemoWithoutNetwork(t *testing.T) {
	dir := t.TempDir()
	cmdtest.RunCases(t, democmd.NewCmd, []cmdtest.Case{
		{Name: "help", Args: []string{"--help"}, Out: "trustline demo --public-url http://192.168.1.20:8480"},
		{Name: "help names the flags", Args: []string{"--help"}, Out: "--node-port int"},
		{Name: "node port too low", Args: []string{"--dir", dir, "--node-port", "80"}, Code: cmdutil.ExitUsage, Err: "--node-port 80 out of range"},
		{Name: "node port too high", Args: []string{"--dir", dir, "--node-port", "65534"}, Code: cmdutil.ExitUsage, Err: "--node-port 65534 out of range"},
		{Name: "public url without scheme", Args: []string{"--dir", dir, "--public-url", "192.168.1.20:8480"}, Code: cmdutil.ExitUsage,
			Err: `--public-url "192.168.1.20:8480" must start with http:// or https://`},
		{Name: "base port out of range", Args: []string{"--dir", dir, "--base-port", "80"}, Code: cmdutil.ExitUsage, Err: "base port 80 out of range"},
		{Name: "node port not a number", Args: []string{"--node-port", "high"}, Code: cmdutil.ExitUsage, Err: `invalid argument "high" for "--node-port"`},
		{Name: "unknown flag", Args: []string{"--bogus"}, Code: cmdutil.ExitUsage, Err: "unknown flag: --bogus"},
		{Name: "argument", Args: []string{"now"}, Code: cmdutil.ExitUsage, Err: `unknown command "now"`},
	})
}
