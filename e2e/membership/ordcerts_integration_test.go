package membership_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/e2e/e2eload"
	"github.com/trustline/trustline/internal/cli/consortiumcmd"
	"github.com/trustline/trustline/orgca"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationMembershipOrdererRenewal: a member renews its orderer's
// certificates from its own CAs while workers keep writing. The channel
// learns them by a config update (consenter mapping, BlockValidation
// policy, endpoint) that a majority of the orderer group's admins sign;
// then the member restarts its orderer with them. The other three
// consenters keep a quorum meanwhile, so the load goes on; the renewed
// orderer catches up, is reached again by the three others, and signs
// blocks with its new identity. Each refusal on the way (nothing renewed
// yet, too few signatures, a consenter down, the same update again once
// the configuration moved on) is asserted with its message and exit code,
// and the config block unchanged.
//
// The renewed orderer is a follower: while its old process runs with
// certificates the channel no longer lists, it is out of the consensus,
// and a leader out of the consensus costs a view change
// (TestIntegrationMembershipLeaderOrdererRenewal renews the leader's).
func TestIntegrationMembershipOrdererRenewal(t *testing.T) {
	r := newRenewal(t)
	leader, err := r.n.BFTLeader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var followers []string
	for _, org := range testnet.Orgs {
		if org != leader {
			followers = append(followers, org)
		}
	}
	org, other := followers[0], followers[1] // renewed; killed for the refusal
	t.Logf("SmartBFT leader %s; renewing %s's orderer; %s's orderer is killed for the consenter-down refusal", leader, org, other)
	r.target(org)
	otherID := r.consenterID(other)

	r.startLoad()
	// Nothing renewed yet: bad input, exit 2.
	r.refused(2, "the channel already has "+testnet.MSPID(org)+"'s orderer certificates as its card describes them", r.propose...)

	r.renew()
	r.refused(3, "too few signatures: 1 of 4 member admins signed; /Channel/Orderer/Admins (MAJORITY Admins) needs 3", r.submitArgs...)
	r.sign(leader)
	r.refused(3, "too few signatures: 2 of 4 member admins signed; /Channel/Orderer/Admins", r.submitArgs...)
	// status shows the pending update with its signatures.
	if p := r.statusOf(r.upd).Pending; len(p) != 1 || p[0].Ready || !strings.Contains(p[0].Refusal, "too few signatures: 2 of 4") || !slices.Equal(sorted(p[0].SignedBy), sorted([]string{testnet.MSPID(org), testnet.MSPID(leader)})) ||
		!strings.Contains(p[0].What, "replace "+testnet.MSPID(org)+"'s orderer certificates") {
		t.Errorf("status of the pending update: %+v", p)
	}
	r.sign(other)
	if p := r.statusOf(r.upd).Pending; len(p) != 1 || !p[0].Ready || len(p[0].SignedBy) != 3 {
		t.Errorf("status of the update signed by three: %+v", p)
	}

	// A consenter down: the consenter change is refused, naming it.
	if err := r.n.Kill("orderer." + other); err != nil {
		t.Fatal(err)
	}
	r.refused(3, fmt.Sprintf("consenter not healthy: consenter %d (%s at ", otherID, testnet.MSPID(other)), r.submitArgs...)
	if err := r.n.Restart(context.Background(), "orderer."+other); err != nil {
		t.Fatal(err)
	}
	waitReachable(t, r.n, other, 2*time.Minute)
	waitConsentersHealthy(t, r.status, 4, 2*time.Minute)

	r.submit()
	r.restart()
	r.finish()
}

// renewal is one orderer certificate renewal under load on the package's
// testnet, in the steps a member and its peers take: renew, propose, sign,
// submit, restart; each step asserts what it must leave behind, and finish
// counts the load's writes against the ledger and logs the figures.
type renewal struct {
	t   *testing.T
	n   *testnet.Network
	c   *e2ecli.CLI
	tmp string

	org                 string // whose orderer is renewed
	id                  uint32 // its consenter id
	base                uint64 // the channel's config block number
	upd                 string // the update file
	propose, submitArgs []string
	servedBefore        time.Time // expiry of the TLS certificate served before
	renewed             time.Time // expiry of the renewed one
	identity            *ecdsa.PublicKey

	conns       map[string]*tlclient.GatewayConn
	l           *e2eload.Load
	startHeight uint64

	t0, tc, tr time.Time // renewal began, submitted, restart began
	figures    []string  // step figures, in order
}

