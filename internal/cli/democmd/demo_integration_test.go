package democmd_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/clitest"
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
		r := clitest.Run(t, "", "demo", "--dir", dir, "--base-port", fmt.Sprint(base), "--node-port", fmt.Sprint(nodePort), "--exit")
		if r.Code != 0 {
			t.Fatalf("run %d: exit %d\n%s", run, r.Code, r.Stderr)
		}
		t.Logf("run %d:\n%s", run, r.Stderr)
		want := fmt.Sprintf("http://127.0.0.1:%d/01/", nodePort)
		if !strings.Contains(r.Stdout, want) || !strings.Contains(r.Stdout, "█") {
			t.Errorf("run %d: output lacks the unit URL (%s…) or the QR code:\n%s", run, want, r.Stdout)
		}
		if !strings.Contains(r.Stderr, "anchored in Ethereum; receipt:") {
			t.Errorf("run %d: the jar's events were not anchored:\n%s", run, r.Stderr)
		}
		if got := strings.Count(r.Stderr, "(index caught up)"); got != 4 {
			t.Errorf("run %d: %d nodes caught up, want 4", run, got)
		}
		if run == 2 && strings.Count(r.Stderr, "already on the ledger") != 7 {
			t.Errorf("second run did not skip the products, claims and lab signer:\n%s", r.Stderr)
		}
	}
}
