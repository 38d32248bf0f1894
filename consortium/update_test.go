package consortium_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/orgca"
)

// fabricTool returns the path of a Fabric tool in bin/ (or $TRUSTLINE_BIN),
// or ends the test when it is not built.
func fabricTool(t *testing.T, name string) string {
	t.Helper()
	bin := os.Getenv("TRUSTLINE_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../bin")
	}
	p := filepath.Join(bin, name)
	testenv.NeedFile(t, p, "make fabric builds it")
	return p
}

// channel makes four organisations and the genesis block of their
// channel, and returns its configuration and the organisations.
func channel(t *testing.T) (*consortium.ChannelConfig, []*orgca.Org) {
	t.Helper()
	configtxgen := fabricTool(t, "configtxgen")
	var orgs []*orgca.Org
	var cs []orgca.Card
	for i := range 4 {
		o := newOrg(t, i)
		orgs = append(orgs, o)
		cs = append(cs, o.Card())
	}
	members, err := consortium.Assemble(cs, fourRoles)
	if err != nil {
		t.Fatal(err)
	}
	c, err := consortium.New("", members)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "genesis.block")
	if err := c.Genesis(context.Background(), configtxgen, filepath.Join(dir, "configtx"), out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := consortium.ParseConfigBlock(b)
	if err != nil {
		t.Fatal(err)
	}
	return cc, orgs
}

