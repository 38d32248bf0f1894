// Package epciscmd implements `trustline epcis`: a client of a member
// node's EPCIS 2.0 REST interface (capture, queries with the standard's
// parameters, named queries, webhook subscriptions and the WebSocket
// stream of a query's events), and EPCIS tools (event hash ids).
//
// Every command that talks to a node takes the same connection flags
// (cmdutil.AddNodeFlags: --node, --cert, --key, --ca, with environment and
// config-file defaults) and gets its client from the factory, so a test
// points them at a fake node. The node decides what a client may do: its
// public listener answers queries; capture, and writes of named queries and
// subscriptions where the node asks for it, need a TLS client certificate
// of the organisation's CA on its capture listener.
package epciscmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

// NewCmd returns the epcis command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	cmd := &cobra.Command{
		Use:   "epcis",
		Short: "EPCIS 2.0: capture, query and subscribe through your node; event hash ids",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(newHashCmd(ios), newCaptureCmd(f), newQueryCmd(f), newQueriesCmd(f), newSubscribeCmd(f), newSubscriptionsCmd(f))
	return cmd
}

func newHashCmd(ios *iostreams.IO) *cobra.Command {
	var output, cbv string
	var pre bool
	cmd := &cobra.Command{
		Use:   "hash FILE.jsonld",
		Short: "Print the CBV event hash id of every event of an EPCIS document",
		Long: `Print the event hash id (CBV §8.9, ni:///sha-256;…?ver=CBV2.1 or ?ver=CBV2.0) of
every event of an EPCISDocument or EPCISQueryDocument, one per line in
document order. --cbv 2.1 (the default) gives the eventIDs the trustline
ledger gives the events it records; --cbv 2.0 those of events recorded
before CBV 2.1, so a document exported from anywhere can be matched against
it. FILE may be - for standard input.`,
		Example: `  trustline epcis hash events.jsonld
  trustline batch events https://id.gs1.org/01/09506000134352/10/L1 | trustline epcis hash -
  trustline epcis hash events.jsonld --pre-hash   # the canonical strings that are hashed
  trustline epcis hash events.jsonld --cbv 2.0    # ids of events recorded before CBV 2.1`,
		Args: cmdutil.ExactArgs(1, "an EPCIS 2.0 JSON-LD document"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			ver, err := epcis.ParseCBV(cbv)
			if err != nil {
				return cmdutil.UsageError("--cbv: %v", err)
			}
			b, err := cmdutil.ReadInput(args[0], ios.In)
			if err != nil {
				return err
			}
			hash := epcis.HashDocumentAs
			if pre {
				hash = epcis.PreHashDocumentAs
			}
			ids, err := hash(ver, b)
			if err != nil {
				return cmdutil.UsageError("%s: %v", args[0], err)
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(ids, func(w io.Writer) error {
				for _, id := range ids {
					if _, err := fmt.Fprintln(w, id); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&pre, "pre-hash", false, "print the pre-hash strings instead of the hashes")
	cmd.Flags().StringVar(&cbv, "cbv", "2.1", "CBV event hash version: 2.0 or 2.1")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}
