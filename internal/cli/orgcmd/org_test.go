package orgcmd_test

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/orgca"
)

func TestInitEnrollRevoke(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	r := clitest.Run(t, "", "org", "init", "--msp-id", "LabMSP", "--domain", "lab.example.com", "--name", "Acme Labs",
		"--peer-address", "198.18.0.4:7051", "--orderer-address", "198.18.0.4:7050", "--dir", dir)
	if r.Code != 0 {
		t.Fatalf("init: exit %d: %s", r.Code, r.Stderr)
	}
	if strings.TrimSpace(r.Stdout) != filepath.Join(dir, "card.json") {
		t.Errorf("init printed %q, want the card's path", r.Stdout)
	}
	for _, want := range []string{"Created LabMSP (Acme Labs)", "orderer  ", "node ", "Peer 198.18.0.4:7051"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("init stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	card, err := orgca.ReadCard(filepath.Join(dir, "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	if card.Name != "Acme Labs" || card.Orderer.Address != "198.18.0.4:7050" {
		t.Errorf("card %+v", card)
	}

	r = clitest.Run(t, "", "org", "enroll", "--dir", dir, "--name", "tech-ana")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != filepath.Join(dir, "tech-ana", "msp") {
		t.Fatalf("enroll: exit %d, out %q: %s", r.Code, r.Stdout, r.Stderr)
	}
	r = clitest.Run(t, "", "org", "revoke", "--dir", dir, "--name", "tech-ana")
	if r.Code != 0 {
		t.Fatalf("revoke: exit %d: %s", r.Code, r.Stderr)
	}
	if block, _ := pem.Decode([]byte(r.Stdout)); block == nil || block.Type != "X509 CRL" {
		t.Errorf("revoke printed %q, want a PEM CRL", r.Stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "msp", "crls", "crl.pem")); err != nil {
		t.Error(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "peer", "tls", "server.crt"))
	r = clitest.Run(t, "", "org", "renew", "--dir", dir, "--name", "peer")
	if _, err := time.Parse(time.RFC3339, strings.TrimSpace(r.Stdout)); r.Code != 0 || err != nil {
		t.Fatalf("renew: exit %d, out %q: %s", r.Code, r.Stdout, r.Stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "peer", "tls", "server.crt")); string(after) == string(before) {
		t.Error("renew left the peer's TLS certificate as it was")
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	org := filepath.Join(dir, "org")
	if r := clitest.Run(t, "", "org", "init", "--msp-id", "LabMSP", "--domain", "lab.example.com", "--dir", org); r.Code != 0 {
		t.Fatal(r.Stderr)
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
		{"renew unknown", []string{"org", "renew", "--dir", org, "--name", "nobody"}, `identity "nobody": not found`},
		{"renew without name", []string{"org", "renew", "--dir", org}, "org renew needs --name"},
		{"revoke unknown", []string{"org", "revoke", "--dir", org, "--name", "nobody"}, `identity "nobody": not found`},
		{"units without config", []string{"org", "units"}, "org units needs --config"},
		{"units missing file", []string{"org", "units", "--config", filepath.Join(dir, "none.yaml")}, "no such file"},
		{"extra argument", []string{"org", "init", "now"}, "unknown command"},
		{"unknown subcommand", []string{"org", "create"}, "unknown command"},
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
			if _, oneLine := r.ErrorLine(); !oneLine {
				t.Errorf("error is not one line: %q", r.Stderr)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "org")
	if r := clitest.Run(t, "", "org", "init", "--msp-id", "LabMSP", "--domain", "lab.example.com", "--dir", dir); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	host := filepath.Join(t.TempDir(), "host.yaml")
	os.WriteFile(host, []byte("orgDir: "+dir+"\norderer: {}\npeer: {}\n"), 0o644)
	r := clitest.Run(t, "", "org", "units", "--config", host)
	if r.Code != 0 || !strings.Contains(r.Stdout, "# ---- trustline-orderer.service") || !strings.Contains(r.Stdout, "# ---- trustline-peer.service") {
		t.Fatalf("exit %d, out %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	units := t.TempDir()
	r = clitest.Run(t, "", "org", "units", "--config", host, "--out", units)
	if r.Code != 0 || strings.Count(r.Stdout, "\n") != 2 {
		t.Fatalf("exit %d, out %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(units, "trustline-peer.service")); err != nil {
		t.Error(err)
	}
}
