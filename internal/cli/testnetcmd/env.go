package testnetcmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/testnet"
)

func newEnvCmd(ios *iostreams.IO, opts *options) *cobra.Command {
	var admin bool
	cmd := &cobra.Command{
		Use:   "env ORG",
		Short: "Print what a client of one organisation needs to connect",
		Long: `Print the gateway address, TLS CA, MSP id, certificate and key of an
organisation's client identity, as shell variables (eval them) or as JSON.
ORG is one of: ` + strings.Join(testnet.Orgs, ", ") + `.`,
		Example: `  eval "$(trustline testnet env supplier)"
  trustline testnet env lab --output json`,
		ValidArgs: testnet.Orgs,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageError("testnet env takes one organisation: %s", strings.Join(testnet.Orgs, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(opts.output); err != nil {
				return err
			}
			n, err := testnet.New(testnet.Config{Dir: opts.dir})
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			p, err := n.Profile(strings.ToLower(args[0]), admin)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			if opts.output == cmdutil.OutputJSON {
				return cmdutil.PrintJSON(ios.Out, p)
			}
			for _, kv := range [][2]string{
				{"TRUSTLINE_ORG", p.Org},
				{"TRUSTLINE_MSP_ID", p.MSPID},
				{"TRUSTLINE_GATEWAY", p.GatewayAddress},
				{"TRUSTLINE_TLS_SERVER_NAME", p.TLSServerName},
				{"TRUSTLINE_TLS_CA", p.TLSCACert},
				{"TRUSTLINE_CERT", p.CertPath},
				{"TRUSTLINE_KEY", p.KeyPath},
				{"TRUSTLINE_CHANNEL", p.Channel},
				{"TRUSTLINE_CHAINCODE", p.Chaincode},
				{"TRUSTLINE_ETH_RPC", p.EthereumRPC},
			} {
				if kv[1] != "" {
					fmt.Fprintf(ios.Out, "export %s=%s\n", kv[0], shellQuote(kv[1]))
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&admin, "admin", false, "the organisation's admin identity instead of its client user")
	cmdutil.AddOutputFlag(cmd, &opts.output)
	return cmd
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
