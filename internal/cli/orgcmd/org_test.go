package orgcmd_test

import (
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/orgca"
)

// run executes the trustline command tree in-process.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	root := cli.NewRootCmd(ios)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

func TestInitEnrollRevoke(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	out, stderr, code := run(t, "org", "init", "--msp-id", "LabMSP", "--domain", "lab.example.com", "--name", "Acme Labs",
		"--peer-address", "198.18.0.4:7051", "--orderer-address", "198.18.0.4:7050", "--dir", dir)
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	if strings.TrimSpace(out) != filepath.Join(dir, "card.json") {
		t.Errorf("init printed %q, want the card's path", out)
	}
	for _, want := range []string{"Created LabMSP (Acme Labs)", "orderer  ", "node ", "Peer 198.18.0.4:7051"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("init stderr lacks %q:\n%s", want, stderr)
		}
	}
	card, err := orgca.ReadCard(filepath.Join(dir, "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	if card.Name != "Acme Labs" || card.Orderer.Address != "198.18.0.4:7050" {
		t.Errorf("card %+v", card)
	}

	out, stderr, code = run(t, "org", "enroll", "--dir", dir, "--name", "tech-ana")
	if code != 0 || strings.TrimSpace(out) != filepath.Join(dir, "tech-ana", "msp") {
		t.Fatalf("enroll: exit %d, out %q: %s", code, out, stderr)
	}
	out, stderr, code = run(t, "org", "revoke", "--dir", dir, "--name", "tech-ana")
	if code != 0 {
		t.Fatalf("revoke: exit %d: %s", code, stderr)
	}
	if block, _ := pem.Decode([]byte(out)); block == nil || block.Type != "X509 CRL" {
		t.Errorf("revoke printed %q, want a PEM CRL", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "msp", "crls", "crl.pem")); err != nil {
		t.Error(err)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	org := filepath.Join(dir, "org")
	if _, stderr, code := run(t, "org", "init", "--msp-id", "LabMSP", "--domain", "lab.example.com", "--dir", org); code != 0 {
		t.Fatal(stderr)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"init without flags", []string{"org", "init"}, "org init needs --msp-id and --domain and --dir"},
		{"init bad msp id", []string{"org", "init", "--msp-id", "Lab MSP", "--domain", "a.example.com", "--dir", filepath.Join(dir, "x")}, `invalid MSP id "Lab MSP"`},
		{"init bad address", []string{"org", "init", "--msp-id", "L", "--domain", "a.example.com", "--peer-address", "peer", "--dir", filepath.Join(dir, "y")}, `peer address: invalid address "peer": want host:port`},
		{"init over an org", []string{"org", "init", "--msp-id", "LabMSP", "--domain", "lab.example.com", "--dir", org}, "already exists"},
		{"enroll without name", []string{"org", "enroll", "--dir", org}, "org enroll needs --name"},
		{"enroll no org", []string{"org", "enroll", "--dir", dir, "--name", "x"}, "run `trustline org init` first"},
		{"enroll bad role", []string{"org", "enroll", "--dir", org, "--name", "x", "--role", "root"}, `invalid role "root"`},
		{"enroll reserved", []string{"org", "enroll", "--dir", org, "--name", "msp"}, `invalid identity name "msp"`},
		{"enroll twice", []string{"org", "enroll", "--dir", org, "--name", "admin"}, `identity "admin": already exists`},
		{"revoke unknown", []string{"org", "revoke", "--dir", org, "--name", "nobody"}, `identity "nobody": not found`},
		{"units without config", []string{"org", "units"}, "org units needs --config"},
		{"units missing file", []string{"org", "units", "--config", filepath.Join(dir, "none.yaml")}, "no such file"},
		{"extra argument", []string{"org", "init", "now"}, "unknown command"},
		{"unknown subcommand", []string{"org", "create"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != cmdutil.ExitUsage {
				t.Errorf("exit code %d, want %d (usage); stderr: %s", code, cmdutil.ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", stderr, tc.want)
			}
			if strings.Count(strings.SplitN(stderr, "\n\n", 2)[0], "\n") > 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "org")
	if _, stderr, code := run(t, "org", "init", "--msp-id", "LabMSP", "--domain", "lab.example.com", "--dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	host := filepath.Join(t.TempDir(), "host.yaml")
	os.WriteFile(host, []byte("orgDir: "+dir+"\norderer: {}\npeer: {}\n"), 0o644)
	out, stderr, code := run(t, "org", "units", "--config", host)
	if code != 0 || !strings.Contains(out, "# ---- trustline-orderer.service") || !strings.Contains(out, "# ---- trustline-peer.service") {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
	units := t.TempDir()
	out, stderr, code = run(t, "org", "units", "--config", host, "--out", units)
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(units, "trustline-peer.service")); err != nil {
		t.Error(err)
	}
}
