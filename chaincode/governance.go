package chaincode

import (
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/trustline/trustline/ledger"
)

// GovernanceContract holds the role table: which MSP ids hold which roles.
// Init sets it once, right after deployment; afterwards it changes only by
// a proposal that a majority of the current members approve.
type GovernanceContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names.
func (*GovernanceContract) GetName() string { return "Governance" }

func parseRoleTable(rolesJSON string) ([]ledger.Member, error) {
	var table ledger.RoleTable
	if err := unmarshalStrict([]byte(rolesJSON), &table); err != nil {
		return nil, wrapf(ErrInvalid, err, `role table must be a JSON object {"MSPID": ["role", …]}`)
	}
	m, err := table.Members()
	if err != nil {
		return nil, wrapf(ErrInvalid, err, "role table")
	}
	return m, nil
}

// Init sets the first role table, rolesJSON being {"BrandMSP": ["brand"], …}.
// It works only while no table exists, and the caller must be a member of
// the table it sets, so no outsider can lock the consortium out.
func (*GovernanceContract) Init(ctx contractapi.TransactionContextInterface, rolesJSON string) (_ *ledger.Roles, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	cur, ok, err := t.loadRoles()
	if err != nil {
		return nil, err
	}
	if ok {
		return nil, errorf(ErrExists, "roles are already initialised (version %d); change them with Governance:ProposeRoles", cur.Version)
	}
	members, err := parseRoleTable(rolesJSON)
	if err != nil {
		return nil, err
	}
	roles := &ledger.Roles{Members: members, Version: 1, UpdatedAt: t.nowString(), UpdatedTx: t.id}
	if _, ok := roles.Member(t.msp); !ok {
		return nil, errorf(ErrForbidden, "caller %s is not in the role table it initialises", t.msp)
	}
	k, err := t.key(ledger.ObjectRoles)
	if err != nil {
		return nil, err
	}
	if err := t.put(k, roles); err != nil {
		return nil, err
	}
	return roles, t.commit()
}

// GetRoles returns the role table.
func (*GovernanceContract) GetRoles(ctx contractapi.TransactionContextInterface) (_ *ledger.Roles, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	r, ok, err := t.loadRoles()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errorf(ErrNotFound, "roles are not initialised: call Governance:Init first")
	}
	return &r, nil
}

// ProposeRoles proposes replacing the role table with rolesJSON. Any member
// may propose; the proposal counts as the proposer's approval and applies
// at once if that is already a majority.
func (*GovernanceContract) ProposeRoles(ctx contractapi.TransactionContextInterface, rolesJSON string) (_ *ledger.RoleProposal, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := t.requireMember()
	if err != nil {
		return nil, err
	}
	members, err := parseRoleTable(rolesJSON)
	if err != nil {
		return nil, err
	}
	p := &ledger.RoleProposal{
		ID: t.id, Members: members, BaseVersion: roles.Version,
		ProposedBy: t.msp, ProposedAt: t.nowString(), Approvals: []string{t.msp}, Status: ledger.ProposalOpen,
	}
	return p, t.saveProposal(roles, p)
}

// ApproveRoles adds the caller's approval to proposal id and applies the
// proposal once a majority of the current members approved it.
func (*GovernanceContract) ApproveRoles(ctx contractapi.TransactionContextInterface, id string) (_ *ledger.RoleProposal, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := t.requireMember()
	if err != nil {
		return nil, err
	}
	p, err := t.proposal(id)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Status == ledger.ProposalApplied:
		return nil, errorf(ErrState, "role proposal %s was already applied at %s", id, p.AppliedAt)
	case p.BaseVersion != roles.Version:
		return nil, errorf(ErrState, "role proposal %s is stale: it changes table version %d, the table is now at version %d", id, p.BaseVersion, roles.Version)
	case slices.Contains(p.Approvals, t.msp):
		return nil, errorf(ErrExists, "%s has already approved role proposal %s", t.msp, id)
	}
	p.Approvals = append(p.Approvals, t.msp)
	slices.Sort(p.Approvals)
	return p, t.saveProposal(roles, p)
}

// saveProposal stores p and, when a majority of the current members
// approved it, applies it.
func (t *txn) saveProposal(roles ledger.Roles, p *ledger.RoleProposal) error {
	votes := 0
	for _, a := range p.Approvals {
		if _, ok := roles.Member(a); ok {
			votes++
		}
	}
	if votes >= roles.Majority() {
		p.Status, p.AppliedAt = ledger.ProposalApplied, t.nowString()
		next := &ledger.Roles{Members: p.Members, Version: roles.Version + 1, UpdatedAt: t.nowString(), UpdatedTx: t.id}
		k, err := t.key(ledger.ObjectRoles)
		if err != nil {
			return err
		}
		if err := t.put(k, next); err != nil {
			return err
		}
	}
	k, err := t.key(ledger.ObjectRoleProposal, p.ID)
	if err != nil {
		return err
	}
	if err := t.put(k, p); err != nil {
		return err
	}
	return t.commit()
}

func (t *txn) proposal(id string) (*ledger.RoleProposal, error) {
	return load[ledger.RoleProposal](t, "role proposal", ledger.ObjectRoleProposal, id)
}

// GetRoleProposal returns proposal id; an open proposal made against an
// older table is reported as stale.
func (*GovernanceContract) GetRoleProposal(ctx contractapi.TransactionContextInterface, id string) (_ *ledger.RoleProposal, err error) {
	defer classify(&err)
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	p, err := t.proposal(id)
	if err != nil {
		return nil, err
	}
	if r, ok, err := t.loadRoles(); err != nil {
		return nil, err
	} else if ok && p.Status == ledger.ProposalOpen && p.BaseVersion != r.Version {
		p.Status = ledger.ProposalStale
	}
	return p, nil
}
