package testnetcmd_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

func status(t *testing.T, dir string) (*testnet.Status, int) {
	t.Helper()
	r := clitest.Run(t, "", "testnet", "status", "--dir", dir, "--output", "json")
	var st testnet.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --output json: %v\nstdout: %s\nstderr: %s", err, r.Stdout, r.Stderr)
	}
	return &st, r.Code
}

// The commands a user types, end to end: up, status, env, up again, down.
func TestIntegrationCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts a real testnet")
	}
	dir := t.TempDir()
	cc, err := testkit.BuildChaincode(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRUSTLINE_CHAINCODE_BIN", cc)
	base, err := testkit.FreeBasePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		clitest.Run(t, "", "testnet", "down", "--dir", dir)
	})

	r := clitest.Run(t, "", "testnet", "up", "--dir", dir, "--base-port", fmt.Sprint(base))
	if r.Code != 0 {
		t.Fatalf("testnet up: exit %d\n%s", r.Code, r.Stderr)
	}
	t.Logf("testnet up:\n%s", r.Stderr)

	st, code := status(t, dir)
	if code != 0 || !st.Healthy() {
		t.Fatalf("status: exit %d, healthy %v: %+v", code, st.Healthy(), st)
	}
	alive := map[string]int{}
	for _, p := range st.Processes {
		if p.Alive {
			alive[p.Kind]++
		}
	}
	if fmt.Sprint(alive) != fmt.Sprint(map[string]int{"chaincode": 4, "geth": 1, "orderer": 4, "peer": 4}) {
		t.Errorf("alive processes by kind: %v", alive)
	}
	if !st.Chaincode.Committed || len(st.Channel.Peers) != 4 || st.Ethereum == nil {
		t.Errorf("chaincode %+v, %d peers, ethereum %+v", st.Chaincode, len(st.Channel.Peers), st.Ethereum)
	}

	r = clitest.Run(t, "", "testnet", "env", "lab", "--dir", dir, "-o", "json")
	var p testnet.Profile
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &p) != nil || p.MSPID != "LabMSP" || p.GatewayAddress != fmt.Sprintf("127.0.0.1:%d", base+20) {
		t.Errorf("env lab: exit %d, profile %+v", r.Code, p)
	}
	r = clitest.Run(t, "", "testnet", "env", "supplier", "--dir", dir)
	if !strings.Contains(r.Stdout, "export TRUSTLINE_MSP_ID='SupplierMSP'") {
		t.Errorf("env supplier:\n%s", r.Stdout)
	}

	// up again: nothing changes.
	r = clitest.Run(t, "", "testnet", "up", "--dir", dir)
	if r.Code != 0 {
		t.Fatalf("second testnet up: exit %d\n%s", r.Code, r.Stderr)
	}
	again, _ := status(t, dir)
	for i, p := range again.Processes {
		if p.PID != st.Processes[i].PID {
			t.Errorf("%s: pid %d after second up, was %d", p.Name, p.PID, st.Processes[i].PID)
		}
	}

	r = clitest.Run(t, "", "testnet", "down", "--dir", dir)
	if r.Code != 0 {
		t.Fatalf("testnet down: exit %d\n%s", r.Code, r.Stderr)
	}
	down, code := status(t, dir)
	if code != cmdutil.ExitUnavailable {
		t.Errorf("status after down: exit %d, want %d", code, cmdutil.ExitUnavailable)
	}
	for _, p := range down.Processes {
		if p.Alive {
			t.Errorf("%s (pid %d) still alive after down", p.Name, p.PID)
		}
	}
	for _, p := range st.Processes {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", p.PID)); err == nil {
			if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.PID)); strings.Contains(string(cmdline), dir) {
				t.Errorf("%s (pid %d) still running after down", p.Name, p.PID)
			}
		}
	}
}
