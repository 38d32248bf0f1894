// Package chaincodecmd implements `trustline chaincode`: upgrading the
// channel's chaincode by the members' vote (Fabric's chaincode lifecycle,
// package consortium). Each member runs its own chaincode server (CCaaS),
// so each approves with a package of its own naming that server; the
// definition they approve (name, version, sequence, policy) is the same.
package chaincodecmd

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/orgca"
)

// NewCmd returns the chaincode command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chaincode",
		Short: "Upgrade the channel's chaincode by the members' vote (members)",
		Long: `Upgrade the chaincode without stopping the record. One member proposes a new
version (` + "`propose-upgrade`" + `): its admin installs a package of that version on its
own peer, pointing at a NEW chaincode server address, and approves the
definition at the next sequence. Each other member does the same with its own
server address (` + "`approve-upgrade`" + `). Start each member's new server (with the
package id printed) before the commit, next to the old one: a peer runs the
old version until it commits the new definition, the new one from then on.
Once a majority approved, anyone commits (` + "`commit-upgrade`" + `); stop the old
servers when every peer has the new definition (` + "`trustline consortium status`" + `).`,
	}
	cmd.AddCommand(newApproveCmd(f, true), newApproveCmd(f, false), newCommitCmd(f))
	return cmd
}

// upgradeFlags are what each upgrade command needs.
type upgradeFlags struct {
	orgDir, peer, channel, name, version string
}

func (u *upgradeFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&u.orgDir, "org-dir", "", "your organisation directory (made by org init); its admin approves")
	f.StringVar(&u.peer, "peer", "", "host:port of your peer (default: from your card)")
	f.StringVar(&u.channel, "channel", consortium.DefaultChannel, "channel name")
	f.StringVar(&u.name, "name", consortium.DefaultChaincode, "chaincode name")
	f.StringVar(&u.version, "version", "", "the new version (required)")
}

// open checks the flags, opens the organisation and connects to its peer
// as its admin.
func (u *upgradeFlags) open(cmd *cobra.Command, dial consortium.LifecycleDialer) (*orgca.Org, consortium.Lifecycle, error) {
	if u.orgDir == "" || u.version == "" {
		return nil, nil, cmdutil.UsageError("%s needs --org-dir and --version\n\n%s", cmd.CommandPath(), cmd.UsageString())
	}
	if strings.TrimSpace(u.version) != u.version || strings.ContainsAny(u.version, " \t\n") {
		return nil, nil, cmdutil.UsageError("--version %q: no spaces", u.version)
	}
	o, err := orgca.Open(u.orgDir)
	if err != nil {
		return nil, nil, cmdutil.UsageError("%v", err)
	}
	s, err := consortium.AdminSigner(o)
	if err != nil {
		return nil, nil, cmdutil.UsageError("%v", err)
	}
	addr := u.peer
	if addr == "" {
		addr = o.Card().Peer.Address
	} else if err := orgca.CheckAddress(addr); err != nil {
		return nil, nil, cmdutil.UsageError("--peer: %v", err)
	}
	var roots [][]byte
	if b, err := os.ReadFile(o.TLSCAFile()); err == nil {
		roots = append(roots, b)
	}
	lc, err := dial(addr, roots, s)
	if err != nil {
		return nil, nil, cmdutil.Unavailable(err)
	}
	return o, lc, nil
}

