// Package membership_test changes the consortium's membership by the
// members' vote on the real testnet, under a steady load of writes: a fifth
// organisation (a retailer) is added as peer organisation and SmartBFT
// consenter, records a receipt of goods, and its node indexes the ledger
// from block 0 to the same digest as the others; then it is removed the
// same way. Every refusal (too few signatures, a member already present, a
// consenter down, a stale update) is asserted with its message and with
// the channel's config block unchanged.
package membership_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/status"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/e2e/e2eload"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/internal/cli/consortiumcmd"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/orgca"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// TestIntegrationMembershipAddRemove: the retailer joins as peer
// organisation and BFT consenter while the load runs, records a receipt,
// its node reaches the others' digest; then it is removed.
func TestIntegrationMembershipAddRemove(t *testing.T) {
	n := testkit.Network(t)
	c, tmp := buildCLI(t, n)
	ctx := context.Background()
	dir := func(org string) string { return n.OrgDir(org) }

	// The demo ledger first: the history a new member's node indexes.
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := demo.New(time.Now(), time.Now().UTC().Format("060102150405"), demo.KeySigner{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	nl, err := demo.NewNetworkLedger(n)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	if err := demo.Play(ctx, sc, nl, nil); err != nil {
		t.Fatalf("demo story: %v", err)
	}

	conns := map[string]*tlclient.GatewayConn{}
	for _, org := range testnet.Orgs {
		conns[org] = dial(t, n, org)
	}
	l := startLoad(conns, 4)
	defer l.stop()
	if !l.waitCommits(time.Now(), 5, time.Minute) {
		t.Fatalf("the load commits nothing (%d failed)", l.failedCount())
	}

	// status reads the channel as brand's admin.
	status := func() consortiumcmd.Status {
		t.Helper()
		var st consortiumcmd.Status
		out := c.Must("consortium", "status", "--org-dir", dir(testnet.Brand), "--profile", testnet.Brand, "-o", "json")
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		return st
	}
	st := status()
	if len(st.Members) != 4 || len(st.Consenters) != 4 || st.Chaincode == nil || st.Chaincode.Sequence != 1 {
		t.Fatalf("status before: %+v", st)
	}
	for _, k := range st.Consenters {
		if !k.Healthy() {
			t.Errorf("consenter %d unhealthy before anything: %s", k.ID, k.Err)
		}
	}
	base := st.ConfigBlock
	t.Logf("before: config block %d, chaincode %s %s sequence %d", base, st.Chaincode.Name, st.Chaincode.Version, st.Chaincode.Sequence)
	// refused runs a command that must be refused with exit 3 and a one-line
	// message containing want, and checks the configuration did not move.
	refused := func(want string, args ...string) {
		t.Helper()
		out, errOut, code := c.Run(args...)
		if code != 3 || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("trustline %s: exit %d, want 3 and one line naming %q\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		if got := status().ConfigBlock; got != base {
			t.Errorf("after a refused %s the config block is %d, was %d", args[1], got, base)
		}
	}

	// --- add -----------------------------------------------------------------
	t0 := time.Now()
	retailer, err := n.InitCandidate(testnet.Retailer)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.StartCandidate(ctx, testnet.Retailer); err != nil {
		t.Fatal(err)
	}
	upd := filepath.Join(tmp, "add-retailer.json")
	c.Must("consortium", "propose-add", retailer.CardFile(), "--org-dir", dir(testnet.Brand), "--consenter", "--roles", "logistics", "--out", upd)
	refused("too few signatures: 1 of 4 member admins signed; /Channel/Application/Admins (MAJORITY Admins) needs 3",
		"consortium", "submit", upd, "--org-dir", dir(testnet.Brand))
	c.Must("consortium", "sign", upd, "--org-dir", dir(testnet.Supplier))
	refused("too few signatures: 2 of 4 member admins signed",
		"consortium", "submit", upd, "--org-dir", dir(testnet.Brand))
	c.Must("consortium", "sign", upd, "--org-dir", dir(testnet.Lab))
	refused("already a member: LabMSP is already in channel trustline",
		"consortium", "propose-add", filepath.Join(dir(testnet.Lab), "card.json"), "--org-dir", dir(testnet.Brand), "--out", filepath.Join(tmp, "lab.json"))

	// A consenter down: the consenter change is refused, saying which.
	victim := testnet.Logistics
	tf := time.Now()
	if err := n.Kill("orderer." + victim); err != nil {
		t.Fatal(err)
	}
	refused("consenter not healthy: consenter 4 (LogisticsMSP",
		"consortium", "submit", upd, "--org-dir", dir(testnet.Brand))
	if err := n.Restart(ctx, "orderer."+victim); err != nil {
		t.Fatal(err)
	}
	waitReachable(t, n, victim, 2*time.Minute)
	waitConsentersHealthy(t, status, 4, 2*time.Minute)
	fault := time.Since(tf) // the refusal test's own time, not part of adding

	tc := time.Now()
	forNew := filepath.Join(tmp, "for-retailer")
	// The consenter restarted for the refusal can still be catching up
	// under the load for tens of seconds: the submit waits for it, as an
	// operator would, instead of being refused.
	out := c.Must("consortium", "submit", upd, "--org-dir", dir(testnet.Brand), "--blocks", forNew, "--wait-healthy", "2m")
	t.Logf("submitted: config block %s", strings.TrimSpace(out))
	c.Must("consortium", "join", "--org-dir", dir(testnet.Retailer), "--genesis", filepath.Join(forNew, "config.block"),
		"--orderer-admin", n.OrdererAdminAddress(testnet.Retailer))
	if err := n.JoinCandidatePeer(ctx, testnet.Retailer, filepath.Join(forNew, "genesis.block")); err != nil {
		t.Fatal(err)
	}
	// Its peer approves the chaincode once it has the block that made it a
	// member.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(2 * time.Second) {
		err := n.ApproveChaincode(ctx, testnet.Retailer)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("approving the chaincode as the retailer: %v", err)
		}
	}
	st = status()
	if len(st.Members) != 5 || len(st.Consenters) != 5 || st.ConfigBlock <= base {
		t.Fatalf("status after adding: %+v", st)
	}
	waitConsentersHealthy(t, status, 5, 3*time.Minute)
	tcEnd := time.Now()
	base = status().ConfigBlock

	// The role table change that goes with it, by the members' vote.
	table := testnet.Roles()
	table["RetailerMSP"] = []ledger.Role{ledger.RoleLogistics}
	// Each vote waits until the founding members' peers have it: the next
	// approval is endorsed on another organisation's peer, which would not
	// yet know the proposal (the retailer's peer may lag behind and is not
	// needed for the vote).
	founders := tlclient.WaitForOrganizations(testnet.Brand, testnet.Supplier, testnet.Lab, testnet.Logistics)
	brandC := client_(t, n, testnet.Brand)
	p, err := brandC.ProposeRoles(ctx, table, founders)
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{testnet.Supplier, testnet.Lab} {
		if _, err := client_(t, n, org).ApproveRoles(ctx, p.ID, founders); err != nil {
			t.Fatal(err)
		}
	}
	// The retailer records a receipt of goods: brand ships it the yogurt
	// lot of the story, it receives it on its own peer.
	storeGLN := gln(t, "426012345900")
	if _, err := brandC.Ship(ctx, ledger.ShipRequest{Lot: sc.YogurtLot, To: "RetailerMSP", Destination: storeGLN}); err != nil {
		t.Fatalf("shipping to the retailer: %v", err)
	}
	retailerC := client_(t, n, testnet.Retailer)
	var sh *ledger.Shipment
	for deadline := time.Now().Add(2 * time.Minute); ; {
		sh, err = retailerC.Receive(ctx, ledger.ReceiveRequest{Lot: sc.YogurtLot})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second) // its peer may still be catching up
	}
	if err != nil {
		t.Fatalf("the retailer's receipt: %v", err)
	}
	t.Logf("FIGURE time to add a member end to end (org init to its committed receipt of goods, without the %s of the consenter-down refusal): %s (load average %s)",
		fault.Round(100*time.Millisecond), (time.Since(t0) - fault).Round(100*time.Millisecond), loadAverage())
	t.Logf("receipt of goods by RetailerMSP: shipment %s received at %s", sh.ID, sh.ReceivedAt)

	// Its node follows the ledger from block 0 to the same digest.
	height := peerHeight(t, n, testnet.Brand)
	tn := time.Now()
	nd := startNode(t, c, n, testnet.Retailer, filepath.Join(tmp, "node-retailer"), 27480)
	applied := waitIndexed(t, nd, height, 3*time.Minute)
	t.Logf("FIGURE time for the new member's node to index the demo ledger's full history from block 0 through its own peer: %d blocks, %d trustline events (the demo story, the receipt, the role votes; the load's pings are not events) in %s (load average %s)",
		height, applied, time.Since(tn).Round(100*time.Millisecond), loadAverage())
	nd.stop()
	for _, against := range []string{testnet.Retailer, testnet.Brand} {
		out := c.Must("index", "verify", "--testnet-org", against, "--data-dir", nd.dataDir, "-o", "json")
		var v struct {
			Blocks             uint64
			Digest, LiveDigest string
			Match              *bool
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		if v.Match == nil || !*v.Match || v.Digest != v.LiveDigest {
			t.Errorf("the retailer's index differs from a rebuild from %s's peer: %s", against, out)
		}
		t.Logf("retailer's index equals a rebuild from %s's peer: %d blocks, digest %.16s…", against, v.Blocks, v.LiveDigest)
	}
	gap := longestGap(l.since(tc), tc, tcEnd)
	t.Logf("FIGURE longest commit gap while the consenter was added (submit to 5 healthy consenters, %s): %s", tcEnd.Sub(tc).Round(100*time.Millisecond), gap.Round(10*time.Millisecond))

	// A stale update: the add proposal again, now that the config moved on.
	refused("stale update: the channel's configuration moved on since the update was proposed",
		"consortium", "submit", upd, "--org-dir", dir(testnet.Brand))

	// --- remove --------------------------------------------------------------
	rm := filepath.Join(tmp, "remove-retailer.json")
	c.Must("consortium", "propose-remove", "RetailerMSP", "--org-dir", dir(testnet.Supplier), "--out", rm)
	refused("too few signatures: 1 of 5 member admins signed; /Channel/Application/Admins (MAJORITY Admins) needs 3",
		"consortium", "submit", rm, "--org-dir", dir(testnet.Brand))
	c.Must("consortium", "sign", rm, "--org-dir", dir(testnet.Lab))
	c.Must("consortium", "sign", rm, "--org-dir", dir(testnet.Logistics))
	tr := time.Now()
	c.Must("consortium", "submit", rm, "--org-dir", dir(testnet.Brand), "--wait-healthy", "2m") // the added consenter may still catch up
	st = status()
	if len(st.Members) != 4 || len(st.Consenters) != 4 {
		t.Fatalf("status after removal: %+v", st)
	}
	// The role table follows, by the vote of the table's five members.
	p, err = client_(t, n, testnet.Supplier).ProposeRoles(ctx, testnet.Roles(), founders)
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{testnet.Lab, testnet.Logistics} {
		if _, err := client_(t, n, org).ApproveRoles(ctx, p.ID, founders); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := brandC.Roles(ctx); err != nil || len(r.Members) != 4 {
		t.Errorf("role table after the removal: %+v %v", r, err)
	}
	// Commits go on without it.
	if !l.waitCommits(time.Now(), 20, time.Minute) {
		t.Errorf("commits stalled after the removal")
	}
	trEnd := time.Now()
	t.Logf("FIGURE longest commit gap while the consenter was removed (%s): %s", trEnd.Sub(tr).Round(100*time.Millisecond), longestGap(l.since(tr), tr, trEnd).Round(10*time.Millisecond))

	// --- revocation ----------------------------------------------------------
	// A supplier's clerk writes, is revoked, the supplier publishes its CRL
	// (its own admin's signature suffices), and the clerk's next
	// transaction is refused.
	sup, err := orgca.Open(dir(testnet.Supplier))
	if err != nil {
		t.Fatal(err)
	}
	clerk, err := sup.Enroll("clerk", orgca.EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := n.ClientConfig(testnet.Supplier, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg.CertPath, cfg.KeyPath = clerk.CertFile(), clerk.KeyFile()
	clerkConn, err := tlclient.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer clerkConn.Close()
	if _, err := clerkConn.Contract().Submit("System:Ping", client.WithArguments("clerk-before")); err != nil {
		t.Fatalf("the clerk's transaction before revocation: %v", err)
	}
	c.Must("org", "revoke", "--dir", dir(testnet.Supplier), "--name", "clerk")
	crl := filepath.Join(tmp, "crl.json")
	c.Must("consortium", "propose-msp", "--org-dir", dir(testnet.Supplier), "--out", crl)
	c.Must("consortium", "submit", crl, "--org-dir", dir(testnet.Supplier))
	revokedBefore := revokedInLogs(t, n)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		_, err := clerkConn.Contract().Submit("System:Ping", client.WithArguments(fmt.Sprintf("clerk-after-%d", time.Now().UnixNano())))
		if err != nil {
			// The peer tells the client only "access denied" (on purpose:
			// Fabric does not say why an identity is not valid); it logs
			// the reason, which must be the revocation.
			details := endorseDetails(err)
			t.Logf("the revoked clerk's transaction is refused: %s; peers said: %s", strings.SplitN(err.Error(), "\n", 2)[0], strings.Join(details, "; "))
			want := "access denied: channel [" + testnet.ChannelName + "] creator org [SupplierMSP]"
			if !slices.ContainsFunc(details, func(d string) bool { return strings.Contains(d, want) }) {
				t.Errorf("the refusal does not say %q: %v", want, err)
			}
			if after := revokedInLogs(t, n); after <= revokedBefore {
				t.Errorf("no peer logged %q for the clerk's refused transaction", revokedReason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the revoked clerk's transactions still commit a minute after the CRL's config block")
		}
	}
	if _, err := client_(t, n, testnet.Supplier).Roles(ctx); err != nil {
		t.Errorf("the supplier's other identities after the CRL: %v", err)
	}

	all := l.since(time.Time{})
	t.Logf("load: %d commits, %d failed submits over %s, longest gap overall %s (load average %s)", len(all), l.failedCount(),
		time.Since(l.started).Round(time.Second), longestGap(all, l.started, time.Now()).Round(10*time.Millisecond), loadAverage())
}

// loadAverage is the machine's 1, 5 and 15 minute load averages ("?"
// where unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// revokedReason is what Fabric's MSP says of an identity its CRL lists;
// the endorser logs it when it refuses the identity's proposal.
const revokedReason = "The certificate has been revoked"

// revokedInLogs counts revokedReason in the founding members' peer logs.
func revokedInLogs(t *testing.T, n *testnet.Network) int {
	t.Helper()
	k := 0
	for _, org := range testnet.Orgs {
		b, err := os.ReadFile(n.LogFile("peer." + org))
		if err != nil {
			t.Fatal(err)
		}
		k += strings.Count(string(b), revokedReason)
	}
	return k
}

// endorseDetails are the peers' messages attached to a gateway error.
func endorseDetails(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, ed.GetMspId()+" "+ed.GetAddress()+": "+ed.GetMessage())
		}
	}
	return out
}

func dial(t testing.TB, n *testnet.Network, org string) *tlclient.GatewayConn {
	t.Helper()
	cfg, err := n.ClientConfig(org, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlclient.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func client_(t testing.TB, n *testnet.Network, org string) *tlclient.Client {
	t.Helper()
	cfg, err := n.ClientConfig(org, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlclient.Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func gln(t *testing.T, body string) string {
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + fmt.Sprint(d)
}

func peerHeight(t testing.TB, n *testnet.Network, org string) uint64 {
	t.Helper()
	info, err := n.ChainInfo(context.Background(), org)
	if err != nil {
		t.Fatal(err)
	}
	return info.GetHeight()
}

// countWrites holds the exactly-once load's writes against conn's ledger,
// blocks from to to-1.
func countWrites(t testing.TB, l *e2eload.Load, conn *tlclient.GatewayConn, from, to uint64) e2eload.Count {
	t.Helper()
	c, err := l.CountOnLedger(context.Background(), conn, from, to)
	if err != nil {
		t.Fatalf("counting the load's writes on the ledger: %v", err)
	}
	return c
}

// ledgerTop is the highest height among the founding members' peers. A
// load's count of writes must read the ledger up to it, not to brand's
// height alone: a write's commit is reported by the peer of the gateway
// that submitted it, which may be a block ahead of brand's (seen in CI:
// the last block's 4 writes were counted lost).
func ledgerTop(t testing.TB, n *testnet.Network) uint64 {
	t.Helper()
	var top uint64
	for _, org := range testnet.Orgs {
		top = max(top, peerHeight(t, n, org))
	}
	return top
}

// waitConsentersHealthy waits until the channel has k consenters, every
// one answering and in step.
func waitConsentersHealthy(t *testing.T, status func() consortiumcmd.Status, k int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := status()
		ok := len(st.Consenters) == k
		for _, c := range st.Consenters {
			ok = ok && c.Healthy()
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consenters not all healthy within %s: %+v", within, st.Consenters)
		}
		time.Sleep(time.Second)
	}
}

// --- the node -------------------------------------------------------------------

type node struct {
	url, dataDir string
	cmd          *exec.Cmd
	done         chan struct{}
}

func startNode(t testing.TB, c *e2ecli.CLI, n *testnet.Network, org, dataDir string, port int) *node {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	cmd := c.Cmd("node", "start", "--testnet-org", org, "--testnet-dir", n.Dir(), "--listen", addr, "--base-url", "http://"+addr, "--data-dir", dataDir)
	log, err := os.Create(filepath.Join(n.Dir(), "logs", "node."+org+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nd := &node{url: "http://" + addr, dataDir: dataDir, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); log.Close(); close(nd.done) }()
	t.Cleanup(nd.stop)
	return nd
}

func (nd *node) stop() {
	select {
	case <-nd.done:
		return
	default:
	}
	_ = nd.cmd.Process.Signal(os.Interrupt)
	select {
	case <-nd.done:
	case <-time.After(10 * time.Second):
		_ = nd.cmd.Process.Kill()
		<-nd.done
	}
}

func waitIndexed(t testing.TB, nd *node, height uint64, within time.Duration) (applied uint64) {
	t.Helper()
	deadline := time.Now().Add(within)
	hc := http.Client{Timeout: 2 * time.Second}
	for {
		var h struct {
			Index struct {
				IndexBlock uint64 `json:"indexBlock"`
				Indexed    bool   `json:"indexed"`
				Applied    uint64 `json:"applied"`
			} `json:"index"`
		}
		resp, err := hc.Get(nd.url + "/healthz")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
		}
		if err == nil && h.Index.Indexed && h.Index.IndexBlock+1 >= height {
			return h.Index.Applied
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node has not indexed block %d within %s: %+v %v", height-1, within, h, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// --- load -----------------------------------------------------------------------

type commit struct{ at time.Time }

// load submits System:Ping transactions through the four founding members'
// gateways, round robin, and records each commit's time.
type load struct {
	started time.Time
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	commits []commit
	failed  int
}

func startLoad(conns map[string]*tlclient.GatewayConn, workers int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{started: time.Now(), cancel: cancel}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				org := testnet.Orgs[(w+i)%len(testnet.Orgs)]
				sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
				_, cm, err := conns[org].Contract().SubmitAsync("System:Ping", client.WithArguments(fmt.Sprintf("m-%d-%d-%d", w, i, time.Now().UnixNano())))
				var st *client.Status
				if err == nil {
					st, err = cm.StatusWithContext(sctx)
				}
				scancel()
				l.mu.Lock()
				if err != nil || !st.Successful {
					if ctx.Err() == nil {
						l.failed++
					}
				} else {
					l.commits = append(l.commits, commit{at: time.Now()})
				}
				l.mu.Unlock()
				if err != nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func (l *load) stop() { l.cancel(); l.wg.Wait() }

func (l *load) failedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

func (l *load) since(t time.Time) []commit {
	l.mu.Lock()
	defer l.mu.Unlock()
	var cs []commit
	for _, c := range l.commits {
		if c.at.After(t) {
			cs = append(cs, c)
		}
	}
	return cs
}

func (l *load) waitCommits(t time.Time, k int, within time.Duration) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if len(l.since(t)) >= k {
			return true
		}
	}
	return false
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
