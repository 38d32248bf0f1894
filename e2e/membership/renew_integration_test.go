package membership_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/e2e/e2eload"
	"github.com/trustline/trustline/internal/cli/consortiumcmd"
	"github.com/trustline/trustline/orgca"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationMembershipRenewal: the lab renews its peer's enrollment
// and TLS certificates from its own CAs while workers keep writing, and
// restarts the peer to take them up (Fabric peers read certificates only at
// start). Writes routed to the lab's gateway during the restart are
// retried through another member's; none is lost or duplicated. Then the
// peer serves with the renewed certificates: it endorses (its new
// enrollment certificate signs an endorsement the validators accept) and
// `consortium status` shows the new expiry of the TLS certificate it
// presents.
func TestIntegrationMembershipRenewal(t *testing.T) {
	n := testkit.Network(t)
	c, _ := buildCLI(t, n)
	ctx := context.Background()
	org := testnet.Lab
	served := func() consortiumcmd.ExpiryStatus {
		t.Helper()
		var st consortiumcmd.Status
		out := c.Must("consortium", "status", "--org-dir", n.OrgDir(org), "-o", "json")
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		for _, e := range st.Expiries {
			if e.What == "peer TLS (served)" {
				return e
			}
		}
		t.Fatalf("status shows no certificate served by %s's peer: %s", org, out)
		return consortiumcmd.ExpiryStatus{}
	}
	before := served()

	conns := map[string]*tlclient.GatewayConn{}
	for _, o := range testnet.Orgs {
		conns[o] = dial(t, n, o)
	}
	startHeight := peerHeight(t, n, testnet.Brand)
	l := e2eload.Start(conns, 4)
	defer l.Stop(time.Minute)
	if !l.WaitCommits(time.Now(), 5, time.Minute) {
		t.Fatalf("the load commits nothing")
	}

	t0 := time.Now()
	out := c.Must("org", "renew", "--dir", n.OrgDir(org), "--name", orgca.Peer)
	renewed, err := time.Parse(time.RFC3339, strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	tr := time.Now()
	if err := n.Reload(ctx, "peer."+org); err != nil {
		t.Fatal(err)
	}
	restart := time.Since(tr)
	// The peer endorses with its renewed identity: a transaction the lab
	// endorses (with two others, the MAJORITY policy) commits valid.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		prop, err := conns[testnet.Brand].Contract().NewProposal("System:Ping", client.WithArguments(fmt.Sprintf("renewed-%d", time.Now().UnixNano())),
			client.WithEndorsingOrganizations("LabMSP", "BrandMSP", "SupplierMSP"))
		if err != nil {
			t.Fatal(err)
		}
		var st *client.Status
		tx, err := prop.Endorse()
		if err == nil {
			var cm *client.Commit
			if cm, err = tx.Submit(); err == nil {
				st, err = cm.Status()
			}
		}
		if err == nil && st.Successful {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lab's peer does not endorse with its renewed certificate: %v %v", err, st)
		}
	}
	endorsing := time.Since(tr)
	// Its gateway serves again too.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		if _, err := conns[org].Contract().Submit("System:Ping", client.WithArguments(fmt.Sprintf("lab-gw-%d", time.Now().UnixNano()))); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the lab's gateway does not serve after the restart: %v", err)
		}
	}
	after := served()
	if !after.NotAfter.Equal(renewed) || after.NotAfter.Equal(before.NotAfter) {
		t.Errorf("status shows the lab's peer TLS certificate expiring %s (before %s), want the renewed %s", after.NotAfter, before.NotAfter, renewed)
	}
	tEnd := time.Now()
	if !l.WaitCommits(tEnd, 20, time.Minute) {
		t.Fatalf("commits stalled after the renewal")
	}
	l.Stop(2 * time.Minute)
	endHeight := ledgerTop(t, n)
	count := countWrites(t, l, conns[testnet.Brand], startHeight, endHeight)
	t.Logf("FIGURE certificate renewal of the lab's peer: renew %s, restart to listening %s, endorsing with the new identity %s after the restart began; longest commit gap %s; peer TLS expiry %s → %s (load average %s)",
		tr.Sub(t0).Round(10*time.Millisecond), restart.Round(10*time.Millisecond), endorsing.Round(100*time.Millisecond),
		l.LongestGap(t0, tEnd).Round(10*time.Millisecond), before.NotAfter.Format(time.RFC3339), after.NotAfter.Format(time.RFC3339),
		loadAverage())
	t.Logf("FIGURE renewal under load: %s", count)
	for _, r := range l.Reasons() {
		t.Logf("retry reason: %s", r)
	}
	if !count.Exact() {
		t.Errorf("%s; want each write on the ledger exactly once", count)
	}
}
