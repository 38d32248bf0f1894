package consortium_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/orgca"
)

// cards makes n organisations, each in its own directory, and returns only
// their cards, as members would send them.
func cards(t *testing.T, n int) []orgca.Card {
	t.Helper()
	var out []orgca.Card
	for i := range n {
		id := string(rune('A' + i))
		o, err := orgca.Init(t.TempDir(), orgca.Spec{
			MSPID: id + "MSP", Domain: strings.ToLower(id) + ".example.com",
			PeerAddress: "198.18.0." + string(rune('2'+i)) + ":7051", OrdererAddress: "198.18.0." + string(rune('2'+i)) + ":7050",
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Card())
	}
	return out
}

var fourRoles = ledger.RoleTable{"AMSP": {ledger.RoleBrand}, "BMSP": {ledger.RoleSupplier}, "CMSP": {ledger.RoleLab}, "DMSP": {ledger.RoleLogistics}}

func TestNewValidates(t *testing.T) {
	cs := cards(t, 4)
	members, err := consortium.Assemble(cs, fourRoles)
	if err != nil {
		t.Fatal(err)
	}
	c, err := consortium.New("", members)
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != "trustline" || c.Chaincode.Name != "trustline" || len(c.RoleTable()) != 4 {
		t.Errorf("consortium %+v", c)
	}
	dup := append(members[:3:3], members[0])
	for _, tc := range []struct {
		name    string
		channel string
		members []consortium.Member
		want    string
	}{
		{"no members", "", nil, "no members"},
		{"bad channel", "Trust Line", members, `channel name "Trust Line"`},
		{"duplicate member", "", dup, "MSP id AMSP appears on the cards of AMSP and AMSP"},
		{"no role", "", append(members[:3:3], consortium.Member{Card: members[3].Card}), "DMSP has no role"},
		{"bad card", "", []consortium.Member{{Card: orgca.Card{Version: 1, MSPID: "X"}, Roles: []ledger.Role{ledger.RoleLab}}}, "card of X"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := consortium.New(tc.channel, tc.members)
			if !errors.Is(err, consortium.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
	if _, err := consortium.Assemble(cs[:3], fourRoles); err == nil || !strings.Contains(err.Error(), "DMSP, which has no org card") {
		t.Errorf("roles without a card: %v", err)
	}
}

func TestParseRoles(t *testing.T) {
	got, err := consortium.ParseRoles([]string{"LabMSP=lab", "BrandMSP=brand,logistics"})
	if err != nil || len(got["BrandMSP"]) != 2 || got["LabMSP"][0] != ledger.RoleLab {
		t.Errorf("ParseRoles = %v, %v", got, err)
	}
	for _, bad := range []string{"LabMSP", "=lab", "LabMSP=", "LabMSP=chef"} {
		if _, err := consortium.ParseRoles([]string{bad}); !errors.Is(err, consortium.ErrInvalid) {
			t.Errorf("ParseRoles(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestWriteReadAndConfigtx(t *testing.T) {
	members, _ := consortium.Assemble(cards(t, 4), fourRoles)
	c, err := consortium.New("", members)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := c.Write(filepath.Join(dir, "consortium.json")); err != nil {
		t.Fatal(err)
	}
	back, err := consortium.Read(filepath.Join(dir, "consortium.json"))
	if err != nil || len(back.Members) != 4 || back.Members[2].Card.MSPID != "CMSP" {
		t.Fatalf("Read = %+v, %v", back, err)
	}
	if err := c.WriteConfigtx(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "configtx.yaml"))
	for _, want := range []string{"OrdererType: BFT", "ID: 4", "Host: 198.18.0.5", "- 198.18.0.5:7050", `Rule: "MAJORITY Admins"`, `Rule: "MAJORITY Endorsement"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("configtx.yaml lacks %q", want)
		}
	}
	// Nothing secret went into the channel's material.
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), "PRIVATE KEY") {
				t.Errorf("%s holds a private key", path)
			}
		}
		return nil
	})
}

// TestGenesisFromCards makes the genesis block with configtxgen when it is
// built (bin/ of the source tree, or $TRUSTLINE_BIN).
func TestGenesisFromCards(t *testing.T) {
	bin := os.Getenv("TRUSTLINE_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../bin")
	}
	configtxgen := filepath.Join(bin, "configtxgen")
	testenv.NeedFile(t, configtxgen, "make fabric builds it; without it no genesis block is made")
	members, _ := consortium.Assemble(cards(t, 4), fourRoles)
	c, _ := consortium.New("", members)
	dir := t.TempDir()
	out := filepath.Join(dir, "genesis.block")
	if err := c.Genesis(context.Background(), configtxgen, filepath.Join(dir, "configtx"), out); err != nil {
		t.Fatal(err)
	}
	js, err := exec.Command(configtxgen, "-inspectBlock", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"BFT"`, `"AMSP"`, `"DMSP"`, "198.18.0.5"} {
		if !strings.Contains(string(js), want) {
			t.Errorf("genesis block lacks %s", want)
		}
	}
}
