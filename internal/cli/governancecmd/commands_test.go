package governancecmd_test

import (
	"context"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/governancecmd"
	"github.com/trustline/trustline/ledger"
)

// fakeLedger holds a role table of two members and answers proposals as
// the chaincode would, or with err.
type fakeLedger struct{ err error }

var members = []ledger.Member{{MSPID: "BrandMSP", Roles: []ledger.Role{ledger.RoleBrand}}, {MSPID: "LabMSP", Roles: []ledger.Role{ledger.RoleLab}}}

func (f fakeLedger) Roles(context.Context, ...client.CallOption) (*ledger.Roles, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.Roles{Members: members, Version: 2, UpdatedAt: "2025-06-01T08:00:00Z", UpdatedTx: "tx1"}, nil
}

func (f fakeLedger) ProposeRoles(_ context.Context, roles ledger.RoleTable, _ ...client.CallOption) (*ledger.RoleProposal, error) {
	if f.err != nil {
		return nil, f.err
	}
	ms, err := roles.Members()
	if err != nil {
		return nil, err
	}
	return &ledger.RoleProposal{ID: "p1", Members: ms, BaseVersion: 2, ProposedBy: "BrandMSP", ProposedAt: "2025-06-02T08:00:00Z",
		Approvals: []string{"BrandMSP"}, Status: ledger.ProposalOpen}, nil
}

func (f fakeLedger) ApproveRoles(_ context.Context, id string, _ ...client.CallOption) (*ledger.RoleProposal, error) {
	p, err := f.RoleProposal(context.Background(), id)
	if err != nil {
		return nil, err
	}
	p.Approvals, p.Status, p.AppliedAt = append(p.Approvals, "LabMSP"), ledger.ProposalApplied, "2025-06-02T09:00:00Z"
	return p, nil
}

func (f fakeLedger) RoleProposal(_ context.Context, id string, _ ...client.CallOption) (*ledger.RoleProposal, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &ledger.RoleProposal{ID: id, Members: members, BaseVersion: 2, ProposedBy: "BrandMSP", ProposedAt: "2025-06-02T08:00:00Z",
		Approvals: []string{"BrandMSP"}, Status: ledger.ProposalOpen}, nil
}

func (fakeLedger) Close() error { return nil }

func TestGovernanceCommands(t *testing.T) {
	ok := cmdtest.Ledger{Client: fakeLedger{}}
	refused := func(class error, fn, reason string) cmdtest.Ledger {
		return cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Refused(class, fn, reason)}}
	}
	const table = "BrandMSP: [brand]\nLabMSP: [lab]\nLogisticsMSP: [logistics, supplier]\n"
	cmdtest.RunCases(t, governancecmd.NewCmd, []cmdtest.Case{
		{Name: "roles table", Args: []string{"roles"}, Ledger: ok, Out: "Majority:     2 of 2 members\n\nMEMBER    ROLES\nBrandMSP  brand\nLabMSP    lab\n"},
		{Name: "roles json", Args: []string{"roles", "-o", "json"}, Ledger: ok,
			JSON: `{"members":[{"mspId":"BrandMSP","roles":["brand"]},{"mspId":"LabMSP","roles":["lab"]}],"version":2,"updatedAt":"2025-06-01T08:00:00Z","updatedTx":"tx1"}`},
		{Name: "propose table", Args: []string{"propose", "-f", "-"}, Stdin: table, Ledger: ok, Out: "LogisticsMSP  supplier, logistics\n"},
		{Name: "propose json", Args: []string{"propose", "-f", "-", "-o", "json"}, Stdin: `{"BrandMSP":["brand"]}`, Ledger: ok,
			JSON: `{"id":"p1","members":[{"mspId":"BrandMSP","roles":["brand"]}],"baseVersion":2,"proposedBy":"BrandMSP",
				"proposedAt":"2025-06-02T08:00:00Z","approvals":["BrandMSP"],"status":"open"}`},
		{Name: "approve table", Args: []string{"approve", "p1"}, Ledger: ok, Out: "Status:       applied\n"},
		{Name: "approve json", Args: []string{"approve", "p1", "-o", "json"}, Ledger: ok, Out: `"approvals": [
    "BrandMSP",
    "LabMSP"
  ]`},
		{Name: "proposal table", Args: []string{"proposal", "p7"}, Ledger: ok, Out: "Proposal:     p7\n"},
		{Name: "proposal json", Args: []string{"proposal", "p7", "-o", "json"}, Ledger: ok, Out: `"status": "open"`},

		{Name: "propose without file", Args: []string{"propose"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "-f ROLES.yaml is required"},
		{Name: "propose empty table", Args: []string{"propose", "-f", "-"}, Stdin: "{}", Ledger: ok, Code: cmdutil.ExitUsage, Err: "-: invalid role table: no members"},
		{Name: "propose unknown role", Args: []string{"propose", "-f", "-"}, Stdin: `{"BrandMSP":["king"]}`, Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown role "king"`},
		{Name: "propose not yaml", Args: []string{"propose", "-f", "-"}, Stdin: "BrandMSP: [brand", Ledger: ok, Code: cmdutil.ExitUsage, Err: "-: "},
		{Name: "approve without id", Args: []string{"approve"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "takes a proposal id, got 0 arguments"},
		{Name: "proposal two ids", Args: []string{"proposal", "a", "b"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: "takes a proposal id, got 2 arguments"},
		{Name: "roles bad output", Args: []string{"roles", "-o", "csv"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown --output "csv"`},
		{Name: "roles argument", Args: []string{"roles", "all"}, Ledger: ok, Code: cmdutil.ExitUsage, Err: `unknown command "all"`},

		{Name: "approve twice", Args: []string{"approve", "p1"}, Ledger: refused(client.ErrState, "Governance:ApproveRoles", "LabMSP has already approved role proposal p1"),
			Code: cmdutil.ExitRejected, Err: "Governance:ApproveRoles rejected: LabMSP has already approved role proposal p1"},
		{Name: "propose not a member", Args: []string{"propose", "-f", "-"}, Stdin: table, Ledger: refused(client.ErrForbidden, "Governance:ProposeRoles", "OtherMSP is not a member"),
			Code: cmdutil.ExitRejected, Err: "OtherMSP is not a member"},
		{Name: "proposal unknown", Args: []string{"proposal", "nope"}, Ledger: refused(client.ErrNotFound, "Governance:GetRoleProposal", "no role proposal nope"),
			Code: cmdutil.ExitRejected, Err: "no role proposal nope"},
		{Name: "roles unreachable", Args: []string{"roles"}, Ledger: cmdtest.Ledger{Err: cmdtest.Unavailable()}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable at 127.0.0.1:1"},
		{Name: "approve unreachable", Args: []string{"approve", "p1"}, Ledger: cmdtest.Ledger{Client: fakeLedger{err: cmdtest.Unavailable()}}, Code: cmdutil.ExitUnavailable, Err: "ledger unavailable"},
	})
}
