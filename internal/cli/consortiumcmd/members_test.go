package consortiumcmd_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/consortiumcmd"
	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/orgca"
)

// fakeChannel is a channel as every orderer of a fake consortium sees it:
// its configuration and config block number; a submitted update that
// passes the checks a real orderer makes is applied as the next config
// block. Orderers at addresses in down do not answer.
type fakeChannel struct {
	mu        sync.Mutex
	cc        *consortium.ChannelConfig
	genesis   *common.Block
	height    uint64
	down      map[string]bool
	downCalls map[string]int // calls an orderer refuses before it answers
	submitted int
	serving   map[string]consortium.CertExpiry
}

func (fc *fakeChannel) dial(addr string, _ [][]byte, _ *consortium.Signer) (consortium.OrdererClient, error) {
	return &fakeOrderer{fc: fc, addr: addr}, nil
}

// served is the TLS certificate the peer or orderer at addr presents, if
// the test put one in serving; none answers otherwise.
func (fc *fakeChannel) served(_ context.Context, addr string, _ [][]byte) (consortium.CertExpiry, error) {
	if e, ok := fc.serving[addr]; ok {
		return e, nil
	}
	return consortium.CertExpiry{}, fmt.Errorf("%s: connection refused", addr)
}

type fakeOrderer struct {
	fc   *fakeChannel
	addr string
}

func (o *fakeOrderer) check() error {
	o.fc.mu.Lock()
	defer o.fc.mu.Unlock()
	if o.fc.down[o.addr] {
		return fmt.Errorf("orderer at %s: connection refused", o.addr)
	}
	if o.fc.downCalls[o.addr] > 0 {
		o.fc.downCalls[o.addr]--
		return fmt.Errorf("orderer at %s: connection refused", o.addr)
	}
	return nil
}

func (o *fakeOrderer) Block(_ context.Context, _ string, n uint64) (*common.Block, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if n == 0 {
		return o.fc.genesis, nil
	}
	return nil, errors.New("fake: only block 0")
}

func (o *fakeOrderer) Height(context.Context, string) (uint64, error) {
	if err := o.check(); err != nil {
		return 0, err
	}
	o.fc.mu.Lock()
	defer o.fc.mu.Unlock()
	return o.fc.height, nil
}

func (o *fakeOrderer) Config(context.Context, string) (*consortium.ChannelConfig, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	o.fc.mu.Lock()
	defer o.fc.mu.Unlock()
	c := *o.fc.cc
	return &c, nil
}

func (o *fakeOrderer) ConfigBlock(context.Context, string) ([]byte, error) {
	return proto.Marshal(o.fc.genesis)
}

func (o *fakeOrderer) Submit(_ context.Context, u *consortium.Update) error {
	if err := o.check(); err != nil {
		return err
	}
	o.fc.mu.Lock()
	defer o.fc.mu.Unlock()
	if _, err := u.Check(o.fc.cc); err != nil {
		return &consortium.RejectedError{Status: "BAD_REQUEST", Info: err.Error()}
	}
	var cu common.ConfigUpdate
	proto.Unmarshal(u.ConfigUpdate, &cu)
	next, err := consortium.ApplyUpdate(o.fc.cc.Config, &cu)
	if err != nil {
		return &consortium.RejectedError{Status: "BAD_REQUEST", Info: err.Error()}
	}
	o.fc.height++
	o.fc.cc = &consortium.ChannelConfig{Channel: o.fc.cc.Channel, Block: o.fc.height - 1, Config: next}
	o.fc.submitted++
	return nil
}

func (o *fakeOrderer) Close() error { return nil }

