package ledger

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
)

// Role is what an organisation may do on the ledger.
type Role string

// Roles, each granting a set of contract functions.
const (
	RoleBrand     Role = "brand"     // product master data, units, recalls
	RoleSupplier  Role = "supplier"  // batches and transformations
	RoleLab       Role = "lab"       // lab signers and inspection reports
	RoleLogistics Role = "logistics" // packing logistic units (custody moves are for any custodian)
)

// KnownRoles lists the roles in a fixed order.
func KnownRoles() []Role { return []Role{RoleBrand, RoleSupplier, RoleLab, RoleLogistics} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(KnownRoles(), r) }

// Member is an organisation of the consortium and its roles.
type Member struct {
	MSPID string `json:"mspId"`
	Roles []Role `json:"roles"`
}

// Roles is the consortium's role table. Members are sorted by MSP id and
// each member's roles in KnownRoles order. Members also vote on changes.
type Roles struct {
	Members []Member `json:"members"`
	// Version counts the table's changes: 1 after Governance:Init.
	Version   int    `json:"version"`
	UpdatedAt string `json:"updatedAt"`
	UpdatedTx string `json:"updatedTx"`
}

// RoleTable is the input form of a role table, {"BrandMSP": ["brand"], …}.
type RoleTable map[string][]Role

// ErrInvalidRoles is wrapped by RoleTable.Members errors.
var ErrInvalidRoles = errors.New("invalid role table")

var mspIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Members validates t and returns it in canonical order: at least one
// member, MSP ids of letters, digits, '.', '_' and '-', each with one or
// more known roles and no role twice.
func (t RoleTable) Members() ([]Member, error) {
	if len(t) == 0 {
		return nil, fmt.Errorf("%w: no members", ErrInvalidRoles)
	}
	ids := make([]string, 0, len(t))
	for id := range t {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		if !mspIDRE.MatchString(id) {
			return nil, fmt.Errorf("%w: MSP id %q is malformed", ErrInvalidRoles, id)
		}
		roles := t[id]
		if len(roles) == 0 {
			return nil, fmt.Errorf("%w: %s has no roles", ErrInvalidRoles, id)
		}
		var m Member
		m.MSPID = id
		for _, known := range KnownRoles() {
			n := 0
			for _, r := range roles {
				if r == known {
					n++
				}
			}
			if n > 1 {
				return nil, fmt.Errorf("%w: %s has role %q twice", ErrInvalidRoles, id, known)
			}
			if n == 1 {
				m.Roles = append(m.Roles, known)
			}
		}
		for _, r := range roles {
			if !r.Valid() {
				return nil, fmt.Errorf("%w: %s has unknown role %q (known: %v)", ErrInvalidRoles, id, r, KnownRoles())
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// Member returns mspID's entry.
func (r Roles) Member(mspID string) (Member, bool) {
	for _, m := range r.Members {
		if m.MSPID == mspID {
			return m, true
		}
	}
	return Member{}, false
}

// Has reports whether mspID holds role.
func (r Roles) Has(mspID string, role Role) bool {
	m, ok := r.Member(mspID)
	return ok && slices.Contains(m.Roles, role)
}

// Majority is how many members must approve a change: more than half.
func (r Roles) Majority() int { return len(r.Members)/2 + 1 }

// ProposalStatus is the state of a role proposal.
type ProposalStatus string

// Proposal statuses. A proposal goes stale when another change is applied
// first, since it was voted on against the older table.
const (
	ProposalOpen    ProposalStatus = "open"
	ProposalApplied ProposalStatus = "applied"
	ProposalStale   ProposalStatus = "stale"
)

// RoleProposal is a proposed replacement of the role table.
type RoleProposal struct {
	// ID is the proposing transaction's id.
	ID      string   `json:"id"`
	Members []Member `json:"members"`
	// BaseVersion is the table version the proposal replaces.
	BaseVersion int    `json:"baseVersion"`
	ProposedBy  string `json:"proposedBy"`
	ProposedAt  string `json:"proposedAt"`
	// Approvals are the approving MSP ids, sorted; the proposer's included.
	Approvals []string       `json:"approvals"`
	Status    ProposalStatus `json:"status"`
	AppliedAt string         `json:"appliedAt,omitempty" metadata:",optional"`
}
