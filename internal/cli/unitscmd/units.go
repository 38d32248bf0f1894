// Package unitscmd implements `trustline units`: a brand's serialised units.
package unitscmd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

// unitsLedger is what the units commands call of the ledger client.
type unitsLedger interface {
	CommissionUnits(ctx context.Context, lot string, serials []string, opts ...client.CallOption) ([]ledger.Unit, error)
	Close() error
}

// NewCmd returns the units command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "units",
		Short: "Commission serialised units of a lot (brands)",
		Args:  cmdutil.NoArgs,
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	var serials []string
	var file, output string
	commission := &cobra.Command{
		Use:   "commission LOT",
		Short: "Give units of a lot serial numbers",
		Long: `Commission serialised units (Product:CommissionUnits) of a lot of a product
your organisation owns. Each unit's id is the lot's Digital Link with
/21/{serial}. Serials come as --serial flags or one per line in a file
(--serials-file, - for standard input).`,
		Example: `  trustline units commission https://id.gs1.org/01/09506000134369/10/S1 --profile brand --serial 0001 --serial 0002
  seq -w 1 500 | trustline units commission https://id.gs1.org/01/09506000134369/10/S1 --serials-file -`,
		Args: cmdutil.ExactArgs(1, "a lot's Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			all := append([]string(nil), serials...)
			if file != "" {
				b, err := cmdutil.ReadInput(file, ios.In)
				if err != nil {
					return err
				}
				all = append(all, ParseSerials(b)...)
			}
			if len(all) == 0 {
				return cmdutil.UsageError("no serials: give --serial or --serials-file\n\n%s", cmd.UsageString())
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c unitsLedger) ([]ledger.Unit, error) {
					return c.CommissionUnits(ctx, args[0], all)
				},
				unitsTable)
		},
	}
	commission.Flags().StringArrayVar(&serials, "serial", nil, "serial number (repeatable)")
	commission.Flags().StringVar(&file, "serials-file", "", "file of serial numbers, one per line")
	cmdutil.AddOutputFlag(commission, &output)
	cmd.AddCommand(commission)
	return cmd
}

// ParseSerials splits a serials file into its non-empty, non-comment lines.
func ParseSerials(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, s)
		}
	}
	return out
}

func unitsTable(w io.Writer, units []ledger.Unit) error {
	for _, u := range units {
		if _, err := fmt.Fprintln(w, u.ID); err != nil {
			return err
		}
	}
	return nil
}