// newRenewal waits until every orderer answers, is reached by the three
// others and every consenter is healthy: an earlier test may have restarted
// one.
func newRenewal(t *testing.T) *renewal {
	n := testkit.Network(t)
	c, tmp := buildCLI(t, n)
	r := &renewal{t: t, n: n, c: c, tmp: tmp}
	for _, org := range testnet.Orgs {
		waitReachable(t, n, org, 2*time.Minute)
	}
	waitConsentersHealthy(t, r.status, 4, 2*time.Minute)
	return r
}

func (r *renewal) statusOf(updates ...string) consortiumcmd.Status {
	r.t.Helper()
	var st consortiumcmd.Status
	out := r.c.Must(append([]string{"consortium", "status", "--org-dir", r.n.OrgDir(testnet.Brand), "-o", "json"}, updates...)...)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		r.t.Fatalf("status: %v\n%s", err, out)
	}
	return st
}

func (r *renewal) status() consortiumcmd.Status { r.t.Helper(); return r.statusOf() }

func (r *renewal) consenterID(org string) uint32 {
	r.t.Helper()
	st := r.status()
	for _, k := range st.Consenters {
		if k.MSPID == testnet.MSPID(org) {
			return k.ID
		}
	}
	r.t.Fatalf("%s runs no consenter: %+v", org, st.Consenters)
	return 0
}

// target names the organisation whose orderer is renewed.
func (r *renewal) target(org string) {
	r.t.Helper()
	r.org = org
	r.id = r.consenterID(org)
	r.base = r.status().ConfigBlock
	r.servedBefore = servedOrdererTLS(r.t, r.c, r.n, org)
	r.upd = filepath.Join(r.tmp, "orderer-certs.json")
	r.propose = []string{"consortium", "propose-orderer-certs", "--org-dir", r.n.OrgDir(org), "--out", r.upd}
	r.submitArgs = []string{"consortium", "submit", r.upd, "--org-dir", r.n.OrgDir(testnet.Brand)}
}

// refused runs a command that must be refused with code and a one-line
// message containing want, and checks the configuration did not move.
func (r *renewal) refused(code int, want string, args ...string) {
	r.t.Helper()
	out, errOut, got := r.c.Run(args...)
	if got != code || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		r.t.Errorf("trustline %s: exit %d, want %d and one line naming %q\n%s%s", strings.Join(args, " "), got, code, want, out, errOut)
	} else {
		r.t.Logf("refused (exit %d): %s", got, strings.TrimSpace(errOut))
	}
	if got := r.status().ConfigBlock; got != r.base {
		r.t.Errorf("after a refused %s the config block is %d, was %d", args[1], got, r.base)
	}
}

// startLoad starts four workers writing through the founding members'
// gateways and waits for their first commits.
func (r *renewal) startLoad() {
	r.t.Helper()
	r.conns = map[string]*tlclient.GatewayConn{}
	for _, o := range testnet.Orgs {
		r.conns[o] = dial(r.t, r.n, o)
	}
	r.startHeight = peerHeight(r.t, r.n, testnet.Brand)
	r.l = e2eload.Start(r.conns, 4)
	r.t.Cleanup(func() { r.l.Stop(time.Minute) })
	if !r.l.WaitCommits(time.Now(), 5, time.Minute) {
		r.t.Fatalf("the load commits nothing")
	}
}

// renew: the member renews its orderer's certificates from its own CAs
// (the running orderer keeps its old ones until it restarts) and proposes
// them, signing as its admin.
func (r *renewal) renew() {
	r.t.Helper()
	r.t0 = time.Now()
	out := r.c.Must("org", "renew", "--dir", r.n.OrgDir(r.org), "--name", orgca.Orderer)
	renewed, err := time.Parse(time.RFC3339, strings.TrimSpace(out))
	if err != nil {
		r.t.Fatal(err)
	}
	r.renewed = renewed
	r.c.Must(r.propose...)
}

