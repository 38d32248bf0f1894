// Package cli assembles the trustline command tree.
package cli

import (
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/batchcmd"
	"github.com/trustline/trustline/internal/cli/chaincodecmd"
	"github.com/trustline/trustline/internal/cli/claimcmd"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/consortiumcmd"
	"github.com/trustline/trustline/internal/cli/custodycmd"
	"github.com/trustline/trustline/internal/cli/democmd"
	"github.com/trustline/trustline/internal/cli/epciscmd"
	"github.com/trustline/trustline/internal/cli/governancecmd"
	"github.com/trustline/trustline/internal/cli/indexcmd"
	"github.com/trustline/trustline/internal/cli/labcmd"
	"github.com/trustline/trustline/internal/cli/locationcmd"
	"github.com/trustline/trustline/internal/cli/nodecmd"
	"github.com/trustline/trustline/internal/cli/orgcmd"
	"github.com/trustline/trustline/internal/cli/productcmd"
	"github.com/trustline/trustline/internal/cli/recallcmd"
	"github.com/trustline/trustline/internal/cli/reportcmd"
	"github.com/trustline/trustline/internal/cli/scanscmd"
	"github.com/trustline/trustline/internal/cli/servicecmd"
	"github.com/trustline/trustline/internal/cli/testnetcmd"
	"github.com/trustline/trustline/internal/cli/tracecmd"
	"github.com/trustline/trustline/internal/cli/unitscmd"
	"github.com/trustline/trustline/internal/cli/verifycmd"
	"github.com/trustline/trustline/internal/iostreams"
)

// Version is set at build time with -ldflags.
var Version = "dev"

// NewRootCmd returns the trustline root command writing to ios, with the
// real clients.
func NewRootCmd(ios *iostreams.IO) *cobra.Command { return NewRootCmdWith(cmdutil.NewFactory(ios)) }

// NewRootCmdWith returns the trustline root command with f's streams and
// clients.
func NewRootCmdWith(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	root := &cobra.Command{
		Use:   "trustline",
		Short: "Blockchain-anchored food traceability: record, trace and verify",
		Long: `trustline records batch origin, signed lab reports and cold-chain hand-offs on a
Hyperledger Fabric consortium ledger, indexes them on each member's node, and
anchors the ledger's history to Ethereum so that anyone can verify a trace.`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr(c, err)
	})
	root.AddCommand(
		testnetcmd.NewCmd(f),
		democmd.NewCmd(f),
		nodecmd.NewCmd(f),
		orgcmd.NewCmd(f),
		consortiumcmd.NewCmd(f),
		chaincodecmd.NewCmd(f),
		indexcmd.NewCmd(f),
		productcmd.NewCmd(f),
		locationcmd.NewCmd(f),
		batchcmd.NewCmd(f),
		custodycmd.NewShipCmd(f),
		custodycmd.NewReceiveCmd(f),
		custodycmd.NewReadingsCmd(f),
		custodycmd.NewPackCmd(f),
		custodycmd.NewUnpackCmd(f),
		unitscmd.NewCmd(f),
		recallcmd.NewCmd(f),
		epciscmd.NewCmd(f),
		labcmd.NewCmd(f),
		tracecmd.NewCmd(f),
		tracecmd.NewEventsCmd(f),
		reportcmd.NewCmd(f),
		scanscmd.NewCmd(f),
		claimcmd.NewCmd(f),
		servicecmd.NewCmd(f),
		governancecmd.NewCmd(f),
		verifycmd.NewCmd(f),
	)
	groups(root)
	return root
}

// groups makes every command group (a command with subcommands and no
// action of its own) print its help when called alone and refuse an
// unknown subcommand with a usage error (exit 2): cobra would otherwise
// print the help and exit 0 for "trustline product regster".
func groups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		groups(sub)
		if sub.HasSubCommands() && sub.Run == nil && sub.RunE == nil {
			sub.Args = cmdutil.NoArgs
			sub.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
	}
}

// usageErr turns a flag-parsing error into a usage error that shows how the
// command is called.
func usageErr(c *cobra.Command, err error) error {
	return cmdutil.UsageError("%v\n\n%s", err, c.UsageString())
}
