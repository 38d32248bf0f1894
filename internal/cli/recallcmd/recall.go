// Package recallcmd implements `trustline recall`: a brand's recall of a lot.
package recallcmd

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

// recallLedger is what recall calls of the ledger client.
type recallLedger interface {
	Recall(ctx context.Context, lot, reason, class string, opts ...client.CallOption) (*ledger.Recall, error)
	Close() error
}

// NewCmd returns `trustline recall`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var reason, class, output string
	cmd := &cobra.Command{
		Use:   "recall LOT",
		Short: "Recall a lot of your product, and every lot made from it (brands)",
		Long: `Recall a lot (Product:Recall) of a product your organisation owns. The recall
extends to every lot made from it through transformations: they show as
recalled in every query and trace. --class is the FDA's grading, I (most
serious), II or III.`,
		Example: `  trustline recall https://id.gs1.org/01/09506000134352/10/L1 --profile brand --reason "Salmonella" --class I`,
		Args:    cmdutil.ExactArgs(1, "a lot's Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if reason == "" {
				return cmdutil.UsageError("--reason is required\n\n%s", cmd.UsageString())
			}
			switch class {
			case ledger.RecallClassI, ledger.RecallClassII, ledger.RecallClassIII:
			default:
				return cmdutil.UsageError("--class %q: use I, II or III", class)
			}
			c, err := cmdutil.Ledger[recallLedger](cmd.Context(), lo)
			if err != nil {
				return err
			}
			defer c.Close()
			r, err := c.Recall(cmd.Context(), args[0], reason, class)
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(r, func(w io.Writer) error {
				return cmdutil.Fields(w, [2]string{"Recalled", r.Lot}, [2]string{"Class", r.Class}, [2]string{"Reason", r.Reason},
					[2]string{"By", r.RecalledBy}, [2]string{"At", r.RecalledAt}, [2]string{"Transaction", r.TxID})
			})
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.Flags().StringVar(&reason, "reason", "", "why the lot is recalled")
	cmd.Flags().StringVar(&class, "class", ledger.RecallClassII, "recall class: I, II or III")
	_ = cmd.RegisterFlagCompletionFunc("class", cobra.FixedCompletions([]string{"I", "II", "III"}, cobra.ShellCompDirectiveNoFileComp))
	cmdutil.AddOutputFlag(cmd, &output)
	cmd.AddCommand(newScopeCmd(ios, lo))
	return cmd
}
