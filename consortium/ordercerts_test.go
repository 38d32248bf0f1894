package consortium_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/orgca"
)

// Renewing a consenter's orderer certificates: the update replaces its
// entry of the consenter mapping (identity, TLS certificates) and the
// BlockValidation policy, by a majority of the orderer group's admins;
// fewer signatures, a stale base, nothing renewed and a non-member are
// refused, naming why.
func TestProposeOrdererCerts(t *testing.T) {
	cc, orgs := channel(t)
	lab := orgs[2]
	if _, err := consortium.ProposeOrdererCerts(cc, lab.Card(), consortium.RemoveOptions{}); !errors.Is(err, consortium.ErrInvalid) ||
		!strings.Contains(err.Error(), "renew them first") {
		t.Fatalf("nothing renewed: %v", err)
	}
	if _, err := lab.Renew(orgca.Orderer); err != nil {
		t.Fatal(err)
	}
	card := lab.Card()
	u, err := consortium.ProposeOrdererCerts(cc, card, consortium.RemoveOptions{ProposedBy: "CMSP"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Kind != consortium.KindOrdererCerts || u.MSPID != "CMSP" || !u.Consenter || !strings.Contains(u.Describe(), "replace CMSP's orderer certificates") {
		t.Errorf("update %+v: %s", u, u.Describe())
	}
	var cu common.ConfigUpdate
	if err := proto.Unmarshal(u.ConfigUpdate, &cu); err != nil {
		t.Fatal(err)
	}
	ord := cu.WriteSet.Groups["Orderer"]
	if ord.Values["Orderers"] == nil || ord.Policies["BlockValidation"] == nil || cu.WriteSet.Groups["Application"] != nil && len(cu.WriteSet.Groups["Application"].Values) > 0 {
		t.Fatalf("write set: %v", cu.WriteSet)
	}
	var m common.Orderers
	proto.Unmarshal(ord.Values["Orderers"].Value, &m)
	before, _ := cc.Consenters()
	if len(m.ConsenterMapping) != 4 {
		t.Fatalf("consenters %v", m.ConsenterMapping)
	}
	for i, k := range m.ConsenterMapping {
		renewed := k.MspId == "CMSP"
		if k.Id != before[i].Id || bytes.Equal(k.Identity, before[i].Identity) != !renewed || bytes.Equal(k.ServerTlsCert, before[i].ServerTlsCert) != !renewed {
			t.Errorf("consenter %d (%s): renewed %v", k.Id, k.MspId, renewed)
		}
		if renewed && (string(k.Identity) != card.Orderer.Identity || string(k.ClientTlsCert) != card.Orderer.TLSCert) {
			t.Errorf("consenter %s has not the card's certificates", k.MspId)
		}
	}
	var env common.SignaturePolicyEnvelope
	proto.Unmarshal(ord.Policies["BlockValidation"].Policy.Value, &env)
	if n := env.Rule.GetNOutOf(); n.GetN() != 3 || len(env.Identities) != 4 {
		t.Errorf("BlockValidation: %v", &env)
	}

	// A majority of the consenting members' admins: the lab alone is too few.
	if err := u.Sign(signer(t, lab), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Check(cc); !errors.Is(err, consortium.ErrTooFewSignatures) || !strings.Contains(err.Error(), "1 of 4 member admins signed; /Channel/Orderer/Admins") {
		t.Fatalf("one signature: %v", err)
	}
	for _, o := range orgs[:2] {
		if err := u.Sign(signer(t, o), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if tally, err := u.Check(cc); err != nil || len(tally.Rules) != 1 || tally.Rules[0].Policy != "/Channel/Orderer/Admins" {
		t.Fatalf("three of four: %v %+v", err, tally)
	}
	moved := *cc
	moved.Config = proto.Clone(cc.Config).(*common.Config)
	moved.Config.Sequence++
	moved.Block = 9
	if _, err := u.Check(&moved); !errors.Is(err, consortium.ErrStale) || !strings.Contains(err.Error(), "now config block 9") {
		t.Errorf("stale: %v", err)
	}
	if _, err := consortium.ProposeOrdererCerts(cc, newOrg(t, 4).Card(), consortium.RemoveOptions{}); !errors.Is(err, consortium.ErrNotMember) {
		t.Errorf("not a member: %v", err)
	}
}