// sign: org's admin signs the update.
func (r *renewal) sign(org string) {
	r.t.Helper()
	r.c.Must("consortium", "sign", r.upd, "--org-dir", r.n.OrgDir(org))
}

// submit: from its config block on, the channel expects the new
// certificates; the renewed orderer's old process is out of the
// consensus, the three others order.
func (r *renewal) submit() {
	r.t.Helper()
	r.tc = time.Now()
	// A consenter restarted just before (the consenter-down refusal) can
	// still be catching up under the load, for tens of seconds: the submit
	// waits for it as an operator would, instead of being refused.
	out := r.c.Must(append(slices.Clone(r.submitArgs), "--wait-healthy", "2m")...)
	r.t.Logf("submitted: config block %s", strings.TrimSpace(out))
	st := r.status()
	if st.ConfigBlock <= r.base {
		r.t.Fatalf("config block %d after the submit, was %d", st.ConfigBlock, r.base)
	}
	r.base = st.ConfigBlock
	// The channel's configuration holds the renewed TLS certificate.
	if i := slices.IndexFunc(st.Expiries, func(e consortiumcmd.ExpiryStatus) bool { return e.What == fmt.Sprintf("consenter %d TLS", r.id) }); i < 0 || !st.Expiries[i].NotAfter.Equal(r.renewed) {
		r.t.Errorf("the channel's consenter %d TLS certificate (%s) does not expire at the renewed %s: %+v", r.id, r.org, r.renewed, st.Expiries)
	}
	card, err := orgca.ReadCard(filepath.Join(r.n.OrgDir(r.org), "card.json"))
	if err != nil {
		r.t.Fatal(err)
	}
	identity, err := orgca.ParseCertPEM([]byte(card.Orderer.Identity))
	if err != nil {
		r.t.Fatal(err)
	}
	r.identity = identity.PublicKey.(*ecdsa.PublicKey)
	if !r.l.WaitCommits(time.Now(), 10, time.Minute) {
		r.t.Fatalf("commits stalled once the channel expected %s's new orderer certificates", r.org)
	}
	r.figures = append(r.figures, fmt.Sprintf("first commit %s after the submit began", r.firstCommit(r.tc)))
}

// firstCommit is how long after t the load's first commit came.
func (r *renewal) firstCommit(t time.Time) time.Duration {
	if cs := r.l.Since(t); len(cs) > 0 {
		first := cs[0]
		for _, c := range cs {
			if c.Before(first) {
				first = c
			}
		}
		return first.Sub(t).Round(10 * time.Millisecond)
	}
	return -1
}

