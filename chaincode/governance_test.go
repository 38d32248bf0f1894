package chaincode

import (
	"testing"

	"github.com/trustline/trustline/ledger"
)

func TestGovernanceInit(t *testing.T) {
	tests := []struct {
		name, caller, roles, want string
	}{
		{"not JSON", brand, `[`, "role table must be a JSON object"},
		{"list form", brand, `[{"mspId":"BrandMSP"}]`, "role table must be a JSON object"},
		{"empty", brand, `{}`, "no members"},
		{"unknown role", brand, `{"BrandMSP":["admin"]}`, `unknown role "admin"`},
		{"no roles", brand, `{"BrandMSP":[]}`, "BrandMSP has no roles"},
		{"bad MSP id", brand, `{"Brand MSP":["brand"]}`, `MSP id "Brand MSP" is malformed`},
		{"caller not in table", outsider, testnetRoles(), "caller OutsiderMSP is not in the role table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBareEnv(t)
			e.fail(tt.caller, tt.want, "Governance:Init", tt.roles)
		})
	}

	e := newBareEnv(t)
	e.queryFail(brand, "roles are not initialised", "Governance:GetRoles")
	e.fail(brand, "roles are not initialised", "Product:RegisterProduct", mustJSON(productReq(gtinTomato, "x")))
	var roles ledger.Roles
	ev := e.okJSON(&roles, brand, "Governance:Init", testnetRoles())
	if roles.Version != 1 || len(roles.Members) != 4 || roles.Members[0].MSPID != brand || ev.Roles == nil {
		t.Fatalf("Init = %+v, event roles %v", roles, ev.Roles)
	}
	// Idempotent deploy scripts look for "already".
	e.fail(supplier, "roles are already initialised (version 1)", "Governance:Init", testnetRoles())
	var got ledger.Roles
	e.queryJSON(&got, outsider, "Governance:GetRoles")
	if got.Version != 1 || !got.Has(lab, ledger.RoleLab) || got.Has(lab, ledger.RoleBrand) {
		t.Fatalf("GetRoles = %+v", got)
	}
}

func TestGovernanceProposals(t *testing.T) {
	e := newEnv(t)
	next := `{"BrandMSP":["brand","logistics"],"SupplierMSP":["supplier"],"LabMSP":["lab"],"LogisticsMSP":["logistics"]}`

	e.fail(outsider, "OutsiderMSP is not a member", "Governance:ProposeRoles", next)
	e.fail(brand, "unknown role", "Governance:ProposeRoles", `{"BrandMSP":["king"]}`)
	var p ledger.RoleProposal
	e.okJSON(&p, brand, "Governance:ProposeRoles", next)
	if p.Status != ledger.ProposalOpen || p.BaseVersion != 1 || len(p.Approvals) != 1 {
		t.Fatalf("proposal = %+v", p)
	}
	e.fail(brand, "BrandMSP has already approved", "Governance:ApproveRoles", p.ID)
	e.fail(outsider, "not a member", "Governance:ApproveRoles", p.ID)
	e.fail(lab, `no role proposal "nope"`, "Governance:ApproveRoles", "nope")

	// A competing proposal on the same version.
	var other ledger.RoleProposal
	e.okJSON(&other, lab, "Governance:ProposeRoles", testnetRoles())

	_, ev := e.ok(supplier, "Governance:ApproveRoles", p.ID)
	if ev.Roles != nil {
		t.Fatal("2 of 4 approvals applied the proposal")
	}
	var applied ledger.RoleProposal
	ev = e.okJSON(&applied, lab, "Governance:ApproveRoles", p.ID)
	if applied.Status != ledger.ProposalApplied || ev.Roles == nil || ev.Roles.Version != 2 {
		t.Fatalf("3 of 4 approvals: %+v, roles %+v", applied, ev.Roles)
	}
	var roles ledger.Roles
	e.queryJSON(&roles, brand, "Governance:GetRoles")
	if !roles.Has(brand, ledger.RoleLogistics) || roles.Version != 2 {
		t.Fatalf("roles after change = %+v", roles)
	}
	e.fail(logistics, "was already applied", "Governance:ApproveRoles", p.ID)

	// The competing proposal was voted on against version 1: stale now.
	var got ledger.RoleProposal
	e.queryJSON(&got, brand, "Governance:GetRoleProposal", other.ID)
	if got.Status != ledger.ProposalStale {
		t.Fatalf("competing proposal status = %s, want stale", got.Status)
	}
	e.fail(brand, "is stale", "Governance:ApproveRoles", other.ID)
	e.queryFail(brand, "no role proposal", "Governance:GetRoleProposal", "x")
}

func TestGovernanceSingleMemberAppliesAtOnce(t *testing.T) {
	e := newBareEnv(t)
	e.ok(brand, "Governance:Init", `{"BrandMSP":["brand"]}`)
	var p ledger.RoleProposal
	ev := e.okJSON(&p, brand, "Governance:ProposeRoles", `{"BrandMSP":["brand","lab"]}`)
	if p.Status != ledger.ProposalApplied || ev.Roles == nil || !ev.Roles.Has(brand, ledger.RoleLab) {
		t.Fatalf("single-member proposal = %+v", p)
	}
	// Removed members lose their vote and their roles.
	e.ok(brand, "Governance:ProposeRoles", `{"LabMSP":["lab"]}`)
	e.fail(brand, "BrandMSP is not a member", "Governance:ProposeRoles", `{"BrandMSP":["brand"]}`)
}
