package custodycmd

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

type packOptions struct {
	file   string
	output string
	req    ledger.PackRequest
}

// NewPackCmd returns `trustline pack`.
func NewPackCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	o := &packOptions{}
	cmd := &cobra.Command{
		Use:   "pack",
		Short: "Pack lots you hold into a logistic unit (an SSCC)",
		Long: `Pack (Custody:Pack) lots your organisation holds, at rest, into a new logistic
unit identified by an SSCC (--sscc, 18 digits or https://id.gs1.org/00/{SSCC}),
recorded as an EPCIS AggregationEvent. Only the custodian of every lot may,
and an SSCC is never reused. The unit then ships and is received as one
(--logistic-unit of ` + "`trustline ship` and `trustline receive`" + `) until it is unpacked.

The request is flags or a JSON/YAML file (-f) with the fields sscc and lots.`,
		Example: `  trustline pack --profile logistics --sscc 095060001343520001 \
    --lot https://id.gs1.org/01/09506000134352/10/L1 --lot https://id.gs1.org/01/09506000134352/10/L2
  trustline pack -f pallet.yaml -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			if err := cmdutil.ExclusiveInput(o.file, o.req.SSCC != "" || len(o.req.Lots) > 0); err != nil {
				return err
			}
			r := o.req
			if o.file != "" {
				if err := cmdutil.LoadInput(o.file, ios.In, &r); err != nil {
					return err
				}
			}
			if r.SSCC == "" || len(r.Lots) == 0 {
				return cmdutil.UsageError("--sscc and at least one --lot are required (or give the request with -f)\n\n%s", cmd.UsageString())
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, o.output,
				func(ctx context.Context, c custodyLedger) (*ledger.LogisticUnit, error) { return c.Pack(ctx, r) },
				LogisticUnitTable)
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	fs := cmd.Flags()
	fs.StringVarP(&o.file, "file", "f", "", "JSON or YAML request file (- for standard input)")
	fs.StringVar(&o.req.SSCC, "sscc", "", "the new unit's SSCC (18 digits) or SSCC Digital Link")
	fs.StringArrayVar(&o.req.Lots, "lot", nil, "a lot's Digital Link (repeatable)")
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

// NewUnpackCmd returns `trustline unpack`.
func NewUnpackCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var output string
	cmd := &cobra.Command{
		Use:   "unpack SSCC",
		Short: "Take the lots out of a logistic unit you hold",
		Long: `Unpack (Custody:Unpack) a logistic unit your organisation holds, at rest (not in
transit), recorded as an EPCIS AggregationEvent (DELETE). Its lots are then
yours to ship, transform or pack again one by one; the SSCC is not reused.`,
		Example: `  trustline unpack 095060001343520001 --profile brand
  trustline unpack https://id.gs1.org/00/095060001343520001 -o json`,
		Args: cmdutil.ExactArgs(1, "an SSCC or SSCC Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c custodyLedger) (*ledger.LogisticUnit, error) {
					return c.Unpack(ctx, args[0])
				},
				LogisticUnitTable)
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// LogisticUnitTable writes a logistic unit.
func LogisticUnitTable(w io.Writer, u *ledger.LogisticUnit) error {
	return cmdutil.Fields(w,
		[2]string{"Logistic unit", u.ID}, [2]string{"Status", string(u.Status)},
		[2]string{"Lots", strings.Join(u.Lots, ", ")}, [2]string{"Custodian", u.Custodian},
		[2]string{"Shipment", u.Shipment}, [2]string{"Packed by", u.PackedBy}, [2]string{"Packed", u.PackedAt},
		[2]string{"Pack event", u.PackEvent}, [2]string{"Unpacked", u.UnpackedAt}, [2]string{"Unpack event", u.UnpackEvent},
	)
}
