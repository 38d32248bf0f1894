package recallcmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/report"
)

// newScopeCmd returns `trustline recall scope`, reading the node lo names.
func newScopeCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "scope LOT",
		Short: "Everything a recall of a lot touches, from a member node's index",
		Long: `Compute from a member node's index (--node or TRUSTLINE_NODE) in one call what a
recall of the lot reaches: every lot made from it through transformations,
the logistic units they were packed into, their serialised units, the members
that hold them now, and each shipment of them (to whom, how much, when).`,
		Example: `  trustline recall scope https://id.gs1.org/01/09506000134352/10/L1 --node http://127.0.0.1:8480
  trustline recall scope https://id.gs1.org/01/09506000134352/10/L1 -o json`,
		Args: cmdutil.ExactArgs(1, "a lot's Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if err := (report.Selection{Lot: args[0]}).Check(); err != nil {
				return cmdutil.UsageError("%v", err)
			}
			nc, err := lo.NodeClient()
			if err != nil {
				return err
			}
			t0 := time.Now()
			// The node computes the scope in one request when it serves
			// /recall/scope; otherwise it is computed here from the
			// traces of the lot and of each lot downstream of it.
			by := "by the node"
			sc, err := nc.RecallScope(cmd.Context(), args[0])
			if nodeclient.IsNotServed(err) {
				by = "from the node's traces"
				sc, err = report.RecallScope(cmd.Context(), cmdutil.ReportSource(nc), args[0])
			}
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			took := time.Since(t0)
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(sc, func(w io.Writer) error { return scopeTable(w, sc, by, took) })
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func scopeTable(w io.Writer, sc *report.Scope, by string, took time.Duration) error {
	fmt.Fprintf(w, "A recall of %s reaches %d lots, %d logistic units and %d serialised units (computed %s in %s).\n",
		sc.Lot, len(sc.Lots), len(sc.LogisticUnits), len(sc.Units), by, took.Round(time.Millisecond))
	fmt.Fprintln(w, "Lots:")
	for _, l := range sc.Lots {
		via := ""
		if len(l.MadeFrom) > 0 {
			via = ", made from " + strings.Join(l.MadeFrom, ", ")
		}
		fmt.Fprintf(w, "  %s  %s, held by %s, %s left, %d units%s\n", l.ID, l.Product, l.Custodian, l.Remaining, l.Units, via)
	}
	for _, u := range sc.LogisticUnits {
		fmt.Fprintf(w, "Logistic unit: %s\n", u)
	}
	for _, c := range sc.Custodians {
		fmt.Fprintf(w, "Held by %s: %d lots\n", c.Member, len(c.Lots))
	}
	for _, s := range sc.Shipments {
		fmt.Fprintf(w, "Shipped: %s  %s → %s  %s  %s\n", s.ShippedAt, s.From, s.To, s.Quantity, s.Lot)
	}
	return nil
}
