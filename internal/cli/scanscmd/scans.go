// Package scanscmd implements `trustline scans`: how often a member
// node's consumer pages were scanned, per product, lot, day, language and
// country (package node/scans keeps the counts, and nothing personal).
package scanscmd

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/nodeapi"
)

// dimensions are the --by values, in report order.
var dimensions = []string{"gtin", "lot", "day", "lang", "country"}

// NewCmd returns `trustline scans`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	lo := f.LedgerOptions()
	var q nodeclient.ScanQuery
	var by, output string
	cmd := &cobra.Command{
		Use:   "scans",
		Short: "Scans of a member node's consumer pages, per product, lot, day, language and country",
		Long: `Show how often the consumer pages of a member node (--node or TRUSTLINE_NODE)
were scanned: views of a product's or lot's page by a person's browser (not
bots, prefetches or clicks within the page), counted per product (GTIN), lot,
UTC day, language and the country the language names. The node keeps these
counts only: no address, browser or cookie. The node serves them to its
members, with the reports, on its capture listener: give its https URL and
a client certificate of your organisation's CA whose capture.clients entry
says reports: true (--node-cert, --node-key, --node-ca).`,
		Example: `  trustline scans --node https://127.0.0.1:8443 --node-cert qa.crt --node-key qa.key --node-ca ca.crt
  trustline scans --by lot,day --from 2026-12-01
  trustline scans --lot https://id.gs1.org/01/09506000134352/10/L1 --by lang,country -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			for _, d := range []struct{ flag, v string }{{"--from", q.From}, {"--to", q.To}} {
				if _, err := time.Parse(time.DateOnly, d.v); d.v != "" && err != nil {
					return cmdutil.UsageError("%s %q is not a date (YYYY-MM-DD)", d.flag, d.v)
				}
			}
			q.By = nil
			for _, b := range strings.Split(by, ",") {
				if b = strings.TrimSpace(b); b == "" {
					continue
				}
				if !slices.Contains(dimensions, b) {
					return cmdutil.UsageError("unknown --by %q: use %s", b, strings.Join(dimensions, ", "))
				}
				q.By = append(q.By, b)
			}
			nc, err := lo.NodeClient()
			if err != nil {
				return err
			}
			r, err := nc.Scans(cmd.Context(), q)
			if nodeclient.IsNotServed(err) {
				return cmdutil.Rejected(errors.New("the node does not serve scan counts to this client: they are member records, on its capture listener to a client certificate with reports: true (--node-cert, --node-key)"))
			}
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			return cmdutil.Printer{Format: output, Out: f.IOStreams.Out}.Print(r, func(w io.Writer) error { return table(w, r) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&lo.Node, "node", "", "base URL of a member node's capture listener (default $TRUSTLINE_NODE)")
	cmdutil.AddNodeTLSFlags(cmd, lo)
	fl.StringVar(&q.GTIN, "gtin", "", "only this product's scans")
	fl.StringVar(&q.Lot, "lot", "", "only this lot's scans (its Digital Link)")
	fl.StringVar(&q.From, "from", "", "from this UTC day (YYYY-MM-DD)")
	fl.StringVar(&q.To, "to", "", "up to this UTC day, included (YYYY-MM-DD)")
	fl.StringVar(&by, "by", "gtin,lot", "group by these, comma-separated: "+strings.Join(dimensions, ", "))
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func table(w io.Writer, r *nodeapi.ScanReport) error {
	if r.Total == 0 {
		_, err := fmt.Fprintln(w, "No scans counted.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(append(append([]string(nil), r.By...), "scans"), "\t")))
	for _, c := range r.Rows {
		var row []string
		for _, b := range r.By {
			row = append(row, orUnknown(field(c.ScanKey, b)))
		}
		fmt.Fprintln(tw, strings.Join(append(row, fmt.Sprint(c.Scans)), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d scans.\n", r.Total)
	return err
}

func field(k nodeapi.ScanKey, dim string) string {
	switch dim {
	case "gtin":
		return k.GTIN
	case "lot":
		if k.Lot == "" {
			return "(product page)"
		}
		return k.Lot
	case "day":
		return k.Day
	case "lang":
		return k.Lang
	case "country":
		return k.Country
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
