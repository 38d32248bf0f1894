package consortiumcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/orgca"
)

// memberFlags are what every membership command needs: the caller's
// organisation directory (its admin signs and asks) and the orderer to ask.
type memberFlags struct {
	orgDir  string
	orderer string
	channel string
}

func (m *memberFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&m.orgDir, "org-dir", "", "your organisation directory (made by org init); its admin signs")
	f.StringVar(&m.orderer, "orderer", "", "host:port of the orderer to ask (default: your own, from your card)")
	f.StringVar(&m.channel, "channel", consortium.DefaultChannel, "channel name")
}

// open opens the organisation and connects to the orderer as its admin.
func (m *memberFlags) open(cmd *cobra.Command, dial consortium.Dialer) (*orgca.Org, *consortium.Signer, consortium.OrdererClient, error) {
	if m.orgDir == "" {
		return nil, nil, nil, cmdutil.UsageError("%s needs --org-dir\n\n%s", cmd.CommandPath(), cmd.UsageString())
	}
	o, err := orgca.Open(m.orgDir)
	if err != nil {
		return nil, nil, nil, cmdutil.UsageError("%v", err)
	}
	s, err := consortium.AdminSigner(o)
	if err != nil {
		return nil, nil, nil, cmdutil.UsageError("%v", err)
	}
	addr := m.orderer
	var roots [][]byte
	if addr == "" {
		addr = o.Card().Orderer.Address
	} else if err := orgca.CheckAddress(addr); err != nil {
		return nil, nil, nil, cmdutil.UsageError("--orderer: %v", err)
	}
	if b, err := os.ReadFile(o.TLSCAFile()); err == nil {
		roots = append(roots, b)
	}
	oc, err := dial(addr, roots, s)
	if err != nil {
		return nil, nil, nil, cmdutil.Unavailable(err)
	}
	return o, s, oc, nil
}

// refusal maps a membership error to its exit code: a rule of the
// consortium refused (3), bad input (2), an orderer out of reach (4).
func refusal(err error) error {
	switch {
	case errors.Is(err, consortium.ErrTooFewSignatures), errors.Is(err, consortium.ErrStale), errors.Is(err, consortium.ErrExists),
		errors.Is(err, consortium.ErrNotMember), errors.Is(err, consortium.ErrUnhealthy):
		return cmdutil.Rejected(err)
	case errors.Is(err, consortium.ErrInvalid):
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	var re *consortium.RejectedError
	if errors.As(err, &re) {
		return cmdutil.Rejected(err)
	}
	return cmdutil.Unavailable(err)
}

func newProposeAddCmd(ios *iostreams.IO, f *cmdutil.Factory) *cobra.Command {
	var m memberFlags
	var consenter bool
	var roles []string
	var out string
	cmd := &cobra.Command{
		Use:   "propose-add ORG-CARD --org-dir DIR [--consenter] [--roles ROLE,…]",
		Short: "Propose adding a member to the channel: write an update for the admins to sign",
		Long: `Compute the channel configuration update that adds the organisation of
ORG-CARD: its MSP in the application group (with its anchor peer) and, with
--consenter, its orderer as a SmartBFT consenter (the orderer group, its
endpoint, a consenter mapping entry and the BlockValidation policy for the
new consenter set, changed together as Fabric 3 requires). The update is
computed from the channel's latest config block, fetched from the orderer as
your admin, and written to an update file with what it was computed from;
it counts as your signature. Send the file to the other members' admins
(` + "`trustline consortium sign`" + `); once a majority signed, anyone submits it
(` + "`trustline consortium submit`" + `). --roles are the new member's roles in
trustline: the role table change to propose with ` + "`trustline governance propose`" + `
once the member is in.`,
		Example: `  trustline consortium propose-add retailer-card.json --org-dir brand/ --consenter --roles logistics`,
		Args:    cmdutil.ExactArgs(1, "ORG-CARD"),
		RunE: func(cmd *cobra.Command, args []string) error {
			card, err := orgca.ReadCard(args[0])
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			var rs []ledger.Role
			for _, r := range roles {
				for _, p := range strings.Split(r, ",") {
					rs = append(rs, ledger.Role(strings.TrimSpace(p)))
				}
			}
			return m.propose(cmd, ios, f, out, func(cc *consortium.ChannelConfig, o *orgca.Org) (*consortium.Update, error) {
				return consortium.ProposeAdd(cc, card, consortium.AddOptions{Consenter: consenter, Roles: rs, ProposedBy: o.MSPID()})
			})
		},
	}
	m.add(cmd)
	cmd.Flags().BoolVar(&consenter, "consenter", false, "add the member's orderer to the BFT consenters too")
	cmd.Flags().StringArrayVar(&roles, "roles", nil, "the member's trustline roles (brand, supplier, lab, logistics), comma-separated")
	cmd.Flags().StringVar(&out, "out", "", "update file to write (default: add-MSPID.update.json)")
	return cmd
}

func newProposeRemoveCmd(ios *iostreams.IO, f *cmdutil.Factory) *cobra.Command {
	var m memberFlags
	var out string
	cmd := &cobra.Command{
		Use:   "propose-remove MSPID --org-dir DIR",
		Short: "Propose removing a member from the channel: write an update for the admins to sign",
		Long: `Compute the channel configuration update that removes organisation MSPID:
from the application group and, when its orderer is a consenter, from the
orderer group, the consenter mapping and the BlockValidation policy. Signed
and submitted like propose-add's update; a consenter is removed only while
every remaining consenter is healthy (submit checks).`,
		Example: `  trustline consortium propose-remove LogisticsMSP --org-dir brand/`,
		Args:    cmdutil.ExactArgs(1, "MSPID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.propose(cmd, ios, f, out, func(cc *consortium.ChannelConfig, o *orgca.Org) (*consortium.Update, error) {
				return consortium.ProposeRemove(cc, args[0], consortium.RemoveOptions{ProposedBy: o.MSPID()})
			})
		},
	}
	m.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "update file to write (default: remove-MSPID.update.json)")
	return cmd
}

