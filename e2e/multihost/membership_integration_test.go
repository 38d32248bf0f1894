package multihost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/e2e/e2eload"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
)

// membershipPrefix names the membership test's namespaces, links and
// bridge.
const membershipPrefix = "tlmm"

// TestIntegrationMembershipMultiHost changes the consortium's membership by
// the members' vote with every member on a host of its own, under a steady
// load of writes. A retailer sets up a new host, creates its organisation
// there (its keys stay in its own directory) and hands its org card to the
// brand, which proposes it as peer organisation and SmartBFT consenter; two
// more admins sign, each on its own host, and the brand submits. The
// retailer joins its orderer (channel participation API) and its peer,
// approves the chaincode, is given the logistics role by the members' vote
// and records a receipt of goods; its node follows the ledger from block 0
// to the same digest as the brand's node. Then it is removed the same way,
// the removal refused while a remaining consenter is down. Every write of
// the load commits exactly once (counted on the ledger by transaction id);
// the figures are the time to add the member and the longest commit gaps
// while the consenters changed.
func TestIntegrationMembershipMultiHost(t *testing.T) {
	lab, c := newLab(t, membershipPrefix)
	ctx := context.Background()
	dir := lab.OrgDir
	on := func(org string) *e2ecli.CLI { return c.On(lab.Host(org).Netns) }
	brand := on(testnet.Brand)
	nodes := map[string]*node{}
	defer func() {
		for _, nd := range nodes {
			nd.stop(false)
		}
	}()

	t0 := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err := lab.Start(sctx)
	cancel()
	if err != nil {
		t.Fatalf("starting the consortium on four hosts: %v", err)
	}
	t.Logf("consortium of 4 on 4 hosts up in %s", time.Since(t0).Round(10*time.Millisecond))
	// The history a new member's node indexes: the demo story.
	sc := playStory(t, c, lab)

	conns := dialAll(t, lab)
	startHeight := peerHeight(t, lab, testnet.Brand)
	l := e2eload.Start(conns, 4)
	defer l.Stop(time.Minute)
	if !l.WaitCommits(time.Now(), 5, time.Minute) {
		t.Fatalf("the load commits nothing: %v", l.Reasons())
	}
	st := brand.WaitConsentersHealthy(dir(testnet.Brand), 4, time.Minute)
	t.Logf("before: config block %d, %d members, %d consenters", st.ConfigBlock, len(st.Members), len(st.Consenters))

	// --- add -------------------------------------------------------------------
	// The retailer's machine joins the network; it makes its organisation
	// there with the addresses the others will dial.
	ta := time.Now()
	h, err := lab.AddCandidateHost(ctx, testnet.Retailer)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%-10s on %s (%s), a new host", testnet.Retailer, h.IP, h.Name)
	retailer := on(testnet.Retailer)
	retailer.Must("org", "init", "--msp-id", testnet.MSPID(testnet.Retailer), "--domain", testnet.Retailer+".trustline.test",
		"--peer-address", lab.PeerAddress(testnet.Retailer), "--orderer-address", lab.OrdererAddress(testnet.Retailer),
		"--host", "localhost", "--host", "127.0.0.1", "--host", h.IP, "--dir", dir(testnet.Retailer))
	if err := lab.StartCandidate(ctx, testnet.Retailer); err != nil {
		t.Fatal(err)
	}
	keysStayHome(t, lab.Dir(), append(slices.Clone(testnet.Orgs), testnet.Retailer)...)
	// Its card is all it hands to the others.
	cardJSON, err := os.ReadFile(filepath.Join(dir(testnet.Retailer), "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	card := c.File("retailer-card.json", string(cardJSON))

	upd := filepath.Join(c.Tmp, "add-retailer.json")
	brand.Must("consortium", "propose-add", card, "--org-dir", dir(testnet.Brand), "--consenter", "--roles", "logistics", "--out", upd)
	submitAdd := []string{"consortium", "submit", upd, "--org-dir", dir(testnet.Brand)}
	brand.Refused(dir(testnet.Brand), 3, "too few signatures: 1 of 4 member admins signed; /Channel/Application/Admins (MAJORITY Admins) needs 3", submitAdd...)
	on(testnet.Supplier).Must("consortium", "sign", upd, "--org-dir", dir(testnet.Supplier))
	on(testnet.Lab).Must("consortium", "sign", upd, "--org-dir", dir(testnet.Lab))
	tc := time.Now()
	forNew := filepath.Join(c.Tmp, "for-retailer")
	out := brand.Must(append(submitAdd, "--blocks", forNew)...)
	t.Logf("retailer added in config block %s", strings.TrimSpace(out))
	// Its orderer and its peer join, each by its own admin on its host.
	retailer.Must("consortium", "join", "--org-dir", dir(testnet.Retailer), "--genesis", filepath.Join(forNew, "config.block"),
		"--orderer-admin", lab.OrdererAdminAddress(testnet.Retailer))
	if err := lab.JoinCandidatePeer(ctx, testnet.Retailer, filepath.Join(forNew, "genesis.block")); err != nil {
		t.Fatal(err)
	}
	// Its peer approves the chaincode once it has the block that made it a
	// member.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(2 * time.Second) {
		err := lab.ApproveChaincode(ctx, testnet.Retailer)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("approving the chaincode as the retailer: %v", err)
		}
	}
	st = brand.WaitConsentersHealthy(dir(testnet.Brand), 5, 3*time.Minute)
	tcEnd := time.Now()
	if len(st.Members) != 5 {
		t.Fatalf("members after adding: %+v", st.Members)
	}

	// The role table change that goes with it, by the members' vote.
	table := testnet.Roles()
	table[testnet.MSPID(testnet.Retailer)] = []ledger.Role{ledger.RoleLogistics}
	vote(t, c, lab, table, testnet.Brand, testnet.Supplier, testnet.Lab)
	// The retailer records a receipt of goods: the brand ships it the
	// story's yogurt lot, it receives it through its own peer.
	ship, err := json.Marshal(ledger.ShipRequest{Lot: sc.YogurtLot, To: testnet.MSPID(testnet.Retailer), Destination: gln(t, "426012345900")})
	if err != nil {
		t.Fatal(err)
	}
	brand.Must("ship", "-f", c.File("ship.json", string(ship)), "--profile", testnet.Brand)
	var sh ledger.Shipment
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(2 * time.Second) {
		out, errOut, code := retailer.Run("receive", "--lot", sc.YogurtLot, "--profile", testnet.Retailer, "-o", "json")
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &sh); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retailer's receipt: exit %d: %s", code, errOut)
		}
	}
	t.Logf("receipt of goods by %s: shipment %s of %v, %s", testnet.MSPID(testnet.Retailer), sh.ID, sh.Lots, sh.Status)
	added := time.Since(ta)

	// Its node follows the ledger from block 0 on its own host, as the
	// brand's does on its: both reach the same digest.
	height := peerHeight(t, lab, testnet.Brand)
	tn := time.Now()
	for _, org := range []string{testnet.Brand, testnet.Retailer} {
		nodes[org] = startNode(t, c, lab, org, filepath.Join(c.Tmp, "nodes", org))
	}
	waitIndexed(t, map[string]*node{testnet.Retailer: nodes[testnet.Retailer]}, height, 3*time.Minute)
	indexed := time.Since(tn)
	waitIndexed(t, nodes, height, 3*time.Minute)
	v := sameDigests(t, c, lab, nodes, false, false)

	// --- remove ----------------------------------------------------------------
	rm := filepath.Join(c.Tmp, "remove-retailer.json")
	on(testnet.Supplier).Must("consortium", "propose-remove", testnet.MSPID(testnet.Retailer), "--org-dir", dir(testnet.Supplier), "--out", rm)
	on(testnet.Lab).Must("consortium", "sign", rm, "--org-dir", dir(testnet.Lab))
	on(testnet.Logistics).Must("consortium", "sign", rm, "--org-dir", dir(testnet.Logistics))
	submitRemove := []string{"consortium", "submit", rm, "--org-dir", dir(testnet.Brand)}
	// A remaining consenter down: refused, naming it. Every consenter is
	// healthy before: the refusal must be for the one killed.
	brand.WaitConsentersHealthy(dir(testnet.Brand), 5, time.Minute)
	victim := followerOf(t, lab, testnet.Brand)
	var victimID uint32
	for _, k := range st.Consenters {
		if k.MSPID == testnet.MSPID(victim) {
			victimID = k.ID
		}
	}
	if err := lab.Kill("orderer." + victim); err != nil {
		t.Fatal(err)
	}
	brand.Refused(dir(testnet.Brand), 3, fmt.Sprintf("consenter not healthy: consenter %d (%s at ", victimID, testnet.MSPID(victim)), submitRemove...)
	if err := lab.Restart(ctx, "orderer."+victim); err != nil {
		t.Fatal(err)
	}
	waitReachable(t, lab, victim, 4, 2*time.Minute)
	brand.WaitConsentersHealthy(dir(testnet.Brand), 5, 2*time.Minute)
	// One healthy reading is not enough under load: the restarted orderer
	// can land a few blocks behind again and sync for tens of seconds
	// (consortium.Consenters), as it did in CI once. The submit waits for
	// it as an operator would, and says so.
	tr := time.Now()
	if out, errOut, code := brand.Run(append(submitRemove, "--wait-healthy", "2m")...); code != 0 {
		t.Fatalf("trustline %s: exit %d\n%s%s", strings.Join(submitRemove, " "), code, out, errOut)
	} else if strings.Contains(errOut, "Waiting for") {
		t.Logf("FIGURE the removal's submit waited for the restarted consenter (submit to done %s): %s", time.Since(tr).Round(100*time.Millisecond), strings.TrimSpace(errOut))
	}
	st = brand.Status(dir(testnet.Brand))
	if len(st.Members) != 4 || len(st.Consenters) != 4 {
		t.Fatalf("after the removal: %d members, %d consenters", len(st.Members), len(st.Consenters))
	}
	vote(t, c, lab, testnet.Roles(), testnet.Supplier, testnet.Lab, testnet.Logistics)
	if !l.WaitCommits(time.Now(), 20, time.Minute) {
		t.Errorf("commits stalled after the removal")
	}
	trEnd := time.Now()
	brand.WaitConsentersHealthy(dir(testnet.Brand), 4, time.Minute)

	l.Stop(2 * time.Minute)
	endHeight := ledgerTop(t, lab)
	count, err := l.CountOnLedger(ctx, conns[testnet.Brand], startHeight, endHeight)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Reasons() {
		t.Logf("retry reason: %s", r)
	}
	if !count.Exact() {
		t.Errorf("load: %s; want every write exactly once", count)
	}
	t.Logf("FIGURE time to add a member on its own host end to end (new host to its committed receipt of goods): %s", added.Round(100*time.Millisecond))
	t.Logf("FIGURE longest commit gap while the consenter was added (submit to 5 healthy consenters, %s): %s",
		tcEnd.Sub(tc).Round(100*time.Millisecond), l.LongestGap(tc, tcEnd).Round(10*time.Millisecond))
	t.Logf("FIGURE the new member's node indexed the ledger from block 0 through its own peer: %d blocks, %d events in %s; digest %.16s… equal to the brand's node",
		height, v.Events, indexed.Round(100*time.Millisecond), v.LiveDigest)
	t.Logf("FIGURE longest commit gap while the consenter was removed (submit to 20 commits after the role vote, %s): %s",
		trEnd.Sub(tr).Round(100*time.Millisecond), l.LongestGap(tr, trEnd).Round(10*time.Millisecond))
	t.Logf("FIGURE load over the whole membership change (blocks %d to %d): %s; longest gap %s (load average %s)",
		startHeight, endHeight-1, count, l.LongestGap(l.Started, trEnd).Round(10*time.Millisecond), e2eload.LoadAverage())
}

