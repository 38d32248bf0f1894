// Package productcmd implements `trustline product`: a brand's product
// master data.
package productcmd

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns the product command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "product",
		Short: "Register and show products (brands)",
		Args:  cmdutil.NoArgs,
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.AddCommand(newRegisterCmd(ios, lo), newShowCmd(ios, lo))
	return cmd
}

// productLedger is what the product commands call of the ledger client.
type productLedger interface {
	RegisterProduct(ctx context.Context, req ledger.ProductRequest, opts ...client.CallOption) (*ledger.Product, error)
	Product(ctx context.Context, gtin string, opts ...client.CallOption) (*ledger.Product, error)
	Close() error
}

type registerOptions struct {
	file   string
	output string
	req    ledger.ProductRequest
}

func newRegisterCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	o := &registerOptions{}
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register a GTIN's master data; your organisation owns the product",
		Long: `Register a product (Product:RegisterProduct). Only a brand may; the brand then
alone commissions units of the product's lots and recalls them. Readings of a
lot outside the product's temperature range flag the lot as in breach.

The request is flags or a JSON/YAML file (-f) with the fields gtin, name,
brand, category, tempMinC, tempMaxC, shelfLifeDays and foodTraceabilityList.

--ftl names the product's food on the FDA Food Traceability List (FSMA 204:
soft-cheese, shell-eggs, leafy-greens, tomatoes, finfish, …); trustline report
fsma204 and kde then hold its events to the rule's Key Data Elements.`,
		Example: `  trustline product register --profile brand --gtin 09506000134352 --name Tomatoes \
    --brand Acme --category vegetables --temp-min 2 --temp-max 8 --shelf-life-days 14
  trustline product register -f product.yaml -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			flagsSet := cmd.Flags().Changed("gtin") || cmd.Flags().Changed("name")
			if err := cmdutil.ExclusiveInput(o.file, flagsSet); err != nil {
				return err
			}
			if o.file != "" {
				if err := cmdutil.LoadInput(o.file, ios.In, &o.req); err != nil {
					return err
				}
			} else if o.req.GTIN == "" {
				return cmdutil.UsageError("--gtin is required (or give the request with -f)\n\n%s", cmd.UsageString())
			}
			c, err := cmdutil.Ledger[productLedger](cmd.Context(), lo)
			if err != nil {
				return err
			}
			defer c.Close()
			p, err := c.RegisterProduct(cmd.Context(), o.req)
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			return cmdutil.Printer{Format: o.output, Out: ios.Out}.Print(p, func(w io.Writer) error { return cmdutil.ProductTable(w, p) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "JSON or YAML request file (- for standard input)")
	f.StringVar(&o.req.GTIN, "gtin", "", "GTIN-8, -12, -13 or -14 with a valid check digit")
	f.StringVar(&o.req.Name, "name", "", "product name")
	f.StringVar(&o.req.Brand, "brand", "", "brand name")
	f.StringVar(&o.req.Category, "category", "", "product category")
	f.Float64Var(&o.req.TempMinC, "temp-min", 0, "lowest allowed temperature, °C")
	f.Float64Var(&o.req.TempMaxC, "temp-max", 0, "highest allowed temperature, °C")
	f.IntVar(&o.req.ShelfLifeDays, "shelf-life-days", 0, "shelf life in days")
	f.StringVar(&o.req.FoodTraceabilityList, "ftl", "", "the product's `FOOD` on the FDA Food Traceability List: "+strings.Join(ledger.FTLKeys(), ", "))
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

func newShowCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "show GTIN",
		Short:   "Show a product's master data",
		Example: `  trustline product show 09506000134352 --profile lab`,
		Args:    exactlyOne("a GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c productLedger) (*ledger.Product, error) { return c.Product(ctx, args[0]) },
				cmdutil.ProductTable)
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func exactlyOne(what string) cobra.PositionalArgs { return cmdutil.ExactArgs(1, what) }
