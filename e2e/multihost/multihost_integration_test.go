// Package multihost_test runs the consortium as four members on four hosts
// (network namespaces with their own addresses on one bridge, package
// testnet/netns): each member's peer, orderer, chaincode server, node and
// CLI run on its own host, members talk over real TCP between distinct
// addresses with TLS names that match them, and the tests cut, kill, delay
// and drop a member's traffic. A fifth member (the retailer) joins on a
// host of its own by the members' vote, and leaves the same way
// (TestIntegrationMembershipMultiHost).
//
// They need root (CI runs as root) and nftables (make nftables); a laptop
// without them skips, CI fails (internal/testenv).
package multihost_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/e2e/e2eload"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/internal/retry"
	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// labPrefix names the test's namespaces, links and bridge.
const labPrefix = "tlmh"

// TestIntegrationMultiHost forms the consortium from the four members' org
// cards on four hosts, plays the demo story with each member's CLI on its
// own host, and checks that every member's node serves the same trace and
// holds the same index digest. Then, under load: one member partitioned for
// 30 s and healed; one member's host killed (SIGKILL, every process) and
// restarted; every member's traffic delayed, then 5 % of it dropped.
func TestIntegrationMultiHost(t *testing.T) {
	lab, c := newLab(t, labPrefix)
	_, err := exec.LookPath("nft")
	testenv.Require(t, "nftables (nft)", "make nftables", err == nil, err)
	ctx := context.Background()
	tmp := c.Tmp
	nodes := map[string]*node{}
	var ln *links
	defer func() {
		for _, nd := range nodes {
			nd.stop(false)
		}
		if ln != nil {
			ln.close()
		}
	}()
	for _, org := range testnet.Orgs {
		t.Logf("%-10s on %s (%s)", org, lab.Host(org).Addr, lab.Host(org).Netns)
	}
	// Every member's connections to another member's peer or orderer go
	// through a proxy, so that the delay run can slow them down.
	if ln, err = newLinks(ctx, lab); err != nil {
		t.Fatal(err)
	}

	// Four org inits (each on its own), four cards, consortium create from
	// the cards, each member joining its own orderer and peer, the
	// chaincode, a committed transaction.
	t0 := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = lab.Start(sctx)
	cancel()
	if err != nil {
		t.Fatalf("starting the consortium on four hosts: %v", err)
	}
	t.Logf("FIGURE four org cards to a committed transaction, on four hosts: %s", time.Since(t0).Round(10*time.Millisecond))
	keysStayHome(t, lab.Dir(), testnet.Orgs...)

	sc := playStory(t, c, lab)

	for _, org := range testnet.Orgs {
		nodes[org] = startNode(t, c, lab, org, filepath.Join(tmp, "nodes", org))
	}
	conns := dialAll(t, lab)
	waitIndexed(t, nodes, topHeight(t, lab), 90*time.Second)
	sameTrace(t, c, lab, nodes, sc)
	sameDigests(t, c, lab, nodes, true, true)

	// The host is killed first, from a whole consensus, and the partition
	// comes after: a consenter healed from a partition may go on
	// complaining about the leader (see BFTComplaining), and a second fault
	// while it does leaves two of four consenters deciding. Seen in CI-style
	// runs: lab's host killed while supplier, partitioned before, still
	// complained; the view change that followed made supplier the leader,
	// and its orderer never started that view (commits went on without it,
	// its height stayed behind for good).
	var killed string
	t.Run("host killed", func(t *testing.T) { killed = hostKilled(t, c, lab, conns, nodes) })
	t.Run("partition", func(t *testing.T) { partition(t, lab, conns, killed) })
	// After both faults every node has the ledger's index, the same as a
	// fresh rebuild's.
	waitIndexed(t, nodes, topHeight(t, lab), 90*time.Second)
	sameTrace(t, c, lab, nodes, sc)
	sameDigests(t, c, lab, nodes, true, true)
	t.Run("delay and loss", func(t *testing.T) { delayAndLoss(t, ln, conns) })
}

// topHeight is the highest chain height any member's peer reports.
func topHeight(t *testing.T, lab *testnet.HostLab) uint64 {
	t.Helper()
	var top uint64
	for _, org := range testnet.Orgs {
		info, err := lab.ChainInfo(context.Background(), org)
		if err != nil {
			t.Fatalf("chain info of %s: %v", org, err)
		}
		top = max(top, info.GetHeight())
	}
	return top
}