func newProposeMSPCmd(ios *iostreams.IO, f *cmdutil.Factory) *cobra.Command {
	var m memberFlags
	var out string
	cmd := &cobra.Command{
		Use:   "propose-msp --org-dir DIR",
		Short: "Publish your organisation's CRL and renewed CA certificates to the channel",
		Long: `Compute the update that publishes your organisation's current MSP, as your
card now describes it, to the channel: its certificate revocation list
replaces the channel's (identities revoked with ` + "`trustline org revoke`" + ` are refused
from the next block on), and a renewed CA certificate is added beside the old
one (certificates issued by either stay valid). The MSP is your
organisation's own: your admin's signature is the one it needs, and it is
signed as it is proposed; submit it with ` + "`trustline consortium submit`" + `.`,
		Example: `  trustline org revoke --dir supplier/ --name clerk
  trustline consortium propose-msp --org-dir supplier/ --out crl.update.json
  trustline consortium submit crl.update.json --org-dir supplier/`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.propose(cmd, ios, f, out, func(cc *consortium.ChannelConfig, o *orgca.Org) (*consortium.Update, error) {
				return consortium.ProposeMSP(cc, o.Card(), consortium.RemoveOptions{ProposedBy: o.MSPID()})
			})
		},
	}
	m.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "update file to write (default: msp-MSPID.update.json)")
	return cmd
}

// propose is every propose-* command's run: open the member's orderer
// connection, read the channel's config, compute the update with fn (a
// refusal exits 3) and write it signed by the proposer.
func (m *memberFlags) propose(cmd *cobra.Command, ios *iostreams.IO, f *cmdutil.Factory, out string, fn func(*consortium.ChannelConfig, *orgca.Org) (*consortium.Update, error)) error {
	o, s, oc, err := m.open(cmd, f.Orderer)
	if err != nil {
		return err
	}
	defer oc.Close()
	cc, err := oc.Config(cmd.Context(), m.channel)
	if err != nil {
		return cmdutil.Unavailable(err)
	}
	u, err := fn(cc, o)
	if err != nil {
		return refusal(err)
	}
	return writeProposal(ios, u, s, cc, out)
}

