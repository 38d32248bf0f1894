package democmd_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// The demo end to end on its own network: the story is played as the four
// organisations, every organisation's node serves the unit's trace, and the
// command prints the URL and QR code. A second run records a new story on
// the same network.
func TestIntegrationDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts a real testnet")
	}
	cc, err := testkit.BuildChaincode(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRUSTLINE_CHAINCODE_BIN", cc)
	base, err := testkit.FreeBasePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n, err := testnet.New(testnet.Config{Dir: dir, BasePort: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	// The nodes' ports sit in the network's block, above its own ports.
	nodePort := base + 80

	for run := 1; run <= 2; run++ {
		ios, _, out, errOut := iostreams.Test()
		root := cli.NewRootCmd(ios)
		root.SetArgs([]string{"demo", "--dir", dir, "--base-port", fmt.Sprint(base), "--node-port", fmt.Sprint(nodePort), "--exit"})
		err := root.ExecuteContext(context.Background())
		if code := cmdutil.ExitCode(err); code != 0 {
			t.Fatalf("run %d: exit %d: %v\n%s", run, code, err, errOut)
		}
		t.Logf("run %d:\n%s", run, errOut)
		want := fmt.Sprintf("http://127.0.0.1:%d/01/", nodePort)
		if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "█") {
			t.Errorf("run %d: output lacks the unit URL (%s…) or the QR code:\n%s", run, want, out)
		}
		if !strings.Contains(errOut.String(), "anchored in Ethereum; receipt:") {
			t.Errorf("run %d: the jar's events were not anchored:\n%s", run, errOut)
		}
		if got := strings.Count(errOut.String(), "(index caught up)"); got != 4 {
			t.Errorf("run %d: %d nodes caught up, want 4", run, got)
		}
		if run == 2 && strings.Count(errOut.String(), "already on the ledger") != 7 {
			t.Errorf("second run did not skip the products, claims and lab signer:\n%s", errOut)
		}
	}
}