// members makes five organisations (four members and a newcomer) and the
// channel of the four, from a genesis block made by configtxgen.
func members(t *testing.T) ([]*orgca.Org, *fakeChannel) {
	t.Helper()
	configtxgen, _ := filepath.Abs("../../../bin/configtxgen")
	testenv.NeedFile(t, configtxgen, "make fabric builds it")
	var orgs []*orgca.Org
	var cards []orgca.Card
	names := []string{"brand", "supplier", "lab", "logistics", "retailer"}
	for i, org := range names {
		o, err := orgca.Init(t.TempDir(), orgca.Spec{
			MSPID: strings.ToUpper(org[:1]) + org[1:] + "MSP", Domain: org + ".example.com",
			PeerAddress: fmt.Sprintf("198.18.0.%d:7051", i+2), OrdererAddress: fmt.Sprintf("198.18.0.%d:7050", i+2),
			Hosts: []string{fmt.Sprintf("198.18.0.%d", i+2)},
		})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o)
		cards = append(cards, o.Card())
	}
	ms, err := consortium.Assemble(cards[:4], ledger.RoleTable{"BrandMSP": {ledger.RoleBrand}, "SupplierMSP": {ledger.RoleSupplier}, "LabMSP": {ledger.RoleLab}, "LogisticsMSP": {ledger.RoleLogistics}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := consortium.New("", ms)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "genesis.block")
	if err := c.Genesis(context.Background(), configtxgen, filepath.Join(dir, "configtx"), out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	cc, err := consortium.ParseConfigBlock(b)
	if err != nil {
		t.Fatal(err)
	}
	var g common.Block
	proto.Unmarshal(b, &g)
	return orgs, &fakeChannel{cc: cc, genesis: &g, height: 1, down: map[string]bool{}}
}

func run(t *testing.T, fc *fakeChannel, args ...string) cmdtest.Result {
	t.Helper()
	return cmdtest.Run(t, func(f *cmdutil.Factory) *cobra.Command {
		f.Orderer = fc.dial
		f.ServedCertificate = fc.served
		return consortiumcmd.NewCmd(f)
	}, cmdtest.Ledger{Err: errors.New("no ledger in this test")}, "", args...)
}

// TestMembership: propose-add, sign, submit (refused with the count, then
// done at a majority), the refusals (already a member, stale, a consenter
// down), status, and removal.
func TestMembership(t *testing.T) {
	orgs, fc := members(t)
	brand, supplier, lab, retailer := orgs[0].Dir(), orgs[1].Dir(), orgs[2].Dir(), orgs[4]
	dir := t.TempDir()
	upd := filepath.Join(dir, "add.json")

	r := run(t, fc, "propose-add", retailer.CardFile(), "--org-dir", brand, "--consenter", "--roles", "logistics", "--out", upd)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != upd {
		t.Fatalf("propose-add: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "add RetailerMSP as peer organisation and BFT consenter to channel trustline (from config block 0)") ||
		!strings.Contains(r.Stderr, "1 of 4 member admins signed") {
		t.Errorf("propose-add said %q", r.Stderr)
	}
	if r := run(t, fc, "sign", upd, "--org-dir", supplier); r.Code != 0 || !strings.Contains(r.Stderr, "SupplierMSP signed") || !strings.Contains(r.Stderr, "Signatures: BrandMSP, SupplierMSP") {
		t.Fatalf("sign: exit %d %s", r.Code, r.Stderr)
	}
	// Two of four: refused, with the count, nothing submitted.
	r = run(t, fc, "submit", upd, "--org-dir", brand)
	if r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "too few signatures: 2 of 4 member admins signed; /Channel/Application/Admins (MAJORITY Admins) needs 3") {
		t.Errorf("submit at 2 of 4: exit %d %q", r.Code, r.Stderr)
	}
	if strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
		t.Errorf("refusal is not one line: %q", r.Stderr)
	}
	if fc.submitted != 0 || fc.cc.Block != 0 {
		t.Fatalf("a refused update changed the channel")
	}
	// The newcomer's own signature does not count.
	run(t, fc, "sign", upd, "--org-dir", retailer.Dir())
	if r := run(t, fc, "submit", upd, "--org-dir", brand); r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "2 of 4 member admins signed") {
		t.Errorf("newcomer's signature counted: exit %d %q", r.Code, r.Stderr)
	}
	if r := run(t, fc, "sign", upd, "--org-dir", lab); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	// A consenter down: a consenter change is refused.
	fc.down["198.18.0.4:7050"] = true
	r = run(t, fc, "submit", upd, "--org-dir", brand)
	if r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "consenter not healthy: consenter 3 (LabMSP at 198.18.0.4:7050) orderer at 198.18.0.4:7050: connection refused; a consenter set is changed only while every remaining consenter is healthy") {
		t.Errorf("submit with a consenter down: exit %d %q", r.Code, r.Stderr)
	}
	if fc.submitted != 0 {
		t.Fatalf("a refused update changed the channel")
	}
	delete(fc.down, "198.18.0.4:7050")
	// --wait-healthy: one that stays down is refused at the end of the
	// wait, having said once whom it waits for.
	fc.downCalls = map[string]int{"198.18.0.4:7050": 1 << 20}
	start := time.Now()
	r = run(t, fc, "submit", upd, "--org-dir", brand, "--wait-healthy", "1500ms")
	if r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "consenter not healthy: consenter 3 (LabMSP at 198.18.0.4:7050)") ||
		strings.Count(r.Stderr, "Waiting for consenter 3 (LabMSP)") != 1 || time.Since(start) < 1500*time.Millisecond || fc.submitted != 0 {
		t.Errorf("submit --wait-healthy, a consenter down throughout: exit %d after %s %q", r.Code, time.Since(start), r.Stderr)
	}
	fc.downCalls = nil

	// Status before: the pending update, ready.
	r = run(t, fc, "status", "--org-dir", brand, upd)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Channel trustline: config block 0") || !strings.Contains(r.Stdout, "signed by BrandMSP, SupplierMSP, RetailerMSP, LabMSP: ready to submit") ||
		!strings.Contains(r.Stdout, "not counted: RetailerMSP") || !strings.Contains(r.Stdout, "Chaincode trustline: not read") {
		t.Errorf("status: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}

	// A consenter that comes back within --wait-healthy (two asks
	// unanswered, as a restarted orderer catching up): submitted.
	fc.downCalls = map[string]int{"198.18.0.4:7050": 2}
	forNew := filepath.Join(dir, "for-retailer")
	r = run(t, fc, "submit", upd, "--org-dir", brand, "--blocks", forNew, "--wait-healthy", "1m")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "1" || !strings.Contains(r.Stderr, "Done: add RetailerMSP as peer organisation and BFT consenter to channel trustline, in config block 1") ||
		strings.Count(r.Stderr, "Waiting for consenter 3 (LabMSP) (up to ") != 1 {
		t.Fatalf("submit: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	for _, f := range []string{"genesis.block", "config.block"} {
		if _, err := os.Stat(filepath.Join(forNew, f)); err != nil {
			t.Error(err)
		}
	}
	// Again: RetailerMSP is in now (and the update is stale).
	if r := run(t, fc, "submit", upd, "--org-dir", brand); r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "stale update: the channel's configuration moved on since the update was proposed (from config block 0, sequence 0; now config block 1, sequence 1)") {
		t.Errorf("resubmit: exit %d %q", r.Code, r.Stderr)
	}
	if r := run(t, fc, "propose-add", retailer.CardFile(), "--org-dir", brand, "--out", filepath.Join(dir, "again.json")); r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "already a member: RetailerMSP is already in channel trustline (config block 1)") {
		t.Errorf("propose-add of a member: exit %d %q", r.Code, r.Stderr)
	}

	// Status after, as JSON: five members, five consenters.
	r = run(t, fc, "status", "--org-dir", brand, "-o", "json")
	var st consortiumcmd.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || r.Code != 0 {
		t.Fatalf("status json: %v %d %s", err, r.Code, r.Stderr)
	}
	if len(st.Members) != 5 || len(st.Consenters) != 5 || st.Consenters[4].MSPID != "RetailerMSP" || st.ConfigBlock != 1 || len(st.Expiries) != 20 || st.Expiries[0].Warn {
		t.Errorf("status: %+v", st)
	}

	// Removal: LogisticsMSP, by a majority of the five (3).
	rm := filepath.Join(dir, "rm.json")
	if r := run(t, fc, "propose-remove", "LogisticsMSP", "--org-dir", supplier, "--out", rm); r.Code != 0 || !strings.Contains(r.Stderr, "remove LogisticsMSP (peer organisation and BFT consenter)") || !strings.Contains(r.Stderr, "1 of 5 member admins signed") {
		t.Fatalf("propose-remove: exit %d %q", r.Code, r.Stderr)
	}
	run(t, fc, "sign", rm, "--org-dir", lab)
	run(t, fc, "sign", rm, "--org-dir", retailer.Dir())
	// The member being removed may be down: only the remaining must be up.
	fc.down["198.18.0.5:7050"] = true
	if r := run(t, fc, "submit", rm, "--org-dir", brand); r.Code != 0 {
		t.Fatalf("submit removal: exit %d %q", r.Code, r.Stderr)
	}
	if got := strings.Join(fc.cc.Members(), ","); got != "BrandMSP,LabMSP,RetailerMSP,SupplierMSP" {
		t.Errorf("members after removal: %s", got)
	}
	if r := run(t, fc, "propose-remove", "LogisticsMSP", "--org-dir", supplier, "--out", rm); r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "not a member: LogisticsMSP is not in channel trustline") {
		t.Errorf("removing a non-member: exit %d %q", r.Code, r.Stderr)
	}
}