// sameTrace asks every member's node, from that member's host, for the
// unit's trace: all four are the same, and it is the whole story.
func sameTrace(t *testing.T, c *e2ecli.CLI, lab *testnet.HostLab, nodes map[string]*node, sc *demo.Scenario) {
	t.Helper()
	traces := map[string]string{}
	for _, org := range testnet.Orgs {
		out := c.On(lab.Host(org).Netns).Must("trace", sc.Unit, "--node", nodes[org].url, "-o", "json")
		traces[org] = strings.ReplaceAll(out, nodes[org].url, "NODE")
	}
	for _, want := range []string{sc.YogurtLot, sc.RawMilkLot, sc.Serials[0], "commissioning", "shipping", "receiving"} {
		if !strings.Contains(traces[testnet.Brand], want) {
			t.Errorf("brand's node: the unit's trace lacks %q", want)
		}
	}
	for _, org := range testnet.Orgs[1:] {
		if traces[org] != traces[testnet.Brand] {
			t.Errorf("%s's node serves another trace than brand's:\n%.600s\nvs\n%.600s", org, traces[org], traces[testnet.Brand])
		}
	}
	t.Logf("4 nodes, each on its own host, serve the same trace of %s (%d bytes)", sc.Unit, len(traces[testnet.Brand]))
}

// sameDigests stops every node, verifies each one's index against a fresh
// rebuild from its own peer (trustline index verify, on its own host), and
// with restart starts them again: every index equals its rebuild, and all
// digests and event counts are equal (and, with sameHeight, the number of
// blocks: the ledger stood still meanwhile). It returns the first node's
// verification, in the order of Orgs and Candidates.
func sameDigests(t *testing.T, c *e2ecli.CLI, lab *testnet.HostLab, nodes map[string]*node, restart, sameHeight bool) verified {
	t.Helper()
	for _, nd := range nodes {
		nd.stop(false)
	}
	var orgs []string
	for _, org := range append(slices.Clone(testnet.Orgs), testnet.Candidates...) {
		if nodes[org] != nil {
			orgs = append(orgs, org)
		}
	}
	res := map[string]verified{}
	for _, org := range orgs {
		out := c.On(lab.Host(org).Netns).Must("index", "verify", "--testnet-org", org, "--testnet-dir", lab.Dir(),
			"--data-dir", nodes[org].dataDir, "-o", "json")
		var v verified
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("index verify of %s: %v\n%s", org, err, out)
		}
		if v.Match == nil || !*v.Match || v.Digest != v.LiveDigest {
			t.Errorf("%s's index differs from a fresh rebuild: %+v", org, v)
		}
		res[org] = v
	}
	first, b := orgs[0], res[orgs[0]]
	for _, org := range orgs[1:] {
		if res[org].LiveDigest != b.LiveDigest || res[org].Events != b.Events || (sameHeight && res[org].Blocks != b.Blocks) {
			t.Errorf("%s's index (%d blocks, %d events, %s) differs from %s's (%d, %d, %s)", org,
				res[org].Blocks, res[org].Events, res[org].LiveDigest, first, b.Blocks, b.Events, b.LiveDigest)
		}
	}
	t.Logf("%d indexes (%s) equal to their fresh rebuilds and to each other: %d blocks, %d events, digest %.16s…",
		len(orgs), strings.Join(orgs, ", "), b.Blocks, b.Events, b.LiveDigest)
	if restart {
		for _, org := range orgs {
			nodes[org] = startNode(t, c, lab, org, nodes[org].dataDir)
		}
	}
	return b
}

// followerOf picks an organisation that does not lead the BFT cluster now,
// skipping those in not.
func followerOf(t *testing.T, lab *testnet.HostLab, not ...string) string {
	t.Helper()
	leader, err := lab.BFTLeader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	org := pickFollower(leader, not)
	if org == "" {
		t.Fatalf("no follower of %s left but %v", leader, not)
	}
	t.Logf("BFT leader %s; fault on %s (not %v)", leader, org, not)
	return org
}

// pickFollower is the first organisation after leader in Orgs' order that
// is not in not.
func pickFollower(leader string, not []string) string {
	for i := 1; i < len(testnet.Orgs); i++ {
		org := testnet.Orgs[(indexOf(leader)+i)%len(testnet.Orgs)]
		if !slices.Contains(not, org) {
			return org
		}
	}
	return ""
}