// vote replaces the role table by the members' vote: the first proposes,
// the others approve, each through its CLI on its own host.
func vote(t *testing.T, c *e2ecli.CLI, lab *testnet.HostLab, table ledger.RoleTable, by ...string) {
	t.Helper()
	b, err := json.Marshal(table)
	if err != nil {
		t.Fatal(err)
	}
	var p ledger.RoleProposal
	out := c.On(lab.Host(by[0]).Netns).Must("governance", "propose", "-f", c.File("roles.json", string(b)), "--profile", by[0], "-o", "json")
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("governance propose: %v\n%s", err, out)
	}
	for _, org := range by[1:] {
		c.On(lab.Host(org).Netns).Must("governance", "approve", p.ID, "--profile", org)
	}
	out = c.On(lab.Host(by[0]).Netns).Must("governance", "roles", "--profile", by[0], "-o", "json")
	var r ledger.Roles
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("governance roles: %v\n%s", err, out)
	}
	if len(r.Members) != len(table) {
		t.Errorf("role table after the vote: %+v, want %v", r, table)
	}
}

// waitReachable waits until org's orderer answers and others other
// consenters hold a consensus stream to it: after a restart their dials
// back off, and until they reach it again it does not count towards a
// quorum.
func waitReachable(t *testing.T, lab *testnet.HostLab, org string, others int, within time.Duration) {
	t.Helper()
	var streams int
	var err error
	for deadline := time.Now().Add(within); ; time.Sleep(250 * time.Millisecond) {
		streams, err = lab.OrdererIngressStreams(context.Background(), org)
		if err == nil && streams >= others {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's orderer not reached by the %d others within %s: %d streams (%v)", org, others, within, streams, err)
		}
	}
}

func peerHeight(t *testing.T, lab *testnet.HostLab, org string) uint64 {
	t.Helper()
	info, err := lab.ChainInfo(context.Background(), org)
	if err != nil {
		t.Fatalf("chain info of %s: %v", org, err)
	}
	return info.GetHeight()
}

// ledgerTop is the highest height among the founding members' peers: the
// load's count reads the ledger up to it, since a write's commit is
// reported by its gateway's peer, which may be a block ahead of brand's.
func ledgerTop(t *testing.T, lab *testnet.HostLab) uint64 {
	t.Helper()
	var top uint64
	for _, org := range testnet.Orgs {
		top = max(top, peerHeight(t, lab, org))
	}
	return top
}

func gln(t *testing.T, body string) string {
	t.Helper()
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + fmt.Sprint(d)
}
