package governancecmd_test

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/governancecmd"
	"github.com/trustline/trustline/ledger"
)

func TestTables(t *testing.T) {
	members := []ledger.Member{
		{MSPID: "BrandMSP", Roles: []ledger.Role{ledger.RoleBrand}},
		{MSPID: "LogisticsMSP", Roles: []ledger.Role{ledger.RoleSupplier, ledger.RoleLogistics}},
		{MSPID: "SupplierMSP", Roles: []ledger.Role{ledger.RoleSupplier}},
	}
	var b strings.Builder
	if err := governancecmd.RolesTable(&b, &ledger.Roles{Members: members, Version: 3, UpdatedAt: "2025-06-01T08:00:00Z", UpdatedTx: "tx1"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Version:", " 3\n", "Majority:", "2 of 3 members", "MEMBER", "LogisticsMSP  supplier, logistics\n", "BrandMSP      brand\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("roles table lacks %q:\n%s", want, b.String())
		}
	}

	b.Reset()
	p := &ledger.RoleProposal{ID: "p1", Members: members, BaseVersion: 3, ProposedBy: "BrandMSP", ProposedAt: "2025-06-01T08:00:00Z",
		Approvals: []string{"BrandMSP", "LabMSP"}, Status: ledger.ProposalOpen}
	if err := governancecmd.ProposalTable(&b, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Proposal:", "p1", "open", "version 3", "BrandMSP, LabMSP", "SupplierMSP   supplier\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("proposal table lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "Applied") {
		t.Errorf("open proposal shows an application time:\n%s", b.String())
	}
}