// refusal maps an upgrade error to its exit code: a rule of the
// consortium refused (3), bad input (2), anything else (4: a peer out of
// reach or refusing).
func refusal(err error) error {
	switch {
	case errors.Is(err, consortium.ErrTooFewApprovals), errors.Is(err, consortium.ErrNotProposed):
		return cmdutil.Rejected(err)
	case errors.Is(err, consortium.ErrInvalid):
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	return cmdutil.Unavailable(err)
}

func newApproveCmd(f *cmdutil.Factory, propose bool) *cobra.Command {
	var u upgradeFlags
	var address, out string
	var printID bool
	use, short := "approve-upgrade", "Approve a proposed chaincode upgrade for your organisation, with your own chaincode server"
	if propose {
		use, short = "propose-upgrade", "Propose a chaincode upgrade: install the new version on your peer and approve it"
	}
	cmd := &cobra.Command{
		Use:   use + " --org-dir DIR --version V --address HOST:PORT",
		Short: short,
		Long: short + `.

Builds your package of the new version (chaincode-as-a-service: its
connection.json names --address, where your new chaincode server will
listen), installs it on your peer as your admin and approves the committed
definition with the new version at the next sequence for your organisation.
Prints the package id. Start your new chaincode server with it as
CHAINCODE_ID on --address BEFORE approving (--print-package-id gives the id
without doing anything else): once the upgrade is committed, your peer
dials it for every transaction it endorses. Keep the old server running
until every peer has committed the upgrade.` + map[bool]string{
			true:  "\n\nThe other members then run approve-upgrade with the same version.",
			false: "\n\nRefuses (exit 3) when no member proposed that version at the next sequence.\nOnce the version is committed, approves the committed definition: a member\nthat approves late, so that its peer runs the new version too.",
		}[propose],
		Example: "  trustline chaincode " + use + " --org-dir brand/ --version 1.1 --address cc.brand.example.com:9998",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if address == "" {
				return cmdutil.UsageError("%s needs --address (your new chaincode server)\n\n%s", cmd.CommandPath(), cmd.UsageString())
			}
			if err := orgca.CheckAddress(address); err != nil {
				return cmdutil.UsageError("--address: %v", err)
			}
			if printID {
				if u.orgDir == "" || u.version == "" {
					return cmdutil.UsageError("%s needs --org-dir and --version\n\n%s", cmd.CommandPath(), cmd.UsageString())
				}
				o, err := orgca.Open(u.orgDir)
				if err != nil {
					return cmdutil.UsageError("%v", err)
				}
				_, id, err := consortium.CCaaSPackage(packageLabel(u.name, u.version, o.MSPID()), address)
				if err != nil {
					return cmdutil.UsageError("%v", err)
				}
				fmt.Fprintln(f.IOStreams.Out, id)
				return nil
			}
			o, lc, err := u.open(cmd, f.Lifecycle)
			if err != nil {
				return err
			}
			defer lc.Close()
			pkg, id, err := consortium.CCaaSPackage(packageLabel(u.name, u.version, o.MSPID()), address)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			if out != "" {
				if err := os.WriteFile(out, pkg, 0o644); err != nil {
					return err
				}
			}
			up, err := consortium.ApproveUpgrade(cmd.Context(), lc, u.channel, u.name, u.version, o.MSPID(), pkg, !propose)
			if err != nil {
				return refusal(err)
			}
			if up.PackageID != id {
				return fmt.Errorf("the peer installed package %s, expected %s", up.PackageID, id)
			}
			ios := f.IOStreams
			fmt.Fprintf(ios.ErrOut, "%s approved %s; approvals so far: %s\n", o.MSPID(), up.Definition, approvals(up.Approvals))
			fmt.Fprintf(ios.ErrOut, "Start your new chaincode server with CHAINCODE_ID=%s CHAINCODE_SERVER_ADDRESS=%s before the commit.\n", id, address)
			fmt.Fprintln(ios.Out, id)
			return nil
		},
	}
	u.add(cmd)
	cmd.Flags().StringVar(&address, "address", "", "host:port your new chaincode server listens on, as your peer dials it (required)")
	cmd.Flags().StringVar(&out, "out", "", "also write the package (tar.gz) to this file")
	cmd.Flags().BoolVar(&printID, "print-package-id", false, "only print the id of your package of the version (to start its server with), change nothing")
	return cmd
}

func newCommitCmd(f *cmdutil.Factory) *cobra.Command {
	var u upgradeFlags
	cmd := &cobra.Command{
		Use:   "commit-upgrade --org-dir DIR --version V",
		Short: "Commit a chaincode upgrade once a majority of the members approved it",
		Long: `Commit the upgrade of the chaincode to --version (the committed definition at
the next sequence), endorsed by the peers of the members that approved it.
Refuses (exit 3, naming the count) while fewer than a majority approved.
Prints the new sequence.`,
		Example: "  trustline chaincode commit-upgrade --org-dir lab/ --version 1.1",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, lc, err := u.open(cmd, f.Lifecycle)
			if err != nil {
				return err
			}
			defer lc.Close()
			d, err := consortium.CommitUpgrade(cmd.Context(), lc, u.channel, u.name, u.version)
			if err != nil {
				return refusal(err)
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "Committed %s\n", d)
			fmt.Fprintln(f.IOStreams.Out, d.Sequence)
			return nil
		},
	}
	u.add(cmd)
	return cmd
}

// packageLabel is a member's package label for a version: each member's
// package differs (it names the member's own chaincode server).
func packageLabel(name, version, mspID string) string {
	return name + "_" + version + "_" + strings.ToLower(strings.TrimSuffix(mspID, "MSP"))
}

// approvals lists who approved, and who not yet.
func approvals(m map[string]bool) string {
	var yes, no []string
	for org, ok := range m {
		if ok {
			yes = append(yes, org)
		} else {
			no = append(no, org)
		}
	}
	sort.Strings(yes)
	sort.Strings(no)
	s := fmt.Sprintf("%d of %d (%s)", len(yes), len(m), strings.Join(yes, ", "))
	if len(no) > 0 {
		s += "; not yet " + strings.Join(no, ", ")
	}
	return s
}