// restart: the member restarts its orderer with the new certificates; it
// catches up, is reached by the three others, signs a block with its new
// identity, follows the channel and serves its new TLS certificate; every
// consenter is healthy.
func (r *renewal) restart() {
	r.t.Helper()
	t, n, org, ctx := r.t, r.n, r.org, context.Background()
	r.tr = time.Now()
	if err := n.Reload(ctx, "orderer."+org); err != nil {
		t.Fatal(err)
	}
	listening := time.Since(r.tr)
	target := peerHeight(t, n, testnet.Brand)
	var height uint64
	var err error
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		height, err = n.OrdererHeight(ctx, org)
		if err == nil && height >= target {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's renewed orderer has not caught up with block %d within 2m (at %d, %v)", org, target-1, height, err)
		}
	}
	caughtUp := time.Since(r.tr)
	waitReachable(t, n, org, 2*time.Minute)
	reached := time.Since(r.tr)
	// It takes part in the consensus again: a block it decided carries its
	// signature, made with its new identity.
	signed, signedAt := signedBlock(t, n, org, r.id, r.identity, target, 2*time.Minute)
	signing := signedAt.Sub(r.tr)
	// Its height follows the channel's.
	peer := peerHeight(t, n, testnet.Brand)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(250 * time.Millisecond) {
		height, err = n.OrdererHeight(ctx, org)
		if err == nil && height >= peer {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's renewed orderer does not follow: at %d, the brand's peer was at %d (%v)", org, height, peer, err)
		}
	}
	// It serves its new TLS certificate, and every consenter is healthy.
	servedAfter := servedOrdererTLS(t, r.c, n, org)
	if !servedAfter.Equal(r.renewed) || servedAfter.Equal(r.servedBefore) {
		t.Errorf("%s's orderer presents a TLS certificate expiring %s (before %s), want the renewed %s", org, servedAfter, r.servedBefore, r.renewed)
	}
	waitConsentersHealthy(t, r.status, 4, time.Minute)
	r.figures = append(r.figures, fmt.Sprintf("restart to listening %s, caught up with block %d %s, reached by the 3 others %s, first block signed with the new identity (block %d) %s after the restart began, first commit %s after it; orderer TLS expiry %s → %s",
		listening.Round(10*time.Millisecond), target-1, caughtUp.Round(10*time.Millisecond), reached.Round(10*time.Millisecond),
		signed, signing.Round(10*time.Millisecond), r.firstCommit(r.tr), r.servedBefore.Format(time.RFC3339), servedAfter.Format(time.RFC3339)))
}

// finish: the same update again is refused as stale; the member's peer
// keeps serving; the load stops and every write is on the ledger once.
func (r *renewal) finish() {
	r.t.Helper()
	t, org := r.t, r.org
	// A stale update: the same update again, now that the configuration
	// moved on.
	r.refused(3, "stale update: the channel's configuration moved on since the update was proposed", r.submitArgs...)

	// The member's peer keeps serving: its gateway commits, its peer is in
	// step with the others.
	if _, err := r.conns[org].Contract().Submit("System:Ping", client.WithArguments(fmt.Sprintf("after-renewal-%d", time.Now().UnixNano()))); err != nil {
		t.Errorf("%s's gateway after its orderer's renewal: %v", org, err)
	}
	tEnd := time.Now()
	if !r.l.WaitCommits(tEnd, 20, time.Minute) {
		t.Fatalf("commits stalled after the renewal")
	}
	if a, b := peerHeight(t, r.n, org), peerHeight(t, r.n, testnet.Brand); a+10 < b {
		t.Errorf("%s's peer at height %d, brand's at %d", org, a, b)
	}
	r.l.Stop(2 * time.Minute)
	endHeight := ledgerTop(t, r.n)
	count := countWrites(t, r.l, r.conns[testnet.Brand], r.startHeight, endHeight)
	t.Logf("FIGURE orderer certificate renewal of %s under load: renew to submitted %s; %s; longest commit gap from the submit on (%s) %s (submit to restart %s, from the restart on %s), over the whole renewal %s (load average %s)",
		org, r.tc.Sub(r.t0).Round(100*time.Millisecond), strings.Join(r.figures, "; "), tEnd.Sub(r.tc).Round(100*time.Millisecond),
		r.l.LongestGap(r.tc, tEnd).Round(10*time.Millisecond), r.l.LongestGap(r.tc, r.tr).Round(10*time.Millisecond),
		r.l.LongestGap(r.tr, tEnd).Round(10*time.Millisecond), r.l.LongestGap(r.t0, tEnd).Round(10*time.Millisecond), loadAverage())
	t.Logf("FIGURE orderer renewal under load: %s", count)
	for _, reason := range r.l.Reasons() {
		t.Logf("retry reason: %s", reason)
	}
	if !count.Exact() {
		t.Errorf("%s; want each write on the ledger exactly once", count)
	}
}

// waitReachable waits until org's orderer answers and every other founding
// consenter holds a consensus stream to it: after a restart their dials
// back off, and until they reach it again it does not count towards a
// quorum.
func waitReachable(t *testing.T, n *testnet.Network, org string, within time.Duration) {
	t.Helper()
	var streams int
	var err error
	for deadline := time.Now().Add(within); ; time.Sleep(250 * time.Millisecond) {
		streams, err = n.OrdererIngressStreams(context.Background(), org)
		if err == nil && streams >= len(testnet.Orgs)-1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's orderer not reached by the %d others within %s: %d streams (%v)", org, len(testnet.Orgs)-1, within, streams, err)
		}
	}
}

