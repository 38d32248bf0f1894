package membership_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/e2e/e2eload"
	"github.com/trustline/trustline/internal/cli/consortiumcmd"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationMembershipUpgrade: the chaincode is upgraded by the
// members' vote while workers keep writing, each write retried until it
// commits; afterwards the ledger holds every write exactly once (counted
// by transaction id), and a member's node indexed across the change.
func TestIntegrationMembershipUpgrade(t *testing.T) {
	n := testkit.Network(t)
	c, tmp := buildCLI(t, n)
	ctx := context.Background()
	dir := func(org string) string { return n.OrgDir(org) }
	chaincodeStatus := func() *consortiumcmd.ChaincodeStatus {
		t.Helper()
		var st consortiumcmd.Status
		out := c.Must("consortium", "status", "--org-dir", dir(testnet.Brand), "--profile", testnet.Brand, "-o", "json")
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		return st.Chaincode
	}
	before := chaincodeStatus()
	if before == nil || before.Err != "" {
		t.Fatalf("chaincode status before: %+v", before)
	}
	version := fmt.Sprintf("%s.1", before.Version)
	t.Logf("before: chaincode %s version %s sequence %d", before.Name, before.Version, before.Sequence)

	// Brand's node follows the ledger through the change.
	nd := startNode(t, c, n, testnet.Brand, filepath.Join(tmp, "node-brand"), 27482)
	waitIndexed(t, nd, peerHeight(t, n, testnet.Brand), 3*time.Minute)

	conns := map[string]*tlclient.GatewayConn{}
	for _, org := range testnet.Orgs {
		conns[org] = dial(t, n, org)
	}
	startHeight := peerHeight(t, n, testnet.Brand)
	l := e2eload.Start(conns, 4)
	defer l.Stop(time.Minute)
	if !l.WaitCommits(time.Now(), 5, time.Minute) {
		t.Fatalf("the load commits nothing")
	}

	refused := func(want string, args ...string) {
		t.Helper()
		out, errOut, code := c.Run(args...)
		if code != 3 || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("trustline %s: exit %d, want 3 and one line naming %q\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		if st := chaincodeStatus(); st.Version != before.Version || st.Sequence != before.Sequence {
			t.Errorf("after a refused %s the chaincode is %s sequence %d", args[1], st.Version, st.Sequence)
		}
	}
	// approve starts org's chaincode server of the new version next to the
	// old one, then installs org's package of it and approves it.
	ids := map[string]string{}
	tStart := time.Now()
	step := func(what string) {
		t.Logf("%6.1fs %s (%d commits so far)", time.Since(tStart).Seconds(), what, len(l.Since(time.Time{})))
	}
	approve := func(org, cmd string) {
		t.Helper()
		defer step(org + " " + cmd)
		args := []string{"chaincode", cmd, "--org-dir", dir(org), "--version", version, "--address", n.NextChaincodeAddress(org)}
		ids[org] = strings.TrimSpace(c.Must(append(args, "--print-package-id")...))
		if err := n.StartNextChaincode(ctx, org, ids[org]); err != nil {
			t.Fatal(err)
		}
		if id := strings.TrimSpace(c.Must(args...)); id != ids[org] {
			t.Fatalf("%s installed package %s, its server runs %s", org, id, ids[org])
		}
	}

	t0 := time.Now()
	refused("no member approved trustline version "+version+" sequence "+fmt.Sprint(before.Sequence+1)+" yet",
		"chaincode", "approve-upgrade", "--org-dir", dir(testnet.Supplier), "--version", version, "--address", n.NextChaincodeAddress(testnet.Supplier))
	approve(testnet.Brand, "propose-upgrade")
	refused("too few approvals: 1 of 4 members approved trustline version "+version,
		"chaincode", "commit-upgrade", "--org-dir", dir(testnet.Lab), "--version", version)
	approve(testnet.Supplier, "approve-upgrade")
	refused("too few approvals: 2 of 4 members approved", "chaincode", "commit-upgrade", "--org-dir", dir(testnet.Lab), "--version", version)
	approve(testnet.Lab, "approve-upgrade")
	tc := time.Now()
	out := c.Must("chaincode", "commit-upgrade", "--org-dir", dir(testnet.Lab), "--version", version)
	if strings.TrimSpace(out) != fmt.Sprint(before.Sequence+1) {
		t.Errorf("commit-upgrade printed %q, want the new sequence %d", out, before.Sequence+1)
	}
	step("committed")
	// The fourth member approves after the commit, as a late member does.
	approve(testnet.Logistics, "approve-upgrade")
	// The old servers stop once every peer has the new definition.
	for _, org := range testnet.Orgs {
		waitDefinition(t, conns[org], before.Sequence+1, time.Minute)
	}
	step("every peer has the new definition")
	for _, org := range testnet.Orgs {
		if err := n.RetireChaincode(org, ids[org]); err != nil {
			t.Fatal(err)
		}
	}
	step("old servers stopped")
	tEnd := time.Now()
	if after := chaincodeStatus(); after.Version != version || after.Sequence != before.Sequence+1 {
		t.Errorf("chaincode after the upgrade: %+v", after)
	}
	// Only the new servers run now: the load must go on on them.
	if !l.WaitCommits(time.Now(), 20, time.Minute) {
		t.Fatalf("commits stalled after the old chaincode servers stopped")
	}
	gap := l.LongestGap(tc, tEnd)
	t.Logf("FIGURE chaincode upgrade by vote (first proposal to the old servers stopped, with 3 refusal checks): %s; commit to old servers stopped %s; longest commit gap from the commit on: %s",
		tEnd.Sub(t0).Round(100*time.Millisecond), tEnd.Sub(tc).Round(100*time.Millisecond), gap.Round(10*time.Millisecond))

	step("load goes on on the new servers")
	l.Stop(2 * time.Minute)
	step("load stopped")
	endHeight := ledgerTop(t, n)

	// Count: every write the load made is on the ledger exactly once.
	count := countWrites(t, l, conns[testnet.Brand], startHeight, endHeight)
	t.Logf("FIGURE upgrade under load: %s (retried: refused or invalidated, none on the ledger as valid), blocks %d to %d (load average %s)",
		count, startHeight, endHeight-1, loadAverage())
	for _, r := range l.Reasons() {
		t.Logf("retry reason: %s", r)
	}
	if !count.Exact() {
		t.Errorf("%s; want each write on the ledger exactly once", count)
	}

	// The node indexed across the version change.
	waitIndexed(t, nd, endHeight, 2*time.Minute)
}

