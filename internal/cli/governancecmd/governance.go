// Package governancecmd implements `trustline governance`: the consortium's
// role table and the proposals, voted on by its members, that change it.
package governancecmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns the governance command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "governance",
		Short: "Show the consortium's role table, propose and approve changes (members)",
		Long: `The role table says which organisation (MSP id) holds which roles: brand,
supplier, lab and logistics. Any member may propose a new table; the proposal
counts as the proposer's approval and replaces the table once more than half
of the current members approved it. A proposal made against a table that has
changed since is stale and can no longer be approved.`,
		Args: cmdutil.NoArgs,
		// Runnable, so that an unknown subcommand is a usage error (exit 2)
		// rather than help.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.AddCommand(newRolesCmd(ios, lo), newProposeCmd(ios, lo), newApproveCmd(ios, lo), newProposalCmd(ios, lo))
	return cmd
}

// governanceLedger is what the governance commands call of the ledger
// client.
type governanceLedger interface {
	Roles(ctx context.Context, opts ...client.CallOption) (*ledger.Roles, error)
	ProposeRoles(ctx context.Context, roles ledger.RoleTable, opts ...client.CallOption) (*ledger.RoleProposal, error)
	ApproveRoles(ctx context.Context, id string, opts ...client.CallOption) (*ledger.RoleProposal, error)
	RoleProposal(ctx context.Context, id string, opts ...client.CallOption) (*ledger.RoleProposal, error)
	Close() error
}

func newRolesCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "roles",
		Short:   "Show the role table",
		Long:    `Show the consortium's role table (Governance:GetRoles) and its version.`,
		Example: `  trustline governance roles --profile supplier -o json`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c governanceLedger) (*ledger.Roles, error) { return c.Roles(ctx) },
				RolesTable)
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newProposeCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var file, output string
	cmd := &cobra.Command{
		Use:   "propose -f ROLES.yaml",
		Short: "Propose a new role table",
		Long: `Propose (Governance:ProposeRoles) a complete new role table, replacing the
current one: a JSON or YAML object from MSP id to roles (-f, - for standard
input). Every member keeps its vote only if it is in the new table too. The
printed proposal id is what the other members approve.`,
		Example: `  # roles.yaml, the whole new table:
  #   BrandMSP: [brand]
  #   SupplierMSP: [supplier]
  #   LabMSP: [lab]
  #   LogisticsMSP: [logistics, supplier]
  trustline governance propose -f roles.yaml --profile brand
  echo '{"BrandMSP": ["brand"], "LabMSP": ["lab"]}' | trustline governance propose -f - -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if file == "" {
				return cmdutil.UsageError("-f ROLES.yaml is required (a file, or - for standard input)\n\n%s", cmd.UsageString())
			}
			var table ledger.RoleTable
			if err := cmdutil.LoadInput(file, ios.In, &table); err != nil {
				return err
			}
			if _, err := table.Members(); err != nil {
				return cmdutil.UsageError("%s: %v", file, err)
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c governanceLedger) (*ledger.RoleProposal, error) {
					return c.ProposeRoles(ctx, table)
				},
				ProposalTable)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", `the new role table, {"MSPID": ["role", ...]}, JSON or YAML (- for standard input)`)
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newApproveCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "approve PROPOSAL-ID",
		Short: "Approve a role proposal",
		Long: `Add your organisation's approval to a role proposal (Governance:ApproveRoles).
The approval that makes a majority of the current members applies the
proposal at once; its status is then "applied".`,
		Example: `  trustline governance approve 3f0c9d2e... --profile lab`,
		Args:    cmdutil.ExactArgs(1, "a proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c governanceLedger) (*ledger.RoleProposal, error) {
					return c.ApproveRoles(ctx, args[0])
				},
				ProposalTable)
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newProposalCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "proposal PROPOSAL-ID",
		Short: "Show a role proposal, its approvals and status",
		Long: `Show a role proposal (Governance:GetRoleProposal): the table it proposes, who
approved it, and whether it is open, applied or stale.`,
		Example: `  trustline governance proposal 3f0c9d2e... --profile supplier`,
		Args:    cmdutil.ExactArgs(1, "a proposal id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c governanceLedger) (*ledger.RoleProposal, error) {
					return c.RoleProposal(ctx, args[0])
				},
				ProposalTable)
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// RolesTable writes the role table.
func RolesTable(w io.Writer, r *ledger.Roles) error {
	if err := cmdutil.Fields(w, [2]string{"Version", fmt.Sprint(r.Version)}, [2]string{"Updated", r.UpdatedAt},
		[2]string{"Transaction", r.UpdatedTx}, [2]string{"Majority", fmt.Sprintf("%d of %d members", r.Majority(), len(r.Members))}); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return membersTable(w, r.Members)
}

// ProposalTable writes a role proposal.
func ProposalTable(w io.Writer, p *ledger.RoleProposal) error {
	if err := cmdutil.Fields(w,
		[2]string{"Proposal", p.ID}, [2]string{"Status", string(p.Status)},
		[2]string{"Replaces", fmt.Sprintf("version %d", p.BaseVersion)},
		[2]string{"Proposed by", p.ProposedBy}, [2]string{"Proposed", p.ProposedAt},
		[2]string{"Approvals", strings.Join(p.Approvals, ", ")}, [2]string{"Applied", p.AppliedAt},
	); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return membersTable(w, p.Members)
}

func membersTable(w io.Writer, ms []ledger.Member) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tROLES")
	for _, m := range ms {
		roles := make([]string, len(m.Roles))
		for i, r := range m.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(tw, "%s\t%s\n", m.MSPID, strings.Join(roles, ", "))
	}
	return tw.Flush()
}