// writeProposal signs u as the proposer and writes it.
func writeProposal(ios *iostreams.IO, u *consortium.Update, s *consortium.Signer, cc *consortium.ChannelConfig, out string) error {
	if out == "" {
		out = u.Kind + "-" + u.MSPID + ".update.json"
	}
	if err := u.Sign(s, time.Time{}); err != nil {
		return err
	}
	if err := u.WriteFile(out); err != nil {
		return err
	}
	fmt.Fprintf(ios.ErrOut, "Proposed: %s (from config block %d). ", u.Describe(), cc.Block)
	tally, err := u.Check(cc)
	printTally(ios, tally, err)
	fmt.Fprintln(ios.Out, out)
	return nil
}

func printTally(ios *iostreams.IO, t consortium.Tally, err error) {
	if err != nil {
		fmt.Fprintln(ios.ErrOut, err)
	} else {
		fmt.Fprintln(ios.ErrOut, "Signed by a majority: ready to submit.")
	}
	for _, inv := range t.Invalid {
		fmt.Fprintf(ios.ErrOut, "  not counted: %s\n", inv)
	}
}

func newSignCmd(ios *iostreams.IO) *cobra.Command {
	var orgDir string
	cmd := &cobra.Command{
		Use:   "sign UPDATE --org-dir DIR",
		Short: "Sign a membership update as your organisation's admin",
		Long: `Add your organisation admin's signature to the update file (on your own
host, with your own key; nothing leaves it but the signature). Signing again
replaces your earlier signature. Read the update first: it says what it
changes.`,
		Example: `  trustline consortium sign add-RetailerMSP.update.json --org-dir supplier/`,
		Args:    cmdutil.ExactArgs(1, "UPDATE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if orgDir == "" {
				return cmdutil.UsageError("%s needs --org-dir\n\n%s", cmd.CommandPath(), cmd.UsageString())
			}
			u, err := consortium.ReadUpdate(args[0])
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			o, err := orgca.Open(orgDir)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			s, err := consortium.AdminSigner(o)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			if err := u.Sign(s, time.Time{}); err != nil {
				return err
			}
			if err := u.WriteFile(args[0]); err != nil {
				return err
			}
			var by []string
			for _, g := range u.Signatures {
				by = append(by, g.MSPID)
			}
			fmt.Fprintf(ios.ErrOut, "%s signed: %s. Signatures: %s\n", o.MSPID(), u.Describe(), strings.Join(by, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&orgDir, "org-dir", "", "your organisation directory (made by org init)")
	return cmd
}

func newSubmitCmd(ios *iostreams.IO, f *cmdutil.Factory) *cobra.Command {
	var m memberFlags
	var blocks string
	var wait, waitHealthyFor time.Duration
	cmd := &cobra.Command{
		Use:   "submit UPDATE --org-dir DIR",
		Short: "Submit a membership update once a majority of the member admins signed it",
		Long: `Check the update against the channel's latest configuration and submit it
to the orderer. It refuses, changing nothing (exit 3), when fewer admins
signed than the channel's rule (MAJORITY Admins) asks, saying how many did;
when the channel's configuration moved on since the update was proposed
(propose it again); when the member to add is already in (or the one to
remove is not); and, for a consenter change, unless every remaining
consenter is healthy (it asks each consenter for its height; with
--wait-healthy it asks again every second for that long before it refuses,
since a consenter restarted shortly before may be catching up for tens of
seconds under load). Then it waits for the new config block. --blocks DIR
writes the channel's genesis block and the new config block there, for a
new member to join its peer (genesis.block) and orderer (config.block)
with.`,
		Example: `  trustline consortium submit add-RetailerMSP.update.json --org-dir brand/ --blocks for-retailer/`,
		Args:    cmdutil.ExactArgs(1, "UPDATE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := consortium.ReadUpdate(args[0])
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			m.channel = u.Channel
			_, s, oc, err := m.open(cmd, f.Orderer)
			if err != nil {
				return err
			}
			defer oc.Close()
			ctx := cmd.Context()
			cc, err := oc.Config(ctx, u.Channel)
			if err != nil {
				return cmdutil.Unavailable(err)
			}
			if _, err := u.Check(cc); err != nil {
				return refusal(err)
			}
			if err := waitHealthy(ctx, ios.ErrOut, u, cc, s, f.Orderer, waitHealthyFor); err != nil {
				return refusal(err)
			}
			if err := oc.Submit(ctx, u); err != nil {
				return refusal(err)
			}
			next, err := waitConfig(ctx, oc, u.Channel, cc.Sequence(), wait)
			if err != nil {
				return cmdutil.Unavailable(err)
			}
			fmt.Fprintf(ios.ErrOut, "Done: %s, in config block %d.\n", u.Describe(), next.Block)
			if blocks != "" {
				if err := writeBlocks(ctx, oc, u.Channel, blocks); err != nil {
					return err
				}
				fmt.Fprintf(ios.ErrOut, "Wrote %s and %s for the new member.\n", filepath.Join(blocks, "genesis.block"), filepath.Join(blocks, "config.block"))
			}
			fmt.Fprintln(ios.Out, next.Block)
			return nil
		},
	}
	m.add(cmd)
	cmd.Flags().StringVar(&blocks, "blocks", "", "directory to write genesis.block and the new config.block to")
	cmd.Flags().DurationVar(&wait, "wait", time.Minute, "how long to wait for the new config block")
	cmd.Flags().DurationVar(&waitHealthyFor, "wait-healthy", 0, "for a consenter change, how long to wait for every remaining consenter to be healthy before refusing")
	return cmd
}

// waitHealthy checks, for a consenter change, that every remaining
// consenter is healthy; while one is not, it asks again every second for
// up to within, saying once on errOut which consenter it waits for (and
// again when that changes). The error is the last check's.
func waitHealthy(ctx context.Context, errOut io.Writer, u *consortium.Update, cc *consortium.ChannelConfig, s *consortium.Signer, dial consortium.Dialer, within time.Duration) error {
	if !u.Consenter {
		return nil
	}
	deadline := time.Now().Add(within)
	said := ""
	for {
		states, err := consortium.Consenters(ctx, cc, s, dial)
		if err != nil {
			return err
		}
		err = u.CheckConsenterChange(states)
		if err == nil || !errors.Is(err, consortium.ErrUnhealthy) || !time.Now().Before(deadline) {
			return err
		}
		if msg := waitingFor(states, u); msg != said {
			fmt.Fprintf(errOut, "Waiting for %s (up to %s)...\n", msg, time.Until(deadline).Round(time.Second))
			said = msg
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// waitingFor names the remaining consenters that are not healthy.
func waitingFor(states []consortium.ConsenterState, u *consortium.Update) string {
	var names []string
	for _, st := range states {
		if !st.Healthy() && u.Remains(st) {
			names = append(names, fmt.Sprintf("consenter %d (%s)", st.ID, st.MSPID))
		}
	}
	return strings.Join(names, ", ")
}

// waitConfig waits until the channel's configuration is past sequence.
func waitConfig(ctx context.Context, oc consortium.OrdererClient, channel string, sequence uint64, within time.Duration) (*consortium.ChannelConfig, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		cc, err := oc.Config(ctx, channel)
		if err == nil && cc.Sequence() > sequence {
			return cc, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the orderer accepted the update, but no new config block within %s (last: %v)", within, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func writeBlocks(ctx context.Context, oc consortium.OrdererClient, channel, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cb, err := oc.ConfigBlock(ctx, channel)
	if err != nil {
		return cmdutil.Unavailable(err)
	}
	g, err := oc.Block(ctx, channel, 0)
	if err != nil {
		return cmdutil.Unavailable(err)
	}
	gb, err := marshalBlock(g)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "genesis.block"), gb, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.block"), cb, 0o644)
}