// caughtUp waits until victim's peer and orderer reach height, and returns
// how long that took from since.
func caughtUp(t *testing.T, lab *testnet.HostLab, victim string, height uint64, since time.Time, within time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(within)
	var ph, oh uint64
	for time.Now().Before(deadline) {
		if info, err := lab.ChainInfo(context.Background(), victim); err == nil {
			ph = info.GetHeight()
		}
		if h, err := lab.OrdererHeight(context.Background(), victim); err == nil {
			oh = h
		}
		if ph >= height && oh >= height {
			return time.Since(since)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s has not caught up to height %d within %s: peer at %d, orderer at %d", victim, height, within, ph, oh)
	return 0
}

// othersHeight is the highest peer height among the organisations but one.
func othersHeight(t *testing.T, lab *testnet.HostLab, but string) uint64 {
	t.Helper()
	var top uint64
	for _, org := range testnet.Orgs {
		if org == but {
			continue
		}
		info, err := lab.ChainInfo(context.Background(), org)
		if err != nil {
			t.Fatalf("chain info of %s: %v", org, err)
		}
		top = max(top, info.GetHeight())
	}
	return top
}

// agree waits until every peer and every orderer reports the same height,
// then checks that all eight hold the same block at that height less one,
// and that every transaction the load saw committed is valid in each
// peer's chain. A replica that lags on a quiet channel syncs on the next
// block: after 10 s without agreement, a transaction is submitted every 5 s
// to give it one.
func agree(t *testing.T, lab *testnet.HostLab, conns map[string]*tlclient.GatewayConn, committed []commit) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	deadline := start.Add(90 * time.Second)
	var heights map[string]uint64
	var lastNudge time.Time
	nudges := 0
	// An orderer that stops following (behind the highest, its height
	// still for 30 s) gets the operator's remedy once (README, "After a
	// partition"): restarted, as its organisation would. Seen in a
	// CI-style run: supplier's orderer, not the one partitioned, stayed at
	// the height of the heal while the others went 19 blocks on.
	stillSince, stillAt := map[string]time.Time{}, map[string]uint64{}
	restarted := false
	for {
		heights = map[string]uint64{}
		for _, org := range testnet.Orgs {
			if info, err := lab.ChainInfo(ctx, org); err == nil {
				heights["peer."+org] = info.GetHeight()
			}
			if h, err := lab.OrdererHeight(ctx, org); err == nil {
				heights["orderer."+org] = h
			}
		}
		if len(heights) == 8 && testkit.AllEqual(heights) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("peers and orderers did not converge within 90s (%d nudges): %v", nudges, heights)
		}
		if !restarted && len(heights) > 0 {
			top := slices.Max(slices.Collect(maps.Values(heights)))
			for _, org := range testnet.Orgs {
				k := "orderer." + org
				h, ok := heights[k]
				if !ok || h >= top || stillAt[k] != h {
					stillAt[k], stillSince[k] = h, time.Now()
					continue
				}
				if time.Since(stillSince[k]) > 30*time.Second {
					t.Logf("FIGURE %s's orderer stopped following: at height %d for %s, the others at %d (complaining: %v; consensus streams to each: %s); restarted, the operator's remedy",
						org, h, time.Since(stillSince[k]).Round(time.Second), top, lab.BFTComplaining(ctx), ingress(ctx, lab))
					restartOrderer(ctx, t, lab, org)
					restarted = true
					deadline = time.Now().Add(90 * time.Second)
					break
				}
			}
		}
		if time.Since(start) > 10*time.Second && time.Since(lastNudge) > 5*time.Second {
			lastNudge = time.Now()
			nctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			if _, err := conns[testnet.Brand].Contract().SubmitWithContext(nctx, "System:Ping", client.WithArguments(fmt.Sprintf("nudge-%d", time.Now().UnixNano()))); err == nil {
				nudges++
			}
			cancel()
		}
		time.Sleep(500 * time.Millisecond)
	}
	height := heights["peer."+testnet.Brand]
	hashes := map[string]string{}
	for _, org := range testnet.Orgs {
		h, err := peerBlockHash(ctx, conns[org], org, height-1)
		if err != nil {
			t.Fatalf("block %d from peer %s: %v", height-1, org, err)
		}
		hashes["peer."+org] = hex.EncodeToString(h)
		if h, err = lab.OrdererBlockHash(ctx, org, height-1); err != nil {
			t.Fatalf("block %d from orderer %s: %v", height-1, org, err)
		}
		hashes["orderer."+org] = hex.EncodeToString(h)
	}
	if !testkit.AllEqual(hashes) {
		t.Fatalf("block %d differs: %v", height-1, hashes)
	}
	lost := 0
	for _, org := range testnet.Orgs {
		valid, err := e2eload.ValidTransactions(ctx, conns[org], 0, height)
		if err != nil {
			t.Fatalf("reading %s's chain: %v", org, err)
		}
		for _, c := range committed {
			if valid[c.txID] == 0 {
				lost++
				if lost < 5 {
					t.Errorf("committed transaction %s is not valid in %s's chain", c.txID, org)
				}
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d committed transactions lost", lost)
	}
	t.Logf("4 peers and 4 orderers at height %d after %s (%d nudges), block %d hash %.16s… on all; %d committed transactions, 0 lost, on every peer",
		height, time.Since(start).Round(10*time.Millisecond), nudges, height-1, hashes["peer."+testnet.Brand], len(committed))
}

// restartOrderer kills org's orderer and starts it again.
func restartOrderer(ctx context.Context, t *testing.T, lab *testnet.HostLab, org string) {
	t.Helper()
	if err := lab.Kill("orderer." + org); err != nil {
		t.Fatal(err)
	}
	// Its ports are free a moment after the kill.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		err := lab.Restart(ctx, "orderer."+org)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
}

// peerBlockHash fetches block number from org's own peer (qscc) and returns
// its header hash. A call that finds the connection gone is made again: a
// connection idle through a partition can be reset by the healed peer on
// its next use (seen in CI: "read: connection reset by peer", Unavailable),
// and gRPC reconnects for the next call.
func peerBlockHash(ctx context.Context, conn *tlclient.GatewayConn, org string, number uint64) ([]byte, error) {
	evaluate := func(ctx context.Context) ([]byte, error) {
		return conn.GetNetwork(testnet.ChannelName).GetContract("qscc").EvaluateWithContext(ctx, "GetBlockByNumber",
			client.WithArguments(testnet.ChannelName, strconv.FormatUint(number, 10)), client.WithEndorsingOrganizations(testnet.MSPID(org)))
	}
	res, err := retry.Do(ctx, retry.Policy{Attempts: 5, Backoff: 500 * time.Millisecond, Transient: unavailable}, evaluate)
	if err != nil {
		return nil, err
	}
	b := &common.Block{}
	if err := proto.Unmarshal(res, b); err != nil {
		return nil, err
	}
	return testnet.BlockHeaderHash(b.GetHeader())
}

// unavailable reports whether err is gRPC's Unavailable: the connection
// was down or reset, and a new call reconnects.
func unavailable(err error) bool { return status.Code(err) == codes.Unavailable }

// partition cuts one member's link for 30 s under load: the other three
// keep committing (BFT, f = 1); healed, it catches up. It picks another
// member than the one whose host was killed before.
func partition(t *testing.T, lab *testnet.HostLab, conns map[string]*tlclient.GatewayConn, before string) {
	ctx := context.Background()
	victim := followerOf(t, lab, before)
	l := startLoad(conns, 6)
	defer l.stop()
	l.setAvoid(victim, true)
	if !l.waitCommits(time.Now().Add(-time.Hour), 10, 60*time.Second) {
		t.Fatalf("load did not get going: %d failures", l.failed)
	}
	cut := time.Now()
	if err := lab.Lab.Cut(ctx, lab.LabHost(victim)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Second)
	during := len(l.since(cut))
	if err := lab.Lab.Heal(ctx, lab.LabHost(victim)); err != nil {
		t.Fatal(err)
	}
	healed := time.Now()
	if during == 0 {
		t.Fatalf("no commits while %s was partitioned", victim)
	}
	t.Logf("%s partitioned 30s: the other three committed %d transactions (%.1f tx/s), longest gap between commits %s", victim, during,
		float64(during)/healed.Sub(cut).Seconds(), longestGap(l.since(cut), cut, healed).Round(10*time.Millisecond))
	target := othersHeight(t, lab, victim)
	took := caughtUp(t, lab, victim, target, healed, 3*time.Minute)
	t.Logf("FIGURE catch-up after the 30s partition: %s (%s's peer and orderer at the others' height %d at heal time, under load)", took.Round(10*time.Millisecond), victim, target)
	l.setAvoid(victim, false)
	if !l.waitCommits(time.Now(), 10, 60*time.Second) {
		t.Errorf("load through every member did not resume after the heal")
	}
	l.stop()
	agree(t, lab, conns, l.since(time.Time{}))
	// Whether the healed consenter takes part again or only syncs: a
	// figure for the operator's guide, not a condition (Fabric 3.1.1).
	complaining := lab.BFTComplaining(ctx)
	t.Logf("FIGURE consenters still complaining about the leader after the heal and the load: %v (consensus streams other orderers hold to each: %s)", complaining, ingress(ctx, lab))
	// The operator's remedy (README): restart the orderer that goes on
	// complaining, at a quiet moment. It starts in the view its blocks
	// record, with no complaint pending. Restarted under load, it can
	// complain again at once: a request it forwards to the leader while
	// it catches up times out (seen in a CI-style run). A figure, not a
	// condition: the complaint is Fabric 3.1.1's, not trustline's.
	if len(complaining) == 0 {
		return
	}
	decided := func(org string) bool {
		ok, err := lab.OrdererDecidedNewest(ctx, org)
		return err == nil && ok
	}
	decidedBefore := map[string]int{}
	l2 := startLoad(conns, 6)
	defer l2.stop()
	if !l2.waitCommits(time.Now(), 10, 60*time.Second) {
		t.Fatalf("no commits under load after the heal")
	}
	for range 5 {
		for _, org := range complaining {
			if decided(org) {
				decidedBefore[org]++
			}
		}
		time.Sleep(time.Second)
	}
	l2.stop()
	tr := time.Now()
	for _, org := range complaining {
		restartOrderer(ctx, t, lab, org)
	}
	// Quiet until none complains, then under load until each decides.
	for deadline := time.Now().Add(30 * time.Second); len(lab.BFTComplaining(ctx)) > 0 && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
	}
	l3 := startLoad(conns, 6)
	defer l3.stop()
	if !l3.waitCommits(time.Now(), 10, 60*time.Second) {
		t.Errorf("no commits after the complaining orderers restarted")
	}
	for _, org := range complaining {
		rejoined := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			if decided(org) && !slices.Contains(lab.BFTComplaining(ctx), org) {
				rejoined = true
				break
			}
		}
		if rejoined {
			t.Logf("FIGURE %s's orderer, complaining, held its own decision as its newest block in %d of 5 samples under load; restarted at a quiet moment, it takes part again (its newest block its own decision, no complaint) %s after the restart began",
				org, decidedBefore[org], time.Since(tr).Round(100*time.Millisecond))
		} else {
			t.Logf("FIGURE %s's orderer, complaining, held its own decision as its newest block in %d of 5 samples under load; restarted, it did not take part again within %s (complaining: %v; consensus streams to each: %s)",
				org, decidedBefore[org], time.Since(tr).Round(100*time.Millisecond), lab.BFTComplaining(ctx), ingress(ctx, lab))
		}
	}
	l3.stop()
}

