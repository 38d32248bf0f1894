package consortiumcmd_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/orgca"
)

// A member renews its orderer's certificates and proposes them: nothing
// renewed is refused (exit 2); the proposal signed by its own admin alone
// is not yet enough, a majority's signatures are.
func TestProposeOrdererCerts(t *testing.T) {
	orgs, fc := members(t)
	lab := orgs[2]
	out := filepath.Join(t.TempDir(), "lab.json")
	if r := run(t, fc, "propose-orderer-certs", "--org-dir", lab.Dir(), "--out", out); r.Code != cmdutil.ExitUsage ||
		!strings.Contains(r.Stderr, "renew them first") {
		t.Fatalf("nothing renewed: exit %d %q", r.Code, r.Stderr)
	}
	if _, err := lab.Renew(orgca.Orderer); err != nil {
		t.Fatal(err)
	}
	r := run(t, fc, "propose-orderer-certs", "--org-dir", lab.Dir(), "--out", out)
	if r.Code != 0 || !strings.Contains(r.Stderr, "replace "+lab.MSPID()+"'s orderer certificates (BFT consenter)") || !strings.Contains(r.Stderr, "1 of 4 member admins signed") {
		t.Fatalf("propose-orderer-certs: exit %d %q", r.Code, r.Stderr)
	}
	if r := run(t, fc, "submit", out, "--org-dir", lab.Dir()); r.Code == 0 || !strings.Contains(r.Stderr, "too few signatures") {
		t.Fatalf("submit with one signature: exit %d %q", r.Code, r.Stderr)
	}
}
