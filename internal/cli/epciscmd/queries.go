package epciscmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
)

// newQueriesCmd returns `epcis queries`: the node's named queries.
func newQueriesCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	cmd := &cobra.Command{
		Use:   "queries",
		Short: "List, create or delete a node's named queries",
		Long: `A named query (EPCIS 2.0 REST binding, /queries) is a query kept on the node
under a name: run it with trustline epcis query --named NAME, subscribe a
webhook to it with trustline epcis subscribe NAME. Anyone may list them; a
node creates and deletes them only for its organisation's own clients, on
its capture listener (--node, --cert, --key, --ca of a client with
subscribe: true).`,
		Args: cmdutil.NoArgs,
	}

	lo := f.LedgerOptions()
	var output string
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the node's named queries and their parameters",
		Example: `  trustline epcis queries list --node http://127.0.0.1:8480 -o json`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			nc, err := lo.NodeClient()
			if err != nil {
				return err
			}
			qs, err := nc.NamedQueries(cmd.Context())
			if err != nil {
				return nodeError(err)
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(qs, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tQUERY")
				for _, q := range qs {
					fmt.Fprintf(tw, "%s\t%s\n", q.Name, compact(q.Query))
				}
				return tw.Flush()
			})
		},
	}
	cmdutil.AddNodeFlags(list, lo)
	cmdutil.AddOutputFlag(list, &output)

	clo := f.LedgerOptions()
	var ff filterFlags
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a named query from the standard's parameters",
		Long: `Create the named query NAME on the node (POST /queries) with the query
parameters the flags set, as trustline epcis query's flags do. A name is 1
to 64 letters, digits, '.', '_' or '-'.`,
		Example: `  trustline epcis queries create shipped --biz-step shipping --node https://127.0.0.1:8443 --cert erp.crt --key erp.key --ca ca.crt
  trustline epcis queries create cold-dock --type ObjectEvent --within-location urn:epc:id:sgln:4012345.00001.0 --param EQ_action=OBSERVE`,
		Args: cmdutil.ExactArgs(1, "the query's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := ff.values()
			if err != nil {
				return err
			}
			if len(v) == 0 {
				return cmdutil.UsageError("no query parameters: set at least one (--biz-step, --type, --param NAME=VALUE, …)")
			}
			nc, err := clo.NodeClient()
			if err != nil {
				return err
			}
			if err := nc.CreateQuery(cmd.Context(), args[0], v); err != nil {
				return nodeError(err)
			}
			_, err = fmt.Fprintf(ios.Out, "Created query %s: %s\n", args[0], v.Encode())
			return err
		},
	}
	addFilterFlags(create, &ff)
	cmdutil.AddNodeFlags(create, clo)

	dlo := f.LedgerOptions()
	del := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a named query and its subscriptions",
		Example: `  trustline epcis queries delete shipped --node https://127.0.0.1:8443 --cert erp.crt --key erp.key --ca ca.crt`,
		Args:    cmdutil.ExactArgs(1, "the query's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			nc, err := dlo.NodeClient()
			if err != nil {
				return err
			}
			if err := nc.DeleteQuery(cmd.Context(), args[0]); err != nil {
				return nodeError(err)
			}
			_, err = fmt.Fprintf(ios.Out, "Deleted query %s and its subscriptions\n", args[0])
			return err
		},
	}
	cmdutil.AddNodeFlags(del, dlo)
	cmd.AddCommand(list, create, del)
	return cmd
}

// compact is a JSON value on one line.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