// ingress says how many consensus streams the other orderers hold to each
// orderer (a consenter the leader holds none to gets no heartbeats).
func ingress(ctx context.Context, lab *testnet.HostLab) string {
	var parts []string
	for _, org := range testnet.Orgs {
		n, err := lab.OrdererIngressStreams(ctx, org)
		if err != nil {
			parts = append(parts, org+" ?")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", org, n))
	}
	return strings.Join(parts, ", ")
}

// hostKilled kills every process of one member's host with SIGKILL (peer,
// orderer, chaincode server, node) under load, restarts them, and checks
// that the member catches up and its node serves the ledger again.
func hostKilled(t *testing.T, c *e2ecli.CLI, lab *testnet.HostLab, conns map[string]*tlclient.GatewayConn, nodes map[string]*node) (victim string) {
	ctx := context.Background()
	victim = followerOf(t, lab)
	l := startLoad(conns, 6)
	defer l.stop()
	l.setAvoid(victim, true)
	if !l.waitCommits(time.Now().Add(-time.Hour), 10, 60*time.Second) {
		t.Fatalf("load did not get going: %d failures", l.failed)
	}
	// The fault starts from a whole consensus, as an operator's runbook
	// has it: every consenter healthy and none complaining about the
	// leader. A consenter that is still catching up, or complains, does
	// not count towards the quorum, and with another member's host killed
	// two of four would be left (seen in CI runs when this fault came
	// after the partition: commits stopped for over a minute of view
	// changes, or the complaining orderer was left behind for good).
	c.On(lab.Host(testnet.Brand).Netns).WaitConsentersHealthy(lab.OrgDir(testnet.Brand), len(testnet.Orgs), 2*time.Minute)
	for deadline := time.Now().Add(time.Minute); len(lab.BFTComplaining(ctx)) > 0; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("consenters still complaining about the leader a minute before the fault: %v", lab.BFTComplaining(ctx))
		}
	}
	killed := time.Now()
	if err := lab.KillOrg(victim); err != nil {
		t.Fatal(err)
	}
	nodes[victim].stop(true)
	if !l.waitCommits(killed, 20, 60*time.Second) {
		t.Fatalf("commits stopped after %s's host was killed: %d since", victim, len(l.since(killed)))
	}
	time.Sleep(time.Until(killed.Add(10 * time.Second)))
	t.Logf("%s's host killed: the other three committed %d transactions in %s", victim, len(l.since(killed)), time.Since(killed).Round(time.Second))
	restarted := time.Now()
	if err := lab.RestartOrg(ctx, victim); err != nil {
		t.Fatal(err)
	}
	nodes[victim] = startNode(t, c, lab, victim, nodes[victim].dataDir)
	target := othersHeight(t, lab, victim)
	took := caughtUp(t, lab, victim, target, restarted, 3*time.Minute)
	t.Logf("FIGURE restart to caught up after %s's host was killed: %s (height %d)", victim, took.Round(10*time.Millisecond), target)
	l.setAvoid(victim, false)
	if !l.waitCommits(time.Now(), 10, 60*time.Second) {
		t.Errorf("load through every member did not resume after the restart")
	}
	l.stop()
	agree(t, lab, conns, l.since(time.Time{}))
	return victim
}