func TestMembershipUsage(t *testing.T) {
	_, fc := members(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"version":9}`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"propose-add without org", []string{"propose-add", bad}, "org card"},
		{"sign without org", []string{"sign", bad}, "needs --org-dir"},
		{"sign bad file", []string{"sign", bad, "--org-dir", t.TempDir()}, "version 9"},
		{"submit bad file", []string{"submit", bad, "--org-dir", t.TempDir()}, "version 9"},
		{"status without org", []string{"status"}, "needs --org-dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, fc, tc.args...)
			if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want usage error naming %q", r.Code, r.Stderr, tc.want)
			}
		})
	}
}

// TestPublishCRL: a member revokes an identity and publishes its CRL; its
// own admin's signature is the one needed.
func TestPublishCRL(t *testing.T) {
	orgs, fc := members(t)
	supplier := orgs[1]
	if r := run(t, fc, "propose-msp", "--org-dir", supplier.Dir(), "--out", filepath.Join(t.TempDir(), "x.json")); r.Code != cmdutil.ExitUsage || !strings.Contains(r.Stderr, "the channel already has SupplierMSP's MSP as its card describes it") {
		t.Errorf("nothing to publish: exit %d %q", r.Code, r.Stderr)
	}
	if _, err := supplier.Enroll("clerk", orgca.EnrollOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := supplier.Revoke("clerk"); err != nil {
		t.Fatal(err)
	}
	upd := filepath.Join(t.TempDir(), "crl.json")
	r := run(t, fc, "propose-msp", "--org-dir", supplier.Dir(), "--out", upd)
	if r.Code != 0 || !strings.Contains(r.Stderr, "publish SupplierMSP's MSP (CA certificates, 1 CRLs) to channel trustline") || !strings.Contains(r.Stderr, "ready to submit") {
		t.Fatalf("propose-msp: exit %d %q", r.Code, r.Stderr)
	}
	if r := run(t, fc, "submit", upd, "--org-dir", supplier.Dir()); r.Code != 0 {
		t.Fatalf("submit: exit %d %q", r.Code, r.Stderr)
	}
	m, err := fc.cc.MSP("SupplierMSP")
	if err != nil || len(m.RevocationList) != 1 || len(m.RootCerts) != 1 {
		t.Errorf("the channel's SupplierMSP after the update: %d CRLs, %d roots, %v", len(m.GetRevocationList()), len(m.GetRootCerts()), err)
	}
	// Another member cannot publish it for it: brand's signature does not
	// count for SupplierMSP's own MSP.
	supplier.Enroll("clerk2", orgca.EnrollOptions{})
	supplier.Revoke("clerk2")
	upd2 := filepath.Join(t.TempDir(), "crl2.json")
	run(t, fc, "propose-msp", "--org-dir", supplier.Dir(), "--out", upd2)
	u, _ := consortium.ReadUpdate(upd2)
	u.Signatures = nil
	u.WriteFile(upd2)
	run(t, fc, "sign", upd2, "--org-dir", orgs[0].Dir())
	if r := run(t, fc, "submit", upd2, "--org-dir", orgs[0].Dir()); r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "0 of 1 member admins signed; /Channel/Application/SupplierMSP/Admins (OR('SupplierMSP.admin')) needs 1") {
		t.Errorf("brand signing supplier's MSP: exit %d %q", r.Code, r.Stderr)
	}
}

// TestStatusWarnsOfExpiry: a CA certificate in the channel that expires
// within 30 days is flagged.
func TestStatusWarnsOfExpiry(t *testing.T) {
	orgs, fc := members(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ca.lab.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10*24*time.Hour + time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	// LabMSP's application MSP gets a second root, expiring in 10 days.
	lab := fc.cc.Config.ChannelGroup.Groups["Application"].Groups["LabMSP"]
	var mc mspproto.MSPConfig
	proto.Unmarshal(lab.Values["MSP"].Value, &mc)
	var fmc mspproto.FabricMSPConfig
	proto.Unmarshal(mc.Config, &fmc)
	fmc.RootCerts = append(fmc.RootCerts, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	mc.Config, _ = proto.Marshal(&fmc)
	lab.Values["MSP"].Value, _ = proto.Marshal(&mc)

	r := run(t, fc, "status", "--org-dir", orgs[0].Dir(), "-o", "json")
	var st consortiumcmd.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status: %v %s", err, r.Stderr)
	}
	e := st.Expiries[0]
	if !e.Warn || e.MSPID != "LabMSP" || e.DaysLeft != 10 || e.Subject != "ca.lab.example.com" || st.Expiries[1].Warn {
		t.Errorf("soonest expiry %+v, next %+v", e, st.Expiries[1])
	}
	r = run(t, fc, "status", "--org-dir", orgs[0].Dir())
	warned := false
	for _, line := range strings.Split(r.Stdout, "\n") {
		warned = warned || strings.HasPrefix(line, "root CA (ca.lab.example.com)") && strings.Contains(line, "LabMSP") && strings.HasSuffix(strings.TrimSpace(line), "WARNING: renew within 30 days")
	}
	if !warned || strings.Count(r.Stdout, "WARNING: renew within 30 days") != 1 {
		t.Errorf("status table:\n%s", r.Stdout)
	}
}

// TestStatusShowsServedCertificates: the TLS certificates the caller's own
// peer and orderer present (renewed ones are not in the channel
// configuration) are listed with their expiry; one that does not answer is
// left out.
func TestStatusShowsServedCertificates(t *testing.T) {
	orgs, fc := members(t)
	renewed := time.Now().Add(400 * 24 * time.Hour).UTC().Truncate(time.Second)
	fc.serving = map[string]consortium.CertExpiry{
		orgs[0].Card().Peer.Address: {Subject: "peer.brand.example.com", NotAfter: renewed},
	}
	r := run(t, fc, "status", "--org-dir", orgs[0].Dir(), "-o", "json")
	var st consortiumcmd.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status: %v %s", err, r.Stderr)
	}
	var got []consortiumcmd.ExpiryStatus
	for _, e := range st.Expiries {
		if strings.Contains(e.What, "(served)") {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].What != "peer TLS (served)" || got[0].MSPID != "BrandMSP" || !got[0].NotAfter.Equal(renewed) || got[0].Warn {
		t.Errorf("served certificates: %+v", got)
	}
	r = run(t, fc, "status", "--org-dir", orgs[0].Dir())
	if !regexp.MustCompile(`peer TLS \(served\) \(peer\.brand\.example\.com\)\s+BrandMSP\s+` + renewed.Format("2006-01-02")).MatchString(r.Stdout) {
		t.Errorf("status table:\n%s", r.Stdout)
	}
}
