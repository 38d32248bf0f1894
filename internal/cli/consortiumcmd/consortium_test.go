package consortiumcmd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/orgca"
)

// fourCards makes four organisations in separate directories and returns
// the paths of their cards only.
func fourCards(t *testing.T) []string {
	t.Helper()
	var paths []string
	for i, org := range []string{"brand", "supplier", "lab", "logistics"} {
		o, err := orgca.Init(t.TempDir(), orgca.Spec{
			MSPID: strings.ToUpper(org[:1]) + org[1:] + "MSP", Domain: org + ".example.com",
			PeerAddress: fmt.Sprintf("198.18.0.%d:7051", i+2), OrdererAddress: fmt.Sprintf("198.18.0.%d:7050", i+2),
		})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, o.CardFile())
	}
	return paths
}

var roles = []string{"--role", "BrandMSP=brand", "--role", "SupplierMSP=supplier", "--role", "LabMSP=lab", "--role", "LogisticsMSP=logistics"}

func cardArgs(paths []string) []string {
	var a []string
	for _, p := range paths {
		a = append(a, "--org-card", p)
	}
	return a
}

func TestCreate(t *testing.T) {
	bin, _ := filepath.Abs("../../../bin/configtxgen")
	testenv.NeedFile(t, bin, "make fabric builds it")
	out := t.TempDir()
	args := append(append([]string{"consortium", "create", "--out", out, "--configtxgen", bin}, cardArgs(fourCards(t))...), roles...)
	r := clitest.Run(t, "", args...)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if strings.TrimSpace(r.Stdout) != filepath.Join(out, "genesis.block") || !strings.Contains(r.Stderr, `Channel "trustline" of 4 members (BFT, f=1)`) {
		t.Errorf("stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
	for _, f := range []string{"genesis.block", "consortium.json", "configtx/configtx.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cards := fourCards(t)
	bad := filepath.Join(t.TempDir(), "card.json")
	os.WriteFile(bad, []byte(`{"version":1,"mspId":"X","peer":{"address":"x"}}`), 0o644)
	org := t.TempDir()
	if _, err := orgca.Init(org, orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"create without cards", []string{"consortium", "create", "--out", t.TempDir()}, "needs --org-card (one per member) and --out"},
		{"create bad card", []string{"consortium", "create", "--out", t.TempDir(), "--org-card", bad}, "org card " + bad},
		{"create missing card", []string{"consortium", "create", "--out", t.TempDir(), "--org-card", bad + ".none"}, "no such file"},
		{"create member without role", append(append([]string{"consortium", "create", "--out", t.TempDir()}, cardArgs(cards)...), roles[:6]...), "LogisticsMSP has no role"},
		{"create unknown role", append(append([]string{"consortium", "create", "--out", t.TempDir()}, cardArgs(cards)...), "--role", "LabMSP=chef"), `role "chef" of LabMSP`},
		{"create role without card", append(append([]string{"consortium", "create", "--out", t.TempDir()}, cardArgs(cards[:3])...), roles...), "LogisticsMSP, which has no org card"},
		{"create same card twice", append(append([]string{"consortium", "create", "--out", t.TempDir()}, cardArgs(append(cards, cards[0]))...), roles...), "appears on the cards of BrandMSP and BrandMSP"},
		{"join without flags", []string{"consortium", "join"}, "needs --org-dir, --genesis and --orderer-admin"},
		{"join bad address", []string{"consortium", "join", "--org-dir", org, "--genesis", "g", "--orderer-admin", "orderer"}, `invalid address "orderer"`},
		{"join no genesis", []string{"consortium", "join", "--org-dir", org, "--genesis", filepath.Join(org, "none"), "--orderer-admin", "127.0.0.1:1"}, "genesis block"},
		{"join no org", []string{"consortium", "join", "--org-dir", t.TempDir(), "--genesis", "g", "--orderer-admin", "127.0.0.1:1"}, "run `trustline org init` first"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, "", tc.args...)
			if r.Code != cmdutil.ExitUsage {
				t.Errorf("exit code %d, want %d (usage); stderr: %s", r.Code, cmdutil.ExitUsage, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", r.Stderr, tc.want)
			}
		})
	}
}
