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
// and a leader out of the consensus costs a view change.
func TestIntegrationMembershipOrdererRenewal(t *testing.T) {
	n := testkit.Network(t)
	c, tmp := buildCLI(t, n)
	ctx := context.Background()
	dir := func(org string) string { return n.OrgDir(org) }

	statusOf := func(updates ...string) consortiumcmd.Status {
		t.Helper()
		var st consortiumcmd.Status
		out := c.Must(append([]string{"consortium", "status", "--org-dir", dir(testnet.Brand), "-o", "json"}, updates...)...)
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		return st
	}
	status := func() consortiumcmd.Status { t.Helper(); return statusOf() }
	// Every orderer answering and reached by the three others before
	// anything: an earlier test may have restarted one.
	for _, org := range testnet.Orgs {
		waitReachable(t, n, org, 2*time.Minute)
	}
	waitConsentersHealthy(t, status, 4, 2*time.Minute)

	leader, err := n.BFTLeader(ctx)
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

	st := status()
	base := st.ConfigBlock
	var id, otherID uint32
	for _, k := range st.Consenters {
		switch k.MSPID {
		case testnet.MSPID(org):
			id = k.ID
		case testnet.MSPID(other):
			otherID = k.ID
		}
	}
	if id == 0 || otherID == 0 {
		t.Fatalf("%s or %s runs no consenter: %+v", org, other, st.Consenters)
	}
	servedBefore := servedOrdererTLS(t, c, n, org)

	// refused runs a command that must be refused with code and a one-line
	// message containing want, and checks the configuration did not move.
	refused := func(code int, want string, args ...string) {
		t.Helper()
		out, errOut, got := c.Run(args...)
		if got != code || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("trustline %s: exit %d, want %d and one line naming %q\n%s%s", strings.Join(args, " "), got, code, want, out, errOut)
		} else {
			t.Logf("refused (exit %d): %s", got, strings.TrimSpace(errOut))
		}
		if got := status().ConfigBlock; got != base {
			t.Errorf("after a refused %s the config block is %d, was %d", args[1], got, base)
		}
	}

	conns := map[string]*tlclient.GatewayConn{}
	for _, o := range testnet.Orgs {
		conns[o] = dial(t, n, o)
	}
	startHeight := peerHeight(t, n, testnet.Brand)
	l := startExactLoad(conns, 4)
	defer l.stop(time.Minute)
	if !l.waitCommits(time.Now(), 5, time.Minute) {
		t.Fatalf("the load commits nothing")
	}

	upd := filepath.Join(tmp, "orderer-certs.json")
	propose := []string{"consortium", "propose-orderer-certs", "--org-dir", dir(org), "--out", upd}
	// Nothing renewed yet: bad input, exit 2.
	refused(2, "the channel already has "+testnet.MSPID(org)+"'s orderer certificates as its card describes them", propose...)

	// The member renews its orderer's certificates from its own CAs (the
	// running orderer keeps its old ones until it restarts) and proposes
	// them, signing as its admin.
	t0 := time.Now()
	out := c.Must("org", "renew", "--dir", dir(org), "--name", orgca.Orderer)
	renewed, err := time.Parse(time.RFC3339, strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	c.Must(propose...)
	submit := []string{"consortium", "submit", upd, "--org-dir", dir(testnet.Brand)}
	refused(3, "too few signatures: 1 of 4 member admins signed; /Channel/Orderer/Admins (MAJORITY Admins) needs 3", submit...)
	c.Must("consortium", "sign", upd, "--org-dir", dir(leader))
	refused(3, "too few signatures: 2 of 4 member admins signed; /Channel/Orderer/Admins", submit...)
	// status shows the pending update with its signatures.
	if p := statusOf(upd).Pending; len(p) != 1 || p[0].Ready || !strings.Contains(p[0].Refusal, "too few signatures: 2 of 4") || !slices.Equal(sorted(p[0].SignedBy), sorted([]string{testnet.MSPID(org), testnet.MSPID(leader)})) ||
		!strings.Contains(p[0].What, "replace "+testnet.MSPID(org)+"'s orderer certificates") {
		t.Errorf("status of the pending update: %+v", p)
	}
	c.Must("consortium", "sign", upd, "--org-dir", dir(other))
	if p := statusOf(upd).Pending; len(p) != 1 || !p[0].Ready || len(p[0].SignedBy) != 3 {
		t.Errorf("status of the update signed by three: %+v", p)
	}

	// A consenter down: the consenter change is refused, naming it.
	if err := n.Kill("orderer." + other); err != nil {
		t.Fatal(err)
	}
	refused(3, fmt.Sprintf("consenter not healthy: consenter %d (%s at ", otherID, testnet.MSPID(other)), submit...)
	if err := n.Restart(ctx, "orderer."+other); err != nil {
		t.Fatal(err)
	}
	waitReachable(t, n, other, 2*time.Minute)
	waitConsentersHealthy(t, status, 4, 2*time.Minute)

	// Submitted: from its config block on, the channel expects the new
	// certificates; the renewed orderer's old process is out of the
	// consensus, the three others order.
	tc := time.Now()
	out = c.Must(submit...)
	t.Logf("submitted: config block %s", strings.TrimSpace(out))
	st = status()
	if st.ConfigBlock <= base {
		t.Fatalf("config block %d after the submit, was %d", st.ConfigBlock, base)
	}
	base = st.ConfigBlock
	// The channel's configuration holds the renewed TLS certificate.
	if i := slices.IndexFunc(st.Expiries, func(e consortiumcmd.ExpiryStatus) bool { return e.What == fmt.Sprintf("consenter %d TLS", id) }); i < 0 || !st.Expiries[i].NotAfter.Equal(renewed) {
		t.Errorf("the channel's consenter %d TLS certificate (%s) does not expire at the renewed %s: %+v", id, org, renewed, st.Expiries)
	}
	card, err := orgca.ReadCard(filepath.Join(dir(org), "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	identity, err := orgca.ParseCertPEM([]byte(card.Orderer.Identity))
	if err != nil {
		t.Fatal(err)
	}
	if !l.waitCommits(time.Now(), 10, time.Minute) {
		t.Fatalf("commits stalled once the channel expected %s's new orderer certificates", org)
	}

	// The member restarts its orderer with the new certificates.
	tr := time.Now()
	if err := n.Reload(ctx, "orderer."+org); err != nil {
		t.Fatal(err)
	}
	listening := time.Since(tr)
	target := peerHeight(t, n, testnet.Brand)
	var height uint64
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		height, err = n.OrdererHeight(ctx, org)
		if err == nil && height >= target {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's renewed orderer has not caught up with block %d within 2m (at %d, %v)", org, target-1, height, err)
		}
	}
	caughtUp := time.Since(tr)
	waitReachable(t, n, org, 2*time.Minute)
	reached := time.Since(tr)
	// It takes part in the consensus again: a block it decided carries its
	// signature, made with its new identity.
	signed, signedAt := signedBlock(t, n, org, id, identity.PublicKey.(*ecdsa.PublicKey), target, 2*time.Minute)
	signing := signedAt.Sub(tr)
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
	servedAfter := servedOrdererTLS(t, c, n, org)
	if !servedAfter.Equal(renewed) || servedAfter.Equal(servedBefore) {
		t.Errorf("%s's orderer presents a TLS certificate expiring %s (before %s), want the renewed %s", org, servedAfter, servedBefore, renewed)
	}
	waitConsentersHealthy(t, status, 4, time.Minute)

	// A stale update: the same update again, now that the configuration
	// moved on.
	refused(3, "stale update: the channel's configuration moved on since the update was proposed", submit...)

	// The member's peer keeps serving: its gateway commits, its peer is in
	// step with the others.
	if _, err := conns[org].Contract().Submit("System:Ping", client.WithArguments(fmt.Sprintf("after-renewal-%d", time.Now().UnixNano()))); err != nil {
		t.Errorf("%s's gateway after its orderer's renewal: %v", org, err)
	}
	tEnd := time.Now()
	if !l.waitCommits(tEnd, 20, time.Minute) {
		t.Fatalf("commits stalled after the renewal")
	}
	if a, b := peerHeight(t, n, org), peerHeight(t, n, testnet.Brand); a+10 < b {
		t.Errorf("%s's peer at height %d, brand's at %d", org, a, b)
	}
	l.stop(2 * time.Minute)
	endHeight := peerHeight(t, n, testnet.Brand)
	writes, attempts, retried, lost, duplicated, unfinished := l.countOnLedger(t, conns[testnet.Brand], startHeight, endHeight)
	loadAvg, _ := os.ReadFile("/proc/loadavg")
	t.Logf("FIGURE orderer certificate renewal of %s under load: renew to submitted %s; restart to listening %s, caught up with block %d %s, reached by the 3 others %s, first block signed with the new identity (block %d) %s after the restart began; longest commit gap from the submit on (%s) %s, over the whole renewal %s; orderer TLS expiry %s → %s (load average %s)",
		org, tc.Sub(t0).Round(100*time.Millisecond), listening.Round(10*time.Millisecond), target-1, caughtUp.Round(10*time.Millisecond), reached.Round(10*time.Millisecond),
		signed, signing.Round(10*time.Millisecond), tEnd.Sub(tc).Round(100*time.Millisecond), longestGap(l.since(tc), tc, tEnd).Round(10*time.Millisecond),
		longestGap(l.since(t0), t0, tEnd).Round(10*time.Millisecond), servedBefore.Format(time.RFC3339), servedAfter.Format(time.RFC3339), strings.Join(strings.Fields(string(loadAvg))[:3], " "))
	t.Logf("FIGURE orderer renewal under load: %d writes in %d attempts (%d retried), %d lost, %d duplicated, %d unfinished", writes, attempts, retried, lost, duplicated, unfinished)
	for _, r := range l.reasons() {
		t.Logf("retry reason: %s", r)
	}
	if lost != 0 || duplicated != 0 || unfinished != 0 || writes == 0 {
		t.Errorf("writes %d: %d lost, %d duplicated, %d unfinished; want none", writes, lost, duplicated, unfinished)
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