// buildCLI builds the trustline command once per package run, into the
// network's state directory.
func buildCLI(t testing.TB, n *testnet.Network) (*e2ecli.CLI, string) {
	t.Helper()
	cliOnce.Do(func() {
		cliBin = filepath.Join(n.Dir(), "trustline-under-test")
		if b, err := exec.Command("go", "build", "-o", cliBin, "github.com/trustline/trustline/cmd/trustline").CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("building trustline: %v\n%s", err, b)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	tmp := t.TempDir()
	return &e2ecli.CLI{T: t, Bin: cliBin, Dir: n.Dir(), Tmp: tmp}, tmp
}

var (
	cliOnce sync.Once
	cliBin  string
	cliErr  error
)

// waitDefinition waits until the peer behind conn has committed sequence
// of the chaincode definition.
func waitDefinition(t *testing.T, conn *tlclient.GatewayConn, sequence int64, within time.Duration) {
	t.Helper()
	arg, _ := proto.Marshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: testnet.ChaincodeName})
	for deadline := time.Now().Add(within); ; time.Sleep(200 * time.Millisecond) {
		var seq int64
		b, err := conn.Network().GetContract("_lifecycle").Evaluate("QueryChaincodeDefinition", client.WithBytesArguments(arg))
		if err == nil {
			var r lifecycle.QueryChaincodeDefinitionResult
			if err = proto.Unmarshal(b, &r); err == nil {
				seq = r.Sequence
			}
		}
		if err == nil && seq >= sequence {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's peer has not committed sequence %d within %s (at %d, %v)", conn.Config().MSPID, sequence, within, seq, err)
		}
	}
}