func newOrg(t *testing.T, i int) *orgca.Org {
	t.Helper()
	id := string(rune('A' + i))
	addr := "198.18.0." + string(rune('2'+i))
	o, err := orgca.Init(t.TempDir(), orgca.Spec{
		MSPID: id + "MSP", Domain: strings.ToLower(id) + ".example.com",
		PeerAddress: addr + ":7051", OrdererAddress: addr + ":7050", Hosts: []string{addr},
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func signer(t *testing.T, o *orgca.Org) *consortium.Signer {
	t.Helper()
	s, err := consortium.AdminSigner(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProposeAddConsenter(t *testing.T) {
	cc, orgs := channel(t)
	if got := strings.Join(cc.Members(), ","); got != "AMSP,BMSP,CMSP,DMSP" || cc.Block != 0 || cc.Channel != "trustline" {
		t.Fatalf("genesis config: members %s, block %d, channel %s", got, cc.Block, cc.Channel)
	}
	retailer := newOrg(t, 4)
	u, err := consortium.ProposeAdd(cc, retailer.Card(), consortium.AddOptions{Consenter: true, Roles: []ledger.Role{ledger.RoleLogistics}, ProposedBy: "AMSP"})
	if err != nil {
		t.Fatal(err)
	}
	if u.MSPID != "EMSP" || !u.Consenter || u.BaseBlock != 0 || u.BaseSequence != cc.Sequence() || u.Card == nil {
		t.Errorf("update %+v", u)
	}
	var cu common.ConfigUpdate
	if err := proto.Unmarshal(u.ConfigUpdate, &cu); err != nil {
		t.Fatal(err)
	}
	ws := cu.WriteSet
	app, ord := ws.Groups["Application"], ws.Groups["Orderer"]
	if app.Groups["EMSP"] == nil || app.Groups["EMSP"].Values["MSP"] == nil || app.Groups["EMSP"].Values["AnchorPeers"] == nil || len(app.Groups) != 5 {
		t.Errorf("application write set: %v", app)
	}
	if ord.Groups["EMSP"] == nil || ord.Groups["EMSP"].Values["Endpoints"] == nil || ord.Values["Orderers"] == nil || ord.Policies["BlockValidation"] == nil {
		t.Errorf("orderer write set: %v", ord)
	}
	// The new consenter set and its BlockValidation policy: 5 consenters,
	// a quorum of 4.
	var os_ common.Orderers
	proto.Unmarshal(ord.Values["Orderers"].Value, &os_)
	if n := len(os_.ConsenterMapping); n != 5 || os_.ConsenterMapping[4].Id != 5 || os_.ConsenterMapping[4].MspId != "EMSP" || os_.ConsenterMapping[4].Host != "198.18.0.6" {
		t.Errorf("consenter mapping: %v", os_.ConsenterMapping)
	}
	var env common.SignaturePolicyEnvelope
	proto.Unmarshal(ord.Policies["BlockValidation"].Policy.Value, &env)
	if n := env.Rule.GetNOutOf(); n.GetN() != 4 || len(n.GetRules()) != 5 || len(env.Identities) != 5 {
		t.Errorf("BlockValidation: %v", &env)
	}

	// Majority of the four member admins: 3.
	_, err = u.Check(cc)
	if !errors.Is(err, consortium.ErrTooFewSignatures) || !strings.Contains(err.Error(), "0 of 4 member admins signed") || !strings.Contains(err.Error(), "needs 3") {
		t.Fatalf("unsigned: %v", err)
	}
	for _, o := range []*orgca.Org{orgs[0], orgs[1], retailer} {
		if err := u.Sign(signer(t, o), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	tally, err := u.Check(cc)
	if !errors.Is(err, consortium.ErrTooFewSignatures) || !strings.Contains(err.Error(), "2 of 4 member admins signed") {
		t.Fatalf("two members and the newcomer signed: %v", err)
	}
	if len(tally.Invalid) != 1 || !strings.Contains(tally.Invalid[0], "EMSP") {
		t.Errorf("the newcomer's signature should not count: %v", tally.Invalid)
	}
	// Signing again replaces, not adds.
	if err := u.Sign(signer(t, orgs[1]), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if len(u.Signatures) != 3 {
		t.Errorf("%d signatures after re-signing", len(u.Signatures))
	}
	if err := u.Sign(signer(t, orgs[2]), time.Time{}); err != nil {
		t.Fatal(err)
	}
	tally, err = u.Check(cc)
	if err != nil || !tally.Met() {
		t.Fatalf("three of four signed: %v %+v", err, tally)
	}
	want := []string{"/Channel/Application/Admins", "/Channel/Orderer/Admins"}
	if len(tally.Rules) != 2 || tally.Rules[0].Policy != want[0] || tally.Rules[1].Policy != want[1] {
		t.Errorf("rules %+v, want %v", tally.Rules, want)
	}

	// A tampered signature does not count.
	bad := *u
	bad.Signatures = append([]consortium.Signature{}, u.Signatures...)
	bad.Signatures[3].Signature = append([]byte{}, bad.Signatures[3].Signature...)
	bad.Signatures[3].Signature[10] ^= 1
	if _, err := bad.Check(cc); !errors.Is(err, consortium.ErrTooFewSignatures) {
		t.Errorf("tampered signature counted: %v", err)
	}

	// The file round-trips.
	path := filepath.Join(t.TempDir(), "add-EMSP.json")
	if err := u.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := consortium.ReadUpdate(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := back.Check(cc); err != nil {
		t.Errorf("read back: %v", err)
	}

	// Stale: the configuration moved on.
	moved := *cc
	moved.Config = proto.Clone(cc.Config).(*common.Config)
	moved.Config.Sequence++
	moved.Block = 7
	if _, err := u.Check(&moved); !errors.Is(err, consortium.ErrStale) || !strings.Contains(err.Error(), "now config block 7") {
		t.Errorf("stale: %v", err)
	}
}

func TestProposeRefusals(t *testing.T) {
	cc, orgs := channel(t)
	if _, err := consortium.ProposeAdd(cc, orgs[2].Card(), consortium.AddOptions{}); !errors.Is(err, consortium.ErrExists) || !strings.Contains(err.Error(), "CMSP is already in channel trustline") {
		t.Errorf("existing MSP id: %v", err)
	}
	if _, err := consortium.ProposeRemove(cc, "ZMSP", consortium.RemoveOptions{}); !errors.Is(err, consortium.ErrNotMember) {
		t.Errorf("removing a stranger: %v", err)
	}
	if _, err := consortium.ProposeAdd(cc, newOrg(t, 4).Card(), consortium.AddOptions{Roles: []ledger.Role{"chef"}}); !errors.Is(err, consortium.ErrInvalid) {
		t.Errorf("unknown role: %v", err)
	}
}

func TestProposeAddPeerOnlyAndRemove(t *testing.T) {
	cc, _ := channel(t)
	u, err := consortium.ProposeAdd(cc, newOrg(t, 4).Card(), consortium.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cu common.ConfigUpdate
	proto.Unmarshal(u.ConfigUpdate, &cu)
	if cu.WriteSet.Groups["Orderer"] != nil && cu.WriteSet.Groups["Orderer"].Version != cu.ReadSet.Groups["Orderer"].GetVersion() {
		t.Errorf("a peer organisation changes the orderer group: %v", cu.WriteSet.Groups["Orderer"])
	}
	r, err := consortium.ProposeRemove(cc, "BMSP", consortium.RemoveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Consenter || r.Kind != consortium.KindRemove {
		t.Errorf("remove %+v", r)
	}
	proto.Unmarshal(r.ConfigUpdate, &cu)
	var os_ common.Orderers
	proto.Unmarshal(cu.WriteSet.Groups["Orderer"].Values["Orderers"].Value, &os_)
	if len(os_.ConsenterMapping) != 3 || cu.WriteSet.Groups["Application"].Groups["BMSP"] != nil || cu.WriteSet.Groups["Orderer"].Groups["BMSP"] != nil {
		t.Errorf("removal write set: %v", cu.WriteSet)
	}
	var env common.SignaturePolicyEnvelope
	proto.Unmarshal(cu.WriteSet.Groups["Orderer"].Policies["BlockValidation"].Policy.Value, &env)
	if env.Rule.GetNOutOf().GetN() != 2 || len(env.Identities) != 3 {
		t.Errorf("BlockValidation for 3 consenters: %v", &env)
	}
}

// TestComputeUpdateMatchesConfigtxlator checks the config math against
// Fabric's own compute_update.
func TestComputeUpdateMatchesConfigtxlator(t *testing.T) {
	configtxlator := fabricTool(t, "configtxlator")
	cc, _ := channel(t)
	for name, propose := range map[string]func() (*consortium.Update, error){
		"add consenter": func() (*consortium.Update, error) {
			return consortium.ProposeAdd(cc, newOrg(t, 4).Card(), consortium.AddOptions{Consenter: true})
		},
		"remove": func() (*consortium.Update, error) {
			return consortium.ProposeRemove(cc, "CMSP", consortium.RemoveOptions{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			u, err := propose()
			if err != nil {
				t.Fatal(err)
			}
			var ours common.ConfigUpdate
			proto.Unmarshal(u.ConfigUpdate, &ours)
			// Fabric's, from the same original and updated configs.
			updated, err := consortium.ApplyUpdate(cc.Config, &ours)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			orig, upd, out := filepath.Join(dir, "orig.pb"), filepath.Join(dir, "upd.pb"), filepath.Join(dir, "out.pb")
			b1, _ := proto.Marshal(cc.Config)
			b2, _ := proto.Marshal(updated)
			os.WriteFile(orig, b1, 0o644)
			os.WriteFile(upd, b2, 0o644)
			if b, err := exec.Command(configtxlator, "compute_update", "--channel_id", cc.Channel, "--original", orig, "--updated", upd, "--output", out).CombinedOutput(); err != nil {
				t.Fatalf("configtxlator: %v\n%s", err, b)
			}
			b, _ := os.ReadFile(out)
			var theirs common.ConfigUpdate
			if err := proto.Unmarshal(b, &theirs); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&ours, &theirs) {
				t.Errorf("our update differs from configtxlator's")
			}
		})
	}
}
