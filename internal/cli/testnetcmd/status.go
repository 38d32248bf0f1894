package testnetcmd

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/testnet"
)

func newStatusCmd(ios *iostreams.IO, opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every process, the channel height per peer and the chaincode",
		Long: `Show every process of the network (pid, port, alive), the channel's height
and newest block hash at each peer, the committed chaincode definition, and the
Ethereum dev chain. Exits 4 when something is down.`,
		Example: `  trustline testnet status
  trustline testnet status --output json | jq '.channel.peers'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(opts.output); err != nil {
				return err
			}
			n, err := testnet.New(testnet.Config{Dir: opts.dir})
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			st := n.Status(cmd.Context())
			if opts.output == cmdutil.OutputJSON {
				if err := cmdutil.PrintJSON(ios.Out, st); err != nil {
					return err
				}
			} else {
				printStatus(ios, st)
			}
			if !st.Healthy() {
				return cmdutil.Unavailable(fmt.Errorf("the testnet in %s is not fully up", st.Dir))
			}
			return nil
		},
	}
	cmdutil.AddOutputFlag(cmd, &opts.output)
	return cmd
}

func printStatus(ios *iostreams.IO, st *testnet.Status) {
	w := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "PROCESS\tPID\tPORT\tSTATE\n")
	for _, p := range st.Processes {
		state, pid := "down", "-"
		if p.Alive {
			state, pid = "alive", fmt.Sprint(p.PID)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", p.Name, pid, p.Port, state)
	}
	w.Flush()
	fmt.Fprintf(ios.Out, "\nchannel %s", st.Channel.Name)
	if !st.Channel.Created {
		fmt.Fprintln(ios.Out, ": not created")
		return
	}
	fmt.Fprintln(ios.Out)
	w = tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "PEER\tHEIGHT\tNEWEST BLOCK\n")
	for _, p := range st.Channel.Peers {
		if p.Error != "" {
			fmt.Fprintf(w, "%s\t-\t%s\n", p.Org, firstLine(p.Error))
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%.16s…\n", p.Org, p.Height, p.CurrentHash)
	}
	w.Flush()
	cc := st.Chaincode
	switch {
	case cc.Error != "":
		fmt.Fprintf(ios.Out, "\nchaincode %s: %s\n", cc.Name, firstLine(cc.Error))
	case cc.Committed:
		var approvals []string
		for org, ok := range cc.Approvals {
			if ok {
				approvals = append(approvals, org)
			}
		}
		sort.Strings(approvals)
		fmt.Fprintf(ios.Out, "\nchaincode %s version %s sequence %d, approved by %s\n", cc.Name, cc.Version, cc.Sequence, strings.Join(approvals, ", "))
	default:
		fmt.Fprintf(ios.Out, "\nchaincode %s: not committed\n", cc.Name)
	}
	if e := st.Ethereum; e != nil {
		if e.Error != "" {
			fmt.Fprintf(ios.Out, "ethereum %s: %s\n", e.URL, firstLine(e.Error))
		} else {
			fmt.Fprintf(ios.Out, "ethereum %s: chain id %d, block %d\n", e.URL, e.ChainID, e.BlockNumber)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