// delayAndLoss measures throughput and commit latency under the same load
// clean, with 100 ms added each way to every member-to-member connection
// (200 ms round trip), and with 5 % of every host's packets dropped.
func delayAndLoss(t *testing.T, ln *links, conns map[string]*tlclient.GatewayConn) {
	ctx := context.Background()
	const workers = 8
	warm, window := 3*time.Second, 20*time.Second
	clean := measure(conns, workers, warm, window)
	t.Logf("FIGURE clean:            %s", clean)
	if err := ln.delay(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	delayed := measure(conns, workers, warm, window)
	if err := ln.delay(ctx, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE +200 ms RTT:      %s", delayed)
	if err := ln.loss(ctx, 5); err != nil {
		t.Fatal(err)
	}
	lossy := measure(conns, workers, warm, window)
	if err := ln.loss(ctx, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE 5%% packet loss:  %s", lossy)
	for name, f := range map[string]figures{"clean": clean, "delayed": delayed, "lossy": lossy} {
		if f.commits == 0 {
			t.Errorf("%s run: no commits", name)
		}
	}
	if clean.tps > 0 {
		t.Logf("FIGURE against clean: delay %.2fx throughput, %.1fx p99; loss %.2fx throughput, %.1fx p99",
			delayed.tps/clean.tps, ratio(delayed.p99, clean.p99), lossy.tps/clean.tps, ratio(lossy.p99, clean.p99))
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// longestGap is the longest time without a commit between from and to.
func longestGap(cs []commit, from, to time.Time) time.Duration {
	var at []time.Time
	for _, c := range cs {
		if c.at.Before(to) {
			at = append(at, c.at)
		}
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	prev, worst := from, time.Duration(0)
	for _, t := range append(at, to) {
		worst = max(worst, t.Sub(prev))
		prev = t
	}
	return worst
}

func TestPickFollower(t *testing.T) {
	for _, tc := range []struct {
		leader string
		not    []string
		want   string
	}{
		{testnet.Brand, nil, testnet.Supplier},
		{testnet.Brand, []string{testnet.Supplier}, testnet.Lab},
		{testnet.Logistics, []string{testnet.Brand}, testnet.Supplier},
		{testnet.Lab, []string{testnet.Logistics, testnet.Brand, testnet.Supplier}, ""},
	} {
		if got := pickFollower(tc.leader, tc.not); got != tc.want {
			t.Errorf("pickFollower(%s, %v) = %q, want %q", tc.leader, tc.not, got, tc.want)
		}
	}
}