// servedOrdererTLS is the expiry of the TLS certificate org's orderer
// presents now, as `consortium status` shows it to org's admin.
func servedOrdererTLS(t *testing.T, c *e2ecli.CLI, n *testnet.Network, org string) time.Time {
	t.Helper()
	var st consortiumcmd.Status
	out := c.Must("consortium", "status", "--org-dir", n.OrgDir(org), "-o", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	for _, e := range st.Expiries {
		if e.What == "orderer TLS (served)" {
			return e.NotAfter
		}
	}
	t.Fatalf("status shows no certificate served by %s's orderer: %s", org, out)
	return time.Time{}
}

// signedBlock waits until org's orderer holds a block from number from on
// that carries a signature of consenter id valid under pub (SmartBFT puts
// the deciding node's own signature into the blocks it decides), and
// returns its number and when it was found.
func signedBlock(t *testing.T, n *testnet.Network, org string, id uint32, pub *ecdsa.PublicKey, from uint64, within time.Duration) (uint64, time.Time) {
	t.Helper()
	o, err := orgca.Open(n.OrgDir(org))
	if err != nil {
		t.Fatal(err)
	}
	s, err := consortium.AdminSigner(o)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(o.TLSCAFile())
	if err != nil {
		t.Fatal(err)
	}
	oc, err := consortium.DialOrderer(n.OrdererAddress(org), [][]byte{ca}, s)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	next, checked := from, 0
	var lastErr error
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		h, err := oc.Height(ctx, testnet.ChannelName)
		for ; err == nil && next < h; next++ {
			var b *common.Block
			if b, err = oc.Block(ctx, testnet.ChannelName, next); err != nil {
				break
			}
			checked++
			ok, serr := signedBy(b, id, pub)
			if serr != nil {
				cancel()
				t.Fatal(serr)
			}
			if ok {
				cancel()
				t.Logf("block %d on %s's orderer carries its signature (consenter %d, new identity); %d blocks checked from %d", next, org, id, checked, from)
				return next, time.Now()
			}
		}
		cancel()
		if err != nil {
			lastErr = err
		}
	}
	t.Fatalf("no block from %d on (%d checked) on %s's orderer carries its signature within %s (%v)", from, checked, org, within, lastErr)
	return 0, time.Time{}
}

// signedBy says whether block b carries a SmartBFT signature of consenter
// id that verifies under pub: Fabric signs the signatures metadata's value,
// the signature's identifier header and the block header's ASN.1 bytes,
// ECDSA over SHA-256.
func signedBy(b *common.Block, id uint32, pub *ecdsa.PublicKey) (bool, error) {
	mds := b.GetMetadata().GetMetadata()
	if len(mds) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return false, fmt.Errorf("block %d has no signatures metadata", b.GetHeader().GetNumber())
	}
	var md common.Metadata
	if err := proto.Unmarshal(mds[common.BlockMetadataIndex_SIGNATURES], &md); err != nil {
		return false, err
	}
	h := b.GetHeader()
	header, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	if err != nil {
		return false, err
	}
	for _, sig := range md.GetSignatures() {
		var ih common.IdentifierHeader
		if len(sig.GetIdentifierHeader()) == 0 || proto.Unmarshal(sig.GetIdentifierHeader(), &ih) != nil || ih.GetIdentifier() != id {
			continue
		}
		digest := sha256.Sum256(bytes.Join([][]byte{md.GetValue(), sig.GetIdentifierHeader(), header}, nil))
		if ecdsa.VerifyASN1(pub, digest[:], sig.GetSignature()) {
			return true, nil
		}
		return false, fmt.Errorf("block %d: consenter %d's signature does not verify under its new identity", h.GetNumber(), id)
	}
	return false, nil
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
